import Testing
import QuorumBook
import QuorumWire
@testable import QuorumMarketTools

#if canImport(Glibc)
import Glibc
#endif

/// Every best bid/offer change with the timestamp of the message that caused it, recorded
/// the slow way (decoded enum, `apply(_:)`, header from the decoded message).
struct ReferenceBBOLog: OrderBookEvents {
    var rows: [BBORow] = []
    var sequence: UInt64 = 0
    var timestamp: UInt64 = 0
    mutating func bestChanged(_ locate: StockLocate, bid: BookQuote, ask: BookQuote) {
        rows.append(BBORow(sequence: sequence, timestamp: timestamp, bidQty: bid.qty, askQty: ask.qty,
                           locate: locate.rawValue, bidPrice: bid.price.rawValue, askPrice: ask.price.rawValue))
    }
}

@Suite struct DayFileToolsTests {
    /// `quorum itch bbo`'s rows (bytes path, prefetching reader, timestamp read only on a
    /// change) are exactly the rows of a plain decode-and-apply replay, sequence and
    /// timestamp included, also with malformed frames in the file.
    @Test func bboChangesMatchAPlainReplay() throws {
        var day = SyntheticDay.bytes(options: .init(symbols: 6, messages: 40_000, seed: 21))
        // A frame with an unknown type and one with a short add, both skipped by both.
        day += [0, 5, UInt8(ascii: "z"), 1, 2, 3, 4]
        day += [0, 20, UInt8(ascii: "A")] + [UInt8](repeating: 1, count: 19)
        let path = temporaryPath("bbo.itch")
        defer { unlink(path) }
        try writeFile(path, day)
        let config = SyntheticDay.Options(symbols: 6, messages: 0, seed: 21).bookConfig
        let result = try ITCHFileTools.bboChanges(path: path, config: config)

        var manager = BookManager(config: config)
        var log = ReferenceBBOLog()
        var messages = 0
        var errors = 0
        day.withUnsafeBytes { raw in
            var reader = ITCHDayFile.Reader(raw)
            while let frame = try? reader.next() {
                if let m = try? ITCHMessage.decode(frame.bytes) {
                    log.sequence = UInt64(messages)
                    log.timestamp = m.header.timestamp.rawValue
                    manager.apply(m, sequence: UInt64(frame.offset), &log)
                } else {
                    errors += 1
                }
                messages += 1
            }
        }
        #expect(result.messages == 40_002 && messages == 40_002)
        #expect(result.decodeErrors == 2 && errors == 2)
        #expect(result.rows.count > 1000)
        #expect(result.rows == log.rows)
        #expect(result.counters == manager.counters)
    }

    /// The views pass counts what the decoder accepts, type by type, and reports the first
    /// malformed message at its byte offset in the file.
    @Test func decodeViewsCountsWhatTheDecoderAccepts() throws {
        var day = SyntheticDay.bytes(options: .init(symbols: 3, messages: 5_000, seed: 4))
        let badOffset = day.count
        day += [0, 3, UInt8(ascii: "D"), 0, 0]  // a D is 19 bytes
        day += [0, 1, 0x00]  // no such type
        day += [0, 12, UInt8(ascii: "S")] + [UInt8](repeating: 0, count: 11)
        let path = temporaryPath("views.itch")
        defer { unlink(path) }
        try writeFile(path, day)
        let r = try ITCHFileTools.decodeViews(path: path)

        var counts = [Int](repeating: 0, count: 256)
        var checksum: UInt64 = 0
        var accepted = 0
        day.withUnsafeBytes { raw in
            var reader = ITCHDayFile.Reader(raw)
            while let frame = try? reader.next() {
                guard let m = try? ITCHMessage.decode(frame.bytes) else { continue }
                counts[Int(m.messageType)] += 1
                checksum &+= UInt64(m.messageType) &+ UInt64(m.header.stockLocate.rawValue)
                accepted += 1
            }
        }
        #expect(r.messages == 5_001 && accepted == 5_001)
        #expect(r.errors == 2)
        #expect(r.firstError == .truncated(offset: badOffset + 2, needed: 19, available: 3))
        #expect(r.countsByType == counts)
        #expect(r.checksum == checksum)
        #expect(r.seconds >= 0)
    }

    @Test func decodeViewsNamesAMissingFile() {
        #expect(throws: MarketToolError.self) { try ITCHFileTools.decodeViews(path: "/nonexistent/day.itch") }
    }
}
