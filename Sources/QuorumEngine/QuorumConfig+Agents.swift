import QuorumAgents
import QuorumRisk
import TOMLKit

// The trading team in Config: `[desk]` (consensus, conflicts, quarantine, breakers),
// `[[teams]]` (name, symbols, exposure limit) and `[[agents]]` (name, role, parameters,
// symbols, team, weight, time budget, backup). Every key has a default, and a file that
// names no agents and no teams gets today's team: one analyst of each built-in kind over
// every symbol, the symbols the feed offers split between "macro" and "alts".
//
// `Roster.deskConfig(symbols:)` maps the definitions onto QuorumAgents' `DeskConfig` once
// the symbol names are resolved to feed locates (from the feed's stock directory).

extension QuorumConfig {
    /// The team as Config defines it: desk-wide settings, teams and agents.
    public struct Roster: Sendable, Equatable {
        public var desk = DeskSettings()
        public var teams: [TeamDefinition] = [TeamDefinition(name: "macro"), TeamDefinition(name: "alts")]
        public var agents: [AgentDefinition] = AgentRole.analystRoles.map { AgentDefinition(name: $0.rawValue, role: $0) }

        public init() {}

        /// Whether this is the built-in default team (what a file without `[desk]`,
        /// `[[teams]]` and `[[agents]]` gets).
        public var isDefault: Bool { self == Roster() }

        /// Symbol names the teams list, in team order; empty = trade what the feed offers.
        public var namedSymbols: [String] { teams.flatMap(\.symbols) }
    }

    /// `[desk]`: how the team decides together.
    public struct DeskSettings: Sendable, Equatable {
        /// Consensus score (0…1) a stance needs to be approved…
        public var quorum = 0.6
        /// …and to stay approved.
        public var hold = 0.4
        /// Analysts voting with the stance needed for approval.
        public var minSupporters = 1
        public var conflictPolicy = ConflictPolicy.confidenceWeighted
        /// Confidence a challenger needs above the incumbent (confidence-weighted policy).
        public var overrideMargin = 0.2
        /// Role weights in the vote (`[desk.role_weights]`).
        public var roleWeights = RoleWeights()
        /// Invalid-output or overrun events before an agent is quarantined.
        public var quarantineStrikes = 3
        /// Size multiplier in degraded mode.
        public var degradedScale = 0.5
        /// In emergency: flatten (true) or only stop trading (false).
        public var flattenOnEmergency = false
        /// Delegated setups the execution agent works at once.
        public var delegationCapacity = 32
        /// The risk breakers' thresholds (`[desk.breakers]`). The correlation breaker is off by
        /// default: with a handful of return vectors every EWMA correlation is ±1.
        public var breakers = DeskSettings.defaultBreakers

        public init() {}

        public static var defaultBreakers: BreakerConfig {
            var b = BreakerConfig()
            b.correlationDegraded = .infinity
            return b
        }
    }

    /// `[[teams]]`: a team, the symbols it trades and the gross notional its lead keeps it in.
    public struct TeamDefinition: Sendable, Equatable {
        public var name: String
        /// Stock symbols (as in the feed's stock directory); empty in every team = the feed's
        /// symbols, split between the teams in order.
        public var symbols: [String] = []
        /// Gross notional (currency) the team lead balances within.
        public var exposureLimit = Double.infinity

        public init(name: String, symbols: [String] = [], exposureLimit: Double = .infinity) {
            self.name = name; self.symbols = symbols; self.exposureLimit = exposureLimit
        }
    }

    /// What an agent does: an analyst strategy or one of the specialists (one each).
    public enum AgentRole: String, Sendable, Equatable, CaseIterable {
        case trend, rsi, bollinger, vwap, imbalance, breakout
        case regime, correlation, portfolio, execution, risk, supervisor

        public static let analystRoles: [AgentRole] = [.trend, .rsi, .bollinger, .vwap, .imbalance, .breakout]
        public var isAnalyst: Bool { analystKind != nil }
        public var analystKind: AnalystKind? {
            switch self {
            case .trend: .trend
            case .rsi: .rsi
            case .bollinger: .bollinger
            case .vwap: .vwap
            case .imbalance: .imbalance
            case .breakout: .breakout
            default: nil
            }
        }
    }

    /// A value in an agent's `parameters` table.
    public enum ParameterValue: Sendable, Equatable {
        case number(Double)
        case text(String)
        case flag(Bool)
    }

