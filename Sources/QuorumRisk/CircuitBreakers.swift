/// The four circuit breakers and the engine mode they imply.
public enum BreakerKind: Int, Sendable, CaseIterable {
    /// Loss since the start of the trading day, as a fraction of capital.
    case dailyLoss
    /// Fall from the highest equity seen, as a fraction of that peak.
    case drawdown
    /// The largest pairwise EWMA correlation (diversification collapsing).
    case correlationSpike
    /// The agents' aggregate confidence (0…1) collapsing.
    case confidenceCollapse
}

/// What one breaker looks like from outside: its state, the value that tripped it and when.
public struct BreakerStatus: Sendable, Equatable {
    public var kind: BreakerKind
    public var state: EngineMode
    /// The latest observed value (NaN before the first observation).
    public var lastValue: Double
    /// The value that moved the breaker into `state` (NaN while normal).
    public var triggerValue: Double
    /// Coordinator time (ns) of that transition (0 while normal).
    public var triggeredAtNanos: UInt64
}

/// Breaker thresholds. A breaker moves to degraded at its first threshold and to emergency
/// at its second. Loss and drawdown trip *at or beyond* their threshold (≥); correlation
/// trips strictly *above* (>); confidence strictly *below* (<). `.infinity`/`-.infinity`
/// disables a level.
public struct BreakerConfig: Sendable, Equatable {
    public var dailyLossDegraded = 0.01
    /// Default 2% of capital.
    public var dailyLossEmergency = 0.02
    public var drawdownDegraded = 0.03
    public var drawdownEmergency = 0.05
    /// "Any pair above 0.8".
    public var correlationDegraded = 0.8
    public var correlationEmergency = Double.infinity
    public var confidenceDegraded = 0.3
    public var confidenceEmergency = 0.1

    public init() {}

    /// - Throws: `RiskError.invalidConfig` naming the field when a pair is out of order or NaN.
    public func validate() throws(RiskError) {
        func check(_ name: String, _ d: Double, _ e: Double, ascending: Bool) throws(RiskError) {
            guard !d.isNaN, !e.isNaN, ascending ? d <= e : d >= e else {
                throw .invalidConfig(field: "risk.breakers.\(name)", value: "degraded \(d), emergency \(e)",
                                     reason: ascending ? "degraded threshold must be <= emergency threshold"
                                                       : "degraded threshold must be >= emergency threshold")
            }
        }
        try check("daily_loss", dailyLossDegraded, dailyLossEmergency, ascending: true)
        try check("drawdown", drawdownDegraded, drawdownEmergency, ascending: true)
        try check("correlation", correlationDegraded, correlationEmergency, ascending: true)
        try check("confidence", confidenceDegraded, confidenceEmergency, ascending: false)
    }
}

/// Circuit breakers that move the engine normal → degraded → emergency.
///
/// Breakers latch: once a breaker reaches a state it stays there, even when the value
/// recovers, until ``reset(_:atNanos:)`` (an operator command) or, for the daily-loss
/// breaker, ``startDay(equity:atNanos:)``. The engine mode is the most severe breaker
/// state. Times are the coordinator's (journaled) clock, so replay reproduces them.
/// Non-finite observations are counted in ``rejectedObservations`` and ignored.
///
/// Not thread-safe: one owner (the coordinator loop). O(1) per observation, no allocation.
public final class CircuitBreakers {
    public let config: BreakerConfig
    public let capital: Double
    public internal(set) var dayStartEquity: Double
    public internal(set) var peakEquity: Double
    public internal(set) var rejectedObservations = 0
    @usableFromInline var statuses: (BreakerStatus, BreakerStatus, BreakerStatus, BreakerStatus)

    /// - Throws: `RiskError.invalidConfig` for bad thresholds, capital or equity.
    public init(config: BreakerConfig = BreakerConfig(), capital: Double, equity: Double) throws(RiskError) {
        try config.validate()
        guard capital.isFinite && capital > 0 else {
            throw .invalidConfig(field: "risk.capital", value: "\(capital)", reason: "must be finite and > 0")
        }
        guard equity.isFinite && equity > 0 else {
            throw .invalidConfig(field: "risk.equity", value: "\(equity)", reason: "must be finite and > 0")
        }
        self.config = config
        self.capital = capital
        dayStartEquity = equity
        peakEquity = equity
        func fresh(_ k: BreakerKind) -> BreakerStatus {
            BreakerStatus(kind: k, state: .normal, lastValue: .nan, triggerValue: .nan, triggeredAtNanos: 0)
        }
        statuses = (fresh(.dailyLoss), fresh(.drawdown), fresh(.correlationSpike), fresh(.confidenceCollapse))
    }

