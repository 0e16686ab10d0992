import Testing
@testable import QuorumWire

// The codec's fast paths (eight-byte tag/value scans, word-at-a-time digits, cached dates,
// SIMD checksum) must give exactly what the plain rules give: every spelling the full
// validator accepts decodes to the same number, every spelling it refuses is refused for the
// same reason, whichever path sees it first.

/// An ExecutionReport (trade) with `field` appended or substituted: `extra` is appended
/// after the required fields, which carry values chosen to be on the fast path.
private func report(lastPx: String = "191.23", lastQty: String = "100", seq: String = "7",
                    time: String = "20231114-22:13:20.123", side: String = "1", orderID: String = "O-1",
                    extra: String = "") -> [UInt8] {
    framed("35=8|49=EXCH|56=QUORUM|34=\(seq)|52=\(time)|37=\(orderID)|17=E-1|150=F|39=1|55=AAPL|54=\(side)|"
        + "32=\(lastQty)|31=\(lastPx)|151=0|14=100|6=191.23|" + extra)
}

/// Parses one message: its report, or the rejection.
private func decode(_ bytes: [UInt8], parser: FIXParser = FIXParser()) -> (FIXExecutionReport?, FIXRejection?, UInt64?) {
    bytes.withUnsafeBytes { raw in
        switch parser.parse(raw) {
        case .message(let n) where n == bytes.count:
            return (FIXExecutionReport(parser.message), nil, parser.message.sendingTime)
        case .invalid(let n, let r) where n == bytes.count:
            return (nil, r, nil)
        default:
            return (nil, nil, nil)
        }
    }
}

@Suite struct FIXFastPathTests {
    @Test func everyAcceptedPriceSpellingDecodesToTheSameValue() {
        let cases: [(String, UInt32)] = [
            ("10", 100_000), ("10.5", 105_000), ("10.25", 102_500), ("10.125", 101_250), ("10.1234", 101_234),
            ("0.0001", 1), ("0", 0), ("0010.50", 105_000), ("1234.5678", 12_345_678),
            ("10.12500", 101_250), ("12.", 120_000), (".5", 5_000), ("429496.7295", 4_294_967_295),
            ("123456.78900", 1_234_567_890),
        ]
        for (spelling, raw) in cases {
            let (r, rej, _) = decode(report(lastPx: spelling))
            #expect(rej == nil, "\(spelling)")
            #expect(r?.lastPx == Price(raw), "\(spelling)")
        }
        // 1 234 567 × 10 000 does not fit in UInt32: too large, not malformed.
        let (_, big, _) = decode(report(lastPx: "1234567"))
        #expect(big?.reason == .valueIncorrect && big?.refTagID == 31)
    }

    @Test func refusedPriceSpellingsGiveTheFullValidatorsReason() {
        let cases: [(String, FIXSessionRejectReason)] = [
            ("429496.7296", .valueIncorrect), ("1.23456", .valueIncorrect), ("-1", .valueIncorrect),
            ("1e3", .incorrectDataFormat), ("1.2.3", .incorrectDataFormat), ("1,5", .incorrectDataFormat),
            (".", .incorrectDataFormat), ("12345678901234", .valueIncorrect), ("1.x", .incorrectDataFormat),
        ]
        for (spelling, reason) in cases {
            let (r, rej, _) = decode(report(lastPx: spelling))
            #expect(r == nil, "\(spelling)")
            #expect(rej?.reason == reason && rej?.refTagID == 31, "\(spelling) \(String(describing: rej))")
        }
    }

    @Test func quantitiesAndIntegersOfEveryLengthDecode() {
        for q: UInt32 in [0, 1, 9, 10, 99, 100, 12_345_678, 99_999_999, 100_000_000, 123_456_789, 4_294_967_295] {
            let (r, rej, _) = decode(report(lastQty: String(q)))
            #expect(rej == nil && r?.lastQty == Qty(q), "\(q)")
        }
        // Leading zeros and a zero fraction are still the same quantity.
        for (spelling, q) in [("00100", UInt32(100)), ("000000100", 100), ("100.0", 100), ("100.000", 100)] {
            let (r, rej, _) = decode(report(lastQty: spelling))
            #expect(rej == nil && r?.lastQty == Qty(q), "\(spelling)")
        }
        for (spelling, reason) in [("4294967296", FIXSessionRejectReason.valueIncorrect), ("100.5", .valueIncorrect),
                                   ("1x", .incorrectDataFormat), ("12345678x", .incorrectDataFormat),
                                   ("x", .incorrectDataFormat), (" 1", .incorrectDataFormat)] {
            let (_, rej, _) = decode(report(lastQty: spelling))
            #expect(rej?.reason == reason && rej?.refTagID == 32, "\(spelling)")
        }
        // MsgSeqNum (an integer field) around the eight-digit word.
        let parser = FIXParser()
        for seq: UInt64 in [1, 12_345_678, 123_456_789, 999_999_999_999_999_999] {
            let bytes = report(seq: String(seq))
            bytes.withUnsafeBytes { raw in
                #expect(parser.parse(raw) == .message(length: bytes.count))
                #expect(parser.message.msgSeqNum == seq)
            }
        }
        let (_, rej, _) = decode(report(seq: "1234567890123456789"))  // 19 digits
        #expect(rej?.reason == .valueIncorrect && rej?.refTagID == 34)
        let (_, rej2, _) = decode(report(seq: "12a"))
        #expect(rej2?.reason == .incorrectDataFormat && rej2?.refTagID == 34)
    }

