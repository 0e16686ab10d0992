internal import CURing
import Glibc

/// One io_uring and the sockets and timers served through it, owned by one loop (thread).
///
/// Every socket operation is an io_uring request; `poll(timeoutNanoseconds:)` submits what is
/// queued, reaps completions and calls the handlers (class instances the reactor holds — no
/// closures, no per-message allocation). Receive stamps are taken once per reaped batch, right
/// after the completions are peeked. Timers are kept in the reactor (a sorted table of
/// deadlines), fire in deadline order from `poll`, and bound the blocking wait.
///
/// Modes: `.blocking` waits in `io_uring_submit_and_wait_timeout` for the first completion;
/// `.busyPoll` only peeks the completion queue and enters the kernel only when requests are
/// queued. `sqpoll` adds a kernel submission thread (then submitting is usually no syscall).
/// `taskRun` chooses when the kernel runs the ring's task work: at once, interrupting the
/// thread (default), or only when the loop enters the kernel for it (`.cooperative`,
/// `.deferred`); reaping enters the kernel when the ring's TASKRUN flag says work waits.
///
/// Not thread-safe: every call, and every handler, runs on the thread that calls `poll`.
/// Sockets, listeners and connections must not outlive their reactor.
public final class Reactor {
    public enum Mode: Sendable, Equatable {
        /// Wait in the kernel for the first completion (or the nearest timer).
        case blocking
        /// Spin on the completion queue; enter the kernel only to submit.
        case busyPoll
    }

    /// When the kernel runs the ring's task work (the deferred part of a request: for a
    /// receive, copying the data and posting its completion).
    public enum TaskRun: String, Sendable, Equatable, CaseIterable {
        /// The kernel's default: as soon as it is queued, interrupting the loop's thread
        /// (an IPI) if it is running in user space.
        case immediate
        /// IORING_SETUP_COOP_TASKRUN | TASKRUN_FLAG: no interrupt; the kernel raises a flag
        /// in the ring and the task work runs at the thread's next kernel entry, which the
        /// reactor makes when it sees the flag while reaping.
        case cooperative
        /// IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN | TASKRUN_FLAG: task work waits until
        /// the loop asks for completions (io_uring_enter with GETEVENTS, made by the reactor
        /// when the flag is up or when it blocks), so it runs exactly when the loop chooses.
        /// Every submission must come from the thread that created the reactor: from any
        /// other the kernel refuses it (counted in `submitErrors`; the requests stay queued
        /// for the owner's next poll). Not with `sqpoll`.
        case deferred

        var setupFlags: UInt32 {
            switch self {
            case .immediate: return 0
            case .cooperative: return UInt32(IORING_SETUP_COOP_TASKRUN) | UInt32(IORING_SETUP_TASKRUN_FLAG)
            case .deferred:
                return UInt32(IORING_SETUP_SINGLE_ISSUER) | UInt32(IORING_SETUP_DEFER_TASKRUN)
                    | UInt32(IORING_SETUP_TASKRUN_FLAG)
            }
        }
    }

    public struct Options: Sendable {
        /// Submission queue size (the completion queue is twice that).
        public var entries: UInt32 = 256
        public var mode: Mode = .blocking
        /// A kernel thread polls the submission queue (IORING_SETUP_SQPOLL).
        public var sqpoll: Bool = false
        public var sqpollIdleMilliseconds: UInt32 = 1000
        /// When the kernel runs task work; see `TaskRun`. `.deferred` ties the reactor to the
        /// thread that creates it.
        public var taskRun: TaskRun = .immediate
        public var maxConnections: Int = 64
        public var maxListeners: Int = 8
        public var maxUDPSockets: Int = 16
        public var maxTimers: Int = 256
        /// Per TCP connection, preallocated when the connection is made.
        public var tcpSendBufferCapacity: Int = 64 * 1024
        public var tcpReceiveBufferCapacity: Int = 64 * 1024
        /// SO_SNDBUF for TCP sockets (nil: the kernel's default). Small values force partial sends.
        public var tcpSocketSendBufferBytes: Int32? = nil
        /// Per UDP socket: datagrams that may be in flight out at once, and their largest size.
        public var udpSendSlots: Int = 64
        public var udpSendSlotSize: Int = 2048

        public init(entries: UInt32 = 256, mode: Mode = .blocking, sqpoll: Bool = false, taskRun: TaskRun = .immediate) {
            self.entries = entries
            self.mode = mode
            self.sqpoll = sqpoll
            self.taskRun = taskRun
        }
    }

    public let options: Options
    /// The io_uring operations the kernel reports, probed at start-up.
    public let probe: IOURingProbe
    /// Whether the ring's own fd is registered (io_uring_register_ring_fd).
    public let ringFileDescriptorRegistered: Bool

    let _ring: UnsafeMutablePointer<io_uring>
    let _cqes: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    static let _batch = 64

