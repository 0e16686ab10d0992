import Testing
@testable import QuorumWire

// Helpers written independently of the codec: frame a body by hand (BodyLength and CheckSum
// computed here with plain Swift) so that malformed-but-framed messages can be built.
let SOH = "\u{01}"

/// `fields` uses "|" for SOH; returns 8=FIX.4.4|9=len|fields10=sum|.
func framed(_ fields: String, bodyLengthDelta: Int = 0, checksumDelta: Int = 0) -> [UInt8] {
    let body = Array(fields.replacingOccurrences("|", SOH).utf8)
    let head = Array("8=FIX.4.4\u{01}9=\(body.count + bodyLengthDelta)\u{01}".utf8)
    let sum = (head + body).reduce(0) { ($0 + Int($1)) % 256 }
    let s = (sum + checksumDelta + 256) % 256
    let digits = String(s)
    let trailer = Array("10=\(String(repeating: "0", count: 3 - digits.count))\(digits)\u{01}".utf8)
    return head + body + trailer
}

extension String {
    func replacingOccurrences(_ a: Character, _ b: String) -> String {
        var out = ""
        for c in self { if c == a { out += b } else { out.append(c) } }
        return out
    }
}

func text(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self).replacingOccurrences("\u{01}", "|")
}

let testHeaderFields = "49=QUORUM|56=EXCH|34=7|52=20231114-22:13:20.123|"
let t0: UInt64 = 1_700_000_000_123_456_789  // 2023-11-14 22:13:20.123456789 UTC
/// `t0` cut to the millisecond, as times travel.
let t0ms: UInt64 = 1_700_000_000_123_000_000

func header(seq: UInt64 = 7, time: UInt64 = t0, possDup: Bool = false, orig: UInt64 = 0) -> FIXHeader {
    FIXHeader(senderCompID: "QUORUM", targetCompID: "EXCH", msgSeqNum: seq, sendingTime: time,
              possDupFlag: possDup, origSendingTime: orig)
}

func encoded<M: FIXMessageBody>(_ m: M, _ h: FIXHeader = header()) -> [UInt8] {
    var buf = [UInt8](repeating: 0, count: FIX.maxMessageLength)
    let n = buf.withUnsafeMutableBytes { FIXEncoder.encode(m, header: h, into: $0) }
    return Array(buf[0..<n])
}

/// Parses `bytes` as a stream and returns every result, with the decoded body of each valid
/// message rendered by `decode`.
func parseAll(_ bytes: [UInt8], parser: FIXParser = FIXParser()) -> [FIXParseResult] {
    var out: [FIXParseResult] = []
    var rest = bytes[...]
    while true {
        let r = rest.withUnsafeBytes { parser.parse($0) }
        out.append(r)
        switch r {
        case .needMoreData: return out
        case .message(let n), .invalid(let n, _): rest = rest.dropFirst(n)
        case .garbled(let n): rest = rest.dropFirst(n)
        }
    }
}

func rejection(_ bytes: [UInt8]) -> FIXRejection? {
    if case .invalid(let n, let r) = parseAll(bytes).first, n == bytes.count { return r }
    return nil
}

