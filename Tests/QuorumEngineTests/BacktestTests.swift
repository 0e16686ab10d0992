import Foundation
import QuorumAgents
import QuorumBook
import QuorumJournal
import QuorumWire
import Testing

@testable import QuorumEngine

/// A small recorded day: `symbols` books whose mids trend up and down in stretches with
/// noise, built from add, delete and execute messages in ITCH day-file framing; from a seed.
enum TestDay {
    static func bytes(symbols: Int, messages: Int, seed: UInt64) -> [UInt8] {
        var rng = seed | 1
        func next() -> UInt64 {  // xorshift64*
            rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27
            return rng &* 0x2545_F491_4F6C_DD1D
        }
        var buffer = [UInt8](repeating: 0, count: messages * 40 + 64)
        var mids = (0..<symbols).map { Int64(400_000 + 100_000 * $0) }
        var live: [[(ref: UInt64, side: Side, price: UInt32, qty: UInt32)]] = Array(repeating: [], count: symbols)
        var ref: UInt64 = 1
        var match: UInt64 = 1
        var clock: UInt64 = 34_200_000_000_000
        let used = buffer.withUnsafeMutableBytes { raw -> Int in
            var w = ITCHDayFile.Writer(raw)
            for k in 0..<messages {
                clock += 200_000 + next() % 2_000_000
                let s = Int(next() % UInt64(symbols))
                let locate = StockLocate(UInt16(s + 1))
                let header = ITCH.Header(stockLocate: locate, timestamp: Timestamp(clock))
                let trend: Int64 = (k / 3_000) % 2 == 0 ? 40 : -40
                mids[s] += trend + Int64(next() % 201) - 100
                let r = next() % 100
                let msg: ITCHMessage
                if live[s].count > 8 || (r < 12 && !live[s].isEmpty) {
                    let o = live[s].removeFirst()
                    msg = .orderDelete(.init(header: header, orderRef: OrderRef(o.ref)))
                } else if r < 20 && !live[s].isEmpty {
                    let i = live[s].count - 1
                    let q = min(live[s][i].qty, UInt32(1 + next() % 200))
                    msg = .orderExecuted(.init(header: header, orderRef: OrderRef(live[s][i].ref), executedShares: Qty(q),
                                               matchNumber: MatchNumber(match)))
                    match += 1
                    live[s][i].qty -= q
                    if live[s][i].qty == 0 { live[s].remove(at: i) }
                } else {
                    let buy = next() % 2 == 0
                    let offset = Int64(100 * (1 + next() % 4))
                    let price = UInt32(buy ? mids[s] - offset : mids[s] + offset) / 100 * 100
                    let qty = UInt32(100 * (1 + next() % 5))
                    live[s].append((ref, buy ? .buy : .sell, price, qty))
                    msg = .addOrder(.init(header: header, orderRef: OrderRef(ref), side: buy ? .buy : .sell, shares: Qty(qty),
                                          stock: Stock("S\(s)"), price: Price(price)))
                    ref += 1
                }
                try! w.append(msg)
            }
            return w.position
        }
        return Array(buffer[0..<used])
    }
}

/// A fresh directory under the temporary directory.
func tempDirectory(_ tag: String) -> String {
    let path = NSTemporaryDirectory() + "quorum-\(tag)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func runBacktest(_ feed: [UInt8], journal: String?, checkpointEvery: Int = 500, snapshotEvery: Int = .max) throws -> BacktestRun {
    var setup = BacktestSetup()
    setup.maxSymbols = 3
    setup.checkpointEvery = checkpointEvery
    setup.sampleNanos = 50_000_000
    return try feed.withUnsafeBytes { bytes in
        setup = Backtest.chooseSymbols(setup, feed: bytes)
        let backtest = try Backtest(setup: setup, journalDirectory: journal)
        backtest.snapshotEvery = snapshotEvery
        return try backtest.run(feed: bytes)
    }
}

