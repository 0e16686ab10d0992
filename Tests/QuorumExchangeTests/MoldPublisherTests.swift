@testable import QuorumExchange
import QuorumWire
import Testing

struct PacketRecorder: MoldPacketSink {
    var packets: [[UInt8]] = []
    mutating func send(_ packet: UnsafeRawBufferPointer) { packets.append(Array(packet)) }

    /// Every packet decoded: header and (sequence, message) pairs.
    func decoded() throws -> [(header: MoldUDP64.Header, messages: [(UInt64, ITCHMessage)])] {
        try packets.map { bytes in
            try bytes.withUnsafeBytes { raw in
                let p = try MoldUDP64.Packet(raw)
                var out: [(UInt64, ITCHMessage)] = []
                try p.forEachMessage { (seq, _, m) throws(WireError) in out.append((seq, try ITCHMessage.decode(m))) }
                return (p.header, out)
            }
        }
    }
}

let testSession = SessionID("QSIM000001")

/// A varied stream of messages of several lengths.
func sampleMessages(_ count: Int, seed: UInt64 = 1) -> [ITCHMessage] {
    var rng = TestRandom(seed: seed)
    return (0..<count).map { i in
        let h = ITCH.Header(stockLocate: StockLocate(UInt16(1 + i % 3)), trackingNumber: 0,
                            timestamp: Timestamp(UInt64(i) * 1000))
        switch rng.below(4) {
        case 0:
            return .addOrder(ITCH.AddOrder(header: h, orderRef: OrderRef(UInt64(i + 1)), side: .buy,
                                           shares: Qty(UInt32(rng.below(1000) + 1)), stock: Stock("ABC"),
                                           price: Price(UInt32(rng.below(100_000) + 1))))
        case 1:
            return .orderExecuted(ITCH.OrderExecuted(header: h, orderRef: OrderRef(UInt64(i)),
                                                     executedShares: Qty(10), matchNumber: MatchNumber(UInt64(i))))
        case 2: return .orderDelete(ITCH.OrderDelete(header: h, orderRef: OrderRef(UInt64(i))))
        default:
            return .orderReplace(ITCH.OrderReplace(header: h, originalOrderRef: OrderRef(UInt64(i)),
                                                   newOrderRef: OrderRef(UInt64(i + 100)), shares: Qty(5),
                                                   price: Price(7)))
        }
    }
}

func request(_ session: SessionID, _ seq: UInt64, _ count: UInt16) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: MoldUDP64.headerLength)
    bytes.withUnsafeMutableBytes { raw in
        _ = try! MoldUDP64.Header(session: session, sequenceNumber: seq, messageCount: count).encode(into: raw)
    }
    return bytes
}

@Suite struct MoldPublisherTests {
    @Test func packetsDecodeToTheSameMessagesWithContiguousSequences() throws {
        let config = MoldPublisherConfig(session: testSession, maxPacketBytes: 400, maxMessagesPerPacket: 9)
        let pub = MoldPublisher(config)
        var out = PacketRecorder()
        let messages = sampleMessages(1000)
        for m in messages { pub.publish(m, now: 5, &out) }
        #expect(pub.pendingMessages > 0)
        pub.flush(now: 6, &out)
        #expect(pub.pendingMessages == 0)
        pub.flush(now: 7, &out)  // nothing pending: nothing sent
        let packets = try out.decoded()
        var expected: UInt64 = 1
        var all: [ITCHMessage] = []
        for p in packets {
            #expect(p.header.session == testSession && p.header.sequenceNumber == expected)
            #expect(p.messages.count >= 1 && p.messages.count <= 9)
            for (seq, m) in p.messages {
                #expect(seq == expected)
                expected += 1
                all.append(m)
            }
        }
        #expect(all == messages)
        #expect(out.packets.allSatisfy { $0.count <= 400 })
        // Packets are cut by the message limit or by size, never earlier.
        #expect(zip(packets, out.packets).dropLast().allSatisfy { p, bytes in p.messages.count == 9 || bytes.count + 2 + 36 > 400 })
        #expect(pub.nextSequence == 1001 && pub.counters.messages == 1000)
        #expect(pub.counters.packets == UInt64(out.packets.count))
        #expect(pub.counters.bytesSent == UInt64(out.packets.reduce(0) { $0 + $1.count }))
    }