let allMessageSamples: [any FIXMessageBody] = [
    FIXLogon(heartBtInt: 30, resetSeqNumFlag: true),
    FIXLogon(heartBtInt: 5),
    FIXHeartbeat(),
    FIXHeartbeat(testReqID: "TR-17"),
    FIXTestRequest(testReqID: "TR-17"),
    FIXResendRequest(beginSeqNo: 5, endSeqNo: 0),
    FIXReject(refSeqNum: 9, refTagID: 54, refMsgType: "D", reason: .valueIncorrect, text: "bad side"),
    FIXReject(refSeqNum: 3),
    FIXSequenceReset(gapFillFlag: true, newSeqNo: 12),
    FIXSequenceReset(gapFillFlag: false, newSeqNo: 100),
    FIXLogout(),
    FIXLogout(text: "bye"),
    FIXNewOrderSingle(clOrdID: FIXString(decimal: 1_000_001), symbol: "AAPL", side: .buy, transactTime: t0ms,
                      orderQty: Qty(100), ordType: .limit, price: Price(1_912_300), timeInForce: .day),
    FIXNewOrderSingle(clOrdID: "m-1", symbol: "MSFT", side: .sellShort, transactTime: t0ms + 5_000_000,
                      orderQty: Qty(7), ordType: .market, price: nil),
    FIXOrderCancelRequest(origClOrdID: "1000001", clOrdID: "1000002", symbol: "AAPL", side: .buy,
                          transactTime: t0ms, orderQty: Qty(100)),
    FIXOrderCancelRequest(origClOrdID: "a", clOrdID: "b", symbol: "X", side: .sell, transactTime: t0ms),
    FIXOrderCancelReplaceRequest(origClOrdID: "1000001", clOrdID: "1000003", symbol: "AAPL", side: .buy,
                                 transactTime: t0ms, orderQty: Qty(250), ordType: .limit, price: Price(1_912_345),
                                 timeInForce: .immediateOrCancel),
    FIXExecutionReport(orderID: "O-1", clOrdID: "1000001", execID: "E-1", execType: .trade,
                       ordStatus: .partiallyFilled, symbol: "AAPL", side: .buy, orderQty: Qty(100),
                       lastQty: Qty(40), lastPx: Price(1_912_300), leavesQty: Qty(60), cumQty: Qty(40),
                       avgPx: Price(1_912_300)),
    FIXExecutionReport(orderID: "O-2", clOrdID: "1000003", origClOrdID: "1000001", execID: "E-2",
                       execType: .replaced, ordStatus: .new, symbol: "AAPL", side: .sell,
                       leavesQty: Qty(250), cumQty: .zero, avgPx: .zero, text: "replaced"),
    FIXExecutionReport(orderID: "NONE", clOrdID: nil, execID: "E-3", execType: .rejected, ordStatus: .rejected,
                       symbol: "ZZZZ", side: .buy, leavesQty: .zero, cumQty: .zero, avgPx: .zero),
    FIXOrderCancelReject(orderID: "O-1", clOrdID: "1000002", origClOrdID: "1000001", ordStatus: .filled,
                         cxlRejResponseTo: .cancelRequest, cxlRejReason: 1, text: "too late"),
    FIXOrderCancelReject(orderID: "O-9", clOrdID: "c", origClOrdID: "b", ordStatus: .new,
                         cxlRejResponseTo: .cancelReplaceRequest),
    FIXOrderStatusRequest(orderID: "O-1", clOrdID: "1000001", symbol: "AAPL", side: .buy),
    FIXOrderStatusRequest(clOrdID: "77", symbol: "MSFT", side: .sell),
    // The answers to status requests: a partly filled order, and one the venue never saw.
    FIXExecutionReport(orderID: "O-1", clOrdID: "1000001", execID: "E-4", execType: .orderStatus,
                       ordStatus: .partiallyFilled, symbol: "AAPL", side: .buy, orderQty: Qty(100),
                       leavesQty: Qty(60), cumQty: Qty(40), avgPx: Price(1_912_300)),
    FIXExecutionReport(orderID: "NONE", clOrdID: "77", execID: "E-5", execType: .orderStatus, ordStatus: .rejected,
                       symbol: "MSFT", side: .sell, leavesQty: .zero, cumQty: .zero, avgPx: .zero,
                       ordRejReason: FIXExecutionReport.unknownOrder, text: "unknown order"),
]

func roundTrip<M: FIXMessageBody>(_ m: M, _ h: FIXHeader) -> (M?, FIXHeader?, FIXParseResult) {
    let bytes = encoded(m, h)
    let parser = FIXParser()
    let r = bytes.withUnsafeBytes { parser.parse($0) }
    guard case .message(let n) = r, n == bytes.count else { return (nil, nil, r) }
    return bytes.withUnsafeBytes { raw -> (M?, FIXHeader?, FIXParseResult) in
        _ = parser.parse(raw)  // the view must point at live bytes
        let v = parser.message
        guard v.msgType == M.msgType else { return (nil, nil, r) }
        let h = FIXHeader(senderCompID: v.senderCompID, targetCompID: v.targetCompID, msgSeqNum: v.msgSeqNum,
                          sendingTime: v.sendingTime, possDupFlag: v.possDupFlag,
                          origSendingTime: v.origSendingTime ?? 0)
        return (M(v), h, r)
    }
}

