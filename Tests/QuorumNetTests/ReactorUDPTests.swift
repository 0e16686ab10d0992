import Glibc
import Testing
@testable import QuorumNet

/// Checks datagrams carry 0, 1, 2, … in order with their expected contents.
final class SequenceChecker: UDPHandler {
    var next: UInt64 = 0
    var outOfOrder = 0
    var badContent = 0
    var lastSource: SocketAddress?
    func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64, on socket: UDPSocket) {
        lastSource = source
        guard datagram.count >= 8 else { badContent += 1; return }
        let seq = datagram.loadUnaligned(as: UInt64.self)
        if seq != next { outOfOrder += 1 }
        if datagram.count != SequenceChecker.size(of: seq) { badContent += 1 }
        for k in 8..<datagram.count where datagram[k] != UInt8(truncatingIfNeeded: seq &+ UInt64(k)) { badContent += 1; break }
        next = seq + 1
    }
    static func size(of seq: UInt64) -> Int { 8 + Int(seq % 200) }
}

/// Replies to every datagram with the same bytes reversed.
final class ReverseResponder: UDPHandler {
    func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64, on socket: UDPSocket) {
        guard let source else { return }
        let reversed = [UInt8](datagram.reversed())
        reversed.withUnsafeBytes { _ = socket.send($0, to: source) }
    }
}

final class Collector: UDPHandler {
    var datagrams: [[UInt8]] = []
    var sources: [SocketAddress?] = []
    func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64, on socket: UDPSocket) {
        datagrams.append(Array(datagram))
        sources.append(source)
    }
}

final class TimerLog: TimerHandler {
    var fired: [UInt64] = []
    func timerFired(token: UInt64, at nowNanos: UInt64) { fired.append(token) }
}

@Suite struct ReactorUDPTests {
    @Test func hundredThousandDatagramsThroughASmallBufferRingAreAllDelivered() throws {
        let reactor = try Reactor()
        let checker = SequenceChecker()
        // 4 buffers: bursts of 32 run the ring dry, so the multishot ends with ENOBUFS and is
        // re-armed; the datagrams that found no buffer wait in the socket and arrive after.
        let receiver = try reactor.udpReceiver(bind: .loopback(), handler: checker, bufferCount: 4, bufferSize: 256,
                                               receiveBufferBytes: 1 << 20)
        let sender = try reactor.udpSender(bind: .loopback(), connect: receiver.localAddress)
        var payload = [UInt8](repeating: 0, count: 256)
        var seq: UInt64 = 0
        let total: UInt64 = 100_000
        while seq < total {
            let burstEnd = Swift.min(total, seq + 32)
            while seq < burstEnd {
                let size = SequenceChecker.size(of: seq)
                withUnsafeBytes(of: seq) { for k in 0..<8 { payload[k] = $0[k] } }
                for k in 8..<size { payload[k] = UInt8(truncatingIfNeeded: seq &+ UInt64(k)) }
                guard payload.withUnsafeBytes({ sender.send(UnsafeRawBufferPointer(rebasing: $0[0..<size])) }) else { break }
                seq += 1
            }
            let target = seq
            #expect(reactor.run { checker.next == target })
            if checker.next != target { break }
        }
        #expect(checker.next == total)
        #expect(checker.outOfOrder == 0)
        #expect(checker.badContent == 0)
        #expect(receiver.datagramsReceived == total)
        #expect(sender.datagramsSent == total)
        #expect(sender.sendErrors == 0)
        #expect(receiver.truncatedDatagrams == 0)
        #expect(receiver.bufferRingEmpty > 0)
        // Every ENOBUFS ended the multishot, and each end was followed by a re-arm.
        #expect(receiver.receiveRearms >= receiver.bufferRingEmpty)
        #expect(checker.lastSource == sender.localAddress)
    }

    @Test func oversizedDatagramIsCountedNotDelivered() throws {
        let reactor = try Reactor()
        let collector = Collector()
        let receiver = try reactor.udpReceiver(bind: .loopback(), handler: collector, bufferCount: 8, bufferSize: 64)
        let sender = try reactor.udpSender(connect: receiver.localAddress)
        let big = [UInt8](repeating: 7, count: 65)
        let small = [UInt8](repeating: 9, count: 64)
        big.withUnsafeBytes { _ = sender.send($0) }
        small.withUnsafeBytes { _ = sender.send($0) }
        #expect(reactor.run { collector.datagrams.count == 1 && receiver.truncatedDatagrams == 1 })
        #expect(collector.datagrams == [small])
    }

    @Test func receiverCanReplyToTheSource() throws {
        let reactor = try Reactor()
        let server = try reactor.udpReceiver(bind: .loopback(), handler: ReverseResponder(), bufferCount: 8)
        let collector = Collector()
        let client = try reactor.udpReceiver(bind: .loopback(), handler: collector, bufferCount: 8)
        let hello: [UInt8] = [1, 2, 3, 4, 5]
        #expect(hello.withUnsafeBytes { client.send($0, to: server.localAddress) })
        #expect(reactor.run { collector.datagrams.count == 1 })
        #expect(collector.datagrams == [[5, 4, 3, 2, 1]])
        #expect(collector.sources == [server.localAddress])
    }

