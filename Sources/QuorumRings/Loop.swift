import Atomics

#if canImport(Glibc)
import Glibc
#endif

/// A unit of work that polls its inputs: net, agents, coordinator, journal. A `LoopRunner`
/// calls `poll()` round-robin with its other loops on one pinned thread.
///
/// Loops are classes because a runner holds several of different types; the one indirect
/// call per poll is paid per batch of work, not per message, since `poll` drains what is
/// ready.
public protocol Loop: AnyObject {
    /// The name Config uses to map this loop to a thread.
    var name: String { get }
    /// Does one step of work and returns how much it did (messages handled, bytes
    /// written…); 0 means it found nothing to do. Must not block.
    func poll() -> Int
}

/// Runs one or more loops round-robin on a dedicated thread pinned to a CPU set, waiting
/// with a `WaitStrategy` whenever a full round found no work, until `stop()`.
///
/// After `start()` the loops belong to the runner's thread: nothing else may call them
/// until `stop()` has returned.
public final class LoopRunner: @unchecked Sendable {
    public let name: String
    public let cpus: CPUSet?
    public let waitStrategy: WaitStrategy
    /// Producers feeding a parked runner call `wakeup.wake()` after publishing.
    public let wakeup: Wakeup
    private let loops: [any Loop]
    /// The same loops without ownership, for the polling rounds: `loops` keeps them alive,
    /// and a round then costs no reference counting (a retain and a release per loop per
    /// round otherwise — atomic, and slower still for a loop something holds weakly).
    private let _polled: ContiguousArray<_PolledLoop>
    private let running = ManagedAtomic<Bool>(false)
    private let started = ManagedAtomic<Int>(0)  // 0 not yet, 1 pinned and running, 2 failed
    private let _rounds = ManagedAtomic<Int>(0)
    private let _idleRounds = ManagedAtomic<Int>(0)
    private var thread: pthread_t?
    private var startError: ThreadError?
    private var obtained: CPUSet = .empty

    /// - Parameters:
    ///   - cpus: where to pin the thread; `nil` leaves it unpinned.
    public init(name: String, loops: [any Loop], cpus: CPUSet?, wait: WaitStrategy) throws(RingError) {
        self.name = name
        self.loops = loops
        self._polled = ContiguousArray(loops.map(_PolledLoop.init))
        self.cpus = cpus
        self.waitStrategy = wait
        self.wakeup = try Wakeup()
    }

    /// Starts the thread, pins it, and returns the CPU set it actually obtained (or the
    /// unpinned affinity). Returns only once the thread is pinned and about to poll;
    /// throws, with no thread left running, if pinning or spawning fails.
    @discardableResult
    public func start() throws(ThreadError) -> CPUSet {
        guard thread == nil else { throw .alreadyStarted(name: name) }
        running.store(true, ordering: .sequentiallyConsistent)
        let context = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, _loopRunnerEntry, context)
        guard rc == 0 else {
            Unmanaged<LoopRunner>.fromOpaque(context).release()
            running.store(false, ordering: .sequentiallyConsistent)
            throw .spawnFailed(name: name, errno: rc)
        }
        thread = tid
        // The new thread reports pinning success or failure before polling anything.
        while started.load(ordering: .acquiring) == 0 { sched_yield() }
        if started.load(ordering: .acquiring) == 2 {
            pthread_join(tid, nil)
            thread = nil
            running.store(false, ordering: .sequentiallyConsistent)
            throw startError ?? .affinityFailed(cpus ?? .empty, errno: EINVAL)
        }
        return obtained
    }

    /// Asks the thread to finish its current round, wakes it if parked, and joins it.
    public func stop() {
        running.store(false, ordering: .sequentiallyConsistent)
        wakeup.wake()
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    /// Rounds run so far (each polls every loop once) and how many of them found no work.
    public var rounds: Int { _rounds.load(ordering: .relaxed) }
    public var idleRounds: Int { _idleRounds.load(ordering: .relaxed) }
    public var isRunning: Bool { running.load(ordering: .relaxed) }

    fileprivate func _threadMain() {
        if let cpus {
            do {
                obtained = try Affinity.pinCurrentThread(to: cpus)
            } catch {
                startError = error
                // Releasing: startError is written before the starter reads state 2.
                started.store(2, ordering: .releasing)
                return
            }
        } else {
            obtained = CPUSet.currentThread
        }
        started.store(1, ordering: .releasing)
        _run()
    }

    private func _run() {
        var idleStreak = 0
        var rounds = 0
        var idle = 0
        while running.load(ordering: .relaxed) {
            let work = _pollRound()
            rounds &+= 1
            if work > 0 {
                idleStreak = 0
            } else {
                idle &+= 1
                idleStreak &+= 1
                _wait(idleStreak)
            }
            if rounds & 1023 == 0 {
                // Relaxed: statistics only.
                _rounds.store(rounds, ordering: .relaxed)
                _idleRounds.store(idle, ordering: .relaxed)
            }
        }
        _rounds.store(rounds, ordering: .relaxed)
        _idleRounds.store(idle, ordering: .relaxed)
    }

    @inline(__always)
    private func _pollRound() -> Int {
        var work = 0
        for i in _polled.indices { work &+= _polled[i].poll() }
        return work
    }

    private func _wait(_ idleStreak: Int) {
        switch waitStrategy {
        case .busySpin:
            spinPause()
        case .yield(let spins):
            if idleStreak <= spins { spinPause() } else { sched_yield() }
        case .park(let spins, let timeout):
            if idleStreak <= spins { spinPause(); return }
            wakeup.park(timeoutNanoseconds: timeout) {
                guard running.load(ordering: .relaxed) else { return false }
                return _pollRound() == 0
            }
        }
    }
}

/// A loop the runner polls, called without reference counting: `LoopRunner.loops` owns the
/// loop and this entry owns its thunk.
struct _PolledLoop {
    let thunk: _PollThunk
    let object: UnsafeMutableRawPointer

    init(_ loop: any Loop) {
        func typed<L: Loop>(_ l: L) -> _PollThunk { _TypedPollThunk<L>() }
        thunk = typed(loop)
        object = Unmanaged.passUnretained(loop as AnyObject).toOpaque()
    }

    @inline(__always)
    func poll() -> Int {
        Unmanaged.passUnretained(thunk)._withUnsafeGuaranteedRef { $0.poll(object) }
    }
}

/// Calls `poll` on an unretained loop of a type known here (an existential cannot be held
/// unretained).
class _PollThunk {
    func poll(_ object: UnsafeMutableRawPointer) -> Int { 0 }
}

final class _TypedPollThunk<L: Loop>: _PollThunk {
    override func poll(_ object: UnsafeMutableRawPointer) -> Int {
        Unmanaged<L>.fromOpaque(object)._withUnsafeGuaranteedRef { $0.poll() }
    }
}

/// The runner thread's entry point: a plain function, so it carries no actor isolation.
private func _loopRunnerEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let runner = Unmanaged<LoopRunner>.fromOpaque(context!).takeRetainedValue()
    runner._threadMain()
    return nil
}
