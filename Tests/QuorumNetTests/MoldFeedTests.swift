import QuorumBook
import QuorumWire
import Testing
@testable import QuorumNet

final class RecordingSink: MoldFeedSink {
    var messages: [(UInt64, [UInt8])] = []
    var lostRanges: [(UInt64, UInt64)] = []
    var ended: UInt64?
    func message(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, receiveNanos: UInt64) {
        messages.append((sequence, Array(bytes)))
    }
    func lost(from sequence: UInt64, count: UInt64) { lostRanges.append((sequence, count)) }
    func endOfSession(nextSequence: UInt64) { ended = nextSequence }
    var sequences: [UInt64] { messages.map(\.0) }
}

final class RecordingRequester: MoldRequestSender {
    var requests: [MoldUDP64.RequestPacket] = []
    var deadlines: [UInt64] = []
    func sendRequest(_ request: MoldUDP64.RequestPacket, deadline: UInt64) {
        requests.append(request)
        deadlines.append(deadline)
    }
}

let moldSession = SessionID("TEST000001")

/// The bytes of message `sequence`: its number and a few derived bytes.
func moldMessage(_ sequence: UInt64) -> [UInt8] {
    (0..<(4 + Int(sequence % 5))).map { UInt8(truncatingIfNeeded: sequence &* 13 &+ UInt64($0)) }
}

/// A downstream packet carrying messages `first ..< first + count`.
func moldPacket(_ first: UInt64, _ count: Int, session: SessionID = moldSession) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: MoldUDP64.maxPacketLength)
    let length = buffer.withUnsafeMutableBytes { raw in
        var writer = try! MoldUDP64.PacketWriter(raw, session: session, sequenceNumber: first)
        for s in first..<(first + UInt64(count)) {
            moldMessage(s).withUnsafeBytes { try! writer.append(bytes: $0) }
        }
        return writer.finish()
    }
    return Array(buffer[0..<length])
}

func moldControl(_ sequence: UInt64, end: Bool) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: 20)
    _ = b.withUnsafeMutableBytes { raw in
        end ? try! MoldUDP64.encodeEndOfSession(session: moldSession, nextSequenceNumber: sequence, into: raw)
            : try! MoldUDP64.encodeHeartbeat(session: moldSession, nextSequenceNumber: sequence, into: raw)
    }
    return b
}

extension MoldFeedReceiver {
    func feed(_ bytes: [UInt8], at now: UInt64 = 0) { bytes.withUnsafeBytes { receive($0, at: now) } }
}

@Suite struct MoldFeedReceiverTests {
    func make(_ configure: (inout MoldFeedReceiver.Options) -> Void = { _ in }) -> (MoldFeedReceiver, RecordingSink, RecordingRequester) {
        var options = MoldFeedReceiver.Options()
        options.requestTimeoutNanos = 100
        options.maxRetries = 2
        configure(&options)
        let sink = RecordingSink()
        let requester = RecordingRequester()
        let r = MoldFeedReceiver(sink: sink, options: options)
        r.requester = requester
        return (r, sink, requester)
    }

    @Test func inOrderPacketsAreDeliveredMessageByMessage() {
        let (r, sink, requester) = make()
        r.feed(moldPacket(1, 3))
        r.feed(moldPacket(4, 1))
        r.feed(moldPacket(5, 10))
        #expect(sink.sequences == Array(1...14))
        #expect(sink.messages.allSatisfy { $0.1 == moldMessage($0.0) })
        #expect(r.nextSequence == 15)
        #expect(r.session == moldSession)
        #expect(requester.requests.isEmpty)
        #expect(r.counters.messagesDelivered == 14)
    }

    @Test func duplicatesAndOverlapsAreDroppedAndCounted() {
        let (r, sink, _) = make()
        r.feed(moldPacket(1, 5))
        r.feed(moldPacket(1, 5))  // all old
        r.feed(moldPacket(3, 5))  // 3...5 old, 6...7 new
        #expect(sink.sequences == Array(1...7))
        #expect(r.counters.duplicateMessages == 8)
    }

