import QuorumAgents
import QuorumBook
import QuorumJournal
import QuorumRisk
import QuorumWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything a backtest's desk is built from; journaled as the first record
/// (`coordinatorSession`) so replay rebuilds the same desk.
///
/// The desk: the `roster` from Config when there is one (its agents, teams and desk settings,
/// journaled as `roster=` lines of TOML); otherwise today's default team — one analyst of each
/// built-in kind over every symbol; symbols split into two teams ("macro" the first half,
/// "alts" the rest) when there are at least two. A risk engine with `capital`, unlimited
/// position limits and the correlation breaker off (with a handful of return vectors every
/// EWMA correlation is ±1 and it would latch at once) unless the roster sets the breakers.
public struct BacktestSetup: Sendable, Equatable {
    /// Feed locate codes traded, ascending; empty = pick from the feed (`maxSymbols` most active).
    public var locates: [UInt16] = []
    /// Display names, one per locate.
    public var names: [String] = []
    /// Symbols picked from the feed when `locates` is empty: the default team trades 20.
    public var maxSymbols = 20
    public var capital = 1_000_000.0
    public var checkpointEvery = 10_000
    public var sampleNanos: UInt64 = 1_000_000_000
    /// Also feed updates where only a level changed (default: BBO changes and trades).
    public var levelChanges = false
    /// The team from Config; nil = the default team above (and what journals without
    /// `roster=` lines get).
    public var roster: QuorumConfig.Roster?

    public init() {}

    /// `key=value` lines.
    public var encoded: String {
        var s = "quorum-backtest 1\n"
        s += "locates=" + locates.map(String.init).joined(separator: ",") + "\n"
        s += "names=" + names.joined(separator: ",") + "\n"
        s += "capital=\(capital)\ncheckpoint_every=\(checkpointEvery)\nsample_ns=\(sampleNanos)\n"
        s += "level_changes=\(levelChanges)\n"
        if let roster {
            for line in roster.renderTOML().split(separator: "\n", omittingEmptySubsequences: false) { s += "roster=\(line)\n" }
        }
        return s
    }

    /// Parses `encoded`.
    /// - Throws: `BacktestError.badSetup` naming the line.
    public static func decode(_ text: String) throws(BacktestError) -> BacktestSetup {
        var s = BacktestSetup()
        var rosterLines: [Substring] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == "quorum-backtest 1" else { throw .badSetup("first line is not 'quorum-backtest 1'") }
        for line in lines.dropFirst() {
            guard let eq = line.firstIndex(of: "=") else { throw .badSetup("line '\(line)' has no '='") }
            let key = line[..<eq], value = String(line[line.index(after: eq)...])
            switch key {
            case "locates":
                let parts = value.split(separator: ",").map { UInt16($0) }
                guard !parts.contains(nil) else { throw .badSetup("locates=\(value)") }
                s.locates = parts.map { $0! }
            case "names": s.names = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            case "capital":
                guard let v = Double(value), v > 0 else { throw .badSetup("capital=\(value)") }
                s.capital = v
            case "checkpoint_every":
                guard let v = Int(value), v >= 1 else { throw .badSetup("checkpoint_every=\(value)") }
                s.checkpointEvery = v
            case "sample_ns":
                guard let v = UInt64(value), v >= 1 else { throw .badSetup("sample_ns=\(value)") }
                s.sampleNanos = v
            case "level_changes": s.levelChanges = value == "true"
            case "roster": rosterLines.append(line[line.index(after: eq)...])
            default: break  // newer keys are ignored by older readers
            }
        }
        guard !s.locates.isEmpty else { throw .badSetup("no locates") }
        if !rosterLines.isEmpty {
            do { s.roster = try QuorumConfig.Roster.parse(rosterLines.joined(separator: "\n"), file: "session record") } catch {
                throw .badSetup("roster: \(error)")
            }
        }
        if s.names.count != s.locates.count { s.names = s.locates.map { "L\($0)" } }
        return s
    }

