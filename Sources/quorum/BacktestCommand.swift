// `quorum backtest --feed FILE [--config FILE]`: the desk (the team from Config, or the
// built-in one) over a recorded feed — an ITCH day file, a LOBSTER message file, or the market
// updates a journal recorded — on one thread, as fast as it goes, journaling every input;
// prints the trading report. Errors go to stderr with exit status 2.

import ArgumentParser
import QuorumEngine
import QuorumMarketTools

#if canImport(Glibc)
import Glibc
#endif

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Run the trading desk over a recorded feed (ITCH day file, LOBSTER file or journal) and print the report.",
        discussion: """
            Fill model: a child order fills when sent against the opposite best quote of its \
            symbol's latest update, at that price, up to the displayed quantity not yet used; \
            the rest is cancelled before the symbol's next update. Replay the journal with \
            `quorum replay DIR --verify`.
            """
    )

    @Option(name: .long, help: ArgumentHelp(
        "ITCH 5.0 day file (2-byte length framing), a LOBSTER message file (*.csv), or a journal directory.",
        discussion: "A journal (from `quorum run` or `quorum backtest`) feeds the market updates it recorded; the symbols are its session's unless --locates or Config name them."))
    var feed: String
    @Option(name: .customLong("seed-orderbook"), help: "LOBSTER orderbook file to seed the book from (LOBSTER feeds).")
    var seedOrderbook: String?
    @Option(name: .customLong("lobster-levels"), help: "Levels per side in the LOBSTER orderbook file.")
    var lobsterLevels: Int = 10
    @Option(name: .long, help: "New directory for the journal (default: journal/backtest-<time>).")
    var journal: String?
    @Option(name: .long, help: "Trade the N most active symbols of the feed.")
    var symbols: Int = BacktestSetup().maxSymbols
    @Option(name: .long, parsing: .upToNextOption, help: "Trade exactly these locate codes.")
    var locates: [UInt16] = []
    @Option(name: .customLong("checkpoint-every"), help: "Inputs between checkpoint records.")
    var checkpointEvery: Int = 10_000
    @Option(name: .customLong("snapshot-every"), help: ArgumentHelp(
        "Inputs between state snapshots written beside the journal, plus one at the end (0: none).",
        discussion: "`quorum replay` splits its work over the cores at them; `--from-snapshot` starts from one. Snapshots, like the journal's segments, are byte-identical run to run."))
    var snapshotEvery: Int = 1_000_000
    @Option(name: .long, help: "Capital (currency) for returns and the risk engine.")
    var capital: Double = 1_000_000
    @Option(name: .customLong("sample-ms"), help: "Event-time milliseconds between P&L samples.")
    var sampleMs: UInt64 = 1_000
    @Flag(name: .long, help: "Also feed updates where only a price level changed.")
    var levels = false
    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false
    @Option(name: .long, help: "Config file whose [desk], [[teams]] and [[agents]] define the team (default: the built-in team).")
    var config: String?
    @Option(name: .customLong("export-ticks"),
            help: "Write the market updates the desk would step on (48-byte rows, see BacktestTick) and exit without trading.")
    var exportTicks: String?

    func validate() throws {
        guard symbols >= 1 && symbols <= 4096 else { throw ValidationError("--symbols must be in 1...4096") }
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be >= 1") }
        guard snapshotEvery >= 0 else { throw ValidationError("--snapshot-every must be >= 0 (0: no snapshots)") }
        guard capital > 0 else { throw ValidationError("--capital must be > 0") }
        guard sampleMs >= 1 else { throw ValidationError("--sample-ms must be >= 1") }
    }

    func run() throws {
        do {
            var st = stat()
            if stat(feed, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                try runOverJournal()
                return
            }
            var path = feed
            if feed.hasSuffix(".csv") {
                // LOBSTER: convert to an ITCH day file first (QuorumMarketTools' converter).
                path = "/tmp/quorum-backtest-\(getpid())-\(time(nil)).itch"
                let name = String(feed.split(separator: "/").last?.split(separator: "_").first ?? "LOBSTER")
                let s = try LobsterToITCH.convert(messagesPath: feed, seedOrderbookPath: seedOrderbook, levels: lobsterLevels,
                                                  symbol: name, outPath: path)
                ProgressLine.writeStderr("converted \(s.messagesIn) LOBSTER messages to \(s.messagesOut) ITCH messages in \(path)\n")
            }
            defer { if path != feed { unlink(path) } }
            let file = try MappedFile(path: path)
            let setup = Backtest.chooseSymbols(try baseSetup(), feed: file.bytes)
            if let exportTicks {
                let (ticks, messages) = Backtest.ticks(setup: setup, feed: file.bytes)
                let o = try OutputFile(path: exportTicks)
                try ticks.withUnsafeBytes { try o.write($0) }
                try o.close()
                print("ticks \(exportTicks): \(ticks.count) market updates of \(setup.locates.count) symbols "
                      + "(locates \(setup.locates.map(String.init).joined(separator: ","))) from \(messages) messages")
                return
            }
            let dir = journal ?? "journal/backtest-\(time(nil))"
            let backtest = try Backtest(setup: setup, journalDirectory: dir)
            backtest.snapshotEvery = snapshotEvery == 0 ? .max : snapshotEvery
            var meter = ProgressLine("backtest \(feed)", total: 0)
            let result = try backtest.run(feed: file.bytes) { n, _ in meter.advance(to: n) }
            meter.finish()
            show(result, journal: dir, unit: "messages", events: "market events/s (feed messages)")
        } catch let e as ValidationError {
            throw e
        } catch let e as ExitCode {
            throw e
        } catch {
            ProgressLine.writeStderr("quorum backtest: \(error)\n")
            throw ExitCode(2)
        }
    }

    /// The options as a setup, symbols not yet chosen.
    func baseSetup() throws -> BacktestSetup {
        var setup = BacktestSetup()
        if let config {
            let roster = try loadConfig(config).roster
            // The default roster is today's team: journal it as such (no roster lines).
            setup.roster = roster.isDefault ? nil : roster
        }
        setup.locates = locates.sorted()
        setup.maxSymbols = symbols
        setup.capital = capital
        setup.checkpointEvery = checkpointEvery
        setup.sampleNanos = sampleMs * 1_000_000
        setup.levelChanges = levels
        return setup
    }

    /// `--feed` names a coordinator journal (a live run's or a backtest's): this team over the
    /// market updates it recorded.
    func runOverJournal() throws {
        if exportTicks != nil { throw ValidationError("--export-ticks needs an ITCH or LOBSTER feed, not a journal") }
        let setup = try Backtest.chooseSymbols(try baseSetup(), journalFeed: feed)
        guard !setup.locates.isEmpty else {
            throw BacktestError.badSetup("none of the symbols Config names is in the journal \(feed)")
        }
        let dir = journal ?? "journal/backtest-\(time(nil))"
        guard dir != feed else { throw ValidationError("--journal must not be the feed journal \(feed)") }
        let backtest = try Backtest(setup: setup, journalDirectory: dir)
        backtest.snapshotEvery = snapshotEvery == 0 ? .max : snapshotEvery
        var meter = ProgressLine("backtest \(feed)", total: 0)
        let result = try backtest.run(journalFeed: feed) { n, _ in meter.advance(to: n) }
        meter.finish()
        show(result, journal: dir, unit: "recorded market updates", events: "market updates/s")
    }

    func show(_ result: BacktestRun, journal dir: String, unit: String, events: String) {
        if json {
            print(result.report.json)
        } else {
            let passed = result.messagesPassedBy > 0 ? " (\(result.messagesPassedBy) of untraded symbols passed by)" : ""
            print("feed \(feed): \(result.messages) \(unit)\(passed), \(result.decodeErrors) errors, "
                  + "\(result.marketInputs) market updates in \(String(format: "%.3f", result.seconds)) s; "
                  + "\(Int(result.eventsPerSecond)) \(events), "
                  + "\(Int(result.deskInputsPerSecond)) desk inputs/s (\(result.deskInputs) inputs)")
            let snapshots = result.snapshotsWritten > 0 ? ", \(result.snapshotsWritten) snapshots beside it" : ""
            print("journal \(dir): \(result.lastSequence) records\(snapshots)\n")
            print(result.report.render(), terminator: "")
        }
    }
}
