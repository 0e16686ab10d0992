import Foundation
import QuorumAgents
import QuorumBook
import QuorumJournal
import QuorumWire
import Testing

@testable import QuorumEngine

/// The backtest's and replay's fast paths (market updates straight to the coordinator, no
/// `DeskInput` round trip) and the tick export for other engines.
@Suite("Backtest fast paths: market records, tick export, event counts")
struct BacktestFastPathTests {
    static let feed = TestDay.bytes(symbols: 5, messages: 30_000, seed: 0xD35C)

    static func setup(_ bytes: UnsafeRawBufferPointer) -> BacktestSetup {
        var s = BacktestSetup()
        s.maxSymbols = 4
        s.checkpointEvery = 700
        s.sampleNanos = 50_000_000
        return Backtest.chooseSymbols(s, feed: bytes)
    }

    @Test("the default team trades 20 symbols")
    func defaultSymbols() {
        #expect(BacktestSetup().maxSymbols == 20)
    }

    @Test("the tick export is, row for row, the market updates the coordinator journaled")
    func ticksMatchJournal() throws {
        let dir = tempDirectory("bt-ticks")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (run, export, setup) = try Self.feed.withUnsafeBytes { b in
            let s = Self.setup(b)
            let r = try Backtest(setup: s, journalDirectory: dir).run(feed: b)
            return (r, Backtest.ticks(setup: s, feed: b), s)
        }
        #expect(export.messages == run.messages && run.messages == 30_000)
        #expect(export.ticks.count == run.marketInputs && run.marketInputs > 1_000)
        var journaled: [MarketUpdate] = []
        var undecodable = 0
        try JournalReader(directory: dir).forEach { r in
            if r.type == .coordinatorMarket {
                if let u = try? CoordinatorCodec.decodeMarket(sequence: r.sequence, payload: r.payload) {
                    journaled.append(u)
                } else {
                    undecodable += 1
                }
            }
            return true
        }
        #expect(undecodable == 0)
        #expect(journaled.count == export.ticks.count)
        var trades = 0
        for (t, u) in zip(export.ticks, journaled) {
            #expect(setup.locates.contains(t.locate))
            #expect(t.locate == u.locate.rawValue && t.timestamp == u.exchangeTime.rawValue)
            #expect(t.bidPrice == u.bestBid.price.rawValue && t.bidQty == u.bestBid.qty)
            #expect(t.askPrice == u.bestAsk.price.rawValue && t.askQty == u.bestAsk.qty)
            #expect(t.changes == u.changes.rawValue)
            if u.changes.contains(.trade) {
                trades += 1
                #expect(t.tradePrice == u.lastTrade.price.rawValue && t.tradeQty == u.lastTrade.qty && t.tradeQty > 0)
                #expect(t.aggressor == (u.lastTrade.restingSide == .sell ? 1 : 2))
            } else {
                #expect(t.tradePrice == 0 && t.tradeQty == 0 && t.aggressor == 0)
            }
        }
        #expect(trades > 0, "the test day prints trades")
        #expect(MemoryLayout<BacktestTick>.stride == 48)
    }

    @Test("market events are feed messages; desk inputs are everything the coordinator sequenced")
    func counts() throws {
        let run = try Self.feed.withUnsafeBytes { b in try Backtest(setup: Self.setup(b), journalDirectory: nil).run(feed: b) }
        #expect(run.messages == 30_000)
        #expect(run.deskInputs == run.report.inputs)
        #expect(run.deskInputs > run.marketInputs, "fills and closures are inputs too")
        #expect(run.seconds > 0)
        #expect(run.eventsPerSecond == Double(run.messages) / run.seconds)
        #expect(run.deskInputsPerSecond == Double(run.deskInputs) / run.seconds)
    }

    @Test("encode(market:) writes what encode(.market) writes, and decodeMarket reads it back")
    func marketCodecRoundTrip() throws {
        let updates = try Self.feed.withUnsafeBytes { b -> [MarketUpdate] in
            let dir = tempDirectory("bt-codec")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            _ = try Backtest(setup: Self.setup(b), journalDirectory: dir).run(feed: b)
            var out: [MarketUpdate] = []
            try JournalReader(directory: dir).forEach { r in
                if r.type == .coordinatorMarket, out.count < 500,
                   let u = try? CoordinatorCodec.decodeMarket(sequence: r.sequence, payload: r.payload) {
                    out.append(u)
                }
                return true
            }
            return out
        }
        #expect(updates.count == 500)
        let a = UnsafeMutableRawPointer.allocate(byteCount: CoordinatorCodec.maxSize, alignment: 8)
        let b = UnsafeMutableRawPointer.allocate(byteCount: CoordinatorCodec.maxSize, alignment: 8)
        defer { a.deallocate(); b.deallocate() }
        for u in updates {
            let (type, n) = CoordinatorCodec.encode(.market(u), into: a)
            let m = CoordinatorCodec.encode(market: u, into: b)
            #expect(type == .coordinatorMarket && n == m && m == CoordinatorCodec.marketSize)
            #expect(memcmp(a, b, m) == 0)
            let back = try CoordinatorCodec.decodeMarket(sequence: 9, payload: UnsafeRawBufferPointer(start: b, count: m))
            let c = CoordinatorCodec.encode(market: back, into: a)
            #expect(c == m && memcmp(a, b, m) == 0, "decode → encode is the identity on the bytes")
        }
    }

