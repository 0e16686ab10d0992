import QuorumBook
import QuorumJournal

// The desk's state for snapshots: every agent's indicators and counters, the coordination
// mechanisms (scratchpad, asks, delegations, votes, memory, quarantines) and the desk's own
// positions, targets, quotes and round trips, in one fixed order. What the configuration
// makes (parameters, coverage, capacities) is not imaged: the reader builds the desk from
// the same configuration and reads the state into it. Scratch that every step rewrites
// before reading is not imaged either. Each type lists its fields once (`image(_:)`), for
// writing and reading alike.

extension Desk {
    /// Whether every agent can write its state (a custom analyst may not).
    public var canImageState: Bool { analystAgents.allSatisfy { $0 is StateImaging } }

    /// Writes the desk's state to `image`, or reads it back into a desk built from the same
    /// configuration. A custom analyst without `StateImaging` makes it throw `.unsupported`.
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("Desk")
        try image.value(&counters); try image.value(&orderCount); try image.array(&orders)
        try image.value(&cancelAllRequested); try image.value(&mode); try image.value(&riskOff)
        try image.array(&cursors); try image.value(&deliveredFrom)
        try image.array(&position); try image.array(&target); try image.buffer(mid, count: symbolCount)
        try image.buffer(bid, count: symbolCount); try image.buffer(ask, count: symbolCount); try image.array(&trip)
        try image.value(&dirty); try image.value(&dirtyCount); try image.value(&step); try image.value(&now)
        for a in analystAgents {
            guard let a = a as? StateImaging else { throw .unsupported("analyst \(a.id) cannot image its state") }
            try a.image(&image)
        }
        try regime.image(&image)
        try correlation.image(&image)
        try portfolio.image(&image)
        try execution.image(&image)
        try risk.image(&image)
        try supervisor.image(&image)
        for lead in teamLeads { try lead.image(&image) }
        try scratchpad.image(&image)
        try asks.image(&image)
        try consensus.image(&image)
        try conflicts.image(&image)
        try memory.image(&image)
        try isolation.image(&image)
        try delegations.image(&image)
        try records.image(&image)
        try output.image(&image)
    }
}

extension Analyst: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("Analyst")
        var who = id
        try image.value(&who)
        guard who == id else { throw .unsupported("analyst \(who) in the image where the configuration has \(id)") }
        var n = symbolCount
        try image.value(&n)
        guard n == symbolCount else { throw .unsupported("analyst \(id): \(n) symbols in the image, \(symbolCount) configured") }
        for i in 0..<symbolCount { try states[i].image(&image) }
        try image.buffer(last, count: symbolCount); try image.buffer(lastEmit, count: symbolCount)
        try image.value(&updates); try image.value(&emitted)
    }
}

extension BollingerStrategy {
    public mutating func image(_ image: inout StateImage) throws(StateImageError) {
        try moments.image(&image); try image.value(&held)
    }
}

extension VWAPStrategy {
    public mutating func image(_ image: inout StateImage) throws(StateImageError) {
        try vwap.image(&image); try image.value(&held)
    }
}

extension BreakoutStrategy {
    public mutating func image(_ image: inout StateImage) throws(StateImageError) {
        try extremes.image(&image); try image.value(&held)
    }
}

extension RollingMoments {
    mutating func image(_ image: inout StateImage) throws(StateImageError) {
        try image.array(&ring); try image.value(&head); try image.value(&count); try image.value(&mean); try image.value(&m2)
    }
}

extension RollingVWAP {
    mutating func image(_ image: inout StateImage) throws(StateImageError) {
        try image.array(&notional); try image.array(&quantity); try image.value(&head); try image.value(&count)
        try image.value(&sumNotional); try image.value(&sumQuantity)
    }
}

extension RollingExtremes {
    mutating func image(_ image: inout StateImage) throws(StateImageError) {
        try image.array(&entries); try image.value(&maxHead); try image.value(&maxCount)
        try image.value(&minHead); try image.value(&minCount)
        try image.value(&seen)
    }
}

extension RegimeAgent: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("RegimeAgent")
        try image.buffer(filters, count: symbolCount); try image.buffer(regimes, count: symbolCount)
        try image.value(&changes)
    }
}

extension CorrelationAgent: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("CorrelationAgent")
        try image.value(&answeredThisStep); try image.value(&answered)
    }
}

extension PortfolioAgent: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("PortfolioAgent")
        try image.value(&targetsSet)
    }
}

extension ExecutionAgent: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("ExecutionAgent")
        try image.array(&plans); try image.array(&marketVolume); try image.value(&nextOrderID)
        try image.value(&childrenSent); try image.value(&filledQuantity); try image.value(&totalShortfall)
    }
}

extension RiskAgent: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("RiskAgent")
        try image.value(&nextClock); try image.value(&approvals); try image.value(&resizes); try image.value(&vetoes)
        try engine.image(&image)
    }
}

