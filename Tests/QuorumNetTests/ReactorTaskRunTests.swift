import Glibc
import Testing
@testable import QuorumNet

/// The reactor with each `TaskRun` choice, in both modes, on real loopback sockets: with
/// cooperative or deferred task work nothing reaches the completion queue until the loop
/// enters the kernel for it, so these check that reaping does so and nothing stalls or is lost.
@Suite struct ReactorTaskRunTests {
    static let combinations: [(Reactor.TaskRun, Reactor.Mode)] = Reactor.TaskRun.allCases.flatMap { t in
        [(t, Reactor.Mode.busyPoll), (t, Reactor.Mode.blocking)]
    }

    @Test(arguments: combinations)
    func datagramsAllArriveInOrderAndRepliesComeBack(taskRun: Reactor.TaskRun, mode: Reactor.Mode) throws {
        // The ring under test answers; a default ring sends and checks, as the venue and the
        // trader do in the tick-to-trade benchmark.
        let answering = try Reactor(.init(mode: mode, taskRun: taskRun))
        let asking = try Reactor(.init(mode: .busyPoll))
        #expect(answering.options.taskRun == taskRun)
        let responder = try answering.udpReceiver(bind: .loopback(), handler: ReverseResponder(), bufferCount: 8, bufferSize: 512)
        let replies = Collector()
        let asker = try asking.udpReceiver(bind: .loopback(), handler: replies, bufferCount: 64, bufferSize: 512)
        let total = 5_000
        var sent = 0
        var payload = [UInt8](repeating: 0, count: 64)
        // Bursts of 16 run the answering ring's 8 buffers dry: re-arms under the new flags too.
        while sent < total {
            let burstEnd = Swift.min(total, sent + 16)
            while sent < burstEnd {
                withUnsafeBytes(of: UInt64(sent)) { for k in 0..<8 { payload[k] = $0[k] } }
                for k in 8..<payload.count { payload[k] = UInt8(truncatingIfNeeded: sent &+ k) }
                guard payload.withUnsafeBytes({ asker.send($0, to: responder.localAddress) }) else { break }
                sent += 1
            }
            let target = sent
            let end = NetClock.now() &+ 10_000_000_000
            while replies.datagrams.count < target && NetClock.now() < end {
                asking.poll()
                answering.poll(timeoutNanoseconds: 100_000)
            }
            if replies.datagrams.count != target { break }
        }
        #expect(replies.datagrams.count == total)
        var wrong = 0
        for (i, reply) in replies.datagrams.enumerated() {
            var expected = payload
            withUnsafeBytes(of: UInt64(i)) { for k in 0..<8 { expected[k] = $0[k] } }
            for k in 8..<expected.count { expected[k] = UInt8(truncatingIfNeeded: i &+ k) }
            if reply != expected.reversed() { wrong += 1 }
        }
        #expect(wrong == 0)
        #expect(responder.datagramsReceived == UInt64(total))
        #expect(responder.datagramsSent == UInt64(total))
        #expect(responder.sendErrors == 0 && responder.receiveErrors == 0)
        #expect(answering.submitErrors == 0)
    }