/// A segment file with the two header fields a run cannot reproduce zeroed: the creation
/// time (bytes 32..<40) and the header CRC over it (60..<64).
func stableBytes(_ path: String) -> [UInt8] {
    var b = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
    if b.count >= 64 {
        for i in 32..<40 { b[i] = 0 }
        for i in 60..<64 { b[i] = 0 }
    }
    return b
}

@Suite("Backtest and replay: deterministic journals, verified checkpoints, honest P&L")
struct BacktestTests {
    static let feed = TestDay.bytes(symbols: 4, messages: 40_000, seed: 0xFEED)

    @Test("the same feed twice gives byte-identical journal and snapshot files")
    func twiceIdentical() throws {
        let a = tempDirectory("bt-a"), b = tempDirectory("bt-b")
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        let ra = try runBacktest(Self.feed, journal: a, snapshotEvery: 1_500)
        let rb = try runBacktest(Self.feed, journal: b, snapshotEvery: 1_500)
        #expect(ra.snapshotsWritten >= 3 && ra.snapshotsWritten == rb.snapshotsWritten)
        #expect(ra.report.fills > 0, "the desk should trade on the test day")
        #expect(ra.report.ordersSent >= ra.report.fills / 2)
        #expect(ra.report == rb.report.withJournal(ra.report.journal))
        let fa = try FileManager.default.contentsOfDirectory(atPath: a).sorted()
        let fb = try FileManager.default.contentsOfDirectory(atPath: b).sorted()
        #expect(!fa.isEmpty)
        #expect(fa == fb)
        #expect(fa.filter { $0.hasSuffix(".qsnap") }.count == ra.snapshotsWritten)
        for name in fa {
            // A segment's header holds its creation time; a snapshot holds nothing of the run.
            let read = name.hasSuffix(".qseg") ? stableBytes : { [UInt8](FileManager.default.contents(atPath: $0) ?? Data()) }
            let x = read(a + "/" + name), y = read(b + "/" + name)
            #expect(x.count == y.count && x == y, "\(name) differs")
        }
        #expect(ra.lastSequence == rb.lastSequence && ra.lastSequence > UInt64(ra.report.inputs))
    }

    @Test("replay --verify matches every checkpoint and reproduces the report exactly")
    func replayMatches() throws {
        let dir = tempDirectory("bt-replay")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try runBacktest(Self.feed, journal: dir)
        let replay = try CoordinatorReplay.run(directory: dir)
        #expect(replay.mismatches == 0)
        #expect(replay.firstMismatch == nil)
        #expect(replay.checkpointsChecked == run.report.inputs / 500 + 1)
        #expect(replay.recordsApplied == run.report.inputs + 1)  // + the session record
        #expect(replay.report == run.report)
        #expect(replay.report.json == run.report.json)
        #expect(replay.lastSequence == run.lastSequence)
    }

