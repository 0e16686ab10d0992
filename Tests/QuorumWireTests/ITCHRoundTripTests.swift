import Testing
@testable import QuorumWire

/// A deterministic byte source so failures reproduce.
struct TestRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let specLengths: [Character: Int] = [
    "S": 12, "R": 39, "H": 25, "Y": 20, "L": 26, "V": 35, "W": 12, "K": 28, "J": 35, "h": 21,
    "A": 36, "F": 40, "E": 31, "C": 36, "X": 23, "D": 19, "U": 35, "P": 44, "Q": 40, "B": 19,
    "I": 50, "N": 20, "O": 48,
]

@Suite struct ITCHRoundTripTests {
    @Test func everyTypeHasTheSpecLength() {
        #expect(ITCHMessage.allTypes.count == 23)
        for (ch, len) in specLengths {
            let t = UInt8(ascii: ch.unicodeScalars.first!)
            #expect(ITCHMessage.specLength(ofType: t) == len, "type \(ch)")
        }
        #expect(ITCHMessage.specLength(ofType: UInt8(ascii: "Z")) == nil)
    }

    /// Random bytes of each type's spec length decode, re-encode to the same bytes, and the
    /// decoded value survives encode → decode. Every field covers its bytes, so any byte
    /// pattern must round-trip.
    @Test func randomBytesOfEveryTypeRoundTripAtSpecLength() throws {
        var rng = TestRNG(state: 42)
        for type in ITCHMessage.allTypes {
            let len = ITCHMessage.specLength(ofType: type)!
            for _ in 0..<200 {
                var bytes = (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                bytes[0] = type
                let message = try bytes.withUnsafeBytes { try ITCHMessage.decode($0) }
                #expect(message.messageType == type)
                #expect(message.length == len)
                var out = [UInt8](repeating: 0, count: 64)
                let n = try out.withUnsafeMutableBytes { try message.encode(into: $0) }
                #expect(n == len)
                #expect(Array(out[0..<n]) == bytes)
                let again = try out[0..<n].withUnsafeBytes { try ITCHMessage.decode($0) }
                #expect(again == message)
            }
        }
    }

    @Test func addOrderFieldsSitAtTheirSpecOffsets() throws {
        let add = ITCH.AddOrder(
            header: ITCH.Header(stockLocate: StockLocate(0x0102), trackingNumber: 0x0304,
                                timestamp: Timestamp(0x0A0B_0C0D_0E0F)),
            orderRef: OrderRef(0x1122_3344_5566_7788), side: .sell, shares: Qty(300),
            stock: Stock("AAPL"), price: Price(911_400))
        var out = [UInt8](repeating: 0, count: 36)
        _ = try out.withUnsafeMutableBytes { try add.encode(into: $0) }
        #expect(out[0] == UInt8(ascii: "A"))
        #expect(Array(out[1..<11]) == [0x01, 0x02, 0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F])
        #expect(Array(out[11..<19]) == [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
        #expect(out[19] == UInt8(ascii: "S"))
        #expect(Array(out[20..<24]) == [0, 0, 0x01, 0x2C])
        #expect(Array(out[24..<32]) == Array("AAPL    ".utf8))
        #expect(Array(out[32..<36]) == [0x00, 0x0D, 0xE8, 0x28])  // 911400
        let back = try out.withUnsafeBytes { try ITCH.AddOrder.decode($0) }
        #expect(back == add)
        #expect(back.stock.description == "AAPL")
        #expect(back.price.description == "91.1400")
        #expect(back.header.timestamp.rawValue == 0x0A0B_0C0D_0E0F)
    }

    @Test func everyTypeRoundTripsFromValues() throws {
        for message in sampleMessagesOfEveryType() {
            var out = [UInt8](repeating: 0xEE, count: 64)
            let n = try out.withUnsafeMutableBytes { try message.encode(into: $0) }
            #expect(n == specLengths[Character(Unicode.Scalar(message.messageType))])
            let back = try out[0..<n].withUnsafeBytes { try ITCHMessage.decode($0) }
            #expect(back == message)
        }
        #expect(Set(sampleMessagesOfEveryType().map(\.messageType)).count == 23)
    }

    @Test func unknownTypeIsReported() {
        let bytes: [UInt8] = [UInt8(ascii: "z")] + [UInt8](repeating: 0, count: 20)
        #expect(throws: WireError.unknownType(offset: 0, type: UInt8(ascii: "z"))) {
            try bytes.withUnsafeBytes { try ITCHMessage.decode($0) }
        }
    }