@Suite struct FIXEncodingTests {
    @Test func heartbeatMatchesAHandComputedMessage() {
        // Body "35=0|49=A|56=B|34=1|52=19700101-00:00:00.000|" is 5+5+5+5+25 = 45 bytes; the
        // byte sum of everything before "10=" is 2 875 = 11 × 256 + 59.
        let bytes = encoded(FIXHeartbeat(), FIXHeader(senderCompID: "A", targetCompID: "B", msgSeqNum: 1, sendingTime: 0))
        #expect(text(bytes) == "8=FIX.4.4|9=45|35=0|49=A|56=B|34=1|52=19700101-00:00:00.000|10=059|")
        let sum = bytes[0..<(bytes.count - 7)].reduce(0) { $0 + Int($1) }
        #expect(sum == 2_875)
    }

    @Test func newOrderSingleHasTheExpectedFieldsLengthAndChecksum() {
        let order = FIXNewOrderSingle(clOrdID: "1000001", symbol: "AAPL", side: .buy, transactTime: t0,
                                      orderQty: Qty(100), ordType: .limit, price: Price(1_912_300), timeInForce: .day)
        let bytes = encoded(order)
        let body = "35=D|" + testHeaderFields
            + "11=1000001|55=AAPL|54=1|60=20231114-22:13:20.123|38=100|40=2|44=191.23|59=0|"
        #expect(text(bytes) == text(framed(body)))
        #expect(text(bytes).hasPrefix("8=FIX.4.4|9=\(body.utf8.count)|35=D|"))
    }