    @Test func heartbeatsOnlyWhenIdleForTheInterval() throws {
        let pub = MoldPublisher(MoldPublisherConfig(session: testSession, heartbeatIntervalNanos: 1000), now: 0)
        var out = PacketRecorder()
        #expect(!pub.poll(now: 999, &out))
        #expect(pub.poll(now: 1000, &out))
        #expect(!pub.poll(now: 1500, &out))  // the heartbeat itself restarts the clock
        pub.publish(sampleMessages(1)[0], now: 2100, &out)
        #expect(!pub.poll(now: 2100, &out))  // a message is pending: flush, not heartbeat
        pub.flush(now: 2200, &out)
        #expect(!pub.poll(now: 3199, &out))
        #expect(pub.poll(now: 3200, &out))
        let headers = try out.decoded().map(\.header)
        #expect(headers.map(\.kind) == [.heartbeat, .messages(count: 1), .heartbeat])
        #expect(headers.map(\.sequenceNumber) == [1, 1, 2])
        #expect(pub.counters.heartbeats == 2)
    }

    @Test func endOfSessionFlushesAndStopsPublishing() throws {
        let pub = MoldPublisher(MoldPublisherConfig(session: testSession))
        var out = PacketRecorder()
        for m in sampleMessages(3) { pub.publish(m, now: 1, &out) }
        pub.endSession(now: 2, &out)
        pub.publish(sampleMessages(1)[0], now: 3, &out)
        #expect(!pub.poll(now: 10_000_000_000, &out))
        let headers = try out.decoded().map(\.header)
        #expect(headers.map(\.kind) == [.messages(count: 3), .endOfSession])
        #expect(headers.last?.sequenceNumber == 4)
        #expect(pub.counters.afterEndOfSession == 1 && pub.nextSequence == 4)
        // Re-requests are still answered after the end.
        var resend = PacketRecorder()
        let r = request(testSession, 2, 2).withUnsafeBytes { pub.answer(request: $0, &resend) }
        #expect(r.messages == 2 && r.firstSequence == 2)
    }

