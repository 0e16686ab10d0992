/// How opposite views on one asset are settled (chosen in Config).
@frozen public enum ConflictPolicy: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    /// The incumbent view stands until it is withdrawn.
    case firstMover = 0
    /// The challenger wins if its confidence beats the incumbent's by the override margin.
    case confidenceWeighted = 1
    /// The supervisor decides: performance weight × memory-scaled confidence, ties to the
    /// incumbent; in risk-off the side that reduces the current position gets the tie-break
    /// margin instead.
    case supervisorArbitration = 2
}

/// One side of a conflict.
@frozen public struct Contender: Sendable, BitwiseCopyable, Equatable {
    public var agent: AgentID
    public var direction: Direction
    public var confidence: Double
    /// The agent's consensus performance weight.
    public var performance: Double
    @inlinable public init(agent: AgentID, direction: Direction, confidence: Double, performance: Double) {
        self.agent = agent; self.direction = direction; self.confidence = confidence; self.performance = performance
    }
}

/// Settles conflicts — no opposing positions on one asset — and counts every one.
///
/// Not thread-safe; one owner.
public final class ConflictResolver {
    public let policy: ConflictPolicy
    /// Confidence margin a challenger needs under `.confidenceWeighted` (default 0.2).
    public let overrideMargin: Double
    /// Conflicts settled, per policy used (index = raw value).
    @exclusivity(unchecked) public internal(set) var conflicts = 0
    @exclusivity(unchecked) public internal(set) var incumbentWins = 0
    @exclusivity(unchecked) public internal(set) var challengerWins = 0

    public init(policy: ConflictPolicy = .confidenceWeighted, overrideMargin: Double = 0.2) {
        self.policy = policy
        self.overrideMargin = overrideMargin
    }

    /// True if `challenger` replaces `incumbent`.
    /// - Parameters:
    ///   - position: the desk's current position in the asset (for risk-off arbitration).
    ///   - riskOff: the supervisor's risk-off flag.
    /// - Complexity: O(1).
    public func challengerWins(incumbent: Contender, challenger: Contender, position: Int64, riskOff: Bool) -> Bool {
        conflicts &+= 1
        let wins: Bool
        switch policy {
        case .firstMover:
            wins = false
        case .confidenceWeighted:
            wins = challenger.confidence >= incumbent.confidence + overrideMargin
        case .supervisorArbitration:
            let a = incumbent.performance * incumbent.confidence
            let b = challenger.performance * challenger.confidence
            if riskOff && position != 0 {
                // Prefer the side that shrinks the position unless the other is clearly stronger.
                let challengerReduces = challenger.direction.sign * position < 0
                wins = challengerReduces ? b + overrideMargin >= a : b >= a + overrideMargin
            } else {
                wins = b > a
            }
        }
        if wins { challengerWins &+= 1 } else { incumbentWins &+= 1 }
        return wins
    }
}