    @Test("a tampered input (CRC fixed up) fails verification at the next checkpoint; an untouched CRC is damage")
    func tamperedInput() throws {
        let dir = tempDirectory("bt-tamper")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try runBacktest(Self.feed, journal: dir)
        // Find a fill in the middle and the first checkpoint after it.
        let reader = try JournalReader(directory: dir)
        var fills: [(seq: UInt64, segment: UInt64, offset: Int)] = []
        var checkpoints: [UInt64] = []
        try reader.forEach { r in
            if r.type == .coordinatorFill { fills.append((r.sequence, r.segmentIndex, r.offset)) }
            if r.type == .checkpoint { checkpoints.append(r.sequence) }
            return true
        }
        #expect(fills.count >= 2)
        let victim = fills[fills.count / 2]
        let expected = try #require(checkpoints.first { $0 > victim.seq })
        let segment = try #require(reader.scan(checkAll: false).segments.first { $0.index == victim.segment }).path
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: segment)))
        let payload = victim.offset + 32
        bytes[payload + 19] &+= 1  // price ticks, low byte
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        #expect(throws: BacktestError.self) { try CoordinatorReplay.run(directory: dir) }

        // Fix the CRC: over the length (0..<4) then bytes 8..<32+length.
        let length = Int(UInt32(bytes[victim.offset]) | UInt32(bytes[victim.offset + 1]) << 8
                         | UInt32(bytes[victim.offset + 2]) << 16 | UInt32(bytes[victim.offset + 3]) << 24)
        let crc = bytes.withUnsafeBytes { raw -> UInt32 in
            let c = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[victim.offset..<victim.offset + 4]))
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[victim.offset + 8..<victim.offset + 32 + length]), continuing: c)
        }
        for i in 0..<4 { bytes[victim.offset + 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        let replay = try CoordinatorReplay.run(directory: dir)
        #expect(replay.firstMismatch?.sequence == expected)
        #expect(replay.mismatches >= 1)
        #expect(checkpoints.filter { $0 < victim.seq }.allSatisfy { $0 < expected })
    }

    @Test("the report's P&L is the fills' realised P&L plus the open positions at the last mid")
    func pnlFromFills() throws {
        let dir = tempDirectory("bt-pnl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try runBacktest(Self.feed, journal: dir)
        var setup: BacktestSetup?
        var fills: [Fill] = []
        var lastMid: [UInt16: Double] = [:]
        try JournalReader(directory: dir).forEach { r in
            if r.type == .coordinatorSession { setup = try? BacktestSetup.decode(String(decoding: r.payload, as: UTF8.self)) }
            switch try? CoordinatorCodec.decode(r) {
            case .fill(let f)?: fills.append(f)
            case .market(let u)? where !u.bestBid.isEmpty && !u.bestAsk.isEmpty:
                lastMid[u.locate.rawValue] = (Double(u.bestBid.price.rawValue) + Double(u.bestAsk.price.rawValue)) / 2 / 10_000
            default: break
            }
            return true
        }
        let locates = try #require(setup).locates
        #expect(fills.count == run.report.fills)
        // FIFO lots per symbol: realised on each closing fill, the rest marked at the last mid.
        var total = 0.0
        for (i, locate) in locates.enumerated() {
            var lots: [(qty: Int64, price: Double)] = []  // signed quantity
            var realised = 0.0
            for f in fills where f.symbol.index == i {
                var q = f.direction.sign * f.quantity
                let px = Double(f.priceTicks) / 10_000
                while q != 0, let first = lots.first, first.qty.signum() != q.signum() {
                    let n = min(abs(q), abs(first.qty))
                    realised += Double(n) * (px - first.price) * Double(first.qty.signum())
                    lots[0].qty += n * q.signum()
                    q -= n * q.signum()
                    if lots[0].qty == 0 { lots.removeFirst() }
                }
                if q != 0 { lots.append((q, px)) }
            }
            let open = lots.reduce(0.0) { $0 + Double($1.qty) * ((lastMid[locate] ?? 0) - $1.price) }
            let line = run.report.symbols[i]
            #expect(abs(line.total - (realised + open)) < 1e-6, "symbol \(locate): \(line.total) vs \(realised + open)")
            #expect(line.position == lots.reduce(0) { $0 + $1.qty })
            total += realised + open
        }
        #expect(abs(run.report.total - total) < 1e-6)
        #expect(abs(run.report.realised + run.report.unrealised - run.report.total) < 1e-9)
        #expect(run.report.teams.reduce(0) { $0 + $1.total } - run.report.total < 1e-6)
    }

    @Test("adversarial inputs: short payloads, foreign journals, bad setups")
    func adversarial() throws {
        // A fill payload one byte short names its sequence.
        var raw = [UInt8](repeating: 0, count: CoordinatorCodec.fillSize - 1)
        let err = raw.withUnsafeMutableBytes { p -> CoordinatorDecodeError? in
            do { _ = try CoordinatorCodec.decode(type: .coordinatorFill, sequence: 42, payload: UnsafeRawBufferPointer(p)); return nil } catch {
                return error as? CoordinatorDecodeError
            }
        }
        #expect(err?.sequence == 42)
        // A direction byte out of range.
        raw = [UInt8](repeating: 0, count: CoordinatorCodec.fillSize)
        raw[10] = 7
        let err2 = raw.withUnsafeMutableBytes { p -> CoordinatorDecodeError? in
            do { _ = try CoordinatorCodec.decode(type: .coordinatorFill, sequence: 7, payload: UnsafeRawBufferPointer(p)); return nil } catch {
                return error as? CoordinatorDecodeError
            }
        }
        #expect(err2?.reason.contains("direction") == true)
        // A journal of demo records is not a coordinator journal.
        let dir = tempDirectory("bt-foreign")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try JournalDemo.write(directory: dir, records: 10, options: JournalWriterOptions(fsync: .none))
        #expect(throws: BacktestError.notACoordinatorJournal(dir)) { try CoordinatorReplay.run(directory: dir) }
        // Setups.
        #expect(throws: BacktestError.self) { try BacktestSetup.decode("something else\nlocates=1\n") }
        #expect(throws: BacktestError.self) { try BacktestSetup.decode("quorum-backtest 1\nlocates=1,x\n") }
        var s = BacktestSetup()
        s.locates = [3, 9]; s.names = ["AAA", "BBB"]; s.capital = 5e5; s.checkpointEvery = 77; s.levelChanges = true
        #expect(try BacktestSetup.decode(s.encoded) == s)
        // Symbol choice: the most active locates of the feed, ascending; an empty feed has none.
        var counts = [UInt16: Int]()
        var messages = 0
        Self.feed.withUnsafeBytes { bytes in
            var r = ITCHDayFile.Reader(bytes)
            while let f = try? r.next() { counts[UInt16(f.bytes[1]) << 8 | UInt16(f.bytes[2]), default: 0] += 1; messages += 1 }
        }
        #expect(messages == 40_000)
        let top = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3).map(\.key).sorted()
        var pick = BacktestSetup()
        pick.maxSymbols = 3
        #expect(Self.feed.withUnsafeBytes { Backtest.chooseSymbols(pick, feed: $0) }.locates == top)
        let none = [UInt8]().withUnsafeBytes { Backtest.chooseSymbols(pick, feed: $0) }
        #expect(none.locates.isEmpty)
        #expect(throws: BacktestError.badSetup("no symbols to trade")) { try Backtest(setup: none, journalDirectory: nil) }
        // A journal directory that already holds records is refused.
        #expect(throws: BacktestError.self) { try Backtest(setup: s, journalDirectory: dir) }
    }

    @Test("every input kind round-trips through its journal payload")
    func codecRoundTrip() throws {
        var u = MarketUpdate()
        u.locate = StockLocate(9); u.stock = Stock("ABC"); u.sequence = 77; u.exchangeTime = Timestamp(123); u.receiveTime = 456
        u.changes = [.bestBidOffer, .trade]
        u.bestBid = BookQuote(price: Price(1_000_000), qty: 300); u.bestAsk = BookQuote(price: Price(1_000_100), qty: 200)
        for i in 0..<5 {
            u.bids[i] = DepthLevel(price: Price(UInt32(1_000_000 - 100 * i)), qty: UInt64(100 + i), orderCount: UInt32(i + 1))
            u.asks[i] = DepthLevel(price: Price(UInt32(1_000_100 + 100 * i)), qty: UInt64(200 + i), orderCount: UInt32(i + 2))
        }
        u.bidCount = 5; u.askCount = 5; u.imbalanceBasisPoints = -1234
        u.lastTrade = TradeEvent(price: Price(1_000_050), qty: 17, restingSide: .sell, kind: .executionWithPrice,
                                 matchNumber: MatchNumber(rawValue: 99), orderRef: OrderRef(rawValue: 5), printable: false)
        let inputs: [DeskInput] = [
            .market(u),
            .fill(Fill(order: 3, symbol: SymbolID(2), direction: .short, quantity: 50, priceTicks: 999_900, time: 11)),
            .orderClosed(symbol: SymbolID(1), order: 4, unfilled: 25, time: 12),
            .directive(Directive(kind: .cutExposure, team: TeamID(1), fraction: 0.3, issuer: AgentID(7), time: 13)),
            .overrun(agent: AgentID(2), nanos: 5_000, time: 14),
        ]
        let buf = UnsafeMutableRawPointer.allocate(byteCount: CoordinatorCodec.maxSize, alignment: 8)
        defer { buf.deallocate() }
        for input in inputs {
            let (type, n) = CoordinatorCodec.encode(input, into: buf)
            let back = try #require(try CoordinatorCodec.decode(type: type, sequence: 1, payload: UnsafeRawBufferPointer(start: buf, count: n)))
            // Re-encoding the decoded input gives the same bytes.
            let copy = Array(UnsafeRawBufferPointer(start: buf, count: n))
            let (type2, n2) = CoordinatorCodec.encode(back, into: buf)
            #expect(type2 == type && n2 == n && Array(UnsafeRawBufferPointer(start: buf, count: n2)) == copy)
        }
        let mn = CoordinatorCodec.encode(.market(u), into: buf).1
        if case .market(let v)? = try? CoordinatorCodec.decode(type: .coordinatorMarket, sequence: 1,
                                                               payload: UnsafeRawBufferPointer(start: buf, count: mn)) {
            #expect(v.asks[4] == u.asks[4] && v.lastTrade == u.lastTrade && v.imbalanceBasisPoints == -1234 && v.stock == u.stock)
        } else {
            Issue.record("market update did not decode")
        }
    }
}

