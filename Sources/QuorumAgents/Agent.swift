import QuorumBook

/// What the desk tells an agent about the event it is handling. A small value built once
/// per event; agents must not keep it.
@frozen public struct AgentContext: Sendable, BitwiseCopyable {
    /// Event time (ns): the update's exchange time, the fill's time, …
    public var time: UInt64
    /// The symbol the event is about.
    public var symbol: SymbolID
    /// Mid price in currency (0 when the book has no two-sided quote yet).
    public var mid: Double
    /// The regime agent's current view of the symbol.
    public var regime: Regime
    /// The desk's current position in the symbol (units).
    public var position: Int64
    @inlinable
    public init(time: UInt64, symbol: SymbolID, mid: Double, regime: Regime, position: Int64) {
        self.time = time; self.symbol = symbol; self.mid = mid; self.regime = regime; self.position = position
    }
}

/// The preallocated buffer an agent emits into during one call. The desk empties it
/// before each call and validates what is in it afterwards.
///
/// Not thread-safe; one owner (the desk).
public final class AgentOutput {
    public let capacity: Int
    @exclusivity(unchecked) var signals: [Signal]
    @exclusivity(unchecked) var observations: [Observation]
    @exclusivity(unchecked) public internal(set) var signalCount = 0
    @exclusivity(unchecked) public internal(set) var observationCount = 0
    /// Setups delegated to the execution agent in this call.
    @exclusivity(unchecked) var setups: [Setup]
    @exclusivity(unchecked) public internal(set) var setupCount = 0
    /// Emissions refused because the buffer was full (since init).
    @exclusivity(unchecked) public internal(set) var overflow = 0

    public init(capacity: Int = 16) {
        self.capacity = max(1, capacity)
        signals = Array(repeating: Signal(symbol: .none, direction: .flat, confidence: 0, expectedReturn: 0,
                                          horizonNanos: 0, pattern: .none, agent: .none, time: 0),
                        count: self.capacity)
        observations = Array(repeating: Observation(kind: .warning, agent: .none, symbol: .none, regime: .calm,
                                                    value: 0, value2: 0, time: 0),
                             count: self.capacity)
        setups = Array(repeating: Setup(symbol: .none, direction: .flat, quantity: 0, limitTicks: 0, deadline: 0,
                                        agent: .none, time: 0),
                       count: self.capacity)
    }

    /// Hands `s` to the execution agent (see `DelegationBoard`); the agent moves on at once.
    /// - Returns: `false` (and counts) when the buffer is full.
    /// - Complexity: O(1); no allocation.
    @discardableResult
    public func emit(_ s: Setup) -> Bool {
        guard setupCount < capacity else { overflow &+= 1; return false }
        setups[setupCount] = s
        setupCount += 1
        return true
    }

    public func setup(_ i: Int) -> Setup {
        precondition(i >= 0 && i < setupCount)
        return setups[i]
    }

    /// - Returns: `false` (and counts) when the buffer is full.
    /// - Complexity: O(1); no allocation.
    @discardableResult
    public func emit(_ s: Signal) -> Bool {
        guard signalCount < capacity else { overflow &+= 1; return false }
        signals[signalCount] = s
        signalCount += 1
        return true
    }

    /// - Returns: `false` (and counts) when the buffer is full.
    /// - Complexity: O(1); no allocation.
    @discardableResult
    public func emit(_ o: Observation) -> Bool {
        guard observationCount < capacity else { overflow &+= 1; return false }
        observations[observationCount] = o
        observationCount += 1
        return true
    }

    public func signal(_ i: Int) -> Signal {
        precondition(i >= 0 && i < signalCount)
        return signals[i]
    }

    public func observation(_ i: Int) -> Observation {
        precondition(i >= 0 && i < observationCount)
        return observations[i]
    }

    public func reset() { signalCount = 0; observationCount = 0; setupCount = 0 }
}

/// A desk member driven by events. Implementations are deterministic state machines:
/// the same calls in the same order give the same emissions. They keep their state in
/// storage allocated in `init` and never allocate, block, log or read a clock in these
/// methods.
public protocol Agent: AnyObject {
    var id: AgentID { get }
    var role: Role { get }
    /// A market update for `context.symbol` (only symbols the agent covers are delivered).
    func onMarket(_ update: MarketUpdate, _ context: AgentContext, into output: AgentOutput)
    /// A fill of one of the desk's orders in `context.symbol`.
    func onFill(_ fill: Fill, _ context: AgentContext, into output: AgentOutput)
    /// A new scratchpad entry (every agent sees every entry, in publication order).
    func onScratchpad(_ entry: ScratchpadEntry, into output: AgentOutput)
}

extension Agent {
    public func onFill(_ fill: Fill, _ context: AgentContext, into output: AgentOutput) {}
    public func onScratchpad(_ entry: ScratchpadEntry, into output: AgentOutput) {}
}

/// Why an emitted message was refused. Stable raw values: they are journaled.
@frozen public enum InvalidOutput: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case nonFiniteConfidence = 1
    case confidenceOutOfRange = 2
    case nonFiniteExpectedReturn = 3
    case unknownSymbol = 4
    /// A symbol the agent does not cover.
    case foreignSymbol = 5
    /// Signed expected return disagrees with the direction.
    case inconsistentDirection = 6
    case wrongAgent = 7
}

/// Checks agents' emissions. The desk drops what fails and counts it per agent.
public enum OutputValidator {
    /// The first problem with `s`, or nil when it may enter the desk.
    /// - Parameters:
    ///   - symbolCount: symbols in the desk (valid indices are `0..<symbolCount`).
    ///   - covers: whether the emitting agent covers a symbol index.
    /// - Complexity: O(1).
    public static func check(_ s: Signal, from agent: AgentID, symbolCount: Int, covers: (Int) -> Bool) -> InvalidOutput? {
        if s.agent != agent { return .wrongAgent }
        if !s.confidence.isFinite { return .nonFiniteConfidence }
        if s.confidence < 0 || s.confidence > 1 { return .confidenceOutOfRange }
        if !s.expectedReturn.isFinite { return .nonFiniteExpectedReturn }
        if s.symbol.index >= symbolCount { return .unknownSymbol }
        if !covers(s.symbol.index) { return .foreignSymbol }
        if s.expectedReturn != 0 && Direction.of(s.expectedReturn) != s.direction { return .inconsistentDirection }
        return nil
    }

    /// The first problem with `o`, or nil.
    public static func check(_ o: Observation, from agent: AgentID, symbolCount: Int) -> InvalidOutput? {
        if o.agent != agent { return .wrongAgent }
        if !o.value.isFinite || !o.value2.isFinite { return .nonFiniteExpectedReturn }
        if o.symbol != .none && o.symbol.index >= symbolCount { return .unknownSymbol }
        return nil
    }
}