    @Test func bodiesShorterThan100OrLongerThan999BytesMoveTheBody() {
        // A 45-byte body (2 length digits) is covered above; a resend with a long body has 4.
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 1000)
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = long.withUnsafeBytes { f in
            buf.withUnsafeMutableBytes {
                FIXEncoder.encode(msgType: .logout, header: header(), bodyFields: UnsafeRawBufferPointer(rebasing: f[0..<0]), into: $0)
            }
        }
        #expect(text(Array(buf[0..<n])) == text(framed("35=5|" + testHeaderFields)))
        let fields = Array("58=".utf8) + long + [1]
        let m = fields.withUnsafeBytes { f in buf.withUnsafeMutableBytes { FIXEncoder.encode(msgType: .logout, header: header(), bodyFields: f, into: $0) } }
        let expected = framed("35=5|" + testHeaderFields + "58=" + String(repeating: "x", count: 1000) + "|")
        #expect(Array(buf[0..<m]) == expected)
        #expect(text(expected).hasPrefix("8=FIX.4.4|9=1057|"))
    }

    @Test func pricesAreDecimalTextWithoutTrailingZeros() {
        let cases: [(UInt32, String)] = [(0, "0"), (1, "0.0001"), (10, "0.001"), (10_000, "1"), (911_400, "91.14"),
                                         (1_912_345, "191.2345"), (4_294_967_295, "429496.7295")]
        for (raw, s) in cases {
            let er = FIXExecutionReport(orderID: "1", clOrdID: nil, execID: "1", execType: .new, ordStatus: .new,
                                        symbol: "S", side: .buy, leavesQty: .zero, cumQty: .zero, avgPx: Price(raw))
            #expect(text(encoded(er)).contains("|6=\(s)|"))
            #expect(roundTrip(er, header()).0?.avgPx == Price(raw))
        }
    }

    @Test func possDupResendsCarryOrigSendingTime() {
        let h = header(seq: 3, time: t0 + 1_000_000_000, possDup: true, orig: t0)
        let bytes = encoded(FIXHeartbeat(), h)
        #expect(text(bytes) == text(framed("35=0|49=QUORUM|56=EXCH|34=3|52=20231114-22:13:21.123|43=Y|122=20231114-22:13:20.123|")))
        let (m, back, _) = roundTrip(FIXHeartbeat(), h)
        #expect(m == FIXHeartbeat())
        // Times travel to the millisecond.
        #expect(back == header(seq: 3, time: t0 + 1_000_000_000 - 456_789, possDup: true, orig: t0 - 456_789))
    }

    @Test func aBufferSmallerThanTheMaximumIsRefusedWithoutWriting() {
        var buf = [UInt8](repeating: 0xAA, count: FIX.maxMessageLength - 1)
        let n = buf.withUnsafeMutableBytes { FIXEncoder.encode(FIXHeartbeat(), header: header(), into: $0) }
        #expect(n == 0)
        #expect(buf.allSatisfy { $0 == 0xAA })
    }

    @Test func everyMessageTypeRoundTrips() {
        func check<M: FIXMessageBody>(_ m: M) {
            for h in [header(), header(seq: 123_456_789, time: 0), header(seq: 1, possDup: true, orig: t0 - 86_400_000_000_000)] {
                let (back, backHeader, r) = roundTrip(m, h)
                #expect(back == m, "\(M.self) \(r)")
                #expect(backHeader?.msgSeqNum == h.msgSeqNum && backHeader?.possDupFlag == h.possDupFlag)
                #expect(backHeader?.senderCompID == "QUORUM" && backHeader?.targetCompID == "EXCH")
            }
        }
        var types = Set<UInt8>()
        for m in allMessageSamples {
            check(m)
            types.insert(type(of: m).msgType.rawValue)
        }
        #expect(types.count == FIXMsgType.allCases.count)
    }

    @Test func utcTimestampsConvertBothWays() {
        var buf = [UInt8](repeating: 0, count: 21)
        let cases: [(UInt64, String)] = [
            (0, "19700101-00:00:00.000"),
            (t0, "20231114-22:13:20.123"),
            ((951_782_400 + 86_399) * 1_000_000_000 + 999_999_999, "20000229-23:59:59.999"),
            (1_709_251_199 * 1_000_000_000 + 999_000_000, "20240229-23:59:59.999"),
            (4_102_444_800 * 1_000_000_000, "21000101-00:00:00.000"),
        ]
        for (ns, s) in cases {
            buf.withUnsafeMutableBytes { FIXTime.write(ns, at: $0.baseAddress!) }
            #expect(String(decoding: buf, as: UTF8.self) == s)
            let back = Array(s.utf8).withUnsafeBytes { FIXTime.parse($0) }
            #expect(back == ns / 1_000_000 * 1_000_000)
        }
        for good in ["20231114-22:13:20", "20231114-22:13:20.123456", "20231114-22:13:20.123456789"] {
            #expect(Array(good.utf8).withUnsafeBytes { FIXTime.parse($0) } != nil, "\(good)")
        }
        for bad in ["20231314-22:13:20.123", "20230229-00:00:00.000", "20231114 22:13:20.123", "2023111-22:13:20.123",
                    "20231114-24:00:00.000", "20231114-22:13:2x.123", "20231114-22:13:20.12", ""] {
            #expect(Array(bad.utf8).withUnsafeBytes { FIXTime.parse($0) } == nil, "\(bad)")
        }
    }

    @Test func checksumOfLongAndUnalignedInputsMatchesAPlainSum() {
        var bytes = [UInt8](repeating: 0, count: 5000)
        var x: UInt32 = 12345
        for i in 0..<bytes.count {
            x = x &* 1_103_515_245 &+ 12345
            bytes[i] = UInt8(truncatingIfNeeded: x >> 16) | 0x80  // high bytes stress the lanes
        }
        for (start, count) in [(0, 0), (1, 7), (3, 8), (5, 1023), (0, 1024), (7, 2049), (0, 5000)] {
            let expected = UInt8(bytes[start..<(start + count)].reduce(0) { ($0 + Int($1)) % 256 })
            let got = bytes.withUnsafeBytes { _FIXChecksum.sum($0.baseAddress! + start, count: count) }
            #expect(got == expected, "\(start) \(count)")
        }
    }
}

@Suite struct FIXParsingTests {
    let ok = "35=D|" + testHeaderFields + "11=1|55=AAPL|54=1|60=20231114-22:13:20.123|38=100|40=2|44=10|"

    @Test func aValidHandBuiltOrderParsesWithItsFields() {
        let bytes = framed(ok + "1=ACCT|21=1|")  // unknown tags are skipped
        let parser = FIXParser()
        bytes.withUnsafeBytes { raw in
            #expect(parser.parse(raw) == .message(length: bytes.count))
            let m = parser.message
            #expect(m.msgType == .newOrderSingle && m.msgSeqNum == 7 && !m.possDupFlag)
            #expect(m.sendingTime == t0 / 1_000_000 * 1_000_000)
            let o = FIXNewOrderSingle(m)
            #expect(o.price == Price(100_000) && o.orderQty == Qty(100) && o.symbol == "AAPL" && o.side == .buy)
            #expect(m.value(FIX.Tag.symbol).map { Array($0) } == Array("AAPL".utf8))
        }
        #expect(parser.counters.messages == 1)
    }

