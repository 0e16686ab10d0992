import Testing
import QuorumBook
import QuorumWire
@testable import QuorumMarketTools

#if canImport(Glibc)
import Glibc
#endif

func temporaryPath(_ name: String) -> String { "/tmp/quorum-test-\(getpid())-\(name)" }

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let out = try OutputFile(path: path)
    try out.write(bytes)
    try out.close()
}

@Suite struct ITCHToolsTests {
    @Test func generatedDaysAreDeterministicBySeedAndCleanForTheBook() throws {
        let options = SyntheticDay.Options(symbols: 8, messages: 60_000, seed: 7)
        let a = SyntheticDay.bytes(options: options)
        let b = SyntheticDay.bytes(options: options)
        let c = SyntheticDay.bytes(options: .init(symbols: 8, messages: 60_000, seed: 8))
        #expect(a == b)
        #expect(a != c)
        let path = temporaryPath("day.itch")
        defer { unlink(path) }
        try writeFile(path, a)
        let report = try ITCHFileTools.stats(path: path, progress: false)
        #expect(report.messages == 60_000)
        #expect(report.decodeErrors == 0)
        #expect(report.counters.anomalies == 0, "\(report.render())")
        #expect(report.symbols.count == 8)
        let t = report.countsByType
        let adds = t[Int(UInt8(ascii: "A"))] + t[Int(UInt8(ascii: "F"))]
        #expect(adds > 20_000)
        for type in "ADXECUPFR".unicodeScalars { #expect(t[Int(UInt8(ascii: type))] > 0, "no \(type)") }
        #expect(report.liveOrders > 0)
        // The generator writes the same bytes through the file path.
        let path2 = temporaryPath("day2.itch")
        defer { unlink(path2) }
        try SyntheticDay.write(options: options, to: path2, progress: false)
        let file = try MappedFile(path: path2)
        #expect(Array(file.bytes) == a)
    }

    @Test func generatedBooksLookLikeBooks() throws {
        var day = SyntheticDay(options: .init(symbols: 3, messages: 100_000, seed: 11))
        var manager = BookManager(config: BookConfig())
        var ev = IgnoreBookEvents()
        var seq: UInt64 = 0
        while let m = day.next() {
            manager.apply(m, sequence: seq, &ev)
            seq += 1
        }
        for s in manager.symbols {
            manager.withBook(s.locate) { book in
                #expect(book.checkInvariants() == nil)
                let crossed = book.isCrossed
                #expect(!crossed)
                #expect(book.levelCount(.buy) > 5 && book.levelCount(.sell) > 5)
                let spread = book.bestAsk.price.rawValue - book.bestBid.price.rawValue
                #expect(spread >= 100 && spread < 100 * 50, "spread \(spread)")
            }
        }
    }

    @Test func malformedDayFilesAreCountedWithByteOffsets() throws {
        var bytes = SyntheticDay.bytes(options: .init(symbols: 2, messages: 1000, seed: 3))
        // Corrupt the type byte of the message at offset 2 frames in, and truncate the tail.
        var offset = 0
        for _ in 0..<10 { offset += 2 + (Int(bytes[offset]) << 8 | Int(bytes[offset + 1])) }
        bytes[offset + 2] = UInt8(ascii: "z")
        bytes.removeLast(5)
        let path = temporaryPath("bad.itch")
        defer { unlink(path) }
        try writeFile(path, bytes)
        let report = try ITCHFileTools.stats(path: path, progress: false)
        #expect(report.decodeErrors == 2)
        #expect(report.firstDecodeError == .unknownType(offset: offset + 2, type: UInt8(ascii: "z")))
        #expect(report.messages == 998)
        // The lost add/delete leave references unknown to the book; they are counted, not fatal.
        #expect(report.render().contains("decode errors   2"))
    }

    @Test func lobsterToITCHReplaysToTheSameBookAsTheLobsterReplayer() throws {
        let messages = try Lobster.readMessages(path: Sample.messages)
        let rows = try Lobster.readBook(path: Sample.orderbook, levels: 10)
        let seed = LobsterReplayer.rowBefore(first: messages[0], after: rows[0])
        var itch: [ITCHMessage] = []
        let summary = try LobsterToITCH.convert(messages, symbol: "AAPL", seed: seed) { (m: ITCHMessage) throws(MarketToolError) in itch.append(m) }
        #expect(summary.messagesOut == itch.count)
        var manager = BookManager(config: BookConfig(ordersPerSymbol: 4096, levelsPerSide: 512, maxSymbols: 2))
        var ev = IgnoreBookEvents()
        for (i, m) in itch.enumerated() { manager.apply(m, sequence: UInt64(i), &ev) }
        var replayer = LobsterReplayer()
        replayer.seed(seed)
        for m in messages { replayer.apply(m, &ev) }
        let expected = replayer.snapshot(levels: 30)
        let locate = manager.locate(of: Stock("AAPL"))!
        manager.withBook(locate) { book in
            for i in 0..<30 {
                #expect(book.level(.sell, i).map { Int64($0.qty) } ?? 0 == expected.asks[i].size)
                #expect(book.level(.buy, i).map { Int64($0.qty) } ?? 0 == expected.bids[i].size)
            }
        }
        #expect(manager.counters.anomalies == UInt64(summary.unmatched))
    }

    @Test func depthAtATimeStopsAtThatTime() throws {
        let bytes = SyntheticDay.bytes(options: .init(symbols: 2, messages: 5000, seed: 5))
        let path = temporaryPath("depth.itch")
        defer { unlink(path) }
        try writeFile(path, bytes)
        let report = try ITCHFileTools.stats(path: path, progress: false)
        let name = report.symbols[0].stock.description
        let early = try ITCHFileTools.depth(path: path, symbol: name, at: Timestamp(parsing: "09:30:00.000")!, progress: false)
        #expect(early.contains("(empty book)"))
        let late = try ITCHFileTools.depth(path: path, symbol: name, at: nil, levels: 3, progress: false)
        #expect(late.contains(" | "))
        #expect(throws: MarketToolError.self) {
            try ITCHFileTools.depth(path: path, symbol: "NOPE", at: nil, progress: false)
        }
    }
}