    @Test func reorderWithinTheStoreIsRepairedByTheLatePacket() {
        let (r, sink, requester) = make()
        r.feed(moldPacket(1, 2))
        r.feed(moldPacket(5, 2))  // early: 3, 4 missing
        r.feed(moldPacket(7, 1))  // early too
        #expect(sink.sequences == [1, 2])
        #expect(r.storedPackets == 2)
        #expect(requester.requests == [MoldUDP64.RequestPacket(session: moldSession, sequenceNumber: 3, messageCount: 2)])
        r.feed(moldPacket(3, 2))
        #expect(sink.sequences == Array(1...7))
        #expect(r.storedPackets == 0)
        #expect(r.requestDeadline == nil)
        #expect(r.counters.gapsDetected == 1)
    }

    @Test func gapRequestAsksForTheMissingRangeAndRetriesThenReportsLoss() {
        let (r, sink, requester) = make()
        r.feed(moldPacket(1, 1), at: 1000)
        r.feed(moldPacket(10, 2), at: 1000)
        #expect(requester.requests == [MoldUDP64.RequestPacket(session: moldSession, sequenceNumber: 2, messageCount: 8)])
        #expect(r.requestDeadline == 1100)
        r.tick(now: 1050)  // not yet
        #expect(requester.requests.count == 1)
        r.tick(now: 1100)
        r.tick(now: 1200)
        #expect(requester.requests.count == 3)
        #expect(r.counters.requestRetries == 2)
        #expect(requester.requests.allSatisfy { $0.sequenceNumber == 2 && $0.messageCount == 8 })
        r.tick(now: 1300)  // retries exhausted: 2...9 lost, the stored 10...11 follow
        #expect(sink.lostRanges.map(\.0) == [2])
        #expect(sink.lostRanges.map(\.1) == [8])
        #expect(r.counters.messagesLost == 8)
        #expect(r.counters.gapsLost == 1)
        #expect(sink.sequences == [1, 10, 11])
        #expect(r.requestDeadline == nil)
        r.feed(moldPacket(12, 1), at: 1400)
        #expect(sink.sequences == [1, 10, 11, 12])
    }

    @Test func partialAnswerWaitsForTheRestThenReRequestsOnlyWhatIsMissing() {
        let (r, sink, requester) = make()
        r.feed(moldPacket(1, 1), at: 0)
        r.feed(moldPacket(8, 1), at: 0)
        #expect(requester.requests == [MoldUDP64.RequestPacket(session: moldSession, sequenceNumber: 2, messageCount: 6)])
        r.feed(moldPacket(2, 3), at: 60)  // fills 2...4 of the answer; 5...7 may be on the way
        #expect(sink.sequences == [1, 2, 3, 4])
        #expect(requester.requests.count == 1)
        #expect(r.requestDeadline == 160)
        r.tick(now: 100)  // the first deadline no longer applies
        #expect(requester.requests.count == 1)
        r.tick(now: 160)
        #expect(requester.requests.last == MoldUDP64.RequestPacket(session: moldSession, sequenceNumber: 5, messageCount: 3))
        r.feed(moldPacket(5, 3))
        #expect(sink.sequences == Array(1...8))
        #expect(r.requestDeadline == nil)
    }

    @Test func cappedRequestIsFollowedAtOnceByTheNextRange() {
        let (r, sink, requester) = make { $0.maxRequestCount = 2 }
        r.feed(moldPacket(1, 1))
        r.feed(moldPacket(6, 1))  // 2...5 missing; asks for 2 at a time
        #expect(requester.requests.last == MoldUDP64.RequestPacket(session: moldSession, sequenceNumber: 2, messageCount: 2))
        r.feed(moldPacket(2, 2))
        #expect(requester.requests.last == MoldUDP64.RequestPacket(session: moldSession, sequenceNumber: 4, messageCount: 2))
        r.feed(moldPacket(4, 2))
        #expect(sink.sequences == Array(1...6))
        #expect(requester.requests.count == 2)
    }

    @Test func requestsAreCappedAtMaxRequestCount() {
        let (r, _, requester) = make { $0.maxRequestCount = 10 }
        r.feed(moldControl(501, end: false))  // heartbeat says 1...500 exist
        #expect(r.counters.heartbeats == 1)
        #expect(requester.requests == [MoldUDP64.RequestPacket(session: moldSession, sequenceNumber: 1, messageCount: 10)])
    }

