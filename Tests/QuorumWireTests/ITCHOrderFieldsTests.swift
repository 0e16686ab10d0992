import Testing
@testable import QuorumWire

/// What `ITCH.OrderFields` must hold for a message decoded the full way.
func expectedOrderFields(_ m: ITCHMessage) -> ITCH.OrderFields {
    var f = ITCH.OrderFields(messageType: m.messageType, stockLocate: m.header.stockLocate, timestamp: m.header.timestamp)
    switch m {
    case .addOrder(let a):
        f.orderRef = a.orderRef; f.side = a.side; f.shares = a.shares; f.price = a.price
    case .addOrderMPID(let a):
        f.orderRef = a.orderRef; f.side = a.side; f.shares = a.shares; f.price = a.price
    case .orderExecuted(let e):
        f.orderRef = e.orderRef; f.shares = e.executedShares; f.matchNumber = e.matchNumber
    case .orderExecutedWithPrice(let e):
        f.orderRef = e.orderRef; f.shares = e.executedShares; f.matchNumber = e.matchNumber
        f.price = e.executionPrice; f.printable = e.printable
    case .orderCancel(let x):
        f.orderRef = x.orderRef; f.shares = x.cancelledShares
    case .orderDelete(let d):
        f.orderRef = d.orderRef
    case .orderReplace(let u):
        f.orderRef = u.originalOrderRef; f.newOrderRef = u.newOrderRef; f.shares = u.shares; f.price = u.price
    case .trade(let p):
        f.orderRef = p.orderRef; f.side = p.side; f.shares = p.shares; f.price = p.price; f.matchNumber = p.matchNumber
    default:
        break
    }
    return f
}

@Suite struct ITCHOrderFieldsTests {
    /// Random bytes of every type at its spec length: the table-driven decode gives exactly the
    /// fields the full decoder gives, and zero for the fields the type does not have.
    @Test func orderFieldsAgreeWithTheFullDecoderForEveryType() throws {
        var rng = TestRNG(state: 7)
        for type in ITCHMessage.allTypes {
            let len = ITCHMessage.specLength(ofType: type)!
            for _ in 0..<300 {
                var bytes = (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                bytes[0] = type
                let full = try bytes.withUnsafeBytes { try ITCHMessage.decode($0) }
                let fields = try bytes.withUnsafeBytes { try ITCH.OrderFields.decode($0) }
                #expect(fields == expectedOrderFields(full), "type \(Character(Unicode.Scalar(type)))")
            }
        }
    }

    @Test func sampleOrderMessagesDecodeToTheirValues() throws {
        for m in sampleMessagesOfEveryType() {
            var out = [UInt8](repeating: 0xEE, count: 64)
            let n = try out.withUnsafeMutableBytes { try m.encode(into: $0) }
            let fields = try out[0..<n].withUnsafeBytes { try ITCH.OrderFields.decode($0) }
            #expect(fields == expectedOrderFields(m))
        }
    }

    /// Every length from 0 to 60 for every type byte (known or not): the same error as the
    /// full decoder, or success exactly when it succeeds. The bytes after the message are
    /// poisoned so a read past the end would show up as a wrong field.
    @Test func malformedLengthsAndTypesFailExactlyAsTheFullDecoder() {
        var rng = TestRNG(state: 99)
        for type in 0...255 {
            for len in 0...60 {
                var bytes = (0..<(len + 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if len > 0 { bytes[0] = UInt8(type) }
                let (full, fields): (Result<ITCHMessage, WireError>, Result<ITCH.OrderFields, WireError>) =
                    bytes.withUnsafeBytes { raw in
                        let b = UnsafeRawBufferPointer(rebasing: raw[0..<len])
                        return (Result { () throws(WireError) in try ITCHMessage.decode(b) },
                                Result { () throws(WireError) in try ITCH.OrderFields.decode(b) })
                    }
                switch (full, fields) {
                case (.success(let m), .success(let f)): #expect(f == expectedOrderFields(m))
                case (.failure(let a), .failure(let b)): #expect(a == b, "type \(type) length \(len)")
                default: Issue.record("type \(type) length \(len): \(full) vs \(fields)")
                }
            }
        }
    }
}