    /// The most severe breaker state.
    /// - Complexity: O(1).
    @inlinable public var mode: EngineMode {
        max(max(statuses.0.state, statuses.1.state), max(statuses.2.state, statuses.3.state))
    }

    /// One breaker's state, trigger value and time.
    /// - Complexity: O(1).
    public func status(_ kind: BreakerKind) -> BreakerStatus {
        switch kind {
        case .dailyLoss: return statuses.0
        case .drawdown: return statuses.1
        case .correlationSpike: return statuses.2
        case .confidenceCollapse: return statuses.3
        }
    }

    private func modify(_ kind: BreakerKind, _ body: (inout BreakerStatus) -> Void) {
        switch kind {
        case .dailyLoss: body(&statuses.0)
        case .drawdown: body(&statuses.1)
        case .correlationSpike: body(&statuses.2)
        case .confidenceCollapse: body(&statuses.3)
        }
    }

    /// Records `value`, escalating (never relaxing) to `target`.
    private func observe(_ kind: BreakerKind, _ value: Double, _ target: EngineMode, _ t: UInt64) {
        modify(kind) { s in
            s.lastValue = value
            if target > s.state {
                s.state = target
                s.triggerValue = value
                s.triggeredAtNanos = t
            }
        }
    }

    /// Marks the portfolio's equity: feeds the daily-loss and drawdown breakers.
    /// - Complexity: O(1).
    public func observeEquity(_ equity: Double, atNanos t: UInt64) {
        guard equity.isFinite else { rejectedObservations &+= 1; return }
        peakEquity = max(peakEquity, equity)
        let loss = (dayStartEquity - equity) / capital
        let lossTarget: EngineMode = loss >= config.dailyLossEmergency ? .emergency
            : loss >= config.dailyLossDegraded ? .degraded : .normal
        observe(.dailyLoss, loss, lossTarget, t)
        let dd = (peakEquity - equity) / peakEquity
        let ddTarget: EngineMode = dd >= config.drawdownEmergency ? .emergency
            : dd >= config.drawdownDegraded ? .degraded : .normal
        observe(.drawdown, dd, ddTarget, t)
    }

    /// Feeds the correlation-spike breaker, e.g. with `EWMACovariance.maxCorrelation().value`.
    /// - Complexity: O(1).
    public func observeMaxCorrelation(_ rho: Double, atNanos t: UInt64) {
        guard rho.isFinite else { rejectedObservations &+= 1; return }
        let target: EngineMode = rho > config.correlationEmergency ? .emergency
            : rho > config.correlationDegraded ? .degraded : .normal
        observe(.correlationSpike, rho, target, t)
    }

    /// Feeds the confidence-collapse breaker with the agents' aggregate confidence in [0, 1]
    /// (the consensus engine's weighted mean confidence).
    /// - Complexity: O(1).
    public func observeConfidence(_ c: Double, atNanos t: UInt64) {
        guard c.isFinite else { rejectedObservations &+= 1; return }
        let target: EngineMode = c < config.confidenceEmergency ? .emergency
            : c < config.confidenceDegraded ? .degraded : .normal
        observe(.confidenceCollapse, c, target, t)
    }

    /// Starts a new trading day: the daily-loss baseline becomes `equity` and that breaker
    /// returns to normal.
    public func startDay(equity: Double, atNanos t: UInt64) {
        guard equity.isFinite && equity > 0 else { rejectedObservations &+= 1; return }
        dayStartEquity = equity
        reset(.dailyLoss, atNanos: t)
    }

    /// Operator reset of one breaker to normal (journaled by the coordinator as a command).
    /// A drawdown reset also re-bases the peak on the last observed equity.
    public func reset(_ kind: BreakerKind, atNanos t: UInt64) {
        if kind == .drawdown, statuses.1.lastValue.isFinite {
            peakEquity = peakEquity * (1 - statuses.1.lastValue)
        }
        modify(kind) { s in
            s.state = .normal
            s.triggerValue = .nan
            s.triggeredAtNanos = 0
        }
    }
}
