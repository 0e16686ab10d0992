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

    /// Split over threads by symbol, the replay gives the single thread's rows, counts and
    /// anomalies exactly — with malformed frames, a frame too short to name a symbol, a
    /// delete for an unknown reference, an execution under an unknown locate, and three
    /// endings of the file.
    @Test func bboChangesOnSeveralThreadsEqualOneThread() throws {
        var day = SyntheticDay.bytes(options: .init(symbols: 7, messages: 60_000, seed: 5))
        day += [0, 5, UInt8(ascii: "z"), 0, 3, 3, 4]  // unknown type, locate 3
        day += [0, 2, UInt8(ascii: "D"), 0]  // too short to name a locate
        day += [0, 20, UInt8(ascii: "A")] + [UInt8](repeating: 1, count: 19)  // short add
        // A delete (19 bytes) and an execution (31 bytes) for references no add made, under
        // locates 2 and 900.
        var d = [UInt8](repeating: 0, count: 19)
        d[0] = UInt8(ascii: "D"); d[2] = 2; d[18] = 77
        day += [0, 19] + d
        var e = [UInt8](repeating: 0, count: 31)
        e[0] = UInt8(ascii: "E"); e[1] = 3; e[2] = 0x84; e[18] = 1; e[22] = 10
        day += [0, 31] + e
        // Three endings: a frame running past the end, a lone byte, a clean end.
        for (tail, tailErrors) in [([UInt8(0), 40, UInt8(ascii: "A"), 0], 1), ([7], 1), ([], 0)] {
            let path = temporaryPath("bbo-threads.itch")
            defer { unlink(path) }
            try writeFile(path, day + tail)
            let config = SyntheticDay.Options(symbols: 7, messages: 0, seed: 5).bookConfig
            let one = try ITCHFileTools.bboChanges(path: path, config: config)
            #expect(one.rows.count > 1000 && one.decodeErrors == 3 + tailErrors && one.counters.unknownOrderRef >= 1)
            #expect(one.counters.unknownLocate >= 1)
            for threads in [2, 3] {
                let many = try ITCHFileTools.bboChanges(path: path, config: config, threads: threads)
                #expect(many.messages == one.messages, "threads \(threads)")
                #expect(many.decodeErrors == one.decodeErrors, "threads \(threads)")
                #expect(many.counters == one.counters, "threads \(threads)")
                #expect(many.rows == one.rows, "threads \(threads)")
            }
        }
    }

    /// Two shards' rows merge into feed order, small and large, interleaved or with one
    /// shard's rows all before the other's, whichever comes first in the list.
    @Test func twoShardsRowsMergeIntoFeedOrder() {
        var rng = SplitMix64(seed: 3)
        func row(_ seq: UInt64) -> BBORow {
            BBORow(sequence: seq, timestamp: seq &* 7, bidQty: seq % 900, askQty: seq % 700, locate: UInt16(seq % 50),
                   bidPrice: UInt32(seq % 10_000), askPrice: UInt32(seq % 10_000 + 1))
        }
        for (count, disjoint) in [(1_000, false), (300_000, false), (300_000, true)] {
            var a: [BBORow] = [], b: [BBORow] = []
            for seq in 0..<UInt64(2 * count) {
                if disjoint ? seq < UInt64(count) : rng.next() & 1 == 0 { a.append(row(seq)) } else { b.append(row(seq)) }
            }
            let merged = ITCHFileTools._mergeBySequence([a, b])
            let swapped = ITCHFileTools._mergeBySequence([b, a])
            #expect(merged.count == 2 * count && merged.map(\.sequence) == Array(0..<UInt64(2 * count)), "\(count)")
            #expect(merged == (a + b).sorted { $0.sequence < $1.sequence } && swapped == merged, "\(count)")
            // Two threads each merge a part, cut anywhere (the ends, the middle, off the middle):
            // the parts put side by side are the whole merge.
            for cut in [0, 1, count / 3, count, 2 * count - 1, 2 * count] {
                var parts = [BBORow](repeating: row(.max), count: 2 * count)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        parts.withUnsafeMutableBufferPointer { out in
                            ITCHFileTools._mergeRows(a, b, from: cut, count: 2 * count - cut,
                                                     into: UnsafeMutableBufferPointer(rebasing: out[cut...]))
                            ITCHFileTools._mergeRows(a, b, from: 0, count: cut,
                                                     into: UnsafeMutableBufferPointer(rebasing: out[..<cut]))
                        }
                    }
                }
                #expect(parts == merged, "\(count) cut at \(cut)")
            }
        }
    }

    /// The split keeps every locate of one symbol together and balances messages.
    @Test func locateShardsBalanceMessagesOverShards() {
        let day = SyntheticDay.bytes(options: .init(symbols: 9, messages: 30_000, seed: 8))
        var perLocate: [UInt16: Int] = [:]
        day.withUnsafeBytes { raw in
            var reader = ITCHDayFile.Reader(raw)
            while let f = try? reader.next() {
                guard f.bytes.count >= 3 else { continue }
                perLocate[UInt16(f.bytes[1]) << 8 | UInt16(f.bytes[2]), default: 0] += 1
            }
        }
        let shards = day.withUnsafeBytes { LocateShards.balanced($0, shards: 2) }
        #expect(shards.count == 2)
        var load = [0, 0]
        for (locate, n) in perLocate { load[shards.shard(of: locate)] += n }
        #expect(load[0] > 0 && load[1] > 0)
        // Greedy by size: the two loads differ by at most the busiest symbol's messages.
        let busiest = perLocate.filter { $0.key != 0 }.map(\.value).max() ?? 0
        #expect(abs(load[0] - load[1]) <= busiest)
        #expect(shards.shard(of: 0) == 0)
        let single = day.withUnsafeBytes { LocateShards.balanced($0, shards: 1) }
        #expect(perLocate.keys.allSatisfy { single.shard(of: $0) == 0 })
        // From a sample: the locates seen are balanced the same way; the others take turns.
        let sampled = day.withUnsafeBytes { LocateShards.balanced($0, shards: 3, sample: 100) }
        #expect(sampled.shard(of: 0) == 0 && sampled.shard(of: 60_001) == 60_001 % 3)
        #expect(Set(perLocate.keys.filter { $0 != 0 }.map { sampled.shard(of: $0) }).count > 1)
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
