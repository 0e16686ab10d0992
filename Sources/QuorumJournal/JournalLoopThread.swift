// A thread that runs one journal loop until stopped: for tools, tests and benchmarks. The
// engine runs the loop on its own pinned threads instead, next to other loops.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Atomics
import CURing
import QuorumRings

/// Runs `loop.poll()` on a dedicated thread; when a poll finds nothing it spins briefly,
/// then sleeps `idleSleepNs` between polls (so an idle journal costs little on a shared core).
public final class JournalLoopThread: @unchecked Sendable {
    let loop: JournalLoop
    let idleSleepNs: UInt64
    let stopping = ManagedAtomic<Bool>(false)
    var thread: PinnedThread? = nil

    public init(loop: JournalLoop, idleSleepNs: UInt64 = 20_000) {
        self.loop = loop
        self.idleSleepNs = idleSleepNs
    }

    public func start() {
        do { thread = try PinnedThread.start(name: "journal-loop", cpus: nil) { self.run() } } catch {
            preconditionFailure("cannot start the journal loop thread: \(error)")
        }
    }

    /// Stops the thread after its current poll and joins it. The loop is then free to be
    /// driven from the calling thread (e.g. `drainAndSync()`).
    public func stop() {
        // releasing: the loop thread sees the request after everything this thread did before it.
        stopping.store(true, ordering: .releasing)
        thread?.join()
        thread = nil
    }

    func run() {
        var idle = 0
        // acquiring: pairs with stop()'s releasing store.
        while !stopping.load(ordering: .acquiring) {
            if loop.poll() > 0 {
                idle = 0
            } else {
                idle += 1
                if idle < 256 { curing_cpu_relax() } else { system_nanosleep(idleSleepNs) }
            }
        }
    }
}
