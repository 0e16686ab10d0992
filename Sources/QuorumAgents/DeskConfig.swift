/// Which strategy an analyst runs.
@frozen public enum AnalystKind: UInt8, Sendable, CaseIterable {
    case trend = 0, rsi, bollinger, vwap, imbalance, breakout
    /// Built by the `custom` factory passed to `Desk.init`.
    case custom = 255
}

/// One analyst as Config defines it.
public struct AnalystConfig: Sendable, Equatable {
    public var name: String
    public var kind: AnalystKind
    /// Desk symbol indices it covers; empty = all.
    public var symbols: [Int]
    public var team: Int
    /// Initial performance weight in consensus (1 = neutral).
    public var weight: Double
    /// Time budget per call (ns); overruns are reported with `Desk.reportOverrun`.
    public var timeBudgetNanos: UInt64
    public var parameters: AnalystParameters
    /// Index (in `analysts`) of the agent this one stands in for when it is quarantined.
    public var backupFor: Int?
    /// Ask the correlation agent about net exposure before a view enters the vote.
    public var asksCorrelation: Bool
    /// Hand each view to the execution agent as a setup (see `DelegationPolicy`); nil = never.
    public var delegation: DelegationPolicy? = nil

    public init(name: String, kind: AnalystKind, symbols: [Int] = [], team: Int = 0, weight: Double = 1,
                timeBudgetNanos: UInt64 = 2_000, parameters: AnalystParameters = AnalystParameters(),
                backupFor: Int? = nil, asksCorrelation: Bool = false) {
        self.name = name; self.kind = kind; self.symbols = symbols; self.team = team; self.weight = weight
        self.timeBudgetNanos = timeBudgetNanos; self.parameters = parameters; self.backupFor = backupFor
        self.asksCorrelation = asksCorrelation
    }
}

/// A symbol the desk trades: its feed locate code and its team. Its index in
/// `DeskConfig.symbols` is its `SymbolID` and its instrument index in the risk engine.
public struct DeskSymbol: Sendable, Equatable {
    public var locate: UInt16
    public var team: Int
    public init(locate: UInt16, team: Int = 0) { self.locate = locate; self.team = team }
}

/// A team: a name and the gross notional its lead balances its symbols within.
public struct TeamConfig: Sendable, Equatable {
    public var name: String
    public var grossBudget: Double
    public init(name: String, grossBudget: Double = .infinity) { self.name = name; self.grossBudget = grossBudget }
}

/// Everything a `Desk` is assembled from; plain data, filled from Config.
public struct DeskConfig: Sendable, Equatable {
    public var symbols: [DeskSymbol]
    public var teams: [TeamConfig]
    public var analysts: [AnalystConfig]
    public var consensus = ConsensusParameters()
    public var conflictPolicy = ConflictPolicy.confidenceWeighted
    public var overrideMargin = 0.2
    /// Invalid-output or overrun events before quarantine.
    public var strikeLimit = 3
    public var regime = RegimeParameters()
    public var portfolio = PortfolioParameters()
    public var execution = ExecutionParameters()
    public var supervisor = SupervisorParameters()
    /// Risk engine sampling clock (event-time ns).
    public var riskClockNanos: UInt64 = 1_000_000_000
    /// Size multiplier in degraded mode.
    public var degradedScale = 0.5
    /// In emergency: send flattening orders (true) or only stop trading (false).
    public var flattenOnEmergency = false
    /// A target moves (and execution re-plans) only when it changes by more than this
    /// fraction, or changes sign, or goes to zero.
    public var rebalanceThreshold = 0.1
    public var askCapacity = 32
    /// Delegated setups the execution agent works at once.
    public var delegationCapacity = 32
    public var askDeadlineNanos: UInt64 = 1_000_000
    public var correlationAnswersPerStep = 4
    /// Correlation-weighted exposure (currency) in a view's direction above which the view's
    /// confidence is halved.
    public var correlatedExposureLimit = 50_000.0
    public var scratchpadCapacity = 1024
    public var recordCapacity = 4096
    public var orderCapacity = 256
    public var memoryMinTrades = 3