    @Test func heartbeatAtTheExpectedSequenceIsQuiet() {
        let (r, _, requester) = make()
        r.feed(moldPacket(1, 2))
        r.feed(moldControl(3, end: false))
        #expect(requester.requests.isEmpty)
        #expect(r.counters.heartbeats == 1)
    }

    @Test func endOfSessionFinishesOnceEverythingBeforeItIsIn() {
        let (r, sink, requester) = make()
        r.feed(moldPacket(1, 2))
        r.feed(moldControl(5, end: true))  // 3, 4 still missing
        #expect(!r.isFinished)
        #expect(requester.requests.last?.sequenceNumber == 3)
        r.feed(moldPacket(3, 2))
        #expect(r.isFinished)
        #expect(sink.ended == 5)
        #expect(sink.sequences == Array(1...4))
    }

    @Test func garbagePacketsAreCountedByReasonAndTheFeedGoesOn() {
        let (r, sink, _) = make()
        r.feed([1, 2, 3])  // short
        var overrun = moldPacket(1, 2)
        overrun.removeLast()  // last block runs past the end
        r.feed(overrun)
        var badCount = moldPacket(1, 2)
        badCount[19] = 3  // claims 3 blocks, has 2
        r.feed(badCount)
        r.feed(moldPacket(1, 2) + [0xAA])  // trailing byte
        r.feed(moldPacket(1, 1, session: SessionID("OTHER00001")))  // sets the session first…
        r.feed(moldPacket(1, 2))  // …so this one is from another session
        #expect(r.counters.shortPackets == 1)
        #expect(r.counters.blockOverruns == 2)
        #expect(r.counters.trailingBytes == 1)
        #expect(r.counters.otherSession == 1)
        #expect(sink.sequences == [1])
        r.feed(moldPacket(2, 1, session: SessionID("OTHER00001")))
        #expect(sink.sequences == [1, 2])
    }

    @Test func storeOverflowIsCountedAndRecoveredByRequest() {
        let (r, sink, _) = make { $0.storeCapacity = 2 }
        r.feed(moldPacket(1, 1))
        r.feed(moldPacket(3, 1))
        r.feed(moldPacket(4, 1))
        r.feed(moldPacket(5, 1))  // store full
        #expect(r.counters.storeOverflows == 1)
        r.feed(moldPacket(2, 1))
        #expect(sink.sequences == [1, 2, 3, 4])
        #expect(r.requestDeadline != nil)  // 5 still missing
        r.feed(moldPacket(5, 1))
        #expect(sink.sequences == [1, 2, 3, 4, 5])
        #expect(r.requestDeadline == nil)
    }

    @Test func joinsAtTheFirstPacketWhenNoStartIsGiven() {
        let (r, sink, requester) = make { $0.firstSequence = nil }
        r.feed(moldPacket(1000, 2))
        #expect(sink.sequences == [1000, 1001])
        #expect(requester.requests.isEmpty)
    }
}

/// Publishes packets and answers re-requests from its history, on the reactor.
final class MoldTestServer: UDPHandler {
    var history: [UInt64: [UInt8]] = [:]  // first sequence → packet (one message per packet)
    var requestsSeen: [MoldUDP64.RequestPacket] = []
    func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64, on socket: UDPSocket) {
        guard let source, let request = try? MoldUDP64.Header.decode(datagram) else { return }
        requestsSeen.append(request)
        for s in request.sequenceNumber..<(request.sequenceNumber + UInt64(request.messageCount)) {
            if let p = history[s] { p.withUnsafeBytes { _ = socket.send($0, to: source) } }
        }
    }
}