extension Supervisor: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("Supervisor")
        try image.array(&volatile); try image.value(&volatileCount); try image.value(&riskOff)
        try image.array(&pending); try image.value(&pendingCount); try image.value(&issued)
    }
}

extension TeamLead: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("TeamLead")
        try image.value(&haltLongs); try image.value(&haltShorts); try image.value(&flatten); try image.value(&scale)
        try image.value(&capped)
    }
}

extension Scratchpad: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("Scratchpad")
        try image.array(&ring); try image.value(&published); try image.array(&publishedByKind)
    }
}

extension AskBoard: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("AskBoard")
        try image.array(&pending); try image.value(&pendingCount); try image.value(&nextID)
        try image.value(&asked); try image.value(&answered); try image.value(&timedOut); try image.value(&refused)
    }
}

extension ConsensusBook: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("ConsensusBook")
        try image.array(&votes); try image.array(&stances); try image.array(&approved); try image.array(&performance)
        try image.value(&nextDecision); try image.value(&tallies); try image.value(&approvals); try image.value(&vetoes)
    }
}

extension ConflictResolver: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("ConflictResolver")
        try image.value(&conflicts); try image.value(&incumbentWins); try image.value(&challengerWins)
    }
}

extension CollectiveMemory: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("CollectiveMemory")
        try image.array(&cells); try image.value(&recorded); try image.value(&consulted); try image.value(&adjusted)
    }
}

extension FailureIsolation: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("FailureIsolation")
        try image.array(&invalidStrikes); try image.array(&overrunStrikes); try image.array(&quarantined)
        try image.array(&active); try image.array(&backup)
        try image.value(&quarantinedCount); try image.value(&invalidMessages); try image.value(&overruns)
        try image.value(&backupsActivated)
    }
}

extension DelegationBoard: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("DelegationBoard")
        try image.array(&tasks); try image.value(&count); try image.value(&nextID); try image.array(&held)
        try image.value(&delegated); try image.value(&refused); try image.array(&outcomes); try image.value(&childOrders)
        try image.value(&filledQuantity); try image.value(&lateFills)
    }
}

extension DeskRecordBuffer: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("DeskRecordBuffer")
        try image.array(&storage); try image.value(&count); try image.value(&dropped)
    }
}

extension AgentOutput: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("AgentOutput")
        try image.array(&signals); try image.array(&observations); try image.array(&setups)
        try image.value(&signalCount); try image.value(&observationCount); try image.value(&setupCount)
        try image.value(&overflow)
    }
}

// The plain values of the desk's state with padding in their layout: their fields, so the
// image writes the padding as zeros (see `StateImagePadded`).

extension ChildOrder: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.id, \.symbol, \.direction, \.quantity, \.limitTicks, \.style, \.time]
    }
}

extension Signal: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.symbol, \.direction, \.confidence, \.expectedReturn, \.horizonNanos, \.pattern, \.agent, \.time]
    }
}

extension Observation: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.kind, \.agent, \.symbol, \.regime, \.value, \.value2, \.time]
    }
}

extension Directive: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] { [\.kind, \.team, \.fraction, \.issuer, \.time] }
}

extension DeskRecord: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.kind, \.direction, \.detail, \.agent, \.other, \.symbol, \.time, \.id, \.quantity, \.value, \.value2]
    }
}

extension ScratchpadEntry: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.sequence, \.kind, \.agent, \.symbol, \.regime, \.direction, \.value, \.value2, \.time, \.detail]
    }
}

extension Question: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.id, \.asker, \.asked, \.kind, \.symbol, \.other, \.deadline, \.issued, \.issuedStep, \.parked]
    }
}

extension Setup: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.symbol, \.direction, \.quantity, \.limitTicks, \.deadline, \.onExpiry, \.agent, \.time]
    }
}

extension DelegatedTask: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.id, \.setup, \.filled, \.filledTicks, \.arrivalMid, \.shortfall, \.workingID, \.workingLeft, \.crossSent, \.reported]
    }
}

extension ExecutionPlan: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.active, \.style, \.total, \.sent, \.filled, \.start, \.arrivalMid, \.volumeAtStart, \.workingID, \.workingLeft,
         \.workingDirection, \.shortfall]
    }
}

extension Stance: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] { [\.direction, \.owner, \.confidence, \.since] }
}

extension StandingVote: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.direction, \.confidence, \.expectedReturn, \.expiry, \.pattern, \.overruled]
    }
}

extension Desk.RoundTrip: StateImagePadded {
    static var imageFields: [PartialKeyPath<Self>] {
        [\.direction, \.openedAt, \.regime, \.entryQty, \.entryNotional, \.exitQty, \.exitNotional, \.contributors,
         \.patterns, \.contributorCount]
    }
}

extension BookQuote: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] { [\.price, \.qty] }
}