    @Test func badChecksumIsGarbledAndCounted() {
        for delta in [1, -1, 128] {
            let parser = FIXParser()
            let bytes = framed(ok, checksumDelta: delta)
            #expect(parseAll(bytes, parser: parser) == [.garbled(discarded: bytes.count), .needMoreData])
            #expect(parser.counters.garbled == 1 && parser.counters.messages == 0)
        }
        // A checksum that is not three digits.
        var bytes = framed(ok)
        bytes[bytes.count - 2] = UInt8(ascii: "x")
        #expect(parseAll(bytes) == [.garbled(discarded: bytes.count), .needMoreData])
    }

    @Test func badBodyLengthIsGarbledAndTheNextMessageStillParses() {
        let next = framed("35=0|" + testHeaderFields)
        for delta in [-1, -5, 1, 3] {
            let bad = framed(ok, bodyLengthDelta: delta)
            let results = parseAll(bad + next)
            #expect(results == [.garbled(discarded: bad.count), .message(length: next.count), .needMoreData], "\(delta)")
        }
        // Not digits, or absurdly large, or missing.
        for head in ["8=FIX.4.4|9=1x|", "8=FIX.4.4|9=99999999|", "8=FIX.4.4|9=|", "8=FIX.4.4|35=0|"] {
            let bad = Array(head.replacingOccurrences("|", SOH).utf8)
            #expect(parseAll(bad + next) == [.garbled(discarded: bad.count), .message(length: next.count), .needMoreData], "\(head)")
        }
    }

    @Test func aWrongBeginStringIsGarbage() {
        let next = framed("35=0|" + testHeaderFields)
        let fix42 = Array(text(framed("35=0|" + testHeaderFields)).replacingOccurrences("|", SOH).utf8).map { $0 }
        var bad = fix42
        bad[8] = UInt8(ascii: "2")  // 8=FIX.4.2
        #expect(parseAll(bad + next) == [.garbled(discarded: bad.count), .message(length: next.count), .needMoreData])
    }

