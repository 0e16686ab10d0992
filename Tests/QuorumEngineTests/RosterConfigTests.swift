import Foundation
import QuorumAgents
import QuorumWire
import QuorumRings
import QuorumRisk
import Testing
@testable import QuorumEngine

@Suite("Config: the team ([desk], [[teams]], [[agents]])")
struct RosterConfigTests {
    let twoCores = CPUSet([0, 1])
    var demoPath: String { repositoryRoot.appendingPathComponent("Config/demo.toml").path }

    func parse(_ toml: String) throws(ConfigError) -> QuorumConfig {
        try QuorumConfig.parse(toml, file: "team.toml", available: twoCores)
    }

    func error(_ toml: String) -> ConfigError? {
        do { _ = try parse(toml); return nil } catch { return error }
    }

    func symbols(_ names: [String]) -> [(locate: UInt16, name: String)] {
        names.enumerated().map { (UInt16($0.offset + 1), $0.element) }
    }

    @Test("a file without a team gets the built-in team, which builds exactly today's desk")
    func defaultsAreTodaysTeam() throws {
        let roster = try parse("").roster
        #expect(roster.isDefault)
        #expect(roster.agents.map(\.name) == ["trend", "rsi", "bollinger", "vwap", "imbalance", "breakout"])
        #expect(roster.teams.map(\.name) == ["macro", "alts"])
        for n in [2, 3, 8] {
            var legacy = BacktestSetup()
            legacy.locates = (1...n).map { UInt16($0) }
            legacy.names = legacy.locates.map { "S\($0)" }
            var configured = legacy
            configured.roster = roster
            let a = try legacy.makeDesk(), b = try configured.makeDesk()
            #expect(a.config == b.config)
            #expect(a.risk.engine.breakers.config == b.risk.engine.breakers.config)
        }
    }

    @Test("the demo config defines at least 7 agents in two teams, and renders back to itself")
    func demoTeam() throws {
        var config = try QuorumConfig.load(path: demoPath, available: twoCores)
        let r = config.roster
        #expect(r.teams.map(\.name) == ["macro", "alts"])
        #expect(r.agents.count >= 7)
        #expect(r.agents.filter(\.role.isAnalyst).count >= 7)
        #expect(Set(r.agents.map(\.role)).isSuperset(of: [.regime, .correlation, .portfolio, .execution, .risk, .supervisor]))
        #expect(try parse(config.renderTOML()) == config)
        // Apart from the team, the demo file spells out the defaults.
        config.roster = QuorumConfig.Roster()
        #expect(config == QuorumConfig())
    }