@Suite struct MoldFeedLoopbackTests {
    @Test func aDroppedPacketIsRecoveredFromTheRetransmissionServer() throws {
        let reactor = try Reactor()
        let server = MoldTestServer()
        let retrans = try reactor.udpReceiver(bind: .loopback(), handler: server, bufferCount: 16)
        let sink = RecordingSink()
        var options = MoldFeedReceiver.Options()
        options.requestTimeoutNanos = 20_000_000
        let client = try MoldFeedClient(reactor: reactor, bind: .loopback(), retransmission: retrans.localAddress,
                                        sink: sink, options: options, bufferCount: 16)
        let publisher = try reactor.udpSender(connect: client.socket.localAddress)
        for s in UInt64(1)...200 {
            let p = moldPacket(s, 1)
            server.history[s] = p
            if s == 50 || s == 120 || s == 121 { continue }  // dropped on purpose
            p.withUnsafeBytes { _ = publisher.send($0) }
            if s % 16 == 0 { reactor.poll() }
        }
        moldControl(201, end: true).withUnsafeBytes { _ = publisher.send($0) }
        #expect(reactor.run { client.receiver.isFinished })
        #expect(sink.sequences == Array(1...200))
        #expect(sink.messages.allSatisfy { $0.1 == moldMessage($0.0) })
        #expect(sink.ended == 201)
        #expect(client.receiver.counters.messagesLost == 0)
        #expect(client.receiver.counters.gapsDetected >= 2)
        #expect(server.requestsSeen.contains { $0.sequenceNumber == 50 })
        #expect(server.requestsSeen.contains { $0.sequenceNumber == 120 })
    }

    @Test func aSilentRetransmissionServerEndsInCountedLoss() throws {
        let reactor = try Reactor()
        let silent = try reactor.udpReceiver(bind: .loopback(), handler: Collector(), bufferCount: 8)
        let sink = RecordingSink()
        var options = MoldFeedReceiver.Options()
        options.requestTimeoutNanos = 2_000_000
        options.maxRetries = 2
        let client = try MoldFeedClient(reactor: reactor, bind: .loopback(), retransmission: silent.localAddress,
                                        sink: sink, options: options, bufferCount: 8)
        let publisher = try reactor.udpSender(connect: client.socket.localAddress)
        moldPacket(1, 1).withUnsafeBytes { _ = publisher.send($0) }
        moldPacket(4, 1).withUnsafeBytes { _ = publisher.send($0) }
        #expect(reactor.run { sink.messages.count == 2 })
        #expect(sink.sequences == [1, 4])
        #expect(sink.lostRanges.map(\.0) == [2])
        #expect(sink.lostRanges.map(\.1) == [2])
        #expect(silent.datagramsReceived == 3)  // the request and two retries
    }

    @Test func bookSinkAppliesITCHFromTheFeed() throws {
        let reactor = try Reactor()
        let sink = BookFeedSink(books: BookManager(), events: IgnoreBookEvents())
        let client = try MoldFeedClient(reactor: reactor, bind: .loopback(), retransmission: .loopback(port: 9),
                                        sink: sink, bufferCount: 8)
        let publisher = try reactor.udpSender(connect: client.socket.localAddress)
        let h = ITCH.Header(stockLocate: StockLocate(7), trackingNumber: 0, timestamp: Timestamp(1))
        let messages: [ITCHMessage] = [
            .stockDirectory(.init(header: h, stock: Stock("ABC"), marketCategory: 0x51, financialStatusIndicator: 0x4E,
                                  roundLotSize: 100, roundLotsOnly: 0x4E, issueClassification: 0x43, issueSubType: 0,
                                  authenticity: 0x50, shortSaleThresholdIndicator: 0x4E, ipoFlag: 0x20,
                                  luldReferencePriceTier: 0x31, etpFlag: 0x4E, etpLeverageFactor: 0, inverseIndicator: 0x4E)),
            .addOrder(.init(header: h, orderRef: OrderRef(1), side: .buy, shares: Qty(100), stock: Stock("ABC"),
                            price: Price(1_000_000))),
        ]
        var buffer = [UInt8](repeating: 0, count: MoldUDP64.maxPacketLength)
        let length = buffer.withUnsafeMutableBytes { raw in
            var w = try! MoldUDP64.PacketWriter(raw, session: moldSession, sequenceNumber: 1)
            for m in messages { try! w.append(m) }
            return w.finish()
        }
        buffer[0..<length].withUnsafeBytes { _ = publisher.send($0) }
        #expect(reactor.run { sink.applied == 2 })
        #expect(sink.undecodable == 0)
        let best = sink.books.withBook(StockLocate(7)) { $0.bestBid }
        #expect(best == BookQuote(price: Price(1_000_000), qty: 100))
    }
}