    /// `[[agents]]`: one agent. Specialists take only name, role and parameters.
    public struct AgentDefinition: Sendable, Equatable {
        public var name: String
        public var role: AgentRole
        /// Symbols it covers; empty = its team's symbols (every symbol without a team).
        public var symbols: [String] = []
        public var team: String?
        /// Initial performance weight in consensus.
        public var weight = 1.0
        /// Time budget per call (ns).
        public var timeBudgetNanos: UInt64 = 2_000
        /// The analyst that stands in when this one is quarantined.
        public var backup: String?
        /// Only the keys given; the rest keep their defaults (see `AgentRole.parameterKeys`).
        public var parameters: [String: ParameterValue] = [:]

        public init(name: String, role: AgentRole, symbols: [String] = [], team: String? = nil, weight: Double = 1,
                    timeBudgetNanos: UInt64 = 2_000, backup: String? = nil, parameters: [String: ParameterValue] = [:]) {
            self.name = name; self.role = role; self.symbols = symbols; self.team = team; self.weight = weight
            self.timeBudgetNanos = timeBudgetNanos; self.backup = backup; self.parameters = parameters
        }
    }
}

// MARK: - Parameter schema

/// The type and allowed values of one agent parameter.
enum _ParameterKind: Equatable {
    case integer(ClosedRange<Int>)
    case number(ClosedRange<Double>)
    case choice([String])
    case flag

    var expected: String {
        switch self {
        case .integer(let r): "an integer in \(r)"
        case .number(let r): "a number in \(r.lowerBound)...\(r.upperBound)"
        case .choice(let c): "one of " + c.map { "\"\($0)\"" }.joined(separator: ", ")
        case .flag: "true or false"
        }
    }
}

extension QuorumConfig.AgentRole {
    static let day = 86_400_000_000_000

    /// Every parameter the role takes, with its kind.
    var parameterKeys: [(String, _ParameterKind)] {
        let analyst: [(String, _ParameterKind)] = [
            ("horizon_ns", .integer(1...Self.day)),
            ("asks_correlation", .flag),
            // Delegation: 0 = none; else the analyst hands each view as a setup of this many
            // units to the execution agent, resting `delegate_offset_ticks` inside its own
            // side's best (negative: behind it) until the deadline.
            ("delegate_qty", .integer(0...10_000_000)),
            ("delegate_offset_ticks", .integer(-1_000_000...1_000_000)),
            ("delegate_deadline_ns", .integer(1...Self.day)),
            ("delegate_expiry", .choice(["cancel", "cross"])),
        ]
        switch self {
        case .trend:
            return [("fast", .integer(1...10_000)), ("slow", .integer(2...10_000)), ("signal", .integer(1...10_000)),
                    ("threshold", .number(0...1))] + analyst
        case .rsi:
            return [("period", .integer(2...10_000)), ("oversold", .number(0...100)), ("overbought", .number(0...100))] + analyst
        case .bollinger:
            return [("window", .integer(2...100_000)), ("band_width", .number(0.1...10))] + analyst
        case .vwap:
            return [("window", .integer(1...100_000)), ("threshold", .number(0...1))] + analyst
        case .imbalance:
            return [("imbalance", .number(0...1))] + analyst
        case .breakout:
            return [("window", .integer(2...100_000)), ("threshold", .number(0...1))] + analyst
        case .regime:
            return [("lambda", .number(0.01...0.9999)), ("volatile_enter", .number(0...1)), ("volatile_exit", .number(0...1)),
                    ("trend_enter", .number(0...100)), ("trend_exit", .number(0...100)), ("warmup", .integer(1...1_000_000))]
        case .correlation:
            return [("answers_per_step", .integer(0...1024)), ("exposure_limit", .number(0...1e15)),
                    ("ask_deadline_ns", .integer(1...Self.day))]
        case .portfolio:
            return [("sizing", .choice(["volatility-target", "mean-variance"])), ("risk_budget", .number(1e-6...1e12)),
                    ("risk_aversion", .number(1e-6...1e6)), ("max_notional", .number(1e-6...1e15)),
                    ("default_volatility", .number(1e-9...1)), ("lot", .integer(1...1_000_000)),
                    ("rebalance_threshold", .number(0...0.99))]
        case .execution:
            return [("style", .choice(["immediate", "passive", "twap", "vwap", "pov"])), ("duration_ns", .integer(1...Self.day)),
                    ("slices", .integer(1...10_000)), ("participation", .number(0.001...1)),
                    ("max_spread_bp", .number(0.01...10_000))]
        case .risk:
            return [("clock_ns", .integer(1...Self.day))]
        case .supervisor:
            return [("risk_off_enter", .number(0...1)), ("risk_off_exit", .number(0...1))]
        }
    }