    @Test func garbageBetweenMessagesIsSkippedAndCounted() {
        let a = framed("35=0|" + testHeaderFields)
        let b = framed(ok)
        let junk = Array("hello 8=FIX 8=FIX.4.4 \u{01}\u{01}9=".utf8)
        let parser = FIXParser()
        let results = parseAll(junk + a + [0, 0xFF, 0x38] + b + Array("8=FIX.4".utf8), parser: parser)
        #expect(results == [.garbled(discarded: junk.count), .message(length: a.count), .garbled(discarded: 3),
                            .message(length: b.count), .needMoreData])
        #expect(parser.counters.garbled == 2 && parser.counters.discardedBytes == UInt64(junk.count + 3))
        #expect(parser.counters.messages == 2)
    }

    @Test func requiredTagsMissingAreRejectedWithTheTag() {
        let cases: [(String, Int)] = [
            ("35=D|49=Q|56=E|34=7|52=20231114-22:13:20.123|55=AAPL|54=1|60=20231114-22:13:20.123|38=100|40=1|", 11),
            ("35=D|49=Q|56=E|34=7|52=20231114-22:13:20.123|11=1|55=AAPL|54=1|60=20231114-22:13:20.123|38=100|40=2|", 44),
            ("35=D|56=E|34=7|52=20231114-22:13:20.123|11=1|55=AAPL|54=1|60=20231114-22:13:20.123|38=100|40=1|", 49),
            ("35=0|49=Q|56=E|52=20231114-22:13:20.123|", 34),
            ("35=0|49=Q|56=E|34=7|", 52),
            ("35=0|49=Q|56=E|34=7|52=20231114-22:13:20.123|43=Y|", 122),
            ("35=A|49=Q|56=E|34=1|52=20231114-22:13:20.123|98=0|", 108),
            ("35=1|49=Q|56=E|34=1|52=20231114-22:13:20.123|", 112),
            ("35=2|49=Q|56=E|34=1|52=20231114-22:13:20.123|7=1|", 16),
            ("35=3|49=Q|56=E|34=1|52=20231114-22:13:20.123|58=x|", 45),
            ("35=4|49=Q|56=E|34=1|52=20231114-22:13:20.123|123=Y|", 36),
            ("35=8|49=Q|56=E|34=1|52=20231114-22:13:20.123|37=1|17=1|150=F|39=1|55=A|54=1|151=1|14=1|6=1|31=1|", 32),
            ("35=8|49=Q|56=E|34=1|52=20231114-22:13:20.123|37=1|17=1|150=0|39=0|55=A|54=1|151=1|14=0|", 6),
            ("35=9|49=Q|56=E|34=1|52=20231114-22:13:20.123|37=1|11=2|41=1|39=0|", 434),
            ("35=F|49=Q|56=E|34=1|52=20231114-22:13:20.123|11=2|55=A|54=1|60=20231114-22:13:20.123|", 41),
            ("35=G|49=Q|56=E|34=1|52=20231114-22:13:20.123|41=1|11=2|55=A|54=1|60=20231114-22:13:20.123|40=1|", 38),
            // OrderStatusRequest: ClOrdID, Symbol (the Instrument component) and Side are required.
            ("35=H|49=Q|56=E|34=1|52=20231114-22:13:20.123|37=9|55=A|54=1|", 11),
            ("35=H|49=Q|56=E|34=1|52=20231114-22:13:20.123|11=2|54=2|", 55),
            ("35=H|49=Q|56=E|34=1|52=20231114-22:13:20.123|11=2|55=A|", 54),
        ]
        for (fields, tag) in cases {
            let r = rejection(framed(fields))
            #expect(r?.reason == .requiredTagMissing && r?.refTagID == tag, "\(fields)")
        }
        let r = rejection(framed(cases[0].0))
        #expect(r == FIXRejection(reason: .requiredTagMissing, refTagID: 11, refMsgType: "D", refSeqNum: 7))
    }

    @Test func orderStatusRequestAndItsAnswerHaveTheFIX44Fields() {
        let h = encoded(FIXOrderStatusRequest(clOrdID: "77", symbol: "MSFT", side: .sell))
        #expect(text(h) == text(framed("35=H|" + testHeaderFields + "11=77|55=MSFT|54=2|")))
        let unknown = allMessageSamples.last as! FIXExecutionReport
        #expect(text(encoded(unknown)).contains("|150=I|39=8|55=MSFT|54=2|151=0|14=0|6=0|103=5|58=unknown order|"))
        #expect(roundTrip(unknown, header()).0?.ordRejReason == 5)
    }

    @Test func badValuesAndFormatsAreRejectedWithReasonAndTag() {
        let h = "49=Q|56=E|34=9|52=20231114-22:13:20.123|"
        let cases: [(String, FIXSessionRejectReason, Int)] = [
            ("35=D|" + h + "11=1|55=A|54=9|60=20231114-22:13:20.123|38=1|40=1|", .valueIncorrect, 54),
            ("35=D|" + h + "11=1|55=A|54=1|60=20231114-22:13:20.123|38=1|40=7|", .valueIncorrect, 40),
            ("35=D|" + h + "11=1|55=A|54=1|60=20231114-22:13:20.123|38=1x|40=1|", .incorrectDataFormat, 38),
            ("35=D|" + h + "11=1|55=A|54=1|60=20231114-22:13:20.123|38=1.5|40=1|", .valueIncorrect, 38),
            ("35=D|" + h + "11=1|55=A|54=1|60=20231114-22:13:20.123|38=10|40=2|44=-1|", .valueIncorrect, 44),
            ("35=D|" + h + "11=1|55=A|54=1|60=20231114-22:13:20.123|38=10|40=2|44=1.23456|", .valueIncorrect, 44),
            ("35=D|" + h + "11=1|55=A|54=1|60=20231114-22:13:20.123|38=10|40=2|44=1.2.3|", .incorrectDataFormat, 44),
            ("35=D|" + h + "11=1|55=A|54=1|60=20231114-22:13:20.123|38=10|40=2|44=.|", .incorrectDataFormat, 44),
            ("35=D|" + h + "11=1|55=A|54=1|60=20231114-22:13:20.123|38=99999999999|40=1|", .valueIncorrect, 38),
            ("35=D|" + h + "11=1|55=A|54=1|60=2023-11-14|38=1|40=1|", .incorrectDataFormat, 60),
            ("35=D|" + h + "11=" + String(repeating: "x", count: 33) + "|55=A|54=1|60=20231114-22:13:20.123|38=1|40=1|",
             .valueIncorrect, 11),
            ("35=A|" + h + "98=0|108=thirty|", .incorrectDataFormat, 108),
            ("35=A|" + h + "98=0|108=30|141=X|", .valueIncorrect, 141),
            ("35=0|49=Q|56=E|34=abc|52=20231114-22:13:20.123|", .incorrectDataFormat, 34),
            ("35=Z|" + h, .invalidMsgType, 35),
            ("35=AE|" + h, .invalidMsgType, 35),
            ("35=0|" + h + "58=|", .tagSpecifiedWithoutValue, 58),
            ("35=0|" + h + "9999=|", .tagSpecifiedWithoutValue, 9999),
            ("35=0|" + h + "56=E|", .tagAppearsMoreThanOnce, 56),
            ("35=0|" + h + "abc=1|", .invalidTagNumber, 0),
            ("35=0|" + h + "0=1|", .invalidTagNumber, 0),
            ("35=0|" + h + "=1|", .invalidTagNumber, 0),
            ("35=0|" + h + "58|", .invalidTagNumber, 58),
            ("49=Q|35=0|56=E|34=9|52=20231114-22:13:20.123|", .tagOutOfRequiredOrder, 35),
        ]
        for (fields, reason, tag) in cases {
            let r = rejection(framed(fields))
            #expect(r?.reason == reason && r?.refTagID == tag, "\(fields) → \(String(describing: r))")
        }
        // The Reject can still quote MsgSeqNum when it comes after the offending field, and
        // an unknown MsgType as received.
        #expect(rejection(framed("35=0|49=Q|58=|56=E|34=41|52=20231114-22:13:20.123|"))?.refSeqNum == 41)
        #expect(rejection(framed("35=QQ|" + h))?.refMsgType == "QQ")
        #expect(rejection(framed("35=0|49=Q|56=E|34=9|43=Y|52=20231114-22:13:20.123|"))?.possDupFlag == true)
    }

    @Test func invalidMessagesAreCountedAndTheStreamContinues() {
        let parser = FIXParser()
        let bad = framed("35=Z|" + testHeaderFields)
        let good = framed(ok)
        let results = parseAll(bad + good + bad, parser: parser)
        #expect(results.count == 4)
        #expect(results[1] == .message(length: good.count))
        #expect(parser.counters.invalid == 2 && parser.counters.messages == 1 && parser.counters.garbled == 0)
    }

    @Test func messagesSplitAtEveryByteBoundaryParseTheSame() {
        let stream = encoded(FIXLogon(heartBtInt: 30)) + Array("junk".utf8)
            + encoded(allMessageSamples[17] as! FIXExecutionReport) + framed("35=Z|" + testHeaderFields)
            + encoded(FIXHeartbeat(testReqID: "x"))
        let whole = parseAll(stream)
        #expect(whole.count == 6)
        // Feed the stream as a socket would: what has arrived so far, minus what was consumed.
        for split in 1..<stream.count {
            let parser = FIXParser()
            var pending: [UInt8] = []
            var results: [FIXParseResult] = []
            for chunk in [stream[0..<split], stream[split...]] {
                pending += chunk
                loop: while true {
                    let r = pending.withUnsafeBytes { parser.parse($0) }
                    switch r {
                    case .needMoreData: break loop
                    case .message(let n), .invalid(let n, _), .garbled(let n):
                        results.append(r)
                        pending.removeFirst(n)
                    }
                }
            }
            // A split inside "junk" can only cut the garbage run in two.
            let merged = results.reduce(into: [FIXParseResult]()) { acc, r in
                if case .garbled(let b) = r, case .garbled(let a)? = acc.last { acc[acc.count - 1] = .garbled(discarded: a + b) }
                else { acc.append(r) }
            }
            #expect(merged == Array(whole.dropLast()), "split at \(split)")
            #expect(pending.isEmpty)
        }
    }
}
