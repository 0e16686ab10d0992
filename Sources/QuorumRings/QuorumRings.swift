// QuorumRings — the concurrency core every Quorum message travels through.
//
// This module owns:
// - the lock-free rings: `SPSCRing` (one producer, one consumer), `MPSCRing` (many
//   producers, one consumer) and `BroadcastRing` (one producer, N readers with their own
//   cursors);
// - `SeqLock`, which publishes a snapshot from one writer to many readers;
// - `WaitStrategy` and `Wakeup`, how an idle loop waits (spin, yield, park on a futex);
// - `CPUSet`, thread pinning and NUMA-local ring storage;
// - `Loop` and `LoopRunner`, which run loops round-robin on a pinned thread.
//
// Memory layout is explicit: every shared counter sits on its own 128-byte line (two
// 64-byte lines, so the adjacent-line prefetcher cannot drag a neighbour's counter
// along), and each ring type carries a `Descriptor` with the offsets and a diagram.
