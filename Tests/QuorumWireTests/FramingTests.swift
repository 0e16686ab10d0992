import Testing
@testable import QuorumWire

@Suite struct DayFileFramingTests {
    @Test func writerAndReaderAgreeOnEveryType() throws {
        let messages = sampleMessagesOfEveryType()
        var storage = [UInt8](repeating: 0, count: 2000)
        let written = try storage.withUnsafeMutableBytes { buf throws(WireError) -> Int in
            var w = ITCHDayFile.Writer(buf)
            for m in messages { try w.append(m) }
            return w.position
        }
        #expect(written == messages.reduce(0) { $0 + 2 + $1.length })
        #expect(storage[0] == 0 && storage[1] == 12)  // 'S' is 12 bytes
        let decoded = try storage[0..<written].withUnsafeBytes { buf throws(WireError) -> [ITCHMessage] in
            var r = ITCHDayFile.Reader(buf)
            var out: [ITCHMessage] = []
            while let (_, bytes) = try r.next() { out.append(try ITCHMessage.decode(bytes)) }
            return out
        }
        #expect(decoded == messages)
    }

    @Test func aFrameRunningPastTheEndIsReportedWithItsOffset() throws {
        let bytes: [UInt8] = [0, 3, 0x53, 0, 0, /* next frame says 36 but has 2 */ 0, 36, 0x41, 0]
        try bytes.withUnsafeBytes { buf in
            var r = ITCHDayFile.Reader(buf)
            let first = try r.next()
            #expect(first?.offset == 0 && first?.bytes.count == 3)
            #expect(throws: WireError.truncated(offset: 5, needed: 38, available: 4)) { try r.next() }
            #expect(try r.next() == nil)
        }
        // The first message decodes to a length mismatch that callers shift to file offsets.
        do {
            _ = try bytes[2..<5].withUnsafeBytes { try ITCHMessage.decode($0) }
            Issue.record("expected an error")
        } catch let error as WireError {
            #expect(error.shifted(by: 2) == .truncated(offset: 2, needed: 12, available: 3))
        }
    }

    @Test func aFullWriterRefusesWithoutWriting() throws {
        var storage = [UInt8](repeating: 0, count: 30)
        try storage.withUnsafeMutableBytes { buf in
            var w = ITCHDayFile.Writer(buf)
            try w.append(sampleMessagesOfEveryType()[0])  // 14 bytes
            #expect(throws: WireError.self) { try w.append(sampleMessagesOfEveryType()[10]) }
            #expect(w.position == 14)
        }
    }
}

@Suite struct MoldUDP64Tests {
    let session = SessionID("000042")

    @Test func downstreamPacketRoundTripsWithSequenceNumbers() throws {
        let messages = Array(sampleMessagesOfEveryType()[10..<16])
        var storage = [UInt8](repeating: 0, count: MoldUDP64.maxPacketLength)
        let n = try storage.withUnsafeMutableBytes { buf throws(WireError) -> Int in
            var w = try MoldUDP64.PacketWriter(buf, session: session, sequenceNumber: 1000)
            for m in messages { try w.append(m) }
            return w.finish()
        }
        #expect(n == 20 + messages.reduce(0) { $0 + 2 + $1.length })
        try storage[0..<n].withUnsafeBytes { buf in
            let packet = try MoldUDP64.Packet(buf)
            #expect(packet.header.session == session)
            #expect(packet.header.session.description == "000042")
            #expect(packet.header.kind == .messages(count: messages.count))
            var seqs: [UInt64] = []
            var got: [ITCHMessage] = []
            try packet.forEachMessage { (seq, _, bytes) throws(WireError) in
                seqs.append(seq)
                got.append(try ITCHMessage.decode(bytes))
            }
            #expect(seqs == Array(1000..<1006))
            #expect(got == messages)
        }
    }

    @Test func heartbeatEndOfSessionAndRequestAreTwentyBytes() throws {
        var storage = [UInt8](repeating: 0, count: 20)
        let n = try storage.withUnsafeMutableBytes {
            try MoldUDP64.encodeHeartbeat(session: session, nextSequenceNumber: 77, into: $0)
        }
        #expect(n == 20)
        try storage.withUnsafeBytes { buf in
            let p = try MoldUDP64.Packet(buf)
            #expect(p.header.kind == .heartbeat && p.header.sequenceNumber == 77)
        }
        _ = try storage.withUnsafeMutableBytes {
            try MoldUDP64.encodeEndOfSession(session: session, nextSequenceNumber: 78, into: $0)
        }
        #expect(storage[18] == 0xFF && storage[19] == 0xFF)
        let end = try storage.withUnsafeBytes { try MoldUDP64.Packet($0).header.kind }
        #expect(end == .endOfSession)
        let request = MoldUDP64.RequestPacket(session: session, sequenceNumber: 500, messageCount: 25)
        _ = try storage.withUnsafeMutableBytes { try request.encode(into: $0) }
        #expect(try storage.withUnsafeBytes { try MoldUDP64.Header.decode($0) } == request)
    }