    var _connections: ContiguousArray<TCPConnection?>
    var _freeConnections: ContiguousArray<Int32>
    var _listeners: ContiguousArray<TCPListener?>
    var _udpSockets: ContiguousArray<UDPSocket?>
    var _timers: _TimerTable

    /// Completions handled since start (all kinds).
    public private(set) var completionsHandled: UInt64 = 0
    /// Timers fired since start.
    public private(set) var timersFired: UInt64 = 0
    /// `schedule` calls refused because the timer table was full.
    public private(set) var timersRefused: UInt64 = 0
    /// io_uring_submit calls that returned an error.
    public private(set) var submitErrors: UInt64 = 0

    public init(_ options: Options = .init()) throws(NetError) {
        guard options.entries > 0, options.entries <= 32768 else {
            throw .invalidArgument(name: "entries", value: "\(options.entries)", reason: "must be in 1...32768")
        }
        if options.sqpoll && options.taskRun == .deferred {
            throw .invalidArgument(name: "taskRun", value: "deferred", reason: "the kernel refuses DEFER_TASKRUN with SQPOLL")
        }
        self.options = options
        _ring = .allocate(capacity: 1)
        _ring.initialize(to: io_uring())
        var params = io_uring_params()
        if options.sqpoll {
            params.flags |= UInt32(IORING_SETUP_SQPOLL)
            params.sq_thread_idle = options.sqpollIdleMilliseconds
        }
        params.flags |= options.taskRun.setupFlags
        let rc = io_uring_queue_init_params(options.entries, _ring, &params)
        guard rc == 0 else {
            _ring.deallocate()
            let flags = (options.sqpoll ? ["SQPOLL"] : []) + (options.taskRun == .immediate ? [] : ["taskRun \(options.taskRun)"])
            throw .systemCall(name: "io_uring_queue_init_params" + (flags.isEmpty ? "" : "(\(flags.joined(separator: ", ")))"), errno: -rc)
        }
        do {
            probe = try IOURingProbe(ring: _ring)
            try probe.require(IOURingProbe.reactorOperations)
        } catch {
            io_uring_queue_exit(_ring)
            _ring.deallocate()
            throw error
        }
        // A registered ring fd spares the kernel an fd lookup on every io_uring_enter; when it
        // cannot be registered the plain fd still works.
        ringFileDescriptorRegistered = io_uring_register_ring_fd(_ring) == 1
        _cqes = .allocate(capacity: Reactor._batch)
        _cqes.initialize(repeating: nil, count: Reactor._batch)
        _connections = ContiguousArray(repeating: nil, count: options.maxConnections)
        _freeConnections = ContiguousArray((0..<Int32(options.maxConnections)).reversed())
        _listeners = ContiguousArray(repeating: nil, count: options.maxListeners)
        _udpSockets = ContiguousArray(repeating: nil, count: options.maxUDPSockets)
        _timers = _TimerTable(capacity: options.maxTimers)
    }

    deinit {
        // Exiting the ring first cancels every request, so the kernel touches no buffer after.
        io_uring_queue_exit(_ring)
        for c in _connections { if let c, c._fdOpen { _Sockets.close(c.fd) } }
        for l in _listeners { if let l, l._fdOpen { _Sockets.close(l.fd) } }
        for u in _udpSockets { if let u, u._fdOpen { _Sockets.close(u.fd) } }
        _ring.deallocate()
        _cqes.deallocate()
    }

    // MARK: Polling

    /// Submits queued requests, handles ready completions and due timers. In `.blocking` mode
    /// waits up to `timeoutNanoseconds` (or until the nearest timer) for the first completion;
    /// in `.busyPoll` mode never waits. Returns completions handled plus timers fired.
    @discardableResult
    public func poll(timeoutNanoseconds: Int64 = 0) -> Int {
        var handled = _fireDueTimers()
        if io_uring_cq_ready(_ring) == 0 && handled == 0 && options.mode == .blocking && timeoutNanoseconds > 0 {
            var wait = timeoutNanoseconds
            if let deadline = _timers.nextDeadline {
                let left = Int64(bitPattern: deadline &- NetClock.now())
                wait = Swift.max(0, Swift.min(wait, left))
            }
            if wait > 0 {
                var ts = __kernel_timespec(tv_sec: wait / 1_000_000_000, tv_nsec: wait % 1_000_000_000)
                var cqe: UnsafeMutablePointer<io_uring_cqe>? = nil
                let rc = io_uring_submit_and_wait_timeout(_ring, &cqe, 1, &ts, nil)
                if rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY { submitErrors &+= 1 }
            } else {
                _submitIfQueued()
            }
        } else {
            _submitIfQueued()
        }
        handled += _reap()
        handled += _fireDueTimers()
        // Send what the handlers queued now rather than at the next poll.
        _submitIfQueued()
        return handled
    }

