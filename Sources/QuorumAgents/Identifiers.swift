/// An agent's index in its desk, assigned in configuration order.
@frozen public struct AgentID: RawRepresentable, Hashable, Comparable, Sendable, BitwiseCopyable,
    CustomStringConvertible
{
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int) { self.rawValue = UInt16(rawValue) }
    @inlinable public var index: Int { Int(rawValue) }
    @inlinable public static func < (a: AgentID, b: AgentID) -> Bool { a.rawValue < b.rawValue }
    /// "No agent" (e.g. a directive from the operator).
    public static let none = AgentID(rawValue: .max)
    public var description: String { "agent\(rawValue)" }
}

/// A symbol's dense index in its desk (and the risk module's instrument index).
@frozen public struct SymbolID: RawRepresentable, Hashable, Comparable, Sendable, BitwiseCopyable,
    CustomStringConvertible
{
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int) { self.rawValue = UInt16(rawValue) }
    @inlinable public var index: Int { Int(rawValue) }
    @inlinable public static func < (a: SymbolID, b: SymbolID) -> Bool { a.rawValue < b.rawValue }
    public static let none = SymbolID(rawValue: .max)
    public var description: String { "sym\(rawValue)" }
}

/// A team (desk section with its own lead and budget), dense index.
@frozen public struct TeamID: RawRepresentable, Hashable, Sendable, BitwiseCopyable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: Int) { self.rawValue = UInt8(rawValue) }
    @inlinable public var index: Int { Int(rawValue) }
    /// Every team (directive scope).
    public static let all = TeamID(rawValue: .max)
}

/// What kind of setup produced a signal; the collective memory keys on pattern × regime.
@frozen public struct PatternID: RawRepresentable, Hashable, Sendable, BitwiseCopyable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let none = PatternID(rawValue: 0)
    public static let trend = PatternID(rawValue: 1)
    public static let rsi = PatternID(rawValue: 2)
    public static let bollinger = PatternID(rawValue: 3)
    public static let vwap = PatternID(rawValue: 4)
    public static let imbalance = PatternID(rawValue: 5)
    public static let breakout = PatternID(rawValue: 6)
    /// Patterns the memory has rows for (0 = none).
    public static let count = 8
}

/// Long, short or flat; also buy (+1) / sell (−1) for orders.
@frozen public enum Direction: Int8, Sendable, BitwiseCopyable {
    case short = -1, flat = 0, long = 1
    @inlinable public var sign: Int64 { Int64(rawValue) }
    @inlinable public var opposite: Direction { Direction(rawValue: -rawValue)! }
    @inlinable public static func of(_ x: Int64) -> Direction { x > 0 ? .long : x < 0 ? .short : .flat }
    @inlinable public static func of(_ x: Double) -> Direction { x > 0 ? .long : x < 0 ? .short : .flat }
}

/// The market regime the regime agent reports per symbol.
@frozen public enum Regime: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case calm = 0, trending = 1, volatile = 2
    public static let count = 3
}

/// What an agent does in the desk (DESIGN.md, "Agents and how they work together").
@frozen public enum Role: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case analyst = 0, regime, correlation, portfolio, execution, risk, supervisor, teamLead
}

/// Role weights in the per-symbol consensus vote. Defaults from DESIGN.md.
public struct RoleWeights: Sendable, Equatable {
    public var analyst = 0.4
    public var risk = 0.3
    public var portfolio = 0.2
    public var execution = 0.1
    public init() {}
    public init(analyst: Double, risk: Double, portfolio: Double, execution: Double) {
        self.analyst = analyst; self.risk = risk; self.portfolio = portfolio; self.execution = execution
    }
    public var total: Double { analyst + risk + portfolio + execution }
}