    public var teams: [TeamConfig] {
        if let roster { return roster.teams.map { TeamConfig(name: $0.name, grossBudget: $0.exposureLimit) } }
        return locates.count >= 2 ? [TeamConfig(name: "macro"), TeamConfig(name: "alts")] : [TeamConfig(name: "desk")]
    }
    public func team(ofSymbol i: Int) -> Int {
        if roster != nil {
            guard let cfg = try? rosterDeskConfig(), i >= 0, i < cfg.desk.symbols.count else { return 0 }
            return cfg.desk.symbols[i].team
        }
        return locates.count >= 2 && i >= (locates.count + 1) / 2 ? 1 : 0
    }

    /// The roster mapped onto this setup's symbols (names from the feed's stock directory).
    func rosterDeskConfig() throws(BacktestError) -> (desk: DeskConfig, breakers: BreakerConfig) {
        guard let roster else { throw .badSetup("no roster") }
        let names = names.count == locates.count ? names : locates.map { "L\($0)" }
        do {
            return try roster.deskConfig(symbols: (0..<locates.count).map { (locates[$0], names[$0]) }, source: "backtest setup")
        } catch {
            throw .badSetup("\(error)")
        }
    }

    /// The setup a coordinator journal's session record (its first record) describes.
    /// - Throws: `.journal` when it cannot be read, `.notACoordinatorJournal` without a session
    ///   record, `.badSetup` for one this build cannot read.
    public init(journal directory: String) throws(BacktestError) {
        var text: String?
        do {
            try JournalReader(directory: directory).forEach { r in
                if r.type == .coordinatorSession { text = String(decoding: r.payload, as: UTF8.self) }
                return false
            }
        } catch {
            throw .journal("\(directory): \(error)")
        }
        guard let text else { throw .notACoordinatorJournal(directory) }
        self = try BacktestSetup.decode(text)
    }

    /// A fresh desk (and its risk engine) for this setup.
    /// - Throws: `BacktestError.badSetup` with the desk's or risk engine's complaint.
    public func makeDesk() throws(BacktestError) -> Desk {
        let n = locates.count
        guard n > 0 else { throw .badSetup("no symbols to trade") }
        if roster != nil { return try makeRosterDesk() }
        let teamOf = (0..<n).map { team(ofSymbol: $0) }
        var breakers = BreakerConfig()
        breakers.correlationDegraded = .infinity
        let engine: RiskEngine
        do {
            engine = try RiskEngine(config: RiskConfig(instrumentCapacity: n), capital: capital,
                                    sectors: Array(repeating: 0, count: n), teams: teamOf,
                                    limits: .unlimited(instruments: n, sectors: 1, teams: teams.count), breakers: breakers)
        } catch {
            throw .badSetup("risk engine: \(error)")
        }
        let kinds: [(String, AnalystKind)] = [("trend", .trend), ("rsi", .rsi), ("bollinger", .bollinger),
                                              ("vwap", .vwap), ("imbalance", .imbalance), ("breakout", .breakout)]
        let cfg = DeskConfig(symbols: (0..<n).map { DeskSymbol(locate: locates[$0], team: teamOf[$0]) }, teams: teams,
                             analysts: kinds.map { AnalystConfig(name: $0.0, kind: $0.1) })
        do { return try Desk(config: cfg, engine: engine) } catch { throw .badSetup("\(error)") }
    }

    func makeRosterDesk() throws(BacktestError) -> Desk {
        let (cfg, breakers) = try rosterDeskConfig()
        let n = cfg.symbols.count
        let engine: RiskEngine
        do {
            engine = try RiskEngine(config: RiskConfig(instrumentCapacity: n), capital: capital,
                                    sectors: Array(repeating: 0, count: n), teams: cfg.symbols.map(\.team),
                                    limits: .unlimited(instruments: n, sectors: 1, teams: cfg.teams.count), breakers: breakers)
        } catch {
            throw .badSetup("risk engine: \(error)")
        }
        do { return try Desk(config: cfg, engine: engine) } catch { throw .badSetup("\(error)") }
    }
}

public enum BacktestError: Error, Equatable, Sendable, CustomStringConvertible {
    case badSetup(String)
    case feed(offset: Int, reason: String)
    case journal(String)
    /// The journal holds no session record first (not a coordinator journal).
    case notACoordinatorJournal(String)
    case badRecord(CoordinatorDecodeError)

    public var description: String {
        switch self {
        case .badSetup(let s): return "backtest setup: \(s)"
        case let .feed(offset, reason): return "feed at byte \(offset): \(reason)"
        case .journal(let s): return "journal: \(s)"
        case .notACoordinatorJournal(let d): return "\(d): first record is not a coordinator session record"
        case .badRecord(let e): return "\(e)"
        }
    }
}