extension TradingReport {
    func withJournal(_ j: String?) -> TradingReport { var r = self; r.journal = j; return r }
}

@Suite("Backtest over a journal: the market updates a run recorded feed another team")
struct JournalFeedTests {
    @Test("the same team over a backtest's own journal trades those updates exactly as the backtest did")
    func sameTeamSameRun() throws {
        let a = tempDirectory("jf-a"), b = tempDirectory("jf-b")
        defer { for d in [a, b] { try? FileManager.default.removeItem(atPath: d) } }
        let original = try runBacktest(BacktestTests.feed, journal: a)
        try #require(original.report.ordersSent > 20 && original.report.fills > 10)

        var base = BacktestSetup()
        base.checkpointEvery = 500
        base.sampleNanos = 50_000_000
        let setup = try Backtest.chooseSymbols(base, journalFeed: a)
        let recorded = try CoordinatorReplay.run(directory: a)
        #expect(setup.locates.count == 3 && setup.names == recorded.report.symbols.map(\.symbol))
        let rerun = try Backtest(setup: setup, journalDirectory: b).run(journalFeed: a)
        // One recorded market input is one update: the same updates, the same fills from the
        // fill model, so the same orders, positions and P&L — and the same checkpoint hashes.
        #expect(rerun.messages == original.marketInputs && rerun.marketInputs == original.marketInputs)
        #expect(rerun.deskInputs == original.deskInputs)
        var x = original.report, y = rerun.report
        x.journal = nil; y.journal = nil
        #expect(x == y)
        let replay = try CoordinatorReplay.run(directory: b)
        #expect(replay.mismatches == 0 && replay.checkpointsChecked > 0)
    }