    @Test func truncatedAndOverlongMessagesAreReportedNotDecoded() {
        let short: [UInt8] = [UInt8(ascii: "A")] + [UInt8](repeating: 0, count: 20)
        #expect(throws: WireError.truncated(offset: 0, needed: 36, available: 21)) {
            try short.withUnsafeBytes { try ITCHMessage.decode($0) }
        }
        let long: [UInt8] = [UInt8(ascii: "D")] + [UInt8](repeating: 0, count: 20)
        #expect(throws: WireError.lengthMismatch(offset: 0, type: UInt8(ascii: "D"), expected: 19, actual: 21)) {
            try long.withUnsafeBytes { try ITCHMessage.decode($0) }
        }
        #expect(throws: WireError.truncated(offset: 0, needed: 1, available: 0)) {
            try [UInt8]().withUnsafeBytes { try ITCHMessage.decode($0) }
        }
        var out = [UInt8](repeating: 0, count: 10)
        #expect(throws: WireError.self) {
            try out.withUnsafeMutableBytes { try sampleMessagesOfEveryType()[0].encode(into: $0) }
        }
    }

    @Test func garbageBytesNeverCrashTheDecoder() {
        var rng = TestRNG(state: 7)
        var decoded = 0
        for _ in 0..<20_000 {
            let len = Int(rng.next() % 60)
            let bytes = (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if (try? bytes.withUnsafeBytes({ try ITCHMessage.decode($0) })) != nil { decoded += 1 }
        }
        #expect(decoded < 20_000)
    }

    @Test func timestampsAndSymbolsPrintAndParse() {
        let t = Timestamp(parsing: "09:30:00.004")!
        #expect(t.rawValue == 34_200_004_000_000)
        #expect(t.description == "09:30:00.004000000")
        #expect(Timestamp(parsing: "9:30") == nil)
        #expect(Timestamp(parsing: "25:00:00") == nil)
        #expect(Stock("MSFT").description == "MSFT")
        #expect(Stock("TOOLONGSYM").description == "TOOLONGS")
    }
}

func sampleMessagesOfEveryType() -> [ITCHMessage] {
    let h = ITCH.Header(stockLocate: StockLocate(7), trackingNumber: 2, timestamp: Timestamp(34_200_000_000_123))
    let s = Stock("AAPL")
    return [
        .systemEvent(.init(header: h, eventCode: UInt8(ascii: "O"))),
        .stockDirectory(.init(header: h, stock: s, marketCategory: 0x51, financialStatusIndicator: 0x4E,
                              roundLotSize: 100, roundLotsOnly: 0x4E, issueClassification: 0x43,
                              issueSubType: 0x5A20, authenticity: 0x50, shortSaleThresholdIndicator: 0x4E,
                              ipoFlag: 0x4E, luldReferencePriceTier: 0x31, etpFlag: 0x4E,
                              etpLeverageFactor: 0, inverseIndicator: 0x4E)),
        .stockTradingAction(.init(header: h, stock: s, tradingState: 0x54, reserved: 0x20, reason: 0x2020_2020)),
        .regSHORestriction(.init(header: h, stock: s, regSHOAction: 0x30)),
        .marketParticipantPosition(.init(header: h, mpid: MPID("GSCO"), stock: s, primaryMarketMaker: 0x59,
                                         marketMakerMode: 0x4E, marketParticipantState: 0x41)),
        .mwcbDeclineLevel(.init(header: h, level1: Price8(1), level2: Price8(2), level3: Price8(3))),
        .mwcbStatus(.init(header: h, breachedLevel: 0x31)),
        .ipoQuotingPeriodUpdate(.init(header: h, stock: s, ipoQuotationReleaseTime: 36_000,
                                      ipoQuotationReleaseQualifier: 0x41, ipoPrice: Price(200_000))),
        .luldAuctionCollar(.init(header: h, stock: s, auctionCollarReferencePrice: Price(1),
                                 upperAuctionCollarPrice: Price(2), lowerAuctionCollarPrice: Price(3),
                                 auctionCollarExtension: 4)),
        .operationalHalt(.init(header: h, stock: s, marketCode: 0x51, operationalHaltAction: 0x48)),
        .addOrder(.init(header: h, orderRef: OrderRef(1), side: .buy, shares: Qty(100), stock: s, price: Price(911_400))),
        .addOrderMPID(.init(header: h, orderRef: OrderRef(2), side: .sell, shares: Qty(200), stock: s,
                            price: Price(911_500), attribution: MPID("MSCO"))),
        .orderExecuted(.init(header: h, orderRef: OrderRef(1), executedShares: Qty(50), matchNumber: MatchNumber(9))),
        .orderExecutedWithPrice(.init(header: h, orderRef: OrderRef(1), executedShares: Qty(10),
                                      matchNumber: MatchNumber(10), printable: 0x59, executionPrice: Price(911_300))),
        .orderCancel(.init(header: h, orderRef: OrderRef(1), cancelledShares: Qty(5))),
        .orderDelete(.init(header: h, orderRef: OrderRef(1))),
        .orderReplace(.init(header: h, originalOrderRef: OrderRef(2), newOrderRef: OrderRef(3), shares: Qty(100),
                            price: Price(911_600))),
        .trade(.init(header: h, orderRef: OrderRef(0), side: .buy, shares: Qty(100), stock: s, price: Price(911_450),
                     matchNumber: MatchNumber(11))),
        .crossTrade(.init(header: h, shares: 1_000_000, stock: s, crossPrice: Price(911_000),
                          matchNumber: MatchNumber(12), crossType: 0x4F)),
        .brokenTrade(.init(header: h, matchNumber: MatchNumber(11))),
        .noii(.init(header: h, pairedShares: 100, imbalanceShares: 200, imbalanceDirection: 0x42, stock: s,
                    farPrice: Price(1), nearPrice: Price(2), currentReferencePrice: Price(3), crossType: 0x4F,
                    priceVariationIndicator: 0x4C)),
        .retailPriceImprovementIndicator(.init(header: h, stock: s, interestFlag: 0x42)),
        .directListingWithCapitalRaise(.init(header: h, stock: s, openEligibilityStatus: 0x59,
                                             minimumAllowablePrice: Price(1), maximumAllowablePrice: Price(2),
                                             nearExecutionPrice: Price(3), nearExecutionTime: 4,
                                             lowerPriceRangeCollar: Price(5), upperPriceRangeCollar: Price(6))),
    ]
}