    @Test("decodeMarket refuses a short payload and a bad trade kind, naming the sequence")
    func decodeMarketRefuses() throws {
        let p = UnsafeMutableRawPointer.allocate(byteCount: CoordinatorCodec.maxSize, alignment: 8)
        defer { p.deallocate() }
        var u = MarketUpdate()
        u.locate = StockLocate(3)
        let n = CoordinatorCodec.encode(market: u, into: p)
        #expect(throws: CoordinatorDecodeError.self) {
            _ = try CoordinatorCodec.decodeMarket(sequence: 41, payload: UnsafeRawBufferPointer(start: p, count: n - 1))
        }
        do {
            _ = try CoordinatorCodec.decodeMarket(sequence: 41, payload: UnsafeRawBufferPointer(start: p, count: n - 1))
        } catch {
            #expect(error.sequence == 41 && error.reason.contains("\(n - 1) bytes"))
        }
        // The trade kind byte: after locate..imbalance fields, 26 bytes before the end.
        let kindOffset = n - 2 - 1 - 8 - 8 - 1
        p.storeBytes(of: UInt8(0xEE), toByteOffset: kindOffset, as: UInt8.self)
        do {
            _ = try CoordinatorCodec.decodeMarket(sequence: 42, payload: UnsafeRawBufferPointer(start: p, count: n))
            Issue.record("a bad trade kind was accepted")
        } catch {
            #expect(error.sequence == 42 && error.reason.contains("trade kind"))
        }
    }

    /// The feed's messages as (offset of the type byte, length, locate).
    static func frames(_ feed: [UInt8]) throws -> [(at: Int, count: Int, locate: UInt16)] {
        try feed.withUnsafeBytes { raw in
            var reader = ITCHDayFile.Reader(raw)
            var out: [(at: Int, count: Int, locate: UInt16)] = []
            while let f = try reader.next() {
                let at = f.bytes.baseAddress! - raw.baseAddress!
                out.append((at, f.bytes.count, UInt16(f.bytes[1]) << 8 | UInt16(f.bytes[2])))
            }
            return out
        }
    }

    /// Runs `feed` keeping every book (nothing passed by), journaling to `dir`.
    static func runKeepingEveryBook(_ feed: [UInt8], journal dir: String) throws -> BacktestRun {
        try feed.withUnsafeBytes { b in
            let backtest = try Backtest(setup: Self.setup(b), journalDirectory: dir)
            var cursor = backtest.makeCursor(keepingEveryBook: true)
            var reader = ITCHDayFile.Reader(b)
            while let f = try reader.next() { backtest.process(f.bytes, &cursor) }
            #expect(cursor.passedBy == 0)
            return try backtest.finish(messages: cursor.messages, decodeErrors: cursor.decodeErrors,
                                       lastTime: cursor.lastTime, start: 0)
        }
    }

    @Test("an untraded symbol's messages pass the books by: the journal of keeping its book, its garbage ignored, a bad length counted")
    func untradedPassBy() throws {
        let dirs = (0..<3).map { tempDirectory("bt-pass-\($0)") }
        defer { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
        let traded = Self.feed.withUnsafeBytes { Self.setup($0).locates }
        let frames = try Self.frames(Self.feed)
        let untraded = frames.filter { !traded.contains($0.locate) }
        #expect(traded.count == 4 && untraded.count > 1_000, "one of the five symbols is not traded")

        let passing = try Self.feed.withUnsafeBytes { b in try Backtest(setup: Self.setup(b), journalDirectory: dirs[0]).run(feed: b) }
        let keeping = try Self.runKeepingEveryBook(Self.feed, journal: dirs[1])
        #expect(passing.messagesPassedBy == untraded.count && passing.decodeErrors == 0)
        #expect(passing.messages == keeping.messages && passing.lastSequence == keeping.lastSequence)
        #expect(passing.report == keeping.report.withJournal(passing.report.journal))
        #expect(stableBytes(dirs[0] + "/journal-00000000.qseg") == stableBytes(dirs[1] + "/journal-00000000.qseg"))

        // Garbage in the untraded symbol (unknown references, an invalid side) and one of its
        // deletes a byte too long at the end: the traded books see none of it, the bad length
        // is still a decode error.
        var garbled = Self.feed
        for f in untraded {
            if garbled[f.at] == 0x41 { garbled[f.at + 19] = 0x5A } else { for i in 11..<19 { garbled[f.at + i] = 0xFF } }
        }
        var tooLong: [UInt8] = [0, 20, 0x44, UInt8(untraded[0].locate >> 8), UInt8(untraded[0].locate & 0xFF)]
        tooLong += [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0x11, count: 9)
        garbled += tooLong
        let g = try garbled.withUnsafeBytes { b in try Backtest(setup: Self.setup(b), journalDirectory: dirs[2]).run(feed: b) }
        #expect(g.messages == passing.messages + 1 && g.messagesPassedBy == untraded.count && g.decodeErrors == 1)
        #expect(g.report == passing.report.withJournal(g.report.journal))
    }

    @Test("replay through the market fast path verifies every checkpoint and reaches the run's state")
    func replayFastPath() throws {
        let dir = tempDirectory("bt-fast-replay")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Self.feed.withUnsafeBytes { b in try Backtest(setup: Self.setup(b), journalDirectory: dir).run(feed: b) }
        let r = try CoordinatorReplay.run(directory: dir)
        #expect(r.mismatches == 0 && r.checkpointsChecked > 10)
        #expect(r.report == run.report.withJournal(r.report.journal))
    }
}