    /// Pairs that must be ordered: (lower key, higher key, lower's default, higher's default, strict).
    var orderedPairs: [(String, String, Double, Double, Bool)] {
        let a = AnalystParameters(), r = RegimeParameters(), s = SupervisorParameters()
        switch self {
        case .trend: return [("fast", "slow", Double(a.fast), Double(a.slow), true)]
        case .rsi: return [("oversold", "overbought", a.oversold, a.overbought, true)]
        case .regime: return [("volatile_exit", "volatile_enter", r.volatileExit, r.volatileEnter, false),
                              ("trend_exit", "trend_enter", r.trendExit, r.trendEnter, false)]
        case .supervisor: return [("risk_off_exit", "risk_off_enter", s.riskOffExit, s.riskOffEnter, false)]
        default: return []
        }
    }
}

// MARK: - Loading

extension QuorumConfig {
    /// Reads `[desk]`, `[[teams]]` and `[[agents]]` from `root` and checks them together.
    mutating func loadRoster(from root: inout _TableReader) throws(ConfigError) {
        var roster = Roster()
        if var desk = try root.table("desk") {
            try roster.desk.read(&desk)
            try desk.finish()
        }
        if let teams = try root.arrayOfTables("teams") {
            guard !teams.isEmpty else { throw root.error("teams", expected: "at least one [[teams]] table", found: "an empty array") }
            roster.teams = []
            for var t in teams {
                let name = try t.string("name", default: nil, nonEmpty: true)
                let symbols = try t.stringList("symbols", default: [], what: "stock symbols")
                let limit = try t.double("exposure_limit", default: .infinity)
                guard limit > 0 else { throw t.error("exposure_limit", expected: "a number > 0 (inf: no limit)", found: "\(limit)") }
                for s in symbols where !Self.isSymbolName(s) {
                    throw t.error("symbols", expected: "stock symbols of 1 to 8 letters, digits, '.' or '-'", found: "\"\(s)\"")
                }
                if let dup = roster.teams.firstIndex(where: { $0.name == name }) {
                    throw t.error("name", expected: "a name no other team has (teams[\(dup)] is \"\(name)\")", found: "\"\(name)\"")
                }
                for s in symbols {
                    if let other = roster.teams.first(where: { $0.symbols.contains(s) }) {
                        throw t.error("symbols", expected: "symbols no other team has (\"\(s)\" is in team \"\(other.name)\")", found: "\"\(s)\"")
                    }
                    if symbols.filter({ $0 == s }).count > 1 { throw t.error("symbols", expected: "each symbol once", found: "\"\(s)\" twice") }
                }
                try t.finish()
                roster.teams.append(TeamDefinition(name: name, symbols: symbols, exposureLimit: limit))
            }
            let naming = roster.teams.filter { !$0.symbols.isEmpty }.count
            if naming > 0 && naming < roster.teams.count, let k = roster.teams.firstIndex(where: { $0.symbols.isEmpty }) {
                throw root.error("teams[\(k)].symbols",
                                 expected: "symbols in every team or in none (none: the feed's symbols are split between them)",
                                 found: "no symbols in team \"\(roster.teams[k].name)\"")
            }
        }
        if let agents = try root.arrayOfTables("agents") {
            guard !agents.isEmpty else { throw root.error("agents", expected: "at least one [[agents]] table", found: "an empty array") }
            roster.agents = []
            for var a in agents {
                roster.agents.append(try Self.readAgent(&a, roster: roster))
                try a.finish()
            }
            try Self.checkAgents(roster, root: root)
        }
        self.roster = roster
    }

    static func isSymbolName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 8
            && s.unicodeScalars.allSatisfy { ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" }
    }