    @Test func timesThroughTheDateCacheMatchTheFullParser() {
        let parser = FIXParser()
        let times = ["20231114-22:13:20.123", "20231114-22:13:21.000", "20231115-00:00:00.000",
                     "20231114-23:59:60.999", "20240229-12:00:00.001", "20231114-22:13:20", "20231114-22:13:20.123456"]
        for t in times {
            let expected = Array(t.utf8).withUnsafeBytes { FIXTime.parse($0) }
            #expect(expected != nil)
            let (_, rej, sendingTime) = decode(report(time: t), parser: parser)
            #expect(rej == nil && sendingTime == expected, "\(t)")
        }
        // A cached good date followed by a bad time of day, and bad dates after good ones.
        for bad in ["20231114-24:00:00.000", "20231114-22:60:00.000", "20231114-22:13:61.000", "20231114-22:13:20.12x",
                    "20231114 22:13:20.123", "20231314-22:13:20.123", "20230229-22:13:20.123", "2023111x-22:13:20.123",
                    "20231114-22:13:20.1234"] {
            _ = decode(report(), parser: parser)  // prime the date cache
            let (_, rej, _) = decode(report(time: bad), parser: parser)
            #expect(rej?.reason == .incorrectDataFormat && rej?.refTagID == 52, "\(bad)")
        }
    }