/// What a backtest did besides the trading report: feed figures and timing.
///
/// What counts as a **market event**: one feed message the backtest processes — every ITCH
/// message decoded and applied to the books, whichever symbol it is for — the unit
/// nautilus_trader counts as a data event. A **desk input** is one input the coordinator
/// sequences: a market update for a traded symbol (a BBO change or a trade, or any level
/// with `levelChanges`), a fill or an order closure.
public struct BacktestRun: Sendable {
    public var report: TradingReport
    /// Market events: feed messages read (decoded and applied to the books).
    public var messages = 0
    /// Of `messages`, those of symbols the desk does not trade, passed by without a book
    /// (see `Backtest.process`).
    public var messagesPassedBy = 0
    public var decodeErrors = 0
    /// Market updates the desk stepped on (a subset of `deskInputs`).
    public var marketInputs = 0
    /// Every input the coordinator sequenced: market updates, fills, closures.
    public var deskInputs = 0
    /// Wall-clock seconds of the loop (feed already in memory, the traded symbols' books open).
    public var seconds = 0.0
    public var journalDirectory: String?
    public var lastSequence: UInt64 = 0
    /// Snapshots written beside the journal (see `Backtest.snapshotEvery`).
    public var snapshotsWritten = 0
    /// Market events (feed messages) per second.
    public var eventsPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }
    /// Coordinator inputs per second.
    public var deskInputsPerSecond: Double { seconds > 0 ? Double(deskInputs) / seconds : 0 }
}

/// Runs a recorded ITCH day (2-byte length framing) through the books and a coordinator, on
/// one thread, as fast as it goes.
///
/// Market updates: after each message that changed a traded symbol's best bid/offer or
/// printed a trade (or any level, with `levelChanges`), the book's `MarketUpdate` (receive
/// time = exchange time, sequence = message number from 1) is one input.
///
/// Fill model (deterministic, documented): a child order is matched when it is sent against
/// the opposite best quote of the latest update of its symbol — a buy fills if the best ask
/// is at or below its limit (no limit: any price), at the best ask price, for at most the
/// displayed quantity still unused by earlier fills on that quote; sells alike. Whatever
/// does not fill rests (never fills later) and is cancelled — an `orderClosed` input — just
/// before the next update of its symbol, and at the end of the feed. A cancel-all closes
/// every open order at once. Each fill and closure is an input like the market updates.
public final class Backtest {
    public let setup: BacktestSetup
    public let coordinator: Coordinator
    let journal: LockstepJournal?
    @exclusivity(unchecked) var quote: [(bid: BookQuote, ask: BookQuote)]
    @exclusivity(unchecked) var unusedBid: [UInt64]
    @exclusivity(unchecked) var unusedAsk: [UInt64]
    @exclusivity(unchecked) var closing: [UInt64]
    /// Orders matched per update before the rest wait for the next one (a runaway guard).
    public var maxOrdersPerUpdate = 256
    /// Inputs between the snapshots written beside the journal (`Int.max`: none); with
    /// snapshots, one is also written at the end. All are kept: `quorum replay` splits its
    /// work at them (CoordinatorReplay+Stretches.swift) and `--from-snapshot` starts from one.
    @exclusivity(unchecked) public var snapshotEvery = Int.max
    @exclusivity(unchecked) var inputsAtSnapshot = 0
    var snapshotBuffer: [UInt8] = []
    var snapshotsWritten = 0
    var snapshotFailure: String?