    public init(symbols: [DeskSymbol], teams: [TeamConfig] = [TeamConfig(name: "desk")], analysts: [AnalystConfig]) {
        self.symbols = symbols; self.teams = teams; self.analysts = analysts
    }
}

/// A configuration the desk cannot run, naming the field and value.
public enum DeskConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalid(field: String, value: String, reason: String)
    public var description: String {
        switch self {
        case let .invalid(field, value, reason): return "invalid desk config: \(field) = \(value): \(reason)"
        }
    }
}

extension DeskConfig {
    /// - Throws: `DeskConfigError` for the first bad field.
    public func validate(instrumentCapacity: Int) throws(DeskConfigError) {
        func bad(_ f: String, _ v: Any, _ r: String) -> DeskConfigError { .invalid(field: f, value: "\(v)", reason: r) }
        guard !symbols.isEmpty, symbols.count <= 4096 else { throw bad("desk.symbols", symbols.count, "need 1...4096") }
        guard symbols.count <= instrumentCapacity else {
            throw bad("desk.symbols", symbols.count, "more than the risk engine's \(instrumentCapacity) instruments")
        }
        guard !teams.isEmpty, teams.count < 255 else { throw bad("desk.teams", teams.count, "need 1...254") }
        var seen = Set<UInt16>()
        for (i, s) in symbols.enumerated() {
            guard seen.insert(s.locate).inserted else { throw bad("desk.symbols[\(i)].locate", s.locate, "duplicate") }
            guard s.team >= 0 && s.team < teams.count else { throw bad("desk.symbols[\(i)].team", s.team, "no such team") }
        }
        for (i, t) in teams.enumerated() where !(t.grossBudget > 0) {
            throw bad("desk.teams[\(i)].gross_budget", t.grossBudget, "must be > 0")
        }
        guard analysts.count <= 64 else { throw bad("desk.analysts", analysts.count, "at most 64") }
        for (i, a) in analysts.enumerated() {
            for s in a.symbols where s < 0 || s >= symbols.count {
                throw bad("desk.analysts[\(i)].symbols", s, "no such symbol index")
            }
            guard a.team >= 0 && a.team < teams.count else { throw bad("desk.analysts[\(i)].team", a.team, "no such team") }
            guard a.weight > 0 && a.weight.isFinite else { throw bad("desk.analysts[\(i)].weight", a.weight, "must be finite and > 0") }
            if let b = a.backupFor, b < 0 || b >= analysts.count || b == i {
                throw bad("desk.analysts[\(i)].backup_for", b, "must name another analyst")
            }
            if let d = a.delegation, d.quantity <= 0 {
                throw bad("desk.analysts[\(i)].delegation.quantity", d.quantity, "must be > 0")
            }
        }
        let c = consensus
        guard c.quorum >= 0 && c.quorum <= 1, c.hold >= 0 && c.hold <= c.quorum else {
            throw bad("desk.consensus.quorum", "\(c.quorum)/\(c.hold)", "need 0 <= hold <= quorum <= 1")
        }
        guard c.roleWeights.total > 0 else { throw bad("desk.consensus.role_weights", c.roleWeights.total, "must sum > 0") }
        guard overrideMargin >= 0 && overrideMargin <= 1 else { throw bad("desk.override_margin", overrideMargin, "must be in 0...1") }
        guard strikeLimit >= 1 else { throw bad("desk.strike_limit", strikeLimit, "must be >= 1") }
        guard degradedScale > 0 && degradedScale <= 1 else { throw bad("desk.degraded_scale", degradedScale, "must be in (0, 1]") }
        guard rebalanceThreshold >= 0 && rebalanceThreshold < 1 else {
            throw bad("desk.rebalance_threshold", rebalanceThreshold, "must be in [0, 1)")
        }
        guard recordCapacity >= 16, orderCapacity >= 1, askCapacity >= 1, scratchpadCapacity >= 2,
              delegationCapacity >= 1 else {
            throw bad("desk.capacities", "\(recordCapacity)/\(orderCapacity)/\(askCapacity)/\(scratchpadCapacity)", "too small")
        }
    }
}