    /// Polls until `done()` is true or `timeoutNanoseconds` pass; returns `done()`.
    /// For tests and tools (the closure is called once per poll).
    @discardableResult
    public func run(timeoutNanoseconds: Int64 = 10_000_000_000, until done: () -> Bool) -> Bool {
        let end = NetClock.now() &+ UInt64(Swift.max(0, timeoutNanoseconds))
        while !done() {
            let now = NetClock.now()
            if now >= end { return false }
            poll(timeoutNanoseconds: Swift.min(Int64(end - now), 10_000_000))
        }
        return true
    }

    /// Polls for `nanoseconds`.
    public func runFor(nanoseconds: Int64) {
        let end = NetClock.now() &+ UInt64(Swift.max(0, nanoseconds))
        while true {
            let now = NetClock.now()
            if now >= end { return }
            poll(timeoutNanoseconds: Int64(end - now))
        }
    }

    /// Submits whatever handlers have queued (a send, a re-arm) now instead of at the end of
    /// this `poll`: the tick-to-trade path calls it right after queueing an order.
    @inline(__always)
    public func submitPending() { _submitIfQueued() }

    /// Hints the submission queue entry the next request will use (for a rarely taken
    /// send path kept warm while idle; see `FIXSession.warmNewOrder`).
    @inline(__always)
    public func warmSubmission() { curing_warm_next_sqe(_ring) }

    @inline(__always)
    func _submitIfQueued() {
        if io_uring_sq_ready(_ring) > 0 {
            let rc = io_uring_submit(_ring)
            if rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN { submitErrors &+= 1 }
        }
    }

    /// A free SQE, submitting the queue first when it is full.
    @inline(__always)
    func _sqe() -> UnsafeMutablePointer<io_uring_sqe> {
        if let sqe = io_uring_get_sqe(_ring) { return sqe }
        return _sqeSlow()
    }

    @inline(never)
    func _sqeSlow() -> UnsafeMutablePointer<io_uring_sqe> {
        // With SQPOLL the kernel thread may need a moment to consume the queue.
        while true {
            _ = io_uring_submit(_ring)
            if let sqe = io_uring_get_sqe(_ring) { return sqe }
            curing_cpu_relax()
        }
    }

    func _reap() -> Int {
        var total = 0
        while true {
            let n = Int(io_uring_peek_batch_cqe(_ring, _cqes, UInt32(Reactor._batch)))
            if n == 0 { break }
            // One stamp for the batch: all of it was reaped at this moment.
            let now = NetClock.now()
            for i in 0..<n {
                let cqe = _cqes[i].unsafelyUnwrapped
                _dispatch(cqe.pointee.user_data, cqe.pointee.res, cqe.pointee.flags, now)
            }
            io_uring_cq_advance(_ring, UInt32(n))
            total += n
            if n < Reactor._batch { break }
        }
        completionsHandled &+= UInt64(total)
        return total
    }

    // MARK: Request tags (user_data)
    //
    //  63      56 55            24 23             0
    //  ┌─────────┬────────────────┬────────────────┐
    //  │   op    │ sub (send slot)│  object index  │
    //  └─────────┴────────────────┴────────────────┘

    enum _Op: UInt64 {
        case accept = 1, connect, recv, send, udpRecv, udpSend, cancel
    }

    @inline(__always)
    static func _tag(_ op: _Op, _ object: Int, _ sub: Int = 0) -> UInt64 {
        op.rawValue << 56 | UInt64(truncatingIfNeeded: sub) << 24 | UInt64(truncatingIfNeeded: object)
    }

    @inline(__always)
    func _dispatch(_ tag: UInt64, _ res: Int32, _ flags: UInt32, _ now: UInt64) {
        let object = Int(tag & 0xFF_FFFF)
        switch _Op(rawValue: tag >> 56) {
        case .recv?: _connections[object].unsafelyUnwrapped._recvCompleted(res, now)
        case .send?: _connections[object].unsafelyUnwrapped._sendCompleted(res)
        case .udpRecv?: _udpSockets[object].unsafelyUnwrapped._recvCompleted(res, flags, now)
        case .udpSend?: _udpSockets[object].unsafelyUnwrapped._sendCompleted(Int(tag >> 24 & 0xFFFF_FFFF), res)
        case .accept?: _listeners[object].unsafelyUnwrapped._acceptCompleted(res)
        case .connect?: _connections[object].unsafelyUnwrapped._connectCompleted(res)
        case .cancel?, nil: break
        }
    }

    /// Queues a cancel of every request in flight on `fd` (its completion is ignored).
    func _cancelAll(fd: Int32) {
        let sqe = _sqe()
        curing_prep_cancel_all_fd(sqe, fd)
        sqe.pointee.user_data = Reactor._tag(.cancel, 0)
    }

