import Atomics
import QuorumNet
import QuorumRings

#if canImport(Glibc)
import Glibc
#endif

/// The exchange simulator on a thread of its own, for `quorum run` and tests that trade
/// against it in-process: the thread builds its reactor and simulator (a reactor must be
/// polled by the thread that made it), publishes where it listens, holds the flow until a
/// FIX client has logged on (or `flowStartTimeoutNanos` passed), then steps until stopped.
///
/// Between steps that found nothing to do it waits in the kernel for up to
/// `idleWaitNanos`, so it shares a small machine with busy-spinning engine threads.
/// Its results — counters and the client-order ledger — are taken on its own thread as it
/// ends and handed back by `stop()`.
public final class SimulatorThread: @unchecked Sendable {
    /// What the simulator reported as it ended.
    public struct Result: Sendable {
        public var counters: Simulator.Counters
        public var publishedMessages: UInt64
        public var flowFinished: Bool
        public var clientOrders: [SimulatorClientOrder]
        public var sessionLogons: UInt64
    }

    public let options: Simulator.Options
    public let flowStartTimeoutNanos: UInt64
    public let idleWaitNanos: Int64
    /// When not 0: after a step that published, the thread waits in the kernel until this
    /// long after the step began (serving FIX input as it arrives) before publishing what
    /// fell due meanwhile. The pacer catches up, so the rate holds; the flow comes in bursts
    /// and the thread sleeps between them instead of waking for every message — on a core
    /// it shares with a busy-spinning loop, that loop is preempted far less often.
    public let burstIntervalNanos: UInt64
    // Packed addresses (host << 16 | port, bit 63 = set), written once by the thread.
    let _orders = ManagedAtomic<UInt64>(0)
    let _retransmission = ManagedAtomic<UInt64>(0)
    let _state = ManagedAtomic<Int>(0)  // 0 starting, 1 running, 2 failed, 3 ended
    let _stop = ManagedAtomic<Bool>(false)
    let _flowFinished = ManagedAtomic<Bool>(false)
    // Written by the thread before `_state` leaves 0 (failure) or before it ends (result);
    // read after the matching acquiring load or after `join`.
    var _failure: String?
    var _result: Result?
    var _thread: PinnedThread?

    /// - Parameters:
    ///   - options: where the feed goes (the engine's bound feed address) and the flow;
    ///     port 0 for `orders`/`retransmission` picks free ports.
    public init(options: Simulator.Options, flowStartTimeoutNanos: UInt64 = 10_000_000_000,
                idleWaitNanos: Int64 = 50_000, burstIntervalNanos: UInt64 = 0) {
        self.options = options
        self.flowStartTimeoutNanos = flowStartTimeoutNanos
        self.idleWaitNanos = idleWaitNanos
        self.burstIntervalNanos = burstIntervalNanos
    }

    /// Starts the thread (unpinned unless `cpus`) and returns where its FIX acceptor and
    /// retransmission server listen, once they do.
    /// - Throws: `NetError.invalidArgument` with the simulator's complaint when it cannot start.
    public func start(cpus: CPUSet? = nil) throws(NetError) -> (orders: SocketAddress, retransmission: SocketAddress) {
        do {
            _thread = try PinnedThread.start(name: "quorum-sim", cpus: cpus) { [self] in _main() }
        } catch {
            throw .invalidArgument(name: "simulator thread", value: "\(cpus?.description ?? "unpinned")", reason: "\(error)")
        }
        while _state.load(ordering: .acquiring) == 0 { sched_yield() }
        if _state.load(ordering: .acquiring) == 2 {
            _thread?.join()
            throw .invalidArgument(name: "simulator", value: "-", reason: _failure ?? "failed to start")
        }
        return (Self.unpack(_orders.load(ordering: .acquiring)), Self.unpack(_retransmission.load(ordering: .acquiring)))
    }

    /// Whether the flow has reached its end (the session's end-of-session was sent).
    public var flowFinished: Bool { _flowFinished.load(ordering: .relaxed) }

    /// Stops the thread and returns what the simulator recorded.
    public func stop() -> Result? {
        _stop.store(true, ordering: .releasing)
        _thread?.join()
        _thread = nil
        return _result
    }

    static func pack(_ a: SocketAddress) -> UInt64 { 1 << 63 | UInt64(a.host) << 16 | UInt64(a.port) }
    static func unpack(_ v: UInt64) -> SocketAddress { SocketAddress(host: UInt32(truncatingIfNeeded: v >> 16), port: UInt16(truncatingIfNeeded: v)) }

    func _main() {
        let simulator: Simulator
        do {
            var reactorOptions = Reactor.Options(mode: .blocking)
            reactorOptions.udpSendSlots = 1024
            simulator = try Simulator(reactor: try Reactor(reactorOptions), options: options)
        } catch {
            _failure = "\(error)"
            _state.store(2, ordering: .releasing)
            return
        }
        _orders.store(Self.pack(simulator.ordersAddress), ordering: .releasing)
        _retransmission.store(Self.pack(simulator.retransmissionAddress), ordering: .releasing)
        _state.store(1, ordering: .releasing)

        let deadline = NetClock.now() &+ flowStartTimeoutNanos
        while simulator.session.state != .active && NetClock.now() < deadline && !_stop.load(ordering: .relaxed) {
            simulator.step()
            simulator.reactor.poll(timeoutNanoseconds: idleWaitNanos)
        }
        simulator.startFlow()
        var ended = false
        while !_stop.load(ordering: .relaxed) {
            let began = NetClock.now()
            let sent = simulator.step(now: began)
            if simulator.flowFinished && !ended {
                simulator.endSession()
                ended = true
                _flowFinished.store(true, ordering: .relaxed)
            }
            if sent == 0 {
                simulator.reactor.poll(timeoutNanoseconds: idleWaitNanos)
            } else if burstIntervalNanos > 0 {
                let next = began &+ burstIntervalNanos
                var now = NetClock.now()
                while now < next && !_stop.load(ordering: .relaxed) {
                    simulator.reactor.poll(timeoutNanoseconds: Int64(next &- now))
                    now = NetClock.now()
                }
            }
        }
        // A last moment for execution reports and cancels already on their way.
        let linger = NetClock.now() &+ 20_000_000
        while NetClock.now() < linger { simulator.step(); simulator.reactor.poll(timeoutNanoseconds: idleWaitNanos) }
        _result = Result(counters: simulator.counters, publishedMessages: simulator.publisher.counters.messages,
                         flowFinished: simulator.flowFinished, clientOrders: simulator.clientOrderLedger(),
                         sessionLogons: simulator.session.counters.logons)
        _state.store(3, ordering: .releasing)
    }
}