    @Test func sendsBeyondTheSlotsAreRefusedAndCounted() throws {
        var options = Reactor.Options()
        options.udpSendSlots = 2
        options.udpSendSlotSize = 16
        let reactor = try Reactor(options)
        let collector = Collector()
        let receiver = try reactor.udpReceiver(bind: .loopback(), handler: collector, bufferCount: 8)
        let sender = try reactor.udpSender(connect: receiver.localAddress)
        let b: [UInt8] = [1]
        let tooBig = [UInt8](repeating: 0, count: 17)
        #expect(b.withUnsafeBytes { sender.send($0) })
        #expect(b.withUnsafeBytes { sender.send($0) })
        #expect(!b.withUnsafeBytes { sender.send($0) })
        #expect(!tooBig.withUnsafeBytes { sender.send($0) })
        #expect(sender.sendsRefused == 2)
        #expect(reactor.run { collector.datagrams.count == 2 })
        #expect(sender.sendSlotsFree == 2)
        #expect(b.withUnsafeBytes { sender.send($0) })
    }

    @Test func closedSocketsFreeTheirSlotsAndPort() throws {
        let reactor = try Reactor()
        let collector = Collector()
        let receiver = try reactor.udpReceiver(bind: .loopback(), handler: collector, bufferCount: 8)
        let address = receiver.localAddress
        receiver.close()
        #expect(reactor.run { !receiver._fdOpen })
        let again = try reactor.udpReceiver(bind: address, handler: collector, bufferCount: 8)
        #expect(again.localAddress == address)
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() throws {
        let reactor = try Reactor()
        let log = TimerLog()
        reactor.schedule(after: 3_000_000, log, token: 3)
        reactor.schedule(after: 1_000_000, log, token: 1)
        let cancelled = reactor.schedule(after: 2_000_000, log, token: 99)
        reactor.schedule(after: 2_000_000, log, token: 2)
        reactor.schedule(after: 1_000_000, log, token: 11)  // same deadline class as 1: after it
        #expect(reactor.cancel(cancelled))
        #expect(!reactor.cancel(cancelled))
        #expect(reactor.pendingTimers == 4)
        #expect(reactor.run { log.fired.count == 4 })
        #expect(log.fired.first == 1)
        #expect(Array(log.fired.suffix(2)) == [2, 3])
        #expect(Set(log.fired) == [1, 11, 2, 3])
        #expect(reactor.pendingTimers == 0)
        #expect(!reactor.cancel(cancelled))
    }

    @Test func timerTableFullIsCountedNotFatal() throws {
        var options = Reactor.Options()
        options.maxTimers = 2
        let reactor = try Reactor(options)
        let log = TimerLog()
        #expect(reactor.schedule(after: 0, log, token: 1).isValid)
        #expect(reactor.schedule(after: 0, log, token: 2).isValid)
        #expect(!reactor.schedule(after: 0, log, token: 3).isValid)
        #expect(reactor.timersRefused == 1)
        #expect(reactor.run { log.fired.count == 2 })
        #expect(log.fired == [1, 2])
    }

    @Test func probeReportsTheReactorsOperationsAndNamesAMissingOne() throws {
        let reactor = try Reactor()
        for op in IOURingProbe.reactorOperations { #expect(reactor.probe.supports(op.opcode), "\(op.name)") }
        #expect(!reactor.probe.supports(255))
        #expect(reactor.ringFileDescriptorRegistered)  // kernel 5.18+
        let old = IOURingProbe(lastOpcode: 3, supported: [true, true, true, true])
        #expect(throws: NetError.unsupportedOperation(name: "IORING_OP_ACCEPT (opcode 13; kernel knows up to 3)")) {
            try old.require(IOURingProbe.reactorOperations)
        }
    }

    @Test func busyPollModeDeliversWithoutBlocking() throws {
        let reactor = try Reactor(.init(mode: .busyPoll))
        let collector = Collector()
        let receiver = try reactor.udpReceiver(bind: .loopback(), handler: collector, bufferCount: 8)
        let sender = try reactor.udpSender(connect: receiver.localAddress)
        for i in 0..<100 { [UInt8(i)].withUnsafeBytes { _ = sender.send($0) }; _ = reactor.poll() }
        #expect(reactor.run { collector.datagrams.count == 100 })
        #expect(collector.datagrams == (0..<100).map { [UInt8($0)] })
    }

    @Test func sqpollModeDelivers() throws {
        let reactor = try Reactor(.init(sqpoll: true))
        let collector = Collector()
        let receiver = try reactor.udpReceiver(bind: .loopback(), handler: collector, bufferCount: 8)
        let sender = try reactor.udpSender(connect: receiver.localAddress)
        for i in 0..<10 { [UInt8(i)].withUnsafeBytes { _ = sender.send($0) } }
        #expect(reactor.run { collector.datagrams.count == 10 })
        #expect(collector.datagrams == (0..<10).map { [UInt8($0)] })
    }
}
