// QuorumRisk — the risk part of the map in DESIGN.md.
//
// This module owns:
// - the return sampler that turns asynchronous mid prices into cross-sectional return
//   vectors on a fixed clock (`ReturnSampler`),
// - the RiskMetrics EWMA covariance/correlation estimator (`EWMACovariance`),
// - the portfolio's incremental variance state σₚ² = wᵀΣw with cached Σw and the
//   parametric, marginal, component and incremental VaR/ES built on it (`PortfolioRisk`),
// - historical-simulation VaR/ES over a rolling P&L window (`PnLWindow`),
// - stress scenarios (`StressScenario`), VaR backtesting (`VaRBacktest`),
// - pre-trade limits and the allocation-free gate (`RiskLimits`, `Portfolio`, `RiskGate`),
// - circuit breakers that move the engine normal → degraded → emergency (`CircuitBreakers`),
// - the offline `quorum risk report` (`RiskReport`).
//
// All hot-path types are single-owner (the coordinator loop) and not thread-safe; their
// storage is allocated once from `RiskConfig` and never grows. Hot-path methods do not
// throw, allocate or log: bad input is counted and skipped. Errors at the edges
// (configuration, CSV input, user overrides) are typed `RiskError`s that say what and where.

/// Everything that can be wrong at the edges of the risk module.
///
/// Each case names what was wrong and where, so that a user reading the message can fix
/// the input without opening the code.
public enum RiskError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A configuration field is outside its valid range.
    case invalidConfig(field: String, value: String, reason: String)
    /// An instrument index is outside `0..<capacity`.
    case unknownInstrument(index: Int, capacity: Int)
    /// A user-supplied covariance/correlation matrix is not positive semi-definite:
    /// the Cholesky pivot at `row` was `pivot` (negative beyond tolerance).
    case notPositiveSemidefinite(row: Int, pivot: Double)
    /// A user-supplied matrix is malformed (asymmetric, wrong diagonal, |ρ| > 1, …).
    case invalidMatrix(row: Int, column: Int, value: Double, reason: String)
    /// A CSV input could not be used: file, 1-based line and column, field name and value.
    case csv(file: String, line: Int, column: Int, field: String, value: String, reason: String)
    /// A file could not be read at all.
    case unreadableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidConfig(field, value, reason):
            return "invalid config: \(field) = \(value): \(reason)"
        case let .unknownInstrument(index, capacity):
            return "unknown instrument index \(index) (capacity \(capacity))"
        case let .notPositiveSemidefinite(row, pivot):
            return "matrix is not positive semi-definite: Cholesky pivot at row \(row) is \(pivot)"
        case let .invalidMatrix(row, column, value, reason):
            return "invalid matrix entry [\(row),\(column)] = \(value): \(reason)"
        case let .csv(file, line, column, field, value, reason):
            return "\(file):\(line):\(column): field '\(field)' value '\(value)': \(reason)"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        }
    }
}

/// Risk-module configuration: the numbers that Config (TOML) supplies.
///
/// Construct with ``init(instrumentCapacity:lambda:confidence:horizon:pnlWindow:)``, which
/// validates every field and throws a `RiskError.invalidConfig` naming the field and value.
public struct RiskConfig: Sendable, Equatable {
    /// The most instruments the estimators and the gate track; storage is sized from it.
    public let instrumentCapacity: Int
    /// RiskMetrics decay λ in (0, 1); 0.94 is the RiskMetrics daily value.
    public let lambda: Double
    /// VaR/ES confidence level α in (0.5, 1), e.g. 0.99.
    public let confidence: Double
    /// Horizon in sampling periods; VaR scales by √horizon (square-root-of-time rule,
    /// which assumes i.i.d. zero-mean returns — the same assumption RiskMetrics makes).
    public let horizon: Double
    /// Number of P&L observations kept for historical simulation.
    public let pnlWindow: Int

    public init(
        instrumentCapacity: Int,
        lambda: Double = 0.94,
        confidence: Double = 0.99,
        horizon: Double = 1,
        pnlWindow: Int = 250
    ) throws(RiskError) {
        guard instrumentCapacity >= 1 && instrumentCapacity <= 4096 else {
            throw .invalidConfig(field: "risk.instruments", value: "\(instrumentCapacity)",
                                 reason: "must be in 1...4096")
        }
        guard lambda > 0 && lambda < 1 else {  // also rejects NaN
            throw .invalidConfig(field: "risk.lambda", value: "\(lambda)",
                                 reason: "must be in the open interval (0, 1)")
        }
        guard confidence > 0.5 && confidence < 1 else {
            throw .invalidConfig(field: "risk.confidence", value: "\(confidence)",
                                 reason: "must be in the open interval (0.5, 1)")
        }
        guard horizon >= 1 && horizon.isFinite else {
            throw .invalidConfig(field: "risk.horizon", value: "\(horizon)",
                                 reason: "must be a finite number of periods >= 1")
        }
        guard pnlWindow >= 2 && pnlWindow <= 1_000_000 else {
            throw .invalidConfig(field: "risk.pnl_window", value: "\(pnlWindow)",
                                 reason: "must be in 2...1000000")
        }
        self.instrumentCapacity = instrumentCapacity
        self.lambda = lambda
        self.confidence = confidence
        self.horizon = horizon
        self.pnlWindow = pnlWindow
    }

    /// z_α·√h: the factor that turns a one-period σ into a horizon VaR.
    public var varMultiplier: Double {
        NormalDistribution.quantile(confidence) * horizon.squareRoot()
    }

    /// φ(z_α)/(1−α)·√h: the factor that turns a one-period σ into a horizon ES.
    public var esMultiplier: Double {
        let z = NormalDistribution.quantile(confidence)
        return NormalDistribution.density(z) / (1 - confidence) * horizon.squareRoot()
    }
}
