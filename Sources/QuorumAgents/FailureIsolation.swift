import QuorumRisk

/// Quarantine for misbehaving agents: an agent that emits invalid output, or overruns its
/// time budget, on `strikeLimit` events is quarantined — the desk stops calling it and
/// activates its backup if one is configured. Strikes count events, not messages: one
/// event with three bad signals is one strike.
///
/// The isolation mode feeds the desk's breaker state: `degraded` once at least
/// `degradedFraction` of the analysts are quarantined, `emergency` when all are.
///
/// Not thread-safe; one owner.
public final class FailureIsolation {
    public let strikeLimit: Int
    public let degradedFraction: Double
    @exclusivity(unchecked) var invalidStrikes: [Int]
    @exclusivity(unchecked) var overrunStrikes: [Int]
    @exclusivity(unchecked) var quarantined: [Bool]
    /// Whether the desk calls the agent: false for quarantined agents and idle backups.
    @exclusivity(unchecked) var active: [Bool]
    @exclusivity(unchecked) var backup: [Int]
    @exclusivity(unchecked) public internal(set) var quarantinedCount = 0
    @exclusivity(unchecked) public internal(set) var invalidMessages = 0
    @exclusivity(unchecked) public internal(set) var overruns = 0
    @exclusivity(unchecked) public internal(set) var backupsActivated = 0

    /// - Parameters:
    ///   - backupOf: for each agent, the agent it stands in for, or nil; backups start idle.
    public init(agentCount: Int, backupOf: [Int?], strikeLimit: Int = 3, degradedFraction: Double = 0.5) {
        self.strikeLimit = max(1, strikeLimit)
        self.degradedFraction = degradedFraction
        invalidStrikes = Array(repeating: 0, count: agentCount)
        overrunStrikes = Array(repeating: 0, count: agentCount)
        quarantined = Array(repeating: false, count: agentCount)
        active = Array(repeating: true, count: agentCount)
        backup = Array(repeating: -1, count: agentCount)
        for (i, primary) in backupOf.enumerated() where i < agentCount {
            if let p = primary, p >= 0, p < agentCount, p != i {
                active[i] = false
                backup[p] = i
            }
        }
    }

    public func isActive(_ a: AgentID) -> Bool { a.index < active.count && active[a.index] }
    public func isQuarantined(_ a: AgentID) -> Bool { a.index < quarantined.count && quarantined[a.index] }
    public func invalidStrikes(_ a: AgentID) -> Int { invalidStrikes[a.index] }
    public func overrunStrikes(_ a: AgentID) -> Int { overrunStrikes[a.index] }

    /// Counts one event in which `a` emitted `messages` invalid messages.
    /// - Returns: the backup activated (or `.none`) if this strike quarantined `a`, else nil.
    public func reportInvalid(_ a: AgentID, messages: Int) -> AgentID? {
        invalidMessages &+= messages
        invalidStrikes[a.index] += 1
        return invalidStrikes[a.index] >= strikeLimit ? quarantine(a) : nil
    }

    /// Counts one time-budget overrun by `a`. Same return as ``reportInvalid(_:messages:)``.
    public func reportOverrun(_ a: AgentID) -> AgentID? {
        overruns &+= 1
        overrunStrikes[a.index] += 1
        return overrunStrikes[a.index] >= strikeLimit ? quarantine(a) : nil
    }

    func quarantine(_ a: AgentID) -> AgentID? {
        guard !quarantined[a.index] else { return nil }
        quarantined[a.index] = true
        active[a.index] = false
        quarantinedCount += 1
        let b = backup[a.index]
        if b >= 0 && !quarantined[b] {
            active[b] = true
            backupsActivated &+= 1
            return AgentID(b)
        }
        return AgentID.none
    }

    /// The mode implied by how many of `analysts` are quarantined.
    public func mode(analysts: Int, quarantinedAnalysts: Int) -> EngineMode {
        guard analysts > 0, quarantinedAnalysts > 0 else { return .normal }
        if quarantinedAnalysts >= analysts { return .emergency }
        return Double(quarantinedAnalysts) >= degradedFraction * Double(analysts) ? .degraded : .normal
    }
}
