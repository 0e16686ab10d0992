// QuorumJournal owns Quorum's append-only record of every input the coordinator consumed:
//
// - the on-disk format: segment files with a checksummed header, and records
//   `u32 length · u32 crc32c · u64 seq · u64 timestamp_ns · u16 type · u16 flags ·
//   u16 version · u16 reserved · payload`, 8-byte aligned (`JournalFormat.swift`,
//   docs/journal-format.md);
// - the record-type registry, the one place payload layouts and their versions live
//   (`JournalRecordType.swift`);
// - the writer: a hot-path append that is only a copy into a one-to-one byte ring
//   (`JournalWriter`), and the journal loop that drains it into preallocated segments
//   with `pwrite`, rolls them and fsyncs per policy, publishing the durable sequence
//   (`JournalLoop`);
// - recovery on open (torn tails truncated, corruption refused unless repaired), the
//   zero-copy mmap reader, snapshots, checkpoint records;
// - the user tools behind `quorum journal info|verify|dump|export|tail|recover|demo-write`
//   (`JournalTools`).
//
// Unsafe pointer work lives in the `_Unsafe…` types and the `_Mapped…` segment view;
// every libc call goes through the `system_…` functions in `_Syscalls.swift`.