    @Test("another team over a journal: only the symbols it names, from the session's names")
    func otherSymbols() throws {
        let a = tempDirectory("jf-sub-a"), b = tempDirectory("jf-sub-b")
        defer { for d in [a, b] { try? FileManager.default.removeItem(atPath: d) } }
        let original = try runBacktest(BacktestTests.feed, journal: a)
        let recorded = try CoordinatorReplay.run(directory: a).report.symbols
        var base = BacktestSetup()
        base.maxSymbols = 1
        let setup = try Backtest.chooseSymbols(base, journalFeed: a)
        #expect(setup.names == [recorded[0].symbol])
        let run = try Backtest(setup: setup, journalDirectory: b).run(journalFeed: a)
        // Every recorded update is read; only the first symbol's reach the desk.
        #expect(run.messages == original.marketInputs)
        #expect(run.marketInputs > 100 && run.marketInputs < run.messages)
        #expect(run.report.symbols.map(\.symbol) == [recorded[0].symbol])
    }

    @Test("a directory that is not a coordinator journal is an error naming it")
    func badJournals() throws {
        let empty = tempDirectory("jf-empty")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: BacktestError.notACoordinatorJournal(empty)) {
            try Backtest.chooseSymbols(BacktestSetup(), journalFeed: empty)
        }
    }
}