    static func readAgent(_ a: inout _TableReader, roster: Roster) throws(ConfigError) -> AgentDefinition {
        let name = try a.string("name", default: nil, nonEmpty: true)
        if roster.agents.contains(where: { $0.name == name }) {
            throw a.error("name", expected: "a name no other agent has", found: "\"\(name)\" (a duplicate)")
        }
        let roleName = try a.choice("role", default: "", among: AgentRole.allCases.map(\.rawValue))
        guard let role = AgentRole(rawValue: roleName) else {
            throw a.error("role", expected: "one of " + AgentRole.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "),
                          found: "nothing (the key is required)")
        }
        var agent = AgentDefinition(name: name, role: role)
        if !role.isAnalyst, let other = roster.agents.first(where: { $0.role == role }) {
            throw a.error("role", expected: "at most one \(role.rawValue) agent (\"\(other.name)\" is one)", found: "\"\(role.rawValue)\"")
        }
        if role.isAnalyst {
            agent.symbols = try a.stringList("symbols", default: [], what: "stock symbols")
            let known = roster.namedSymbols
            for s in agent.symbols where !known.contains(s) {
                let teams = known.isEmpty
                    ? "the teams name none: the feed's symbols are split between them, so an agent names none either"
                    : known.joined(separator: ", ")
                throw a.error("symbols", expected: "symbols a team has (\(teams))", found: "\"\(s)\"")
            }
            if a.table["team"] != nil {
                let team = try a.string("team", default: nil, nonEmpty: true)
                guard roster.teams.contains(where: { $0.name == team }) else {
                    throw a.error("team", expected: "one of the teams " + roster.teams.map { "\"\($0.name)\"" }.joined(separator: ", "),
                                  found: "\"\(team)\"")
                }
                agent.team = team
            }
            let c = ConsensusParameters()
            agent.weight = try a.double("weight", default: 1)
            guard agent.weight >= c.minWeight && agent.weight <= c.maxWeight else {
                throw a.error("weight", expected: "a number in \(c.minWeight)...\(c.maxWeight) (the consensus weight bounds)",
                              found: "\(agent.weight)")
            }
            agent.timeBudgetNanos = UInt64(try a.int("time_budget_ns", default: 2_000, range: 1...1_000_000_000))
            if a.table["backup"] != nil { agent.backup = try a.string("backup", default: nil, nonEmpty: true) }
        }
        if var p = try a.table("parameters") {
            for (key, kind) in role.parameterKeys where p.table[key] != nil {
                agent.parameters[key] = try p.parameter(key, kind)
            }
            for (lo, hi, dlo, dhi, strict) in role.orderedPairs {
                let l = agent.parameters[lo]?.number ?? dlo, h = agent.parameters[hi]?.number ?? dhi
                if strict ? !(l < h) : !(l <= h) {
                    throw p.error(hi, expected: "a value \(strict ? "above" : "at least") \(lo) (\(l))", found: "\(h)")
                }
            }
            do { try p.finish() } catch {
                throw ConfigError(file: error.file, line: error.line, key: error.key,
                                  expected: "a \(role.rawValue) parameter: " + role.parameterKeys.map(\.0).joined(separator: ", "),
                                  found: error.found)
            }
        }
        return agent
    }

    /// Backups name other analysts, each serving one primary.
    static func checkAgents(_ roster: Roster, root: _TableReader) throws(ConfigError) {
        var served: [String: String] = [:]
        for (i, a) in roster.agents.enumerated() {
            guard let b = a.backup else { continue }
            let key = "agents[\(i)].backup"
            guard b != a.name else { throw root.error(key, expected: "another agent's name", found: "\"\(b)\" (itself)") }
            guard let backup = roster.agents.first(where: { $0.name == b }) else {
                throw root.error(key, expected: "the name of an agent defined in [[agents]]", found: "\"\(b)\"")
            }
            guard backup.role.isAnalyst else { throw root.error(key, expected: "an analyst", found: "\"\(b)\" (a \(backup.role.rawValue) agent)") }
            if let first = served[b] {
                throw root.error(key, expected: "an agent that backs up no other (\"\(b)\" backs up \"\(first)\")", found: "\"\(b)\"")
            }
            served[b] = a.name
        }
        guard roster.agents.filter(\.role.isAnalyst).count <= 64 else {
            throw root.error("agents", expected: "at most 64 analysts", found: "\(roster.agents.filter(\.role.isAnalyst).count)")
        }
    }
}