    @Test("definitions map onto the desk: parameters, teams, coverage, backups, delegation, specialists, desk settings")
    func mapsOntoTheDesk() throws {
        let r = try parse("""
            [desk]
            quorum = 0.7
            hold = 0.3
            conflict_policy = "first-mover"
            quarantine_strikes = 5
            [desk.role_weights]
            analyst = 0.5
            [desk.breakers]
            drawdown_degraded = 0.04
            [[teams]]
            name = "macro"
            symbols = ["AAPL", "MSFT"]
            exposure_limit = 250000
            [[teams]]
            name = "alts"
            symbols = ["GLD"]
            [[agents]]
            name = "fast"
            role = "trend"
            team = "macro"
            weight = 1.5
            time_budget_ns = 5000
            backup = "spare"
            parameters = { fast = 5, slow = 13, horizon_ns = 30000000000 }
            [[agents]]
            name = "spare"
            role = "rsi"
            symbols = ["GLD", "MSFT"]
            parameters = { period = 9, delegate_qty = 40, delegate_expiry = "cross", delegate_deadline_ns = 750000000 }
            [[agents]]
            name = "exec"
            role = "execution"
            parameters = { style = "twap", slices = 4 }
            [[agents]]
            name = "pm"
            role = "portfolio"
            parameters = { sizing = "mean-variance", lot = 100 }
            """).roster
        // Desk order: the feed's order, here GLD, AAPL, MSFT.
        let (desk, breakers) = try r.deskConfig(symbols: symbols(["GLD", "AAPL", "MSFT"]))
        #expect(desk.symbols.map(\.team) == [1, 0, 0])
        #expect(desk.teams == [TeamConfig(name: "macro", grossBudget: 250_000), TeamConfig(name: "alts")])
        #expect(desk.analysts.count == 2)
        let fast = desk.analysts[0], spare = desk.analysts[1]
        #expect(fast.kind == .trend && fast.symbols == [1, 2] && fast.team == 0 && fast.weight == 1.5)
        #expect(fast.timeBudgetNanos == 5_000 && fast.parameters.fast == 5 && fast.parameters.slow == 13)
        #expect(fast.parameters.signal == AnalystParameters().signal && fast.parameters.horizonNanos == 30_000_000_000)
        #expect(fast.delegation == nil && fast.backupFor == nil)
        #expect(spare.kind == .rsi && spare.symbols == [0, 2] && spare.backupFor == 0 && spare.parameters.period == 9)
        #expect(spare.delegation == DelegationPolicy(quantity: 40, deadlineNanos: 750_000_000, onExpiry: .cross))
        #expect(desk.execution.style == .twap && desk.execution.slices == 4)
        #expect(desk.portfolio.sizing == .meanVariance && desk.portfolio.lot == 100)
        #expect(desk.consensus.quorum == 0.7 && desk.consensus.hold == 0.3 && desk.consensus.roleWeights.analyst == 0.5)
        #expect(desk.consensus.roleWeights.risk == 0.3 && desk.conflictPolicy == .firstMover && desk.strikeLimit == 5)
        #expect(breakers.drawdownDegraded == 0.04 && breakers.correlationDegraded == .infinity)
        // A team's symbol the feed lacks is named.
        #expect(throws: ConfigError.self) { try r.deskConfig(symbols: symbols(["GLD", "AAPL"])) }
        do { _ = try r.deskConfig(symbols: symbols(["GLD", "AAPL"])) } catch {
            #expect(error.key == "teams[0].symbols" && error.found.contains("\"MSFT\""))
        }
    }

    @Test("teams without symbols split the feed's symbols; an analyst of a team covers that team's share")
    func splitTeams() throws {
        let r = try QuorumConfig.load(path: demoPath, available: twoCores).roster
        let (desk, _) = try r.deskConfig(symbols: symbols(["A", "B", "C", "D", "E"]))
        #expect(desk.symbols.map(\.team) == [0, 0, 0, 1, 1])
        let macro = desk.analysts.first { $0.name == "trend-fast" }!
        let alts = desk.analysts.first { $0.name == "bollinger" }!
        #expect(macro.symbols == [0, 1, 2] && alts.symbols == [3, 4])
        // The rsi's backup stands in for it; the imbalance analyst delegates.
        let rsi = desk.analysts.firstIndex { $0.name == "rsi" }!
        #expect(desk.analysts.first { $0.name == "rsi-backup" }!.backupFor == rsi)
        #expect(desk.analysts.first { $0.name == "imbalance" }!.delegation?.onExpiry == .cross)
    }

    // MARK: - Errors name the file, line, key, what was expected and the value found

    @Test("an unknown role")
    func unknownRole() {
        let e = error("""
            [[agents]]
            name = "x"
            role = "astrologer"
            """)
        #expect(e?.line == 3 && e?.key == "agents[0].role" && e?.found == "\"astrologer\"")
        #expect(e?.expected.contains("\"trend\"") == true)
        #expect(e?.description.hasPrefix("team.toml:3: agents[0].role: expected one of") == true)
    }