    /// - Parameters:
    ///   - setup: with its locates chosen (see `chooseSymbols`).
    ///   - journalDirectory: a new or empty directory for the journal, or nil for none.
    public init(setup: BacktestSetup, journalDirectory: String?) throws(BacktestError) {
        self.setup = setup
        let desk = try setup.makeDesk()
        if let dir = journalDirectory {
            var options = JournalWriterOptions(fsync: .none)
            options.maxPayload = 64 << 10  // the session record carries the roster's TOML (a few KiB)
            let w: JournalWriter
            do { w = try JournalWriter(directory: dir, options: options) } catch { throw .journal("\(error)") }
            guard w.nextSequence == 1 else { throw .journal("\(dir) already holds a journal (next sequence \(w.nextSequence))") }
            let sink = LockstepJournal(writer: w)
            let text = Array(setup.encoded.utf8)
            let ok = text.withUnsafeBytes { sink.appendRecord(.coordinatorSession, timestampNs: 0, payload: $0) }
            guard ok != nil else { throw .journal("could not write the session record") }
            journal = sink
        } else {
            journal = nil
        }
        coordinator = Coordinator(desk: desk, journal: journal, checkpointEvery: setup.checkpointEvery,
                                  sampleNanos: setup.sampleNanos)
        let n = setup.locates.count
        quote = Array(repeating: (BookQuote.empty, BookQuote.empty), count: n)
        unusedBid = Array(repeating: 0, count: n)
        unusedAsk = Array(repeating: 0, count: n)
        closing = []
        closing.reserveCapacity(1024)
    }

    /// The `setup.maxSymbols` most active locates of `feed` (messages per locate, ties to
    /// the lower locate), ascending, with their stock-directory names, unless the setup
    /// names its locates already.
    public static func chooseSymbols(_ setup: BacktestSetup, feed: UnsafeRawBufferPointer) -> BacktestSetup {
        var s = setup
        var names = [String](repeating: "", count: 65_536)
        var counts = [Int](repeating: 0, count: 65_536)
        var reader = ITCHDayFile.Reader(feed)
        while let frame = try? reader.next() {
            let b = frame.bytes
            guard b.count >= 19 else { continue }
            let locate = Int(UInt16(b[1]) << 8 | UInt16(b[2]))
            counts[locate] += 1
            if b[0] == 0x52 {  // R: stock at 11, 8 bytes
                var text = ""
                for i in 11..<19 where b[i] != 0x20 { text.append(Character(Unicode.Scalar(b[i]))) }
                names[locate] = text
            }
        }
        let wanted = s.roster?.namedSymbols ?? []
        if s.locates.isEmpty && !wanted.isEmpty {
            // Config names the symbols: their locates from the stock directory (missing ones
            // are left out; makeDesk() names them).
            s.locates = (1..<65_536).filter { !names[$0].isEmpty && wanted.contains(names[$0]) }.map { UInt16($0) }
        } else if s.locates.isEmpty {
            let ranked = (1..<65_536).filter { counts[$0] > 0 }.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
            s.locates = ranked.prefix(max(1, s.maxSymbols)).sorted().map { UInt16($0) }
        }
        s.names = s.locates.map { names[Int($0)].isEmpty ? "L\($0)" : names[Int($0)] }
        return s
    }

    /// The symbols of a coordinator journal used as a feed: its session's, unless the setup
    /// names its locates or its roster names symbols (those of the session with these names).
    /// - Throws: `.notACoordinatorJournal`, `.badSetup` for a session record this build cannot read.
    public static func chooseSymbols(_ setup: BacktestSetup, journalFeed directory: String) throws(BacktestError) -> BacktestSetup {
        let recorded = try BacktestSetup(journal: directory)
        let nameOf = Dictionary(zip(recorded.locates, recorded.names), uniquingKeysWith: { a, _ in a })
        var s = setup
        let wanted = s.roster?.namedSymbols ?? []
        if s.locates.isEmpty && !wanted.isEmpty {
            s.locates = recorded.locates.filter { wanted.contains(nameOf[$0] ?? "") }
        } else if s.locates.isEmpty {
            s.locates = Array(recorded.locates.prefix(max(1, s.maxSymbols)))
        }
        s.names = s.locates.map { nameOf[$0] ?? "L\($0)" }
        return s
    }

    /// A fresh cursor for `process(_:_:)`: empty books, no messages seen.
    /// The traded symbols' book memory is made here (`BookManager.prepareBooks`: allocated and
    /// touched; the feed opens the books as always), so that `run` times the day, not the set-up.
    public func makeCursor() -> BacktestCursor { makeCursor(keepingEveryBook: false) }

    /// With `keepingEveryBook`, a cursor that passes nothing by and keeps every symbol's book
    /// (tests: passing by must not change what the desk sees).
    func makeCursor(keepingEveryBook: Bool) -> BacktestCursor {
        var c = BacktestCursor(levelChanges: setup.levelChanges,
                               traded: keepingEveryBook ? (0...UInt16.max).map { $0 } : setup.locates)
        c.books.prepareBooks(setup.locates.count)
        return c
    }