    @Test func reRequestReturnsExactlyTheRangeAcrossPacketBoundaries() throws {
        let config = MoldPublisherConfig(session: testSession, maxPacketBytes: 200, maxMessagesPerPacket: 100)
        let pub = MoldPublisher(config)
        var out = PacketRecorder()
        let messages = sampleMessages(500, seed: 9)
        for m in messages { pub.publish(m, now: 1, &out) }
        pub.flush(now: 1, &out)
        var resend = PacketRecorder()
        let r = request(testSession, 123, 77).withUnsafeBytes { pub.answer(request: $0, &resend) }
        #expect(r == RetransmitOutcome(firstSequence: 123, messages: 77, packets: resend.packets.count,
                                       noLongerAvailable: 0, notYetPublished: 0, valid: true))
        #expect(resend.packets.count > 10)  // 200-byte packets: several needed
        let packets = try resend.decoded()
        let got = packets.flatMap(\.messages)
        #expect(got.map(\.0) == Array(123..<200))
        #expect(got.map(\.1) == Array(messages[122..<199]))
        #expect(resend.packets.allSatisfy { $0.count <= 200 })
        // Live feed untouched by the answer.
        #expect(pub.nextSequence == 501 && pub.counters.retransmittedMessages == 77)
    }

    @Test func requestsBeyondTheStoreAreAnsweredAsFarAsPossibleAndCounted() throws {
        let pub = MoldPublisher(MoldPublisherConfig(session: testSession, storeMessages: 64))
        var out = PacketRecorder()
        let messages = sampleMessages(200, seed: 4)
        for m in messages { pub.publish(m, now: 1, &out) }
        #expect(pub.oldestStoredSequence == 137 && pub.storedMessages == 64)
        var resend = PacketRecorder()
        let old = request(testSession, 100, 80).withUnsafeBytes { pub.answer(request: $0, &resend) }
        #expect(old.firstSequence == 137 && old.messages == 43 && old.noLongerAvailable == 37 && old.notYetPublished == 0)
        #expect(try resend.decoded().flatMap(\.messages).map(\.1) == Array(messages[136..<179]))
        resend.packets.removeAll()
        let future = request(testSession, 190, 20).withUnsafeBytes { pub.answer(request: $0, &resend) }
        #expect(future.firstSequence == 190 && future.messages == 11 && future.notYetPublished == 9)
        resend.packets.removeAll()
        let gone = request(testSession, 1, 50).withUnsafeBytes { pub.answer(request: $0, &resend) }
        #expect(gone.messages == 0 && gone.noLongerAvailable == 50 && resend.packets.isEmpty)
        let ahead = request(testSession, 500, 5).withUnsafeBytes { pub.answer(request: $0, &resend) }
        #expect(ahead.messages == 0 && ahead.notYetPublished == 5 && resend.packets.isEmpty)
        #expect(pub.counters.requestsPartlyUnavailable == 4)
        #expect(pub.counters.messagesNoLongerAvailable == 87 && pub.counters.messagesNotYetPublished == 14)
    }

    @Test func malformedAndForeignRequestsSendNothing() {
        let pub = MoldPublisher(MoldPublisherConfig(session: testSession))
        var out = PacketRecorder()
        for m in sampleMessages(10) { pub.publish(m, now: 1, &out) }
        var resend = PacketRecorder()
        let short = [UInt8](repeating: 0x41, count: 19)
        #expect(!short.withUnsafeBytes { pub.answer(request: $0, &resend) }.valid)
        #expect(!(request(testSession, 1, 2) + [0]).withUnsafeBytes { pub.answer(request: $0, &resend) }.valid)
        #expect(!request(SessionID("OTHER"), 1, 2).withUnsafeBytes { pub.answer(request: $0, &resend) }.valid)
        #expect(!request(testSession, 1, 0xFFFF).withUnsafeBytes { pub.answer(request: $0, &resend) }.valid)
        #expect(resend.packets.isEmpty)
        #expect(pub.counters.malformedRequests == 3 && pub.counters.wrongSessionRequests == 1)
    }

    @Test func byteBoundEvictsOldestAndWrapsTheRing() {
        // 256 bytes of store, 19..36-byte messages: the ring wraps many times.
        let pub = MoldPublisher(MoldPublisherConfig(session: testSession, storeMessages: 1024, storeBytes: 256))
        var out = PacketRecorder()
        let messages = sampleMessages(300, seed: 5)
        var buffer = [UInt8](repeating: 0, count: 64)
        for (i, m) in messages.enumerated() {
            pub.publish(m, now: 1, &out)
            // Everything still stored reads back intact, and the store is as full as fits.
            let stored = pub.oldestStoredSequence..<pub.nextSequence
            let bytes = stored.map { messages[Int($0) - 1].length }.reduce(0, +)
            #expect(bytes <= 256)
            if stored.lowerBound > 1 { #expect(bytes + messages[Int(stored.lowerBound) - 2].length > 256) }
            for s in stored {
                let n = buffer.withUnsafeMutableBytes { pub.storedMessage(s, into: $0) }
                let back = buffer.withUnsafeBytes { try? ITCHMessage.decode(UnsafeRawBufferPointer(rebasing: $0[0..<(n ?? 0)])) }
                if back != messages[Int(s) - 1] { Issue.record("message \(s) wrong after \(i + 1) published") }
            }
        }
        #expect(buffer.withUnsafeMutableBytes { pub.storedMessage(1, into: $0) } == nil)
    }
}

@Suite struct MoldFeedTests {
    @Test func engineOutputReachesPacketsAndOrderEventsReachTheGlue() throws {
        let x = Exchange()
        x.addSymbol(Stock("AAA"))
        var feed = MoldFeed(publisher: MoldPublisher(MoldPublisherConfig(session: testSession)),
                            orders: RecordingSink(), packets: PacketRecorder(), now: 10)
        x.startSession(timestamp: t0, &feed)
        x.submit(sell(100, 10, owner: 1), locate: StockLocate(1), timestamp: t0, &feed)
        x.submit(buy(100, 4, owner: 2), locate: StockLocate(1), timestamp: t0, &feed)
        feed.flush()
        let got = try feed.packets.decoded().flatMap(\.messages).map(\.1)
        #expect(String(decoding: got.map(\.messageType), as: UTF8.self) == "SRSSAE")
        #expect(got == feed.orders.messages)  // the glue sees the same messages, in order
        #expect(feed.orders.fills.map(\.qty) == [Qty(4)])
    }
}
