import Testing
@testable import QuorumWire

/// The view's check must accept and reject exactly what `ITCHMessage.decode` accepts and
/// rejects, with the same errors, and its fields must be the decoder's fields.
@Suite struct ITCHMessageViewTests {
    @Test func specLengthTableMatchesTheSpecForEveryByte() {
        for t in 0...255 {
            let type = UInt8(t)
            #expect(ITCH.specLength(type) == (ITCHMessage.specLength(ofType: type) ?? 0), "type 0x\(String(t, radix: 16))")
        }
    }

    @Test func orderMessageTypesAreExactlyAFECXDU() {
        let order = Set("AFECXDU".unicodeScalars.map { UInt8($0.value) })
        for t in 0...255 {
            #expect(ITCH.isOrderMessageType(UInt8(t)) == order.contains(UInt8(t)), "type 0x\(String(t, radix: 16))")
        }
    }

    @Test func everyTypeReadsBackItsFieldsInPlace() throws {
        for message in sampleMessagesOfEveryType() {
            var bytes = [UInt8](repeating: 0, count: message.length)
            _ = try bytes.withUnsafeMutableBytes { try message.encode(into: $0) }
            try bytes.withUnsafeBytes { buf in
                let view = try ITCHMessageView(validating: buf)
                #expect(view.start == buf.baseAddress)
                #expect(view.type == message.messageType)
                #expect(view.length == message.length)
                #expect(view.bytes.count == buf.count)
                #expect(view.header == message.header)
                #expect(view.stockLocate == message.header.stockLocate)
                #expect(view.timestamp == message.header.timestamp)
                #expect(view.message == message)
                let expectedRef: OrderRef? = switch message {
                case .addOrder(let m): m.orderRef
                case .addOrderMPID(let m): m.orderRef
                case .orderExecuted(let m): m.orderRef
                case .orderExecutedWithPrice(let m): m.orderRef
                case .orderCancel(let m): m.orderRef
                case .orderDelete(let m): m.orderRef
                case .orderReplace(let m): m.originalOrderRef
                default: nil
                }
                #expect(view.orderRef == expectedRef, "type \(message.messageType)")
                if case .addOrder(let a) = message {
                    #expect(view.body(ITCH.AddOrder.self) == a)
                } else {
                    #expect(view.body(ITCH.AddOrder.self) == nil)
                }
            }
        }
    }

    /// Every type byte at every length 0...60 over random contents: the view throws exactly
    /// when the decoder throws, the same error, and otherwise sees the decoder's message.
    @Test func validationAgreesWithTheDecoderOnEveryTypeAndLength() {
        var rng = TestRNG(state: 99)
        var accepted = 0
        for t in 0...255 {
            for len in 0...60 {
                var bytes = (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if len > 0 { bytes[0] = UInt8(t) }
                let decoded: Result<ITCHMessage, WireError> = bytes.withUnsafeBytes { buf in
                    Result { () throws(WireError) in try ITCHMessage.decode(buf) }
                }
                let viewed: Result<ITCHMessage, WireError> = bytes.withUnsafeBytes { buf in
                    Result { () throws(WireError) in try ITCHMessageView(validating: buf).message }
                }
                #expect(decoded == viewed, "type 0x\(String(t, radix: 16)) length \(len)")
                if case .success = viewed { accepted += 1 }
            }
        }
        #expect(accepted == 23)  // one spec length per type
    }

    @Test func aDayFileWalksAsViewsAndSkipsABadMessageWithItsFileOffset() throws {
        let messages = sampleMessagesOfEveryType()
        var storage = [UInt8](repeating: 0, count: 2000)
        let written = try storage.withUnsafeMutableBytes { buf throws(WireError) -> Int in
            var w = ITCHDayFile.Writer(buf)
            for m in messages { try w.append(m) }
            return w.position
        }
        // Corrupt the type byte of the third message (after 'S' 2+12 and 'R' 2+39 bytes).
        let thirdOffset = 14 + 41
        storage[thirdOffset + 2] = UInt8(ascii: "z")
        // And end with a frame that runs past the end.
        let file = Array(storage[0..<written]) + [0, 36, UInt8(ascii: "A"), 0]
        try file.withUnsafeBytes { buf in
            var r = ITCHDayFile.Reader(buf)
            var views: [(Int, ITCHMessage)] = []
            var errors: [WireError] = []
            while true {
                do throws(WireError) {
                    guard let (offset, view) = try r.nextView() else { break }
                    views.append((offset, view.message))
                } catch {
                    errors.append(error)
                }
            }
            #expect(errors == [.unknownType(offset: thirdOffset + 2, type: UInt8(ascii: "z")),
                               .truncated(offset: written, needed: 38, available: 4)])
            var expected = messages
            expected.remove(at: 2)
            #expect(views.map(\.1) == expected)
            #expect(views.first?.0 == 0 && views[1].0 == 14 && views[2].0 == thirdOffset + 2 + 25)
        }
    }
}
