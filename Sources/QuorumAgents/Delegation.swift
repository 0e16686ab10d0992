/// What the execution agent does with a delegated setup's remainder at its deadline.
@frozen public enum ExpiryAction: UInt8, Sendable, BitwiseCopyable {
    /// Stop working it; report what filled.
    case cancel = 0
    /// Send the remainder once across the spread (at the opposite best), then report.
    case cross = 1
}

/// A setup one agent hands the execution agent: trade `quantity` of `symbol` resting at
/// `limitTicks` until `deadline` (event time), then cancel or cross per `onExpiry`.
@frozen public struct Setup: Sendable, BitwiseCopyable, Equatable {
    public var symbol: SymbolID
    /// `.long` = buy.
    public var direction: Direction
    /// Units, > 0.
    public var quantity: Int64
    /// Entry limit in ticks (4 implied decimals), > 0.
    public var limitTicks: Int64
    /// Event time (ns) after which the setup is no longer worked passively.
    public var deadline: UInt64
    public var onExpiry: ExpiryAction
    /// The delegating agent (the outcome is reported to it).
    public var agent: AgentID
    public var time: UInt64

    @inlinable
    public init(symbol: SymbolID, direction: Direction, quantity: Int64, limitTicks: Int64, deadline: UInt64,
                onExpiry: ExpiryAction = .cancel, agent: AgentID, time: UInt64) {
        self.symbol = symbol; self.direction = direction; self.quantity = quantity; self.limitTicks = limitTicks
        self.deadline = deadline; self.onExpiry = onExpiry; self.agent = agent; self.time = time
    }
}

/// How a configured analyst delegates: each of its views becomes a setup that moves its own
/// delegated inventory in the symbol to ±`quantity` (0 on a flat view), resting
/// `offsetTicks` inside its own side's best (negative: behind it) for `deadlineNanos`.
public struct DelegationPolicy: Sendable, Equatable {
    public var quantity: Int64
    public var offsetTicks: Int64 = 0
    public var deadlineNanos: UInt64 = 5_000_000_000
    public var onExpiry = ExpiryAction.cancel
    public init(quantity: Int64, offsetTicks: Int64 = 0, deadlineNanos: UInt64 = 5_000_000_000, onExpiry: ExpiryAction = .cancel) {
        self.quantity = quantity; self.offsetTicks = offsetTicks; self.deadlineNanos = deadlineNanos; self.onExpiry = onExpiry
    }
}

/// How a delegated setup ended. Stable raw values: they are in desk records.
@frozen public enum DelegationStatus: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    /// The whole quantity filled before the deadline.
    case filled = 1
    /// The deadline passed; the remainder was cancelled.
    case expired = 2
    /// The deadline passed; the remainder was sent across the spread (whatever it filled).
    case crossed = 3
    /// Emergency mode: every setup stopped.
    case cancelled = 4
    /// The risk gate refused its child order.
    case vetoed = 5
}

/// A setup the execution agent is working.
@frozen public struct DelegatedTask: Sendable, BitwiseCopyable, Equatable {
    public var id: UInt64
    public var setup: Setup
    /// Units filled so far (unsigned).
    public var filled: Int64 = 0
    /// Σ quantity × price over its fills (ticks × units).
    public var filledTicks: Double = 0
    /// Mid (currency) when it was delegated.
    public var arrivalMid: Double
    /// Σ side × (fill price − arrival mid) × quantity: cost versus the decision price (currency).
    public var shortfall: Double = 0
    /// The child order out (0 = none) and its unfilled units.
    public var workingID: UInt64 = 0
    public var workingLeft: Int64 = 0
    /// The deadline passed with `.cross`: the remainder's one crossing child was sent.
    public var crossSent = false
    /// The outcome went out; the task stays only until its last child is closed.
    public var reported = false

    public var remaining: Int64 { setup.quantity - filled }
    /// Average fill price in ticks (0 before any fill).
    public var averageTicks: Double { filled > 0 ? filledTicks / Double(filled) : 0 }
}