    @Test func malformedPacketsAreRejectedWithOffsets() throws {
        var storage = [UInt8](repeating: 0, count: 200)
        let n = try storage.withUnsafeMutableBytes { buf throws(WireError) -> Int in
            var w = try MoldUDP64.PacketWriter(buf, session: session, sequenceNumber: 1)
            try w.append(sampleMessagesOfEveryType()[15])  // 19-byte delete
            try w.append(sampleMessagesOfEveryType()[15])
            return w.finish()
        }
        #expect(n == 20 + 2 * 21)
        // Cut inside the second block.
        _ = storage[0..<(n - 5)].withUnsafeBytes { buf in
            #expect(throws: WireError.truncated(offset: 41, needed: 21, available: 16)) { try MoldUDP64.Packet(buf) }
        }
        // Trailing bytes after the announced blocks.
        _ = storage[0..<(n + 3)].withUnsafeBytes { buf in
            #expect(throws: WireError.lengthMismatch(offset: 0, type: 0, expected: n, actual: n + 3)) {
                try MoldUDP64.Packet(buf)
            }
        }
        _ = storage[0..<10].withUnsafeBytes { buf in
            #expect(throws: WireError.truncated(offset: 0, needed: 20, available: 10)) { try MoldUDP64.Packet(buf) }
        }
    }
}

@Suite struct SoupBinTCPTests {
    @Test func everyPacketTypeRoundTrips() throws {
        let payload: [UInt8] = Array("hello itch".utf8)
        try payload.withUnsafeBytes { data in
            let packets: [(SoupBinTCP.Packet, Int)] = [
                (.debug(data), 3 + 10),
                (.loginAccepted(session: SessionID("SESS01"), sequenceNumber: 12345), 3 + 30),
                (.loginRejected(reason: SoupBinTCP.RejectReason.notAuthorized), 3 + 1),
                (.sequencedData(data), 3 + 10),
                (.serverHeartbeat, 3),
                (.endOfSession, 3),
                (.loginRequest(.init(username: "quorum", password: "secret", requestedSession: .blank,
                                     requestedSequenceNumber: 1)), 3 + 46),
                (.unsequencedData(data), 3 + 10),
                (.clientHeartbeat, 3),
                (.logoutRequest, 3),
            ]
            for (packet, length) in packets {
                var out = [UInt8](repeating: 0, count: 64)
                let n = try out.withUnsafeMutableBytes { try packet.encode(into: $0) }
                #expect(n == length, "\(packet)")
                #expect(Int(out[0]) << 8 | Int(out[1]) == length - 2)
                let decoded = try out.withUnsafeBytes { try SoupBinTCP.decode($0) }
                #expect(decoded?.packet == packet)
                #expect(decoded?.consumed == n)
                // Any strict prefix is "need more bytes", not an error.
                for cut in 0..<n {
                    #expect(try out[0..<cut].withUnsafeBytes { try SoupBinTCP.decode($0) } == nil)
                }
            }
        }
    }

    @Test func numericFieldsAreRightJustifiedWithSpaces() throws {
        var out = [UInt8](repeating: 0, count: 64)
        _ = try out.withUnsafeMutableBytes {
            try SoupBinTCP.Packet.loginAccepted(session: SessionID("S1"), sequenceNumber: 42).encode(into: $0)
        }
        #expect(String(decoding: out[3..<13], as: UTF8.self) == "S1        ")
        #expect(String(decoding: out[13..<33], as: UTF8.self) == String(repeating: " ", count: 18) + "42")
    }

    @Test func badPacketsAreReported() throws {
        let unknown: [UInt8] = [0, 1, UInt8(ascii: "x")]
        #expect(throws: WireError.unknownType(offset: 2, type: UInt8(ascii: "x"))) {
            try unknown.withUnsafeBytes { try SoupBinTCP.decode($0) }
        }
        let longHeartbeat: [UInt8] = [0, 2, UInt8(ascii: "H"), 0]
        #expect(throws: WireError.lengthMismatch(offset: 0, type: UInt8(ascii: "H"), expected: 1, actual: 2)) {
            try longHeartbeat.withUnsafeBytes { try SoupBinTCP.decode($0) }
        }
        var accepted = [UInt8](repeating: 0x20, count: 33)
        accepted[0] = 0; accepted[1] = 31; accepted[2] = UInt8(ascii: "A")
        accepted[32] = UInt8(ascii: "x")
        #expect(throws: WireError.invalidField(offset: 32, field: "sequence number", value: UInt64(UInt8(ascii: "x")))) {
            try accepted.withUnsafeBytes { try SoupBinTCP.decode($0) }
        }
    }
}
