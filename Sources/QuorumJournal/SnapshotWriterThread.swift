// Writing snapshots off the loop that makes them: the coordinator fills a state image in an
// idle moment and hands it over; this thread writes it (temporary file, fsync, rename) and
// removes older snapshots, keeping the newest `keep`. One image is in flight at a time: while
// one is being written the next offer is declined, and the loop tries again later.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Atomics
import QuorumRings

/// A thread that writes the snapshots a loop hands it, one at a time.
///
/// `offer` and `takeBuffer` are for one thread (the loop that makes snapshots); the counters
/// are read after `stop()`.
public final class SnapshotWriterThread: @unchecked Sendable {
    public let directory: String
    /// Snapshots kept on disk (older ones are removed after each write).
    public let keep: Int
    // 0: idle, the slot is the loop's; 1: the slot holds an image to write, it is this thread's.
    let state = ManagedAtomic<Int>(0)
    let stopping = ManagedAtomic<Bool>(false)
    var slot: (sequence: UInt64, stateHash: UInt64, blob: [UInt8]) = (0, 0, [])
    var thread: PinnedThread?
    /// Snapshots written, and the last sequence written (read after `stop()`).
    public private(set) var written = 0
    public private(set) var lastSequence: UInt64?
    /// Writes that failed, and the last failure.
    public private(set) var failures = 0
    public private(set) var lastError: String?

    public init(directory: String, keep: Int = 2) {
        self.directory = directory
        self.keep = max(1, keep)
    }

    public func start() {
        do { thread = try PinnedThread.start(name: "snapshot-writer", cpus: nil) { self.run() } } catch {
            preconditionFailure("cannot start the snapshot writer thread: \(error)")
        }
    }

    /// Whether an image can be offered now (the last one is written).
    public var isIdle: Bool { state.load(ordering: .acquiring) == 0 }  // acquiring: the slot is ours again

    /// The storage of the last image written, to fill the next one in without allocating.
    /// - Precondition: `isIdle`.
    public func takeBuffer() -> [UInt8] {
        var b: [UInt8] = []
        swap(&b, &slot.blob)
        return b
    }

    /// Hands over the state after `sequence` for writing. Returns false (and keeps nothing)
    /// while the previous one is still being written.
    @discardableResult
    public func offer(sequence: UInt64, stateHash: UInt64, blob: [UInt8]) -> Bool {
        guard isIdle else { return false }
        slot = (sequence, stateHash, blob)
        state.store(1, ordering: .releasing)  // releasing: the writer sees the slot filled
        return true
    }

    /// Writes what is pending, then stops and joins the thread.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        thread?.join()
        thread = nil
        // Never started (or stopped before it saw the last offer): write it here.
        if state.load(ordering: .acquiring) == 1 {
            write()
            state.store(0, ordering: .releasing)
        }
    }

    func run() {
        while true {
            if state.load(ordering: .acquiring) == 1 {  // acquiring: pairs with offer's releasing store
                write()
                state.store(0, ordering: .releasing)  // releasing: the loop sees the slot written
                continue
            }
            if stopping.load(ordering: .acquiring) { return }
            system_nanosleep(2_000_000)
        }
    }

    func write() {
        do throws(JournalError) {
            try JournalSnapshots.write(directory: directory, sequence: slot.sequence, stateHash: slot.stateHash, blob: slot.blob)
            written += 1
            lastSequence = slot.sequence
            prune()
        } catch {
            failures += 1
            lastError = error.description
        }
    }

    /// Removes all but the newest `keep` snapshots.
    func prune() {
        guard let all = try? JournalSnapshots.list(directory: directory) else { return }
        for s in all.dropLast(keep) { _ = system_unlinkat(AT_FDCWD, s.path, 0) }
    }
}