    /// One feed message through the books and, if it moved a traded symbol (its best bid/offer
    /// or a trade; any level with `levelChanges`), the desk: closures of the symbol's open
    /// orders, matching, the coordinator's step, matching what it sent. The loop of `run`,
    /// exposed for benchmarks and tools that feed messages one at a time.
    ///
    /// A well-formed message of a symbol the desk does not trade passes the books by: no
    /// update of that symbol can reach the desk, so it has no book at all (a day of 50
    /// symbols traded on 20 spends no time on the other 30). System events still go through;
    /// a message whose length is not its type's spec length goes through too, and is counted
    /// as the books count it.
    /// - Complexity: the books' apply plus, for a market update, the coordinator's step; no
    ///   allocation in steady state.
    @inline(__always)
    public func process(_ bytes: UnsafeRawBufferPointer, _ c: inout BacktestCursor) {
        c.messages += 1
        if c.passesBy(bytes) {
            c.passedBy &+= 1  // &+= : bounded by `messages`
            return
        }
        c.tracker.reset()
        do {
            try c.books.apply(bytes: bytes, sequence: UInt64(c.messages), &c.tracker)
        } catch {
            c.decodeErrors += 1
            return
        }
        guard !c.tracker.changes.intersection(c.wanted).isEmpty, let s = coordinator.desk.symbol(locate: c.tracker.locate.rawValue),
              bytes.count >= 11
        else { return }
        let t = _itchTimestamp(bytes)
        c.lastTime = t
        guard let u = c.books.marketUpdate(c.tracker.locate, sequence: UInt64(c.messages), exchangeTime: Timestamp(t),
                                           receiveTime: t, changes: c.tracker.changes)
        else { return }
        step(u, symbol: s, time: t)
    }

    /// One market update of traded symbol `s` through the fill model and the desk: closures of
    /// the symbol's open orders, matching, the coordinator's step, matching what it sent.
    @inline(__always)
    func step(_ u: MarketUpdate, symbol s: SymbolID, time t: UInt64) {
        let i = s.index
        quote[i] = (u.bestBid, u.bestAsk)
        unusedBid[i] = u.bestBid.qty
        unusedAsk[i] = u.bestAsk.qty
        closeOpen(symbol: s, time: t)
        match(time: t)
        coordinator.consume(market: u)
        match(time: t)
        if coordinator.counters.inputs &- inputsAtSnapshot >= snapshotEvery { writeSnapshot() }
    }

    /// Writes the coordinator's state image beside the journal, after its last record (the
    /// checkpoint the last input made due included). A failure ends the snapshots and fails
    /// the run at its end.
    @inline(never)
    func writeSnapshot() {
        inputsAtSnapshot = coordinator.counters.inputs
        guard let dir = journal?.writer.directory, snapshotFailure == nil else { return }
        var storage: [UInt8] = []
        swap(&storage, &snapshotBuffer)  // the image's only reference: filled without allocating
        guard let blob = coordinator.stateImage(reusing: storage) else {
            snapshotFailure = "an agent of this team cannot write its state"
            return
        }
        do {
            try JournalSnapshots.write(directory: dir, sequence: coordinator.lastSequence,
                                       stateHash: coordinator.stateHash(), blob: blob)
            snapshotsWritten += 1
        } catch {
            snapshotFailure = "\(error)"
        }
        snapshotBuffer = blob
    }

    /// Runs the whole feed; `progress(messages, bytesDone)` is called every 64 Ki messages.
    /// - Throws: `BacktestError.journal` if the journal failed.
    public func run(feed: UnsafeRawBufferPointer, progress: ((Int, Int) -> Void)? = nil) throws(BacktestError) -> BacktestRun {
        var cursor = makeCursor()
        let start = _monotonicSeconds()
        var reader = ITCHDayFile.Reader(feed)
        while true {
            let frame: (offset: Int, bytes: UnsafeRawBufferPointer)
            do {
                guard let f = try reader.next() else { break }
                frame = f
            } catch {
                cursor.decodeErrors += 1
                break
            }
            process(frame.bytes, &cursor)
            if cursor.messages & 0xFFFF == 0 { progress?(cursor.messages, frame.offset) }
        }
        var run = try finish(messages: cursor.messages, decodeErrors: cursor.decodeErrors, lastTime: cursor.lastTime, start: start)
        run.messagesPassedBy = cursor.passedBy
        return run
    }

