import Atomics

/// Offsets in a `SeqLock`'s storage.
///
/// ```
///  0                  128
///  ├─ sequence line ──┼─ snapshot words …
///  │ sequence         │ _roundUp(size, 8) bytes
/// ```
public enum SeqLockDescriptor {
    public static let sequenceOffset = 0
    public static let snapshotOffset = cacheLinePairSize
}

/// Publishes a snapshot of `Snapshot` from one writer to any number of readers without
/// locks: the writer makes the sequence odd, writes, and makes it even again; a reader
/// copies the snapshot between two equal even sequence reads and retries otherwise.
///
/// The snapshot is copied with word-sized relaxed atomics, so racing copies are defined
/// behaviour; the fences around them are what make a torn copy detectable.
///
/// Thread safety: one writer thread; any number of reader threads.
public final class SeqLock<Snapshot: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline let sequence: UnsafeAtomic<Int>
    @usableFromInline let snapshot: UnsafeMutableRawPointer
    private let memory: _UnsafeRingMemory

    /// Creates a seqlock holding `initial`.
    public init(_ initial: Snapshot, placement: MemoryPlacement = .numaLocal) throws(RingError) {
        let memory = try _UnsafeRingMemory(
            byteCount: SeqLockDescriptor.snapshotOffset + _roundUp(MemoryLayout<Snapshot>.size, to: 8),
            placement: placement)
        self.sequence = _atomicInt(at: memory.base + SeqLockDescriptor.sequenceOffset, initialValue: 0)
        self.snapshot = memory.base + SeqLockDescriptor.snapshotOffset
        _RacyCopy.store(initial, to: snapshot)
        self.memory = memory
    }

    /// Publishes a new snapshot. Writer thread only.
    /// - Complexity: O(size of `Snapshot`).
    @inlinable
    public func write(_ value: Snapshot) {
        // Relaxed: only the writer changes the sequence.
        let current = sequence.load(ordering: .relaxed)
        sequence.store(current &+ 1, ordering: .relaxed)
        // Releasing fence: a reader whose copy sees any new word also sees the odd sequence.
        atomicMemoryFence(ordering: .releasing)
        _RacyCopy.store(value, to: snapshot)
        // Releasing: the new words are visible before the even sequence.
        sequence.store(current &+ 2, ordering: .releasing)
    }

    /// Returns a consistent snapshot, or `nil` if a write overlapped each of `attempts`
    /// tries.
    /// - Complexity: O(size of `Snapshot`) per attempt.
    @inlinable
    public func read(attempts: Int) -> Snapshot? {
        for _ in 0..<max(1, attempts) {
            // Acquiring: pairs with the writer's releasing even store.
            let before = sequence.load(ordering: .acquiring)
            if before & 1 == 1 { continue }
            let value = _RacyCopy.load(Snapshot.self, from: snapshot)
            // Acquiring fence: the copy's loads complete before the sequence is re-read.
            atomicMemoryFence(ordering: .acquiring)
            if sequence.load(ordering: .relaxed) == before { return value }
        }
        return nil
    }

    /// Returns a consistent snapshot, retrying for as long as writes overlap.
    @inlinable
    public func read() -> Snapshot {
        while true {
            if let value = read(attempts: 64) { return value }
            spinPause()
        }
    }

    /// How many snapshots have been written.
    public var version: Int { sequence.load(ordering: .acquiring) / 2 }
}