    @Test("an agent on a symbol no team has")
    func symbolNoTeamHas() {
        let e = error("""
            [[teams]]
            name = "macro"
            symbols = ["AAPL", "MSFT"]

            [[agents]]
            name = "t"
            role = "trend"
            symbols = ["AAPL", "TSLA"]
            """)
        #expect(e?.line == 8 && e?.key == "agents[0].symbols" && e?.found == "\"TSLA\"")
        #expect(e?.expected.contains("AAPL, MSFT") == true)
        // With teams that name none, an agent may name none either.
        let f = error("""
            [[agents]]
            name = "t"
            role = "trend"
            symbols = ["AAPL"]
            """)
        #expect(f?.line == 4 && f?.found == "\"AAPL\"")
    }

    @Test("a weight out of range, a bad time budget")
    func weightOutOfRange() {
        for (w, found) in [("0.0", "0.0"), ("3.5", "3.5"), ("\"heavy\"", "the string \"heavy\"")] {
            let e = error("""
                [[agents]]
                name = "t"
                role = "trend"
                weight = \(w)
                """)
            #expect(e?.line == 4 && e?.key == "agents[0].weight" && e?.found == found)
        }
        let e = error("[[agents]]\nname = \"t\"\nrole = \"rsi\"\ntime_budget_ns = 0\n")
        #expect(e?.line == 4 && e?.key == "agents[0].time_budget_ns" && e?.found == "0")
    }

    @Test("a duplicate agent name, a second specialist of one role, a duplicate team, a symbol in two teams")
    func duplicates() {
        let e = error("""
            [[agents]]
            name = "t"
            role = "trend"
            [[agents]]
            name = "t"
            role = "rsi"
            """)
        #expect(e?.line == 5 && e?.key == "agents[1].name" && e?.found == "\"t\" (a duplicate)")
        let s = error("""
            [[agents]]
            name = "r1"
            role = "risk"
            [[agents]]
            name = "r2"
            role = "risk"
            """)
        #expect(s?.line == 6 && s?.key == "agents[1].role" && s?.expected.contains("\"r1\"") == true)
        let t = error("[[teams]]\nname = \"a\"\n[[teams]]\nname = \"a\"\n")
        #expect(t?.line == 4 && t?.key == "teams[1].name")
        let x = error("[[teams]]\nname = \"a\"\nsymbols = [\"X\"]\n[[teams]]\nname = \"b\"\nsymbols = [\"Y\", \"X\"]\n")
        #expect(x?.line == 6 && x?.key == "teams[1].symbols" && x?.found == "\"X\"")
        let mixed = error("[[teams]]\nname = \"a\"\nsymbols = [\"X\"]\n[[teams]]\nname = \"b\"\n")
        #expect(mixed?.line == 4 && mixed?.key == "teams[1].symbols")
    }

    @Test("bad parameters: unknown key, wrong type, out of range, misordered pair, a key a specialist does not take")
    func badParameters() {
        func agent(_ role: String, _ params: String, extra: String = "") -> ConfigError? {
            error("[[agents]]\nname = \"a\"\nrole = \"\(role)\"\n\(extra)parameters = { \(params) }\n")
        }
        let unknown = agent("trend", "fast = 5, speed = 3")
        #expect(unknown?.line == 4 && unknown?.key == "agents[0].parameters.speed" && unknown?.found == "unknown key 'speed'")
        #expect(unknown?.expected.contains("a trend parameter: fast, slow") == true)
        let type = agent("rsi", "period = \"fourteen\"")
        #expect(type?.key == "agents[0].parameters.period" && type?.found == "the string \"fourteen\"")
        let range = agent("rsi", "period = 1")
        #expect(range?.line == 4 && range?.expected == "an integer in 2...10000" && range?.found == "1")
        let order = agent("trend", "fast = 30")
        #expect(order?.key == "agents[0].parameters.slow" && order?.found == "26.0")
        let choice = agent("execution", "style = \"iceberg\"")
        #expect(choice?.key == "agents[0].parameters.style" && choice?.found == "\"iceberg\"")
        let expiry = agent("vwap", "delegate_expiry = \"later\"")
        #expect(expiry?.found == "\"later\"")
        let specialist = agent("regime", "lambda = 0.9", extra: "weight = 2.0\n")
        #expect(specialist?.line == 4 && specialist?.key == "agents[0].weight" && specialist?.found == "unknown key 'weight'")
        let backup = error("[[agents]]\nname = \"a\"\nrole = \"trend\"\nbackup = \"ghost\"\n")
        #expect(backup?.line == 4 && backup?.key == "agents[0].backup" && backup?.found == "\"ghost\"")
        let team = error("[[agents]]\nname = \"a\"\nrole = \"trend\"\nteam = \"nobody\"\n")
        #expect(team?.line == 4 && team?.key == "agents[0].team" && team?.expected.contains("\"macro\"") == true)
        let desk = error("[desk]\nquorum = 0.5\nhold = 0.6\n")
        #expect(desk?.line == 3 && desk?.key == "desk.hold" && desk?.found == "0.6")
        let breakers = error("[desk.breakers]\ndrawdown_degraded = 0.1\n")
        #expect(breakers?.key == "desk.breakers.drawdown_degraded" && breakers?.line == 2)
        let policy = error("[desk]\nconflict_policy = \"coin-flip\"\n")
        #expect(policy?.line == 2 && policy?.found == "\"coin-flip\"")
    }