    /// Runs the market updates a coordinator journal recorded (a live run's or a backtest's):
    /// each market input of a symbol this desk trades is one update, as the recording desk
    /// saw it; the recorded fills, closures and directives are that desk's business and are
    /// skipped (this desk's orders meet the fill model). `messages` counts the market records
    /// read; `progress(records, 0)` is called every 64 Ki records.
    /// - Throws: `BacktestError.journal` for a damaged journal or a failed journal of this run,
    ///   `.badRecord` for a market record that does not decode.
    public func run(journalFeed directory: String, progress: ((Int, Int) -> Void)? = nil) throws(BacktestError) -> BacktestRun {
        let start = _monotonicSeconds()
        var messages = 0, lastTime: UInt64 = 0
        var failure: CoordinatorDecodeError?
        let desk = coordinator.desk
        do {
            let reader = try JournalReader(directory: directory)
            try reader.forEach { r in
                let u: MarketUpdate
                do throws(CoordinatorDecodeError) {
                    if r.type == .coordinatorMarket {
                        u = try CoordinatorCodec.decodeMarket(sequence: r.sequence, payload: r.payload)
                    } else if case .market(let m)? = try CoordinatorCodec.decode(r) {
                        u = m
                    } else {
                        return true
                    }
                } catch {
                    failure = error
                    return false
                }
                messages += 1
                if messages & 0xFFFF == 0 { progress?(messages, 0) }
                guard let s = desk.symbol(locate: u.locate.rawValue) else { return true }
                lastTime = u.exchangeTime.rawValue
                step(u, symbol: s, time: lastTime)
                return true
            }
        } catch {
            throw .journal("\(directory): \(error)")
        }
        if let failure { throw .badRecord(failure) }
        return try finish(messages: messages, decodeErrors: 0, lastTime: lastTime, start: start)
    }

    /// The end of a run: open orders closed, a last checkpoint, the journal finished, the figures.
    func finish(messages: Int, decodeErrors: Int, lastTime: UInt64, start: Double) throws(BacktestError) -> BacktestRun {
        closeOpen(symbol: nil, time: lastTime)
        coordinator.checkpoint()
        if let journal {
            do { try journal.finish() } catch { throw .journal("\(error)") }
        }
        if coordinator.counters.journalFailures > 0 {
            throw .journal("\(coordinator.counters.journalFailures) records could not be journaled")
        }
        if snapshotEvery != .max { writeSnapshot() }
        if let snapshotFailure { throw .journal("snapshot: \(snapshotFailure)") }
        var run = BacktestRun(report: TradingReport(coordinator: coordinator, setup: setup))
        run.messages = messages
        run.decodeErrors = decodeErrors
        run.marketInputs = coordinator.counters.marketInputs
        run.deskInputs = coordinator.counters.inputs
        run.seconds = _monotonicSeconds() - start
        run.journalDirectory = journal?.writer.directory
        run.lastSequence = coordinator.lastSequence
        run.snapshotsWritten = snapshotsWritten
        run.report.journal = run.journalDirectory
        return run
    }

    /// Closes the open orders of `symbol` (all symbols when nil), oldest first.
    func closeOpen(symbol: SymbolID?, time: UInt64) {
        guard coordinator.openOrderCount > 0 else { return }  // the common case: nothing open
        closing.removeAll(keepingCapacity: true)
        for k in 0..<coordinator.openOrderCount {
            let o = coordinator.openOrder(k)
            if symbol == nil || o.order.symbol == symbol { closing.append(o.order.id) }
        }
        for id in closing {
            guard let o = coordinator.openOrder(id: id) else { continue }
            coordinator.consume(.orderClosed(symbol: o.order.symbol, order: id, unfilled: o.remaining, time: time))
        }
    }