    // MARK: Timers

    /// Calls `handler.timerFired(token:at:)` once, from `poll`, no earlier than `nanoseconds`
    /// from now. Timers with equal deadlines fire in the order they were scheduled. Returns
    /// `TimerID.invalid` (and counts `timersRefused`) when the table is full.
    @discardableResult
    public func schedule(after nanoseconds: Int64, _ handler: any TimerHandler, token: UInt64 = 0) -> TimerID {
        let deadline = NetClock.now() &+ UInt64(Swift.max(0, nanoseconds))
        guard let id = _timers.insert(deadline: deadline, handler: handler, token: token) else {
            timersRefused &+= 1
            return .invalid
        }
        return id
    }

    /// Cancels a timer that has not fired; returns whether it was pending.
    @discardableResult
    public func cancel(_ id: TimerID) -> Bool { _timers.remove(id) }

    /// Timers scheduled and not yet fired.
    public var pendingTimers: Int { _timers.count }

    func _fireDueTimers() -> Int {
        guard let first = _timers.nextDeadline else { return 0 }
        let now = NetClock.now()
        guard first <= now else { return 0 }
        // Only those due now: a handler that re-schedules with 0 runs again at the next poll.
        var fired = 0
        var budget = _timers.count
        while budget > 0, let (handler, token) = _timers.popDue(now: now) {
            budget -= 1
            fired += 1
            handler.timerFired(token: token, at: now)
        }
        timersFired &+= UInt64(fired)
        return fired
    }
}

/// Receives a timer's expiry.
public protocol TimerHandler: AnyObject {
    func timerFired(token: UInt64, at nowNanos: UInt64)
}

/// Names a scheduled timer for `Reactor.cancel(_:)`.
@frozen public struct TimerID: Hashable, Sendable {
    public let slot: UInt32
    public let generation: UInt32
    public static let invalid = TimerID(slot: .max, generation: 0)
    public var isValid: Bool { slot != .max }
}

/// The reactor's timers: fixed slots, plus their indices sorted by (deadline, order).
struct _TimerTable {
    var deadlines: ContiguousArray<UInt64>
    var orders: ContiguousArray<UInt64>
    var tokens: ContiguousArray<UInt64>
    var generations: ContiguousArray<UInt32>
    var handlers: ContiguousArray<(any TimerHandler)?>
    var free: ContiguousArray<UInt32>
    var sorted: ContiguousArray<UInt32>
    var nextOrder: UInt64 = 0

    init(capacity: Int) {
        deadlines = ContiguousArray(repeating: 0, count: capacity)
        orders = ContiguousArray(repeating: 0, count: capacity)
        tokens = ContiguousArray(repeating: 0, count: capacity)
        generations = ContiguousArray(repeating: 1, count: capacity)
        handlers = ContiguousArray(repeating: nil, count: capacity)
        free = ContiguousArray((0..<UInt32(capacity)).reversed())
        sorted = []
        sorted.reserveCapacity(capacity)
    }

    var count: Int { sorted.count }
    var nextDeadline: UInt64? { sorted.first.map { deadlines[Int($0)] } }

    @inline(__always)
    func before(_ a: UInt32, _ b: UInt32) -> Bool {
        let da = deadlines[Int(a)], db = deadlines[Int(b)]
        return da < db || (da == db && orders[Int(a)] < orders[Int(b)])
    }

    mutating func insert(deadline: UInt64, handler: any TimerHandler, token: UInt64) -> TimerID? {
        guard let slot = free.popLast() else { return nil }
        let s = Int(slot)
        deadlines[s] = deadline
        orders[s] = nextOrder
        nextOrder &+= 1
        tokens[s] = token
        handlers[s] = handler
        // Binary search for the first entry after the new one.
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if before(sorted[mid], slot) { lo = mid + 1 } else { hi = mid }
        }
        sorted.insert(slot, at: lo)
        return TimerID(slot: slot, generation: generations[s])
    }

    mutating func remove(_ id: TimerID) -> Bool {
        guard id.isValid, Int(id.slot) < generations.count, generations[Int(id.slot)] == id.generation,
              let at = sorted.firstIndex(of: id.slot) else { return false }
        sorted.remove(at: at)
        release(Int(id.slot))
        return true
    }

    mutating func popDue(now: UInt64) -> (any TimerHandler, UInt64)? {
        guard let slot = sorted.first, deadlines[Int(slot)] <= now else { return nil }
        sorted.removeFirst()
        let s = Int(slot)
        let handler = handlers[s].unsafelyUnwrapped
        let token = tokens[s]
        release(s)
        return (handler, token)
    }

    mutating func release(_ s: Int) {
        handlers[s] = nil
        generations[s] &+= 1  // stale TimerIDs for this slot no longer match
        free.append(UInt32(s))
    }
}