extension QuorumConfig.ParameterValue {
    var number: Double? { if case .number(let x) = self { return x } else { return nil } }
    var text: String? { if case .text(let s) = self { return s } else { return nil } }
    var flag: Bool? { if case .flag(let b) = self { return b } else { return nil } }
}

extension QuorumConfig.DeskSettings {
    mutating func read(_ t: inout _TableReader) throws(ConfigError) {
        let d = QuorumConfig.DeskSettings()
        quorum = try t.double("quorum", default: d.quorum)
        guard quorum >= 0 && quorum <= 1 else { throw t.error("quorum", expected: "a number in 0...1", found: "\(quorum)") }
        hold = try t.double("hold", default: d.hold)
        guard hold >= 0 && hold <= quorum else { throw t.error("hold", expected: "a number in 0...quorum (\(quorum))", found: "\(hold)") }
        minSupporters = try t.int("min_supporters", default: d.minSupporters, range: 1...64)
        let policies = ConflictPolicy.allCases.map(\.configName)
        conflictPolicy = ConflictPolicy(configName: try t.choice("conflict_policy", default: d.conflictPolicy.configName, among: policies))!
        overrideMargin = try t.double("override_margin", default: d.overrideMargin)
        guard overrideMargin >= 0 && overrideMargin <= 1 else {
            throw t.error("override_margin", expected: "a number in 0...1", found: "\(overrideMargin)")
        }
        quarantineStrikes = try t.int("quarantine_strikes", default: d.quarantineStrikes, range: 1...1_000_000)
        degradedScale = try t.double("degraded_scale", default: d.degradedScale)
        guard degradedScale > 0 && degradedScale <= 1 else {
            throw t.error("degraded_scale", expected: "a number in (0, 1]", found: "\(degradedScale)")
        }
        flattenOnEmergency = try t.bool("flatten_on_emergency", default: d.flattenOnEmergency)
        delegationCapacity = try t.int("delegation_capacity", default: d.delegationCapacity, range: 1...4096)
        if var w = try t.table("role_weights") {
            let r = RoleWeights()
            var weights = RoleWeights(analyst: 0, risk: 0, portfolio: 0, execution: 0)
            for (key, path, fallback) in [("analyst", \RoleWeights.analyst, r.analyst), ("risk", \RoleWeights.risk, r.risk),
                                          ("portfolio", \RoleWeights.portfolio, r.portfolio),
                                          ("execution", \RoleWeights.execution, r.execution)] {
                let x = try w.double(key, default: fallback)
                guard x >= 0 && x <= 1 else { throw w.error(key, expected: "a number in 0...1", found: "\(x)") }
                weights[keyPath: path] = x
            }
            guard weights.total > 0 else { throw w.error("analyst", expected: "role weights summing to more than 0", found: "all 0") }
            roleWeights = weights
            try w.finish()
        }
        if var b = try t.table("breakers") {
            let x = d.breakers
            var k = BreakerConfig()
            let fields: [(String, WritableKeyPath<BreakerConfig, Double>, Double)] = [
                ("daily_loss_degraded", \.dailyLossDegraded, x.dailyLossDegraded),
                ("daily_loss_emergency", \.dailyLossEmergency, x.dailyLossEmergency),
                ("drawdown_degraded", \.drawdownDegraded, x.drawdownDegraded),
                ("drawdown_emergency", \.drawdownEmergency, x.drawdownEmergency),
                ("correlation_degraded", \.correlationDegraded, x.correlationDegraded),
                ("correlation_emergency", \.correlationEmergency, x.correlationEmergency),
                ("confidence_degraded", \.confidenceDegraded, x.confidenceDegraded),
                ("confidence_emergency", \.confidenceEmergency, x.confidenceEmergency),
            ]
            for (key, path, fallback) in fields {
                let v = try b.double(key, default: fallback)
                guard !v.isNaN && v >= 0 else { throw b.error(key, expected: "a number >= 0 (inf: never)", found: "\(v)") }
                k[keyPath: path] = v
            }
            do { try k.validate() } catch {
                guard case .invalidConfig(let field, let value, let reason) = error else {
                    throw b.error("daily_loss_degraded", expected: "valid breaker thresholds", found: "\(error)")
                }
                // "risk.breakers.NAME" → the degraded key of that pair.
                let pair = field.split(separator: ".").last.map(String.init) ?? field
                throw b.error("\(pair)_degraded", expected: reason, found: value)
            }
            breakers = k
            try b.finish()
        }
    }
}