    /// Matches every order sent since the last call (and those the fills provoke).
    func match(time: UInt64) {
        guard coordinator.hasOutgoing || coordinator.cancelAllRequested else { return }
        var n = 0
        while n < maxOrdersPerUpdate, let o = coordinator.nextOutgoing() {
            n += 1
            let i = o.symbol.index
            guard i < quote.count, o.quantity > 0 else { continue }
            let buy = o.direction == .long
            let best = buy ? quote[i].ask : quote[i].bid
            let unused = buy ? unusedAsk[i] : unusedBid[i]
            guard !best.isEmpty, unused > 0 else { continue }
            let px = Int64(best.price.rawValue)
            if o.limitTicks > 0 && (buy ? px > o.limitTicks : px < o.limitTicks) { continue }
            let q = min(o.quantity, Int64(clamping: unused))
            if buy { unusedAsk[i] -= UInt64(q) } else { unusedBid[i] -= UInt64(q) }
            coordinator.consume(.fill(Fill(order: o.id, symbol: o.symbol, direction: o.direction, quantity: q,
                                           priceTicks: px, time: time)))
        }
        if coordinator.cancelAllRequested {
            closeOpen(symbol: nil, time: time)
            coordinator.acknowledgeCancelAll()
        }
    }
}

/// Where a backtest is in its feed: the books the messages built and what was counted.
/// Made by `Backtest.makeCursor()`, advanced by `Backtest.process(_:_:)`.
public struct BacktestCursor: ~Copyable {
    var books = BookManager()
    var tracker = BookChangeTracker()
    let wanted: BookChanges
    /// One bit per stock locate: set for the locates the desk trades.
    let traded: [UInt64]
    /// Feed messages processed (market events).
    public internal(set) var messages = 0
    /// Of `messages`, those passed by (see `Backtest.process`).
    public internal(set) var passedBy = 0
    /// Messages the books refused (decode errors, unknown references).
    public internal(set) var decodeErrors = 0
    /// Exchange time of the last market update.
    public internal(set) var lastTime: UInt64 = 0

    init(levelChanges: Bool, traded locates: [UInt16]) {
        wanted = levelChanges ? [.bestBidOffer, .trade, .levels] : [.bestBidOffer, .trade]
        var bits = [UInt64](repeating: 0, count: 1 << 10)
        for l in locates { bits[Int(l) &>> 6] |= 1 &<< UInt64(l & 63) }
        traded = bits
    }

    /// Whether `bytes` is a well-formed message of an untraded symbol: any type but the
    /// system event (S) at its spec length.
    @inline(__always)
    func passesBy(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 3, let p = bytes.baseAddress else { return false }
        let l = Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 1, as: UInt16.self)))
        guard traded[l &>> 6] &>> UInt64(l & 63) & 1 == 0 else { return false }
        let type = p.load(as: UInt8.self)
        return bytes.count == ITCH.specLength(type) && type != 0x53  // S
    }
}

/// Replays a coordinator journal through a fresh desk.
public enum CoordinatorReplay {
    public struct Result: Sendable {
        public var report: TradingReport
        public var recordsApplied = 0
        public var checkpointsChecked = 0
        /// The first checkpoint whose hash the replayed state did not match.
        public var firstMismatch: (sequence: UInt64, expected: UInt64, actual: UInt64)?
        public var mismatches = 0
        public var lastSequence: UInt64 = 0
        /// The snapshot replay started from (nil = the first record), and those passed over.
        public var snapshotSequence: UInt64?
        public var snapshotsRejected: [String] = []
        /// Wall-clock seconds from opening the journal to the verified state.
        public var seconds = 0.0
        /// With more than one thread: the snapshots the replay was split at, at each of which
        /// the replay reached the hash the snapshot recorded (empty: one thread from the first
        /// record or a snapshot).
        public var joinedAt: [UInt64] = []
        /// Threads the replay ran on.
        public var threads = 1
    }

    struct Replayer: JournalReplayer {
        let coordinator: Coordinator
        var error: CoordinatorDecodeError?
        mutating func apply(_ record: JournalRecord) {
            guard error == nil else { return }
            do {
                if record.type == .coordinatorMarket {
                    // The common record: straight to the coordinator, no `DeskInput` round trip.
                    coordinator.consume(market: try CoordinatorCodec.decodeMarket(sequence: record.sequence,
                                                                                  payload: record.payload))
                } else if let input = try CoordinatorCodec.decode(record) {
                    coordinator.consume(input)
                }
            } catch {
                self.error = error
            }
        }
        func stateHash() -> UInt64 { coordinator.stateHash() }
        mutating func restore(snapshot: [UInt8], sequence: UInt64) throws {
            try coordinator.restoreState(snapshot)
        }
    }

