import QuorumJournal

// The desk's state for snapshots: every agent's indicators and counters, the coordination
// mechanisms (scratchpad, asks, delegations, votes, memory, quarantines) and the desk's own
// positions, targets, quotes and round trips, in one fixed order. What the configuration
// makes (parameters, coverage, capacities) is not written: the reader builds the desk from
// the same configuration and reads the state into it. Scratch that every step rewrites
// before reading is not written either.

extension Desk {
    /// Whether every agent can write its state (a custom analyst may not).
    public var canImageState: Bool { analystAgents.allSatisfy { $0 is StateImaging } }

    /// Appends the desk's state to `image`.
    /// - Precondition: `canImageState`.
    public func writeState(to image: inout StateImageWriter) {
        image.section("Desk")
        image.value(counters); image.value(orderCount); image.array(orders)
        image.value(cancelAllRequested); image.value(mode); image.value(riskOff)
        image.array(cursors); image.value(deliveredFrom)
        image.array(position); image.array(target); image.array(mid)
        image.array(bid); image.array(ask); image.array(trip)
        image.value(dirty); image.value(dirtyCount); image.value(step); image.value(now)
        for a in analystAgents {
            guard let a = a as? StateImaging else { preconditionFailure("analyst \(a.id) cannot write its state") }
            a.writeState(to: &image)
        }
        regime.writeState(to: &image)
        correlation.writeState(to: &image)
        portfolio.writeState(to: &image)
        execution.writeState(to: &image)
        risk.writeState(to: &image)
        supervisor.writeState(to: &image)
        for lead in teamLeads { lead.writeState(to: &image) }
        scratchpad.writeState(to: &image)
        asks.writeState(to: &image)
        consensus.writeState(to: &image)
        conflicts.writeState(to: &image)
        memory.writeState(to: &image)
        isolation.writeState(to: &image)
        delegations.writeState(to: &image)
        records.writeState(to: &image)
        output.writeState(to: &image)
    }

    /// Replaces the desk's state with what `writeState` wrote, into a desk built from the
    /// same configuration.
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("Desk")
        try image.value(&counters); try image.value(&orderCount); try image.array(&orders)
        try image.value(&cancelAllRequested); try image.value(&mode); try image.value(&riskOff)
        try image.array(&cursors); try image.value(&deliveredFrom)
        try image.array(&position); try image.array(&target); try image.array(&mid)
        try image.array(&bid); try image.array(&ask); try image.array(&trip)
        try image.value(&dirty); try image.value(&dirtyCount); try image.value(&step); try image.value(&now)
        for a in analystAgents {
            guard let a = a as? StateImaging else { throw .unsupported("analyst \(a.id) cannot read its state") }
            try a.readState(from: &image)
        }
        try regime.readState(from: &image)
        try correlation.readState(from: &image)
        try portfolio.readState(from: &image)
        try execution.readState(from: &image)
        try risk.readState(from: &image)
        try supervisor.readState(from: &image)
        for lead in teamLeads { try lead.readState(from: &image) }
        try scratchpad.readState(from: &image)
        try asks.readState(from: &image)
        try consensus.readState(from: &image)
        try conflicts.readState(from: &image)
        try memory.readState(from: &image)
        try isolation.readState(from: &image)
        try delegations.readState(from: &image)
        try records.readState(from: &image)
        try output.readState(from: &image)
    }
}

extension Analyst: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("Analyst")
        image.value(id)
        image.value(states.count)
        for s in states { s.writeState(to: &image) }
        image.array(last); image.array(lastEmit)
        image.value(updates); image.value(emitted)
    }

    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("Analyst")
        var who = id
        try image.value(&who)
        guard who == id else { throw .unsupported("analyst \(who) in the image where the configuration has \(id)") }
        var n = states.count
        try image.value(&n)
        guard n == states.count else { throw .unsupported("analyst \(id): \(n) symbols in the image, \(states.count) configured") }
        for i in states.indices { try states[i].readState(from: &image) }
        try image.array(&last); try image.array(&lastEmit)
        try image.value(&updates); try image.value(&emitted)
    }
}