    @Test("the journaled setup carries the team and decodes to the same setup; old setups keep today's team")
    func setupRoundTrip() throws {
        var setup = BacktestSetup()
        setup.locates = [3, 5, 9, 11]
        setup.names = ["AAA", "BBB", "CCC", "DDD"]
        setup.roster = try QuorumConfig.load(path: demoPath, available: twoCores).roster
        let text = setup.encoded
        #expect(text.contains("\nroster=[[agents]]\n"))
        let back = try BacktestSetup.decode(text)
        #expect(back == setup)
        #expect(try back.makeDesk().config == setup.makeDesk().config)
        #expect(back.teams.map(\.name) == ["macro", "alts"] && back.team(ofSymbol: 3) == 1)

        var old = BacktestSetup()
        old.locates = [3, 5]
        old.names = ["AAA", "BBB"]
        let decodedOld = try BacktestSetup.decode(old.encoded)
        #expect(decodedOld.roster == nil && !old.encoded.contains("roster="))
        #expect(try decodedOld.makeDesk().config.analysts.map(\.name) == ["trend", "rsi", "bollinger", "vwap", "imbalance", "breakout"])

        // A damaged roster line is a bad setup, not a silent default.
        let damaged = text.replacingOccurrences(of: "roster=role = \"rsi\"", with: "roster=role = \"oracle\"")
        #expect(throws: BacktestError.self) { try BacktestSetup.decode(damaged) }
    }

    // MARK: - The team in a backtest

    /// Stock-directory messages naming locate i+1 `names[i]`, then the test day (whose
    /// locates are 1…symbols).
    static func namedFeed(_ names: [String], messages: Int) -> [UInt8] {
        var head = [UInt8](repeating: 0, count: 64 * names.count)
        let used = head.withUnsafeMutableBytes { raw -> Int in
            var w = ITCHDayFile.Writer(raw)
            for (i, name) in names.enumerated() {
                let header = ITCH.Header(stockLocate: StockLocate(UInt16(i + 1)), timestamp: Timestamp(34_000_000_000_000))
                try! w.append(.stockDirectory(.init(
                    header: header, stock: Stock(name), marketCategory: UInt8(ascii: "Q"), financialStatusIndicator: UInt8(ascii: "N"),
                    roundLotSize: 100, roundLotsOnly: UInt8(ascii: "N"), issueClassification: UInt8(ascii: "C"), issueSubType: 0x5A20,
                    authenticity: UInt8(ascii: "P"), shortSaleThresholdIndicator: UInt8(ascii: "N"), ipoFlag: UInt8(ascii: " "),
                    luldReferencePriceTier: UInt8(ascii: "1"), etpFlag: UInt8(ascii: "N"), etpLeverageFactor: 0,
                    inverseIndicator: UInt8(ascii: "N"))))
            }
            return w.position
        }
        return Array(head[0..<used]) + TestDay.bytes(symbols: names.count, messages: messages, seed: 0xFEED)
    }