    /// Reads the session record, rebuilds the desk, replays every input and checks every
    /// checkpoint; with `fromSnapshot`, starts instead from the newest snapshot that restores
    /// to the hash it recorded and replays the records after it. Otherwise, with `threads` > 1
    /// and snapshots beside the journal, the records are replayed in stretches on that many
    /// threads, joined at snapshots (see CoordinatorReplay+Stretches.swift): the same records
    /// replayed and checkpoints checked, and the same report.
    /// - Throws: `BacktestError` for a journal that is not a coordinator journal, is damaged,
    ///   or holds an undecodable input.
    public static func run(directory: String, fromSnapshot: Bool = false, threads: Int = 1) throws(BacktestError) -> Result {
        let start = _monotonicSeconds()
        let setup = try BacktestSetup(journal: directory)
        let first = try setup.makeDesk()
        var splitPassedOver: [String] = []
        if !fromSnapshot, let stretches = _replayInStretches(directory: directory, setup: setup, threads: threads,
                                                             passedOver: &splitPassedOver) {
            let last = stretches[stretches.count - 1]
            var report = TradingReport(coordinator: last.coordinator!, setup: setup)
            report.journal = directory
            var result = Result(report: report)
            let replays = stretches.compactMap(\.replay)  // every one ran: no stretch failed
            let mismatches = replays.flatMap(\.checkpointMismatches)
            result.recordsApplied = replays.reduce(0) { $0 + $1.recordsApplied }
            result.checkpointsChecked = replays.reduce(0) { $0 + $1.checkpointsChecked }
            result.mismatches = mismatches.count
            result.firstMismatch = mismatches.first
            result.lastSequence = last.replay?.lastSequence ?? 0
            result.snapshotsRejected = splitPassedOver
            result.joinedAt = stretches.compactMap { $0.end?.sequence }
            result.threads = Swift.min(threads, stretches.count)
            result.seconds = _monotonicSeconds() - start
            return result
        }
        var from = _SnapshotStart(coordinator: Coordinator(desk: first, journal: nil, checkpointEvery: setup.checkpointEvery,
                                                            sampleNanos: setup.sampleNanos))
        var limit = UInt64.max
        var passedOver: [String] = []
        var replayer: Replayer
        var r: JournalReplayResult
        while true {
            if fromSnapshot {
                do {
                    from = try _SnapshotStart.newest(directory: directory, atOrBefore: limit) {
                        // The setup made one desk above, so it makes more.
                        Coordinator(desk: try! setup.makeDesk(), journal: nil, checkpointEvery: setup.checkpointEvery,
                                    sampleNanos: setup.sampleNanos)
                    }
                } catch {
                    throw .journal("\(directory): \(error)")
                }
                from.rejected = passedOver + from.rejected
            } else {
                from.rejected = splitPassedOver
            }
            replayer = Replayer(coordinator: from.coordinator)
            do {
                r = try JournalReplay.run(directory: directory, into: &replayer, after: from.snapshot?.sequence)
                break
            } catch let e as JournalError {
                // A snapshot past the journal's end (a crash cut records it counted): an older one.
                guard case .badSnapshot(let path, let why) = e, let snap = from.snapshot, snap.sequence > 0 else {
                    throw .journal("\(directory): \(e)")
                }
                passedOver = from.rejected + ["\(path): \(why)"]
                limit = snap.sequence - 1
            } catch {
                throw .journal("\(directory): \(error)")
            }
        }
        let coordinator = from.coordinator
        if let e = replayer.error { throw .badRecord(e) }
        var report = TradingReport(coordinator: coordinator, setup: setup)
        report.journal = directory
        var result = Result(report: report)
        result.recordsApplied = r.recordsApplied
        result.checkpointsChecked = r.checkpointsChecked
        result.mismatches = r.checkpointMismatches.count
        result.firstMismatch = r.checkpointMismatches.first
        result.lastSequence = r.lastSequence
        result.snapshotSequence = from.snapshot?.sequence
        result.snapshotsRejected = from.rejected
        result.seconds = _monotonicSeconds() - start
        return result
    }
}

func _monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