    @Test func enumsStringsAndTagsAtTheirLimits() {
        for (side, ok) in [("1", true), ("2", true), ("5", true), ("3", false), ("0", false), ("A", false)] {
            let (r, rej, _) = decode(report(side: side))
            if ok { #expect(r?.side == FIXSide(rawValue: Array(side.utf8)[0]), "\(side)") }
            else { #expect(rej?.reason == .valueIncorrect && rej?.refTagID == 54, "\(side)") }
        }
        let (_, twoBytes, _) = decode(report(side: "12"))
        #expect(twoBytes?.reason == .incorrectDataFormat && twoBytes?.refTagID == 54)
        // A byte ≥ 128 as Side: framed here by hand, since a String would spell it in UTF-8.
        var body = Array(text(report()).utf8)
        body = Array(body[16..<(body.count - 7)]).map { $0 == UInt8(ascii: "|") ? 1 : $0 }  // after "9=NNN|"
        let side = (0..<(body.count - 3)).first { body[$0] == 1 && body[$0 + 1] == 0x35 && body[$0 + 2] == 0x34 }! + 4
        body[side] = 0xB1
        var high = Array("8=FIX.4.4\u{01}9=\(body.count)\u{01}".utf8) + body
        let sum = high.reduce(0) { ($0 + Int($1)) % 256 }
        high += Array("10=\(sum < 10 ? "00" : sum < 100 ? "0" : "")\(sum)\u{01}".utf8)
        let (_, rejHigh, _) = decode(high)
        #expect(rejHigh?.reason == .valueIncorrect && rejHigh?.refTagID == 54)

        let id32 = String(repeating: "z", count: 32)
        #expect(decode(report(orderID: id32)).0?.orderID == FIXString(id32))
        let (_, long, _) = decode(report(orderID: id32 + "z"))
        #expect(long?.reason == .valueIncorrect && long?.refTagID == 37)
        // Strings near the end of the message are read without running past it.
        let (tail, _, _) = decode(report(extra: "58=end"  + "|"))
        #expect(tail?.text == "end")
        // Unknown tags of every length are skipped; a tag with a leading zero is still its tag.
        let (r, rej, _) = decode(report(extra: "1=a|21=b|333=c|4444=d|55555=e|0058=hi|"))
        #expect(rej == nil && r?.text == "hi")
        for bad in ["=x|", "5a=x|", "58=|", "x=1|"] {
            let (_, rej, _) = decode(report(extra: bad))
            #expect(rej != nil, "\(bad)")
        }
        let (_, dup, _) = decode(report(extra: "31=1|"))
        #expect(dup?.reason == .tagAppearsMoreThanOnce && dup?.refTagID == 31)
    }

    @Test func oneParserAcrossChangingFieldOrdersGivesTheSameResultsAsFreshParsers() {
        // The parser predicts each next tag from the order it saw last; orders that change,
        // look-alike tags and unknown tags between known ones must not fool it.
        let head = "35=8|49=EXCH|56=QUORUM|34=9|52=20231114-22:13:20.123|"
        let bodies = [
            "37=O-1|17=E-1|150=F|39=1|55=AAPL|54=1|32=100|31=191.23|151=0|14=100|6=191.23|",
            "37=O-1|17=E-1|150=F|39=1|55=AAPL|54=1|32=100|311=7|31=191.23|151=0|14=100|6=191.23|",
            "17=E-1|37=O-1|39=1|150=F|54=2|55=MSFT|31=10|32=5|14=5|151=0|6=10|58=x|",
            "37=O-1|17=E-1|150=F|39=1|55=AAPL|54=1|32=100|31=191.23|31=191.23|151=0|14=100|6=191.23|",
            "37=O-1|17=E-1|150=F|39=1|55=AAPL|54=1|32=100|3=1|151=0|14=100|6=191.23|",
            "37=O-1|17=E-1|150=F|39=1|55=AAPL|54=1|32=100|31=|151=0|14=100|6=191.23|",
            "37=O-1|17=E-1|150=F|39=1|55=AAPL|54=1|32=100|31=191.23|151=0|14=100|6=191.23|",
            "37=O-1|1=A|17=E-1|21=1|150=F|39=1|55=AAPL|54=1|32=100|31=191.23|151=0|14=100|6=191.23|",
            "37=O-1|17=E-1|150=F|39=1|55=AAPL|54=1|32=100|31=191.23|151=0|14=100|6=191.23|",
        ]
        let shared = FIXParser()
        for _ in 0..<2 {
            for body in bodies {
                let bytes = framed(head + body)
                let (r1, rej1, t1) = decode(bytes, parser: shared)
                let (r2, rej2, t2) = decode(bytes)
                #expect(r1 == r2 && rej1 == rej2 && t1 == t2, "\(body)")
                #expect((r1 == nil) != (rej1 == nil), "\(body)")
            }
        }
        // And what the fresh parser says about them, by hand.
        #expect(decode(framed(head + bodies[2])).0?.symbol == "MSFT")
        #expect(decode(framed(head + bodies[3])).1?.reason == .tagAppearsMoreThanOnce)
        #expect(decode(framed(head + bodies[4])).1?.refTagID == 31)  // tag 3 is skipped; LastPx missing
        #expect(decode(framed(head + bodies[5])).1?.reason == .tagSpecifiedWithoutValue)
        #expect(decode(framed(head + bodies[1])).0?.lastPx == Price(1_912_300))
    }

    @Test func digitsOfEveryLengthAreWritten() {
        var v: UInt64 = 1
        var values: [UInt64] = [0, UInt64.max, UInt64.max - 1]
        for _ in 0..<19 {
            values += [v - 1, v, v + 1, v * 9]
            v *= 10
        }
        values += [v - 1, v]
        for x in values {
            #expect(FIXString(decimal: x).description == String(x), "\(x)")
        }
    }

    @Test func timestampsAcrossDaysAndMillisecondsEncodeExactly() {
        // SendingTime and TransactTime in the same millisecond, different milliseconds, and
        // different days, one after another (the shared date cache sees every change).
        let day: UInt64 = 86_400_000_000_000
        let pairs: [(UInt64, UInt64)] = [(t0, t0), (t0, t0 + 1_000_000), (t0, t0 + day), (t0 + day, t0),
                                         (0, t0), (t0 - day * 400, t0 - day * 400 + 999_999)]
        for (sending, transact) in pairs {
            let order = FIXNewOrderSingle(clOrdID: "1", symbol: "AAPL", side: .buy, transactTime: transact,
                                          orderQty: Qty(1), ordType: .market, price: nil)
            let bytes = encoded(order, header(time: sending))
            func stamp(_ ns: UInt64) -> String {
                // The date by the civil arithmetic directly, independent of any cache.
                let (y, m, d) = FIXTime.civil(fromDays: Int64(ns / day))
                func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
                let ms = ns / 1_000_000 % 1000
                let s = ns / 1_000_000_000 % 86_400
                let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
                return "\(y)\(two(m))\(two(d))-\(two(Int(s / 3600))):\(two(Int(s / 60 % 60))):\(two(Int(s % 60))).\(msText)"
            }
            let expected = "35=D|49=QUORUM|56=EXCH|34=7|52=\(stamp(sending))|11=1|55=AAPL|54=1|60=\(stamp(transact))|38=1|40=1|"
            #expect(text(bytes) == text(framed(expected)), "\(sending) \(transact)")
        }
    }

    @Test func checksumAtEveryLengthAroundTheVectorWidth() {
        var bytes = [UInt8](repeating: 0, count: 300)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 37 &+ 200) }
        for start in 0..<3 {
            for count in 0...80 {
                let expected = UInt8(bytes[start..<(start + count)].reduce(0) { ($0 + Int($1)) % 256 })
                let got = bytes.withUnsafeBytes { _FIXChecksum.sum($0.baseAddress! + start, count: count) }
                #expect(got == expected, "\(start) \(count)")
            }
        }
    }
}
