/// What a scratchpad entry records.
@frozen public enum ScratchpadKind: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case observation = 0, decision = 1, outcome = 2, warning = 3
    /// A delegated setup's outcome, for the delegating agent: `agent` = delegator,
    /// `value` = units filled, `value2` = units not filled, `detail` = `DelegationStatus`.
    case delegation = 4
}

/// One shared-scratchpad entry: small, fixed-size, copied by value.
@frozen public struct ScratchpadEntry: Sendable, BitwiseCopyable, Equatable {
    /// Publication number, from 0.
    public var sequence: UInt64
    public var kind: ScratchpadKind
    public var agent: AgentID
    public var symbol: SymbolID
    public var regime: Regime
    public var direction: Direction
    public var value: Double
    public var value2: Double
    public var time: UInt64
    /// Kind-specific code (`.delegation`: the `DelegationStatus`); 0 otherwise.
    public var detail: UInt8 = 0
    @inlinable
    public init(kind: ScratchpadKind, agent: AgentID, symbol: SymbolID, regime: Regime = .calm,
                direction: Direction = .flat, value: Double = 0, value2: Double = 0, time: UInt64, detail: UInt8 = 0) {
        sequence = 0; self.kind = kind; self.agent = agent; self.symbol = symbol; self.regime = regime
        self.direction = direction; self.value = value; self.value2 = value2; self.time = time; self.detail = detail
    }
}

/// The shared scratchpad: an append-only broadcast log of observations, decisions, outcomes
/// and warnings that every agent reads at its own pace through a ``Cursor``.
///
/// A power-of-two ring that the writer never waits on: a reader that falls a whole ring
/// behind skips to the oldest entry still held and counts what it lost. Single-threaded —
/// the desk publishes and delivers on the coordinator loop — so it needs none of
/// QuorumRings.BroadcastRing's cross-thread machinery (which this module does not depend on).
///
/// Not thread-safe; one owner.
public final class Scratchpad {
    /// A reader's position.
    public struct Cursor: Sendable, Equatable {
        public internal(set) var next: UInt64 = 0
        /// Entries overwritten before this reader saw them.
        public internal(set) var lost: UInt64 = 0
        public init() {}
    }

    public let capacity: Int
    let mask: UInt64
    @exclusivity(unchecked) var ring: [ScratchpadEntry]
    /// Entries published so far (the next sequence number).
    @exclusivity(unchecked) public internal(set) var published: UInt64 = 0
    /// Entries published per kind (index = `ScratchpadKind.rawValue`).
    @exclusivity(unchecked) public internal(set) var publishedByKind: [UInt64] = Array(repeating: 0, count: ScratchpadKind.allCases.count)

    /// - Parameter capacity: rounded up to a power of two, at least 2.
    public init(capacity: Int) {
        var c = 2
        while c < capacity { c <<= 1 }
        self.capacity = c
        mask = UInt64(c - 1)
        ring = Array(repeating: ScratchpadEntry(kind: .warning, agent: .none, symbol: .none, time: 0), count: c)
    }

    /// Appends `entry`, stamping its sequence number, and returns that number.
    /// - Complexity: O(1); no allocation.
    @discardableResult
    public func publish(_ entry: ScratchpadEntry) -> UInt64 {
        var e = entry
        e.sequence = published
        ring[Int(published & mask)] = e
        publishedByKind[Int(e.kind.rawValue)] &+= 1
        published &+= 1
        return e.sequence
    }

    /// The next entry for `cursor`, or nil when it has read everything.
    /// - Complexity: O(1).
    public func read(_ cursor: inout Cursor) -> ScratchpadEntry? {
        guard cursor.next < published else { return nil }
        let oldest = published > UInt64(capacity) ? published - UInt64(capacity) : 0
        if cursor.next < oldest {
            cursor.lost &+= oldest - cursor.next
            cursor.next = oldest
        }
        let e = ring[Int(cursor.next & mask)]
        cursor.next &+= 1
        return e
    }
}