/// The execution agent's delegated work: setups handed to it by other agents, worked one
/// child order at a time without ever blocking the delegating agent, and the inventory each
/// delegator holds through them per symbol. Tasks sit in a fixed array in posting order.
///
/// Not thread-safe; one owner (the desk).
public final class DelegationBoard {
    public let capacity: Int
    let symbolCount: Int
    @exclusivity(unchecked) var tasks: [DelegatedTask]
    @exclusivity(unchecked) public internal(set) var count = 0
    @exclusivity(unchecked) var nextID: UInt64 = 1
    /// Signed units each delegator holds through its setups, [agent × symbols + symbol].
    @exclusivity(unchecked) var held: [Int64]
    /// Per analyst, how it delegates its views (nil: it does not); plain values, read per call.
    let policies: [DelegationPolicy?]
    /// Whether any analyst delegates by policy (else collecting setups is one branch).
    let anyPolicy: Bool
    @exclusivity(unchecked) public internal(set) var delegated = 0
    /// Setups refused: board full, invalid, or not normal mode.
    @exclusivity(unchecked) public internal(set) var refused = 0
    /// Outcomes by `DelegationStatus` raw value.
    @exclusivity(unchecked) public internal(set) var outcomes: [Int] = Array(repeating: 0, count: 8)
    @exclusivity(unchecked) public internal(set) var childOrders = 0
    @exclusivity(unchecked) public internal(set) var filledQuantity: Int64 = 0
    /// Fills that arrived after their setup's outcome was reported (expired with a child out).
    @exclusivity(unchecked) public internal(set) var lateFills = 0

    public init(capacity: Int, agentCount: Int, symbolCount: Int, policies: [DelegationPolicy?] = []) {
        self.capacity = max(1, capacity)
        self.policies = policies
        anyPolicy = policies.contains { $0 != nil }
        self.symbolCount = max(1, symbolCount)
        let blank = Setup(symbol: .none, direction: .flat, quantity: 0, limitTicks: 0, deadline: 0, agent: .none, time: 0)
        tasks = Array(repeating: DelegatedTask(id: 0, setup: blank, arrivalMid: 0), count: self.capacity)
        held = Array(repeating: 0, count: max(1, agentCount) * self.symbolCount)
    }

    public func outcomes(_ s: DelegationStatus) -> Int { outcomes[Int(s.rawValue)] }

    /// Units `agent` holds in `symbol` through delegated setups (signed).
    public func held(_ agent: AgentID, _ symbol: SymbolID) -> Int64 {
        let k = agent.index * symbolCount + symbol.index
        return k < held.count ? held[k] : 0
    }

    func addHeld(_ agent: AgentID, _ symbol: SymbolID, _ q: Int64) {
        let k = agent.index * symbolCount + symbol.index
        if k < held.count { held[k] += q }
    }

    public func task(_ i: Int) -> DelegatedTask {
        precondition(i >= 0 && i < count)
        return tasks[i]
    }

    /// Posts `setup`; its id, or nil when the board is full (counted).
    /// - Complexity: O(1); no allocation.
    func post(_ setup: Setup, arrivalMid: Double) -> UInt64? {
        guard count < capacity else { refused &+= 1; return nil }
        let id = nextID
        nextID &+= 1
        tasks[count] = DelegatedTask(id: id, setup: setup, arrivalMid: arrivalMid)
        count += 1
        delegated &+= 1
        return id
    }

    /// Whether `agent` has a setup in `symbol` not yet reported.
    func hasOpenTask(_ agent: AgentID, _ symbol: SymbolID) -> Bool {
        for k in 0..<count where tasks[k].setup.agent == agent && tasks[k].setup.symbol == symbol && !tasks[k].reported {
            return true
        }
        return false
    }

    /// The task whose working child is order `id`.
    /// - Complexity: O(count).
    func index(ofOrder id: UInt64) -> Int? {
        guard id != 0 else { return nil }
        for k in 0..<count where tasks[k].workingID == id { return k }
        return nil
    }

    /// Removes task `k`, keeping posting order.
    /// - Complexity: O(count).
    func remove(_ k: Int) {
        var j = k
        while j + 1 < count {
            tasks[j] = tasks[j + 1]
            j += 1
        }
        count -= 1
    }
}
