import Atomics

#if canImport(Glibc)
import Glibc
#endif

/// A thread that runs one function pinned to a CPU set, for work that is not a `Loop`
/// (benchmark producers, test drivers). `LoopRunner` is the engine's way to run loops.
public final class PinnedThread: @unchecked Sendable {
    public let name: String
    /// The CPU set the thread obtained, known once `start` has returned.
    public private(set) var obtained: CPUSet = .empty
    private let cpus: CPUSet?
    private let body: @Sendable () -> Void
    private let state = ManagedAtomic<Int>(0)  // 0 starting, 1 running, 2 failed
    private var error: ThreadError?
    private var thread: pthread_t?

    private init(name: String, cpus: CPUSet?, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.cpus = cpus
        self.body = body
    }

    /// Starts `body` on a new thread pinned to `cpus` (unpinned when `nil`). Returns once
    /// the thread is pinned; throws with no thread left running when it cannot be.
    public static func start(
        name: String, cpus: CPUSet?, _ body: @escaping @Sendable () -> Void
    ) throws(ThreadError) -> PinnedThread {
        let thread = PinnedThread(name: name, cpus: cpus, body: body)
        let context = Unmanaged.passRetained(thread).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, _pinnedThreadEntry, context)
        guard rc == 0 else {
            Unmanaged<PinnedThread>.fromOpaque(context).release()
            throw .spawnFailed(name: name, errno: rc)
        }
        thread.thread = tid
        while thread.state.load(ordering: .acquiring) == 0 { sched_yield() }
        if thread.state.load(ordering: .acquiring) == 2 {
            pthread_join(tid, nil)
            throw thread.error ?? .spawnFailed(name: name, errno: EINVAL)
        }
        return thread
    }

    /// Waits for the body to return.
    public func join() {
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    fileprivate func _main() {
        if let cpus {
            do {
                obtained = try Affinity.pinCurrentThread(to: cpus)
            } catch {
                self.error = error
                state.store(2, ordering: .releasing)
                return
            }
        } else {
            obtained = CPUSet.currentThread
        }
        state.store(1, ordering: .releasing)
        body()
    }
}

private func _pinnedThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let thread = Unmanaged<PinnedThread>.fromOpaque(context!).takeRetainedValue()
    thread._main()
    return nil
}