extension BollingerStrategy {
    public func writeState(to image: inout StateImageWriter) { moments.writeState(to: &image); image.value(held) }
    public mutating func readState(from image: inout StateImageReader) throws(StateImageError) {
        try moments.readState(from: &image); try image.value(&held)
    }
}

extension VWAPStrategy {
    public func writeState(to image: inout StateImageWriter) { vwap.writeState(to: &image); image.value(held) }
    public mutating func readState(from image: inout StateImageReader) throws(StateImageError) {
        try vwap.readState(from: &image); try image.value(&held)
    }
}

extension BreakoutStrategy {
    public func writeState(to image: inout StateImageWriter) { extremes.writeState(to: &image); image.value(held) }
    public mutating func readState(from image: inout StateImageReader) throws(StateImageError) {
        try extremes.readState(from: &image); try image.value(&held)
    }
}

extension RollingMoments {
    func writeState(to image: inout StateImageWriter) {
        image.array(ring); image.value(head); image.value(count); image.value(mean); image.value(m2)
    }
    mutating func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.array(&ring); try image.value(&head); try image.value(&count); try image.value(&mean); try image.value(&m2)
    }
}

extension RollingVWAP {
    func writeState(to image: inout StateImageWriter) {
        image.array(notional); image.array(quantity); image.value(head); image.value(count)
        image.value(sumNotional); image.value(sumQuantity)
    }
    mutating func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.array(&notional); try image.array(&quantity); try image.value(&head); try image.value(&count)
        try image.value(&sumNotional); try image.value(&sumQuantity)
    }
}

extension RollingExtremes {
    func writeState(to image: inout StateImageWriter) {
        image.array(maxSeq); image.array(maxVal); image.value(maxHead); image.value(maxCount)
        image.array(minSeq); image.array(minVal); image.value(minHead); image.value(minCount)
        image.value(seen)
    }
    mutating func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.array(&maxSeq); try image.array(&maxVal); try image.value(&maxHead); try image.value(&maxCount)
        try image.array(&minSeq); try image.array(&minVal); try image.value(&minHead); try image.value(&minCount)
        try image.value(&seen)
    }
}

extension RegimeAgent: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("RegimeAgent")
        image.array(lastMid); image.array(variance); image.array(drift); image.array(seen); image.array(regimes)
        image.value(changes)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("RegimeAgent")
        try image.array(&lastMid); try image.array(&variance); try image.array(&drift); try image.array(&seen)
        try image.array(&regimes)
        try image.value(&changes)
    }
}

extension CorrelationAgent: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("CorrelationAgent")
        image.value(answeredThisStep); image.value(answered)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("CorrelationAgent")
        try image.value(&answeredThisStep); try image.value(&answered)
    }
}

extension PortfolioAgent: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("PortfolioAgent")
        image.value(targetsSet)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("PortfolioAgent")
        try image.value(&targetsSet)
    }
}

extension ExecutionAgent: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("ExecutionAgent")
        image.array(plans); image.array(marketVolume); image.value(nextOrderID)
        image.value(childrenSent); image.value(filledQuantity); image.value(totalShortfall)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("ExecutionAgent")
        try image.array(&plans); try image.array(&marketVolume); try image.value(&nextOrderID)
        try image.value(&childrenSent); try image.value(&filledQuantity); try image.value(&totalShortfall)
    }
}

extension RiskAgent: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("RiskAgent")
        image.value(nextClock); image.value(approvals); image.value(resizes); image.value(vetoes)
        engine.writeState(to: &image)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("RiskAgent")
        try image.value(&nextClock); try image.value(&approvals); try image.value(&resizes); try image.value(&vetoes)
        try engine.readState(from: &image)
    }
}

extension Supervisor: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("Supervisor")
        image.array(volatile); image.value(volatileCount); image.value(riskOff)
        image.array(pending); image.value(pendingCount); image.value(issued)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("Supervisor")
        try image.array(&volatile); try image.value(&volatileCount); try image.value(&riskOff)
        try image.array(&pending); try image.value(&pendingCount); try image.value(&issued)
    }
}