    func backtest(_ feed: [UInt8], roster: QuorumConfig.Roster?, journal: String) throws -> BacktestRun {
        var setup = BacktestSetup()
        setup.maxSymbols = 4
        setup.checkpointEvery = 500
        setup.sampleNanos = 50_000_000
        setup.roster = roster
        return try feed.withUnsafeBytes { bytes in
            setup = Backtest.chooseSymbols(setup, feed: bytes)
            return try Backtest(setup: setup, journalDirectory: journal).run(feed: bytes)
        }
    }

    @Test("the demo team backtests: identical journals twice, replay rebuilds the same desk from the journal alone")
    func demoTeamBacktestReplays() throws {
        let roster = try QuorumConfig.load(path: demoPath, available: twoCores).roster
        let feed = TestDay.bytes(symbols: 4, messages: 40_000, seed: 0xFEED)
        let a = tempDirectory("team-a"), b = tempDirectory("team-b")
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        let ra = try backtest(feed, roster: roster, journal: a)
        let rb = try backtest(feed, roster: roster, journal: b)
        #expect(ra.report.fills > 0)
        #expect(ra.report.agents.map(\.agent) == roster.agents.filter(\.role.isAnalyst).map(\.name))
        #expect(ra.report.teams.map(\.team) == ["macro", "alts"])
        #expect(ra.report.delegations > 0)
        #expect(ra.report.delegationsExpired + ra.report.delegationsCrossed + ra.report.delegationsFilled > 0)
        #expect(ra.report == rb.report.withJournal(ra.report.journal))
        for name in try FileManager.default.contentsOfDirectory(atPath: a) {
            #expect(stableBytes(a + "/" + name) == stableBytes(b + "/" + name), "\(name) differs")
        }
        let replay = try CoordinatorReplay.run(directory: a)
        #expect(replay.mismatches == 0 && replay.checkpointsChecked > 1)
        #expect(replay.report == ra.report)

        // The default team journals no roster and trades differently from the demo team.
        let c = tempDirectory("team-c")
        defer { try? FileManager.default.removeItem(atPath: c) }
        let rc = try backtest(feed, roster: nil, journal: c)
        #expect(rc.report.agents.map(\.agent) == ["trend", "rsi", "bollinger", "vwap", "imbalance", "breakout"])
        #expect(rc.report.delegations == 0 && rc.report.stateHash != ra.report.stateHash)
    }

    @Test("a team that names its symbols trades those, found by name in the stock directory; a missing one is named")
    func namedSymbols() throws {
        var roster = QuorumConfig.Roster()
        roster.teams = [.init(name: "macro", symbols: ["MSFT", "AAPL"]), .init(name: "alts", symbols: ["GLD"])]
        let feed = Self.namedFeed(["AAPL", "IBM", "MSFT", "GLD"], messages: 20_000)
        let dir = tempDirectory("team-named")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try backtest(feed, roster: roster, journal: dir)
        #expect(run.report.symbols.map(\.symbol) == ["AAPL", "MSFT", "GLD"])
        #expect(run.report.symbols.map(\.team) == ["macro", "macro", "alts"])
        #expect(run.report.marketUpdates > 0)
        #expect(try CoordinatorReplay.run(directory: dir).mismatches == 0)

        roster.teams[1].symbols = ["TSLA"]
        let missing = tempDirectory("team-missing")
        defer { try? FileManager.default.removeItem(atPath: missing) }
        do {
            _ = try backtest(feed, roster: roster, journal: missing)
            Issue.record("a team symbol missing from the feed must be refused")
        } catch {
            #expect("\(error)".contains("\"TSLA\" (not in the feed)"))
        }
    }
}