extension ConflictPolicy {
    /// The name in Config's `[desk] conflict_policy`.
    public var configName: String {
        switch self {
        case .firstMover: "first-mover"
        case .confidenceWeighted: "confidence-weighted"
        case .supervisorArbitration: "supervisor"
        }
    }

    public init?(configName: String) {
        guard let p = ConflictPolicy.allCases.first(where: { $0.configName == configName }) else { return nil }
        self = p
    }
}

extension _TableReader {
    mutating func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        guard let v = value(key) else { return fallback }
        guard v.type == .bool, let b = v.bool else { throw error(key, expected: "true or false", found: describe(v)) }
        return b
    }

    mutating func parameter(_ key: String, _ kind: _ParameterKind) throws(ConfigError) -> QuorumConfig.ParameterValue {
        guard let v = value(key) else { throw error(key, expected: kind.expected, found: "nothing") }
        switch kind {
        case .integer(let r):
            guard v.type == .int, let n = v.int else { throw error(key, expected: kind.expected, found: describe(v)) }
            guard r.contains(n) else { throw error(key, expected: kind.expected, found: "\(n)") }
            return .number(Double(n))
        case .number(let r):
            let x: Double
            if v.type == .double, let d = v.double { x = d } else if v.type == .int, let n = v.int { x = Double(n) } else {
                throw error(key, expected: kind.expected, found: describe(v))
            }
            guard r.contains(x) else { throw error(key, expected: kind.expected, found: "\(x)") }
            return .number(x)
        case .choice(let c):
            guard v.type == .string, let s = v.string else { throw error(key, expected: kind.expected, found: describe(v)) }
            guard c.contains(s) else { throw error(key, expected: kind.expected, found: "\"\(s)\"") }
            return .text(s)
        case .flag:
            guard v.type == .bool, let b = v.bool else { throw error(key, expected: kind.expected, found: describe(v)) }
            return .flag(b)
        }
    }
}

// MARK: - Rendering

