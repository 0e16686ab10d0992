/// An analyst's view on one symbol: which way, how sure, how much, for how long, and why.
///
/// A signal with `direction == .flat` withdraws the analyst's earlier view on the symbol.
@frozen public struct Signal: Sendable, BitwiseCopyable, Equatable {
    public var symbol: SymbolID
    public var direction: Direction
    /// 0…1.
    public var confidence: Double
    /// Expected return over the horizon, as a fraction (0.001 = 10 bp), signed like `direction`.
    public var expectedReturn: Double
    /// Event-time nanoseconds the view holds for; the vote expires after it.
    public var horizonNanos: UInt64
    /// The setup that produced it (collective-memory key together with the regime).
    public var pattern: PatternID
    public var agent: AgentID
    /// Event time of the update that produced it (ns).
    public var time: UInt64

    @inlinable
    public init(symbol: SymbolID, direction: Direction, confidence: Double, expectedReturn: Double,
                horizonNanos: UInt64, pattern: PatternID, agent: AgentID, time: UInt64) {
        self.symbol = symbol; self.direction = direction; self.confidence = confidence
        self.expectedReturn = expectedReturn; self.horizonNanos = horizonNanos
        self.pattern = pattern; self.agent = agent; self.time = time
    }
}

/// What an observation is about.
@frozen public enum ObservationKind: UInt8, Sendable, BitwiseCopyable {
    /// `regime` changed for `symbol`; `value` is the EWMA volatility, `value2` the EWMA drift.
    case regime = 1
    /// A warning (e.g. quarantine, degraded mode); `value` carries the figure.
    case warning = 2
}

/// A fact an agent publishes for everyone (regime changes, warnings).
@frozen public struct Observation: Sendable, BitwiseCopyable, Equatable {
    public var kind: ObservationKind
    public var agent: AgentID
    public var symbol: SymbolID
    public var regime: Regime
    public var value: Double
    public var value2: Double
    public var time: UInt64
    @inlinable
    public init(kind: ObservationKind, agent: AgentID, symbol: SymbolID, regime: Regime, value: Double,
                value2: Double, time: UInt64) {
        self.kind = kind; self.agent = agent; self.symbol = symbol; self.regime = regime
        self.value = value; self.value2 = value2; self.time = time
    }
}

/// The position the portfolio wants in one symbol (signed units) after every adjustment.
@frozen public struct Target: Sendable, BitwiseCopyable, Equatable {
    public var symbol: SymbolID
    public var quantity: Int64
    /// The consensus decision it follows from.
    public var decision: UInt64
    public var time: UInt64
    @inlinable public init(symbol: SymbolID, quantity: Int64, decision: UInt64, time: UInt64) {
        self.symbol = symbol; self.quantity = quantity; self.decision = decision; self.time = time
    }
}

/// How the execution agent works a target.
@frozen public enum ExecutionStyle: UInt8, Sendable, BitwiseCopyable {
    /// Everything at once, crossing the spread.
    case immediate = 0
    /// Everything at once, resting at our own side's best price.
    case passive = 1
    /// Equal slices over the schedule's duration.
    case twap = 2
    /// Slices following an intraday volume profile over the duration.
    case vwap = 3
    /// A fixed fraction of the market volume traded since the plan started.
    case pov = 4
}

/// An order the desk wants sent: the coordinator's order manager turns it into a real order.
@frozen public struct ChildOrder: Sendable, BitwiseCopyable, Equatable {
    /// Desk-unique, increasing; fills and closures refer to it.
    public var id: UInt64
    public var symbol: SymbolID
    /// `.long` = buy, `.short` = sell.
    public var direction: Direction
    public var quantity: Int64
    /// Limit price in ticks (4 implied decimals).
    public var limitTicks: Int64
    public var style: ExecutionStyle
    public var time: UInt64
    @inlinable
    public init(id: UInt64, symbol: SymbolID, direction: Direction, quantity: Int64, limitTicks: Int64,
                style: ExecutionStyle, time: UInt64) {
        self.id = id; self.symbol = symbol; self.direction = direction; self.quantity = quantity
        self.limitTicks = limitTicks; self.style = style; self.time = time
    }
}

/// A fill of a child order, reported by the coordinator.
@frozen public struct Fill: Sendable, BitwiseCopyable, Equatable {
    public var order: UInt64
    public var symbol: SymbolID
    /// `.long` = bought.
    public var direction: Direction
    public var quantity: Int64
    public var priceTicks: Int64
    public var time: UInt64
    @inlinable
    public init(order: UInt64, symbol: SymbolID, direction: Direction, quantity: Int64, priceTicks: Int64, time: UInt64) {
        self.order = order; self.symbol = symbol; self.direction = direction; self.quantity = quantity
        self.priceTicks = priceTicks; self.time = time
    }
}

/// What a directive orders.
@frozen public enum DirectiveKind: UInt8, Sendable, BitwiseCopyable {
    /// No new or larger long positions in the scope.
    case haltLongs = 1
    case haltShorts = 2
    /// Lift halts and cuts in the scope.
    case resume = 3
    /// Scale the scope's targets by (1 − fraction).
    case cutExposure = 4
    /// Degraded mode for the whole desk until `riskOn`.
    case riskOff = 5
    case riskOn = 6
    /// Targets to zero in the scope.
    case flatten = 7
}

/// An order from the supervisor (or the operator) to a team or the whole desk.
@frozen public struct Directive: Sendable, BitwiseCopyable, Equatable {
    public var kind: DirectiveKind
    /// `.all` for the whole desk.
    public var team: TeamID
    /// For `.cutExposure`: 0…1.
    public var fraction: Double
    public var issuer: AgentID
    public var time: UInt64
    @inlinable
    public init(kind: DirectiveKind, team: TeamID = .all, fraction: Double = 0, issuer: AgentID = .none, time: UInt64 = 0) {
        self.kind = kind; self.team = team; self.fraction = fraction; self.issuer = issuer; self.time = time
    }
}

/// The outcome of a per-symbol consensus vote.
@frozen public struct ConsensusDecision: Sendable, BitwiseCopyable, Equatable {
    public var id: UInt64
    public var symbol: SymbolID
    /// The direction voted on (the symbol's stance).
    public var direction: Direction
    /// Σ role weight × role score, normalised by the total role weight: 0…1.
    public var score: Double
    /// Analysts voting with the stance.
    public var supporters: Int
    public var approved: Bool
    /// The risk agent voted veto (emergency mode); overrides `approved`.
    public var vetoed: Bool
    public var time: UInt64
}

/// A closed round trip, attributed to the signals that opened it.
@frozen public struct Outcome: Sendable, BitwiseCopyable, Equatable {
    public var symbol: SymbolID
    public var direction: Direction
    /// Direction-adjusted return (exit/entry − 1 for longs), fraction.
    public var returnFraction: Double
    /// Realised P&L in currency.
    public var pnl: Double
    public var regimeAtOpen: Regime
    public var openedAt: UInt64
    public var time: UInt64
}