    @Test(arguments: combinations)
    func tcpEchoAndTimersWork(taskRun: Reactor.TaskRun, mode: Reactor.Mode) throws {
        var options = Reactor.Options(mode: mode, taskRun: taskRun)
        options.tcpSendBufferCapacity = 8192
        options.tcpReceiveBufferCapacity = 4096
        let reactor = try Reactor(options)
        let server = EchoServer()
        let listener = try reactor.listen(on: .loopback(), handler: server)
        let client = EchoClient(total: 20_000, window: 16 * 1024)
        let c = try reactor.connect(to: listener.localAddress, handler: client)
        let timers = TimerLog()
        reactor.schedule(after: 3_000_000, timers, token: 2)
        reactor.schedule(after: 1_000_000, timers, token: 1)
        let done = reactor.run(timeoutNanoseconds: 60_000_000_000) { client.checkedMessages == client.total }
        #expect(done)
        #expect(client.checkedMessages == 20_000)
        #expect(client.mismatches == 0)
        #expect(c.bytesReceived == UInt64(client.sentBytes))
        // Timers fire in deadline order whether or not completions keep the loop busy.
        #expect(reactor.run(timeoutNanoseconds: 5_000_000_000) { timers.fired.count == 2 })
        #expect(timers.fired == [1, 2])
        // With nothing in flight a blocking poll sleeps until the timer, then fires it.
        // The clock is read before arming: the deadline counts from the schedule call.
        let before = NetClock.now()
        reactor.schedule(after: 2_000_000, timers, token: 3)
        #expect(reactor.run(timeoutNanoseconds: 5_000_000_000) { timers.fired.count == 3 })
        #expect(NetClock.now() &- before >= 2_000_000)
        #expect(timers.fired == [1, 2, 3])
        c.close()
        #expect(reactor.run { client.closedError != nil && server.closedErrors.count == 1 })
        #expect(client.closedError == .some(nil))
        #expect(reactor.submitErrors == 0)
    }

    @Test func deferredWithSQPollIsRefusedByName() {
        var options = Reactor.Options(mode: .busyPoll, sqpoll: true, taskRun: .deferred)
        options.entries = 8
        #expect {
            _ = try Reactor(options)
        } throws: { error in
            guard let error = error as? NetError, case .invalidArgument(let name, let value, _) = error else { return false }
            return name == "taskRun" && value == "deferred"
        }
    }

    @Test func taskRunNamesParseAsTheirCases() {
        #expect(Reactor.TaskRun(rawValue: "immediate") == .immediate)
        #expect(Reactor.TaskRun(rawValue: "cooperative") == .cooperative)
        #expect(Reactor.TaskRun(rawValue: "deferred") == .deferred)
        #expect(Reactor.TaskRun(rawValue: "defer") == nil)
        #expect(Reactor.Options().taskRun == .immediate)
    }

    @Test func aDeferredReactorRefusesAnotherThreadAndLosesNothingOnItsOwn() throws {
        // SINGLE_ISSUER ties the ring to the thread that made it. Polled from elsewhere, the
        // kernel refuses the submission (counted in submitErrors, nothing delivered); the
        // queued requests stay in the ring and go in at the owner's next poll.
        let reactor = try Reactor(.init(mode: .busyPoll, taskRun: .deferred))
        let collector = Collector()
        let receiver = try reactor.udpReceiver(bind: .loopback(), handler: collector, bufferCount: 8, bufferSize: 256)
        let other = _OtherThreadPoll(reactor)
        other.runAndJoin()
        #expect(reactor.submitErrors > 0)
        #expect(collector.datagrams.isEmpty)

        let sender = try Reactor(.init(mode: .busyPoll))
        let out = try sender.udpSender(bind: .loopback(), connect: receiver.localAddress)
        let hello: [UInt8] = Array("hello".utf8)
        // Until its own thread polls, the receive is not armed; the datagram waits in the socket.
        hello.withUnsafeBytes { _ = out.send($0) }
        sender.poll()
        #expect(reactor.run(timeoutNanoseconds: 5_000_000_000) { collector.datagrams.count == 1 })
        #expect(collector.datagrams.first == hello)
        #expect(receiver.datagramsReceived == 1)
    }
}

/// Polls a reactor a few times from a thread of its own (a raw pthread), then ends.
final class _OtherThreadPoll: @unchecked Sendable {
    nonisolated(unsafe) let reactor: Reactor
    init(_ reactor: Reactor) { self.reactor = reactor }

    func runAndJoin() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let me = Unmanaged<_OtherThreadPoll>.fromOpaque(raw!).takeRetainedValue()
            for _ in 0..<10 { me.reactor.poll() }
            return nil
        }, context)
        precondition(rc == 0, "pthread_create: \(rc)")
        pthread_join(thread, nil)
    }
}