extension TeamLead: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("TeamLead")
        image.value(haltLongs); image.value(haltShorts); image.value(flatten); image.value(scale); image.value(capped)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("TeamLead")
        try image.value(&haltLongs); try image.value(&haltShorts); try image.value(&flatten); try image.value(&scale)
        try image.value(&capped)
    }
}

extension Scratchpad: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("Scratchpad")
        image.array(ring); image.value(published); image.array(publishedByKind)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("Scratchpad")
        try image.array(&ring); try image.value(&published); try image.array(&publishedByKind)
    }
}

extension AskBoard: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("AskBoard")
        image.array(pending); image.value(pendingCount); image.value(nextID)
        image.value(asked); image.value(answered); image.value(timedOut); image.value(refused)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("AskBoard")
        try image.array(&pending); try image.value(&pendingCount); try image.value(&nextID)
        try image.value(&asked); try image.value(&answered); try image.value(&timedOut); try image.value(&refused)
    }
}

extension ConsensusBook: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("ConsensusBook")
        image.array(votes); image.array(stances); image.array(approved); image.array(performance)
        image.value(nextDecision); image.value(tallies); image.value(approvals); image.value(vetoes)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("ConsensusBook")
        try image.array(&votes); try image.array(&stances); try image.array(&approved); try image.array(&performance)
        try image.value(&nextDecision); try image.value(&tallies); try image.value(&approvals); try image.value(&vetoes)
    }
}

extension ConflictResolver: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("ConflictResolver")
        image.value(conflicts); image.value(incumbentWins); image.value(challengerWins)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("ConflictResolver")
        try image.value(&conflicts); try image.value(&incumbentWins); try image.value(&challengerWins)
    }
}

extension CollectiveMemory: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("CollectiveMemory")
        image.array(cells); image.value(recorded); image.value(consulted); image.value(adjusted)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("CollectiveMemory")
        try image.array(&cells); try image.value(&recorded); try image.value(&consulted); try image.value(&adjusted)
    }
}

extension FailureIsolation: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("FailureIsolation")
        image.array(invalidStrikes); image.array(overrunStrikes); image.array(quarantined); image.array(active)
        image.array(backup)
        image.value(quarantinedCount); image.value(invalidMessages); image.value(overruns); image.value(backupsActivated)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("FailureIsolation")
        try image.array(&invalidStrikes); try image.array(&overrunStrikes); try image.array(&quarantined)
        try image.array(&active); try image.array(&backup)
        try image.value(&quarantinedCount); try image.value(&invalidMessages); try image.value(&overruns)
        try image.value(&backupsActivated)
    }
}

extension DelegationBoard: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("DelegationBoard")
        image.array(tasks); image.value(count); image.value(nextID); image.array(held)
        image.value(delegated); image.value(refused); image.array(outcomes); image.value(childOrders)
        image.value(filledQuantity); image.value(lateFills)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("DelegationBoard")
        try image.array(&tasks); try image.value(&count); try image.value(&nextID); try image.array(&held)
        try image.value(&delegated); try image.value(&refused); try image.array(&outcomes); try image.value(&childOrders)
        try image.value(&filledQuantity); try image.value(&lateFills)
    }
}

extension DeskRecordBuffer: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("DeskRecordBuffer")
        image.array(storage); image.value(count); image.value(dropped)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("DeskRecordBuffer")
        try image.array(&storage); try image.value(&count); try image.value(&dropped)
    }
}

extension AgentOutput: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("AgentOutput")
        image.array(signals); image.array(observations); image.array(setups)
        image.value(signalCount); image.value(observationCount); image.value(setupCount); image.value(overflow)
    }
    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("AgentOutput")
        try image.array(&signals); try image.array(&observations); try image.array(&setups)
        try image.value(&signalCount); try image.value(&observationCount); try image.value(&setupCount)
        try image.value(&overflow)
    }
}