extension QuorumConfig.Roster {
    /// `[desk]`, `[[teams]]`, `[[agents]]` as TOML that loads back to this roster.
    public func renderTOML() -> String {
        let d = desk, w = d.roleWeights, b = d.breakers
        var out = """

            [desk]
            quorum = \(d.quorum)
            hold = \(d.hold)
            min_supporters = \(d.minSupporters)
            conflict_policy = "\(d.conflictPolicy.configName)"
            override_margin = \(d.overrideMargin)
            quarantine_strikes = \(d.quarantineStrikes)
            degraded_scale = \(d.degradedScale)
            flatten_on_emergency = \(d.flattenOnEmergency)
            delegation_capacity = \(d.delegationCapacity)

            [desk.role_weights]
            analyst = \(w.analyst)
            risk = \(w.risk)
            portfolio = \(w.portfolio)
            execution = \(w.execution)

            [desk.breakers]
            daily_loss_degraded = \(b.dailyLossDegraded)
            daily_loss_emergency = \(b.dailyLossEmergency)
            drawdown_degraded = \(b.drawdownDegraded)
            drawdown_emergency = \(b.drawdownEmergency)
            correlation_degraded = \(b.correlationDegraded)
            correlation_emergency = \(b.correlationEmergency)
            confidence_degraded = \(b.confidenceDegraded)
            confidence_emergency = \(b.confidenceEmergency)

            """
        func list(_ xs: [String]) -> String { "[" + xs.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        for t in teams {
            out += "\n[[teams]]\nname = \"\(t.name)\"\nsymbols = \(list(t.symbols))\nexposure_limit = \(t.exposureLimit)\n"
        }
        for a in agents {
            out += "\n[[agents]]\nname = \"\(a.name)\"\nrole = \"\(a.role.rawValue)\"\n"
            if a.role.isAnalyst {
                out += "symbols = \(list(a.symbols))\n"
                if let team = a.team { out += "team = \"\(team)\"\n" }
                out += "weight = \(a.weight)\ntime_budget_ns = \(a.timeBudgetNanos)\n"
                if let backup = a.backup { out += "backup = \"\(backup)\"\n" }
            }
            var items: [String] = []
            for (key, kind) in a.role.parameterKeys {
                guard let v = a.parameters[key] else { continue }
                switch v {
                case .number(let x):
                    if case .integer = kind, let n = Int(exactly: x) { items.append("\(key) = \(n)") } else { items.append("\(key) = \(x)") }
                case .text(let s): items.append("\(key) = \"\(s)\"")
                case .flag(let f): items.append("\(key) = \(f)")
                }
            }
            out += "parameters = { \(items.joined(separator: ", ")) }\n"
        }
        return out
    }
}

// MARK: - Mapping onto the desk

extension QuorumConfig.Roster {
    /// The desk's configuration and the risk breakers for `symbols` (feed locate and stock
    /// name, in desk order).
    ///
    /// Teams that name symbols take those; teams that name none split the symbols in order
    /// (the first ⌈n/teams⌉ to the first team, …). An analyst without symbols covers its
    /// team's symbols, or every symbol when it names no team or its team has none here.
    /// - Throws: `ConfigError` (file `source`) for a symbol a team names that `symbols` lacks.
    public func deskConfig(symbols: [(locate: UInt16, name: String)],
                           source: String = "config") throws(ConfigError) -> (desk: DeskConfig, breakers: BreakerConfig) {
        let n = symbols.count
        let names = symbols.map(\.name)
        var teamOf = [Int](repeating: 0, count: n)
        if namedSymbols.isEmpty {
            let per = max(1, (n + teams.count - 1) / max(1, teams.count))
            for i in 0..<n { teamOf[i] = min(teams.count - 1, i / per) }
        } else {
            for (t, team) in teams.enumerated() {
                for s in team.symbols {
                    guard let i = names.firstIndex(of: s) else {
                        throw ConfigError(file: source, key: "teams[\(t)].symbols",
                                          expected: "symbols in the feed's stock directory", found: "\"\(s)\" (not in the feed)")
                    }
                    teamOf[i] = t
                }
            }
            for name in names where !namedSymbols.contains(name) {
                throw ConfigError(file: source, key: "teams", expected: "every traded symbol in a team", found: "\"\(name)\" in none")
            }
        }
        func teamIndex(_ name: String?) -> Int? { name.flatMap { t in teams.firstIndex { $0.name == t } } }

        var analysts: [AnalystConfig] = []
        var cfg = DeskConfig(symbols: (0..<n).map { DeskSymbol(locate: symbols[$0].locate, team: teamOf[$0]) },
                             teams: teams.map { TeamConfig(name: $0.name, grossBudget: $0.exposureLimit) }, analysts: [])
        let analystDefs = agents.filter(\.role.isAnalyst)
        for a in analystDefs {
            let team = teamIndex(a.team)
            var covered: [Int] = a.symbols.compactMap { names.firstIndex(of: $0) }
            if a.symbols.isEmpty, let team {
                covered = (0..<n).filter { teamOf[$0] == team }
            }
            if !a.symbols.isEmpty && covered.isEmpty {
                throw ConfigError(file: source, key: "agents.\(a.name).symbols", expected: "symbols in the feed",
                                  found: a.symbols.joined(separator: ", "))
            }
            var c = AnalystConfig(name: a.name, kind: a.role.analystKind!, symbols: covered, team: team ?? 0, weight: a.weight,
                                  timeBudgetNanos: a.timeBudgetNanos)
            let p = a.parameters
            func num(_ k: String) -> Double? { p[k]?.number }
            if let x = num("fast") { c.parameters.fast = Int(x) }
            if let x = num("slow") { c.parameters.slow = Int(x) }
            if let x = num("signal") { c.parameters.signal = Int(x) }
            if let x = num("period") { c.parameters.period = Int(x) }
            if let x = num("window") { c.parameters.window = Int(x) }
            if let x = num("band_width") { c.parameters.bandWidth = x }
            if let x = num("threshold") { c.parameters.threshold = x }
            if let x = num("oversold") { c.parameters.oversold = x }
            if let x = num("overbought") { c.parameters.overbought = x }
            if let x = num("imbalance") { c.parameters.imbalance = x }
            if let x = num("horizon_ns") { c.parameters.horizonNanos = UInt64(x) }
            if let f = p["asks_correlation"]?.flag { c.asksCorrelation = f }
            if let q = num("delegate_qty"), q > 0 {
                var d = DelegationPolicy(quantity: Int64(q))
                if let x = num("delegate_offset_ticks") { d.offsetTicks = Int64(x) }
                if let x = num("delegate_deadline_ns") { d.deadlineNanos = UInt64(x) }
                if p["delegate_expiry"]?.text == "cross" { d.onExpiry = .cross }
                c.delegation = d
            }
            analysts.append(c)
        }
        for (i, a) in analystDefs.enumerated() {
            guard let b = a.backup, let k = analystDefs.firstIndex(where: { $0.name == b }) else { continue }
            analysts[k].backupFor = i
        }
        cfg.analysts = analysts

        for a in agents where !a.role.isAnalyst {
            let p = a.parameters
            func num(_ k: String) -> Double? { p[k]?.number }
            switch a.role {
            case .regime:
                if let x = num("lambda") { cfg.regime.lambda = x }
                if let x = num("volatile_enter") { cfg.regime.volatileEnter = x }
                if let x = num("volatile_exit") { cfg.regime.volatileExit = x }
                if let x = num("trend_enter") { cfg.regime.trendEnter = x }
                if let x = num("trend_exit") { cfg.regime.trendExit = x }
                if let x = num("warmup") { cfg.regime.warmup = Int(x) }
            case .correlation:
                if let x = num("answers_per_step") { cfg.correlationAnswersPerStep = Int(x) }
                if let x = num("exposure_limit") { cfg.correlatedExposureLimit = x }
                if let x = num("ask_deadline_ns") { cfg.askDeadlineNanos = UInt64(x) }
            case .portfolio:
                if let s = p["sizing"]?.text { cfg.portfolio.sizing = s == "mean-variance" ? .meanVariance : .volatilityTarget }
                if let x = num("risk_budget") { cfg.portfolio.riskBudget = x }
                if let x = num("risk_aversion") { cfg.portfolio.riskAversion = x }
                if let x = num("max_notional") { cfg.portfolio.maxNotional = x }
                if let x = num("default_volatility") { cfg.portfolio.defaultVolatility = x }
                if let x = num("lot") { cfg.portfolio.lot = Int64(x) }
                if let x = num("rebalance_threshold") { cfg.rebalanceThreshold = x }
            case .execution:
                if let s = p["style"]?.text {
                    let styles: [String: ExecutionStyle] = ["immediate": .immediate, "passive": .passive, "twap": .twap,
                                                            "vwap": .vwap, "pov": .pov]
                    cfg.execution.style = styles[s] ?? .immediate
                }
                if let x = num("duration_ns") { cfg.execution.durationNanos = UInt64(x) }
                if let x = num("slices") { cfg.execution.slices = Int(x) }
                if let x = num("participation") { cfg.execution.participation = x }
                if let x = num("max_spread_bp") { cfg.execution.maxSpreadBasisPoints = x }
            case .risk:
                if let x = num("clock_ns") { cfg.riskClockNanos = UInt64(x) }
            case .supervisor:
                if let x = num("risk_off_enter") { cfg.supervisor.riskOffEnter = x }
                if let x = num("risk_off_exit") { cfg.supervisor.riskOffExit = x }
            default: break
            }
        }
        cfg.consensus.quorum = desk.quorum
        cfg.consensus.hold = desk.hold
        cfg.consensus.minSupporters = desk.minSupporters
        cfg.consensus.roleWeights = desk.roleWeights
        cfg.conflictPolicy = desk.conflictPolicy
        cfg.overrideMargin = desk.overrideMargin
        cfg.strikeLimit = desk.quarantineStrikes
        cfg.degradedScale = desk.degradedScale
        cfg.flattenOnEmergency = desk.flattenOnEmergency
        cfg.delegationCapacity = desk.delegationCapacity
        return (cfg, desk.breakers)
    }

    /// Parses the `[desk]`, `[[teams]]` and `[[agents]]` tables of `source` (other tables are
    /// not allowed); `file` names it in errors.
    public static func parse(_ source: String, file: String) throws(ConfigError) -> QuorumConfig.Roster {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, expected: "valid TOML", found: "\(error.description)")
        } catch {
            throw ConfigError(file: file, expected: "valid TOML", found: "\(error)")
        }
        var root = _TableReader(table: table, path: "", file: file, lines: TOMLLineIndex(source: source))
        var config = QuorumConfig()
        try config.loadRoster(from: &root)
        try root.finish()
        return config.roster
    }
}
