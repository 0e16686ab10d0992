/// What a `DeskRecord` reports. Stable raw values: they are journaled.
@frozen public enum DeskRecordKind: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    /// A valid signal entered the desk. agent, symbol, direction, value = confidence (after
    /// memory scaling), value2 = expected return, detail = pattern.
    case signal = 1
    /// Observation. agent, symbol, detail = regime, value/value2 = vol/drift.
    case observation = 2
    /// An ask was posted. agent = asker, other = asked, id = request, symbol, time = deadline.
    case question = 3
    /// An ask was answered. id = request, agent = asker, other = answerer, value = answer.
    case answer = 4
    /// An ask expired unanswered. id = request, agent = asker, other = asked.
    case timeout = 5
    /// A conflict between opposite views on a symbol. agent = incumbent, other = challenger,
    /// direction = winner's direction, detail = policy, value/value2 = incumbent/challenger
    /// confidence, quantity = 1 if the challenger won.
    case conflict = 6
    /// A consensus decision changed state. id = decision, symbol, direction, value = score,
    /// quantity = supporters, detail = 1 approved / 0 not / 2 vetoed.
    case decision = 7
    /// A new target. symbol, quantity = target position, id = decision.
    case target = 8
    /// A child order intent. id, symbol, direction, quantity, value = limit ticks, detail = style.
    case childOrder = 9
    /// The risk agent vetoed an order intent. symbol, direction, quantity, detail = RiskReason.
    case veto = 10
    /// The risk agent cut an order intent. quantity = new quantity, value = requested, detail = reason.
    case resize = 11
    /// Cancel every working order (emergency).
    case cancelAll = 12
    /// A directive took effect. detail = kind, agent = issuer, value = fraction,
    /// quantity = team (255 = all).
    case directive = 13
    /// An agent emitted invalid output. agent, detail = InvalidOutput reason, quantity = strikes.
    case invalidOutput = 14
    /// An agent overran its time budget. agent, quantity = strikes, value = nanoseconds.
    case overrun = 15
    /// An agent was quarantined. agent, other = backup activated (or none).
    case quarantine = 16
    /// A fill was applied. id = order, symbol, direction, quantity, value = price ticks,
    /// value2 = implementation shortfall so far (currency).
    case fill = 17
    /// A round trip closed. symbol, direction, value = return, value2 = P&L, detail = regime.
    case outcome = 18
    /// The desk's mode changed. detail = new EngineMode raw value, quantity = old.
    case modeChange = 19
    /// A performance weight moved. agent, value = new weight, value2 = old.
    case weight = 20
    /// A signal was refused by a halt, degraded mode or a conflict loss; agent, symbol,
    /// direction, detail = 1 halt / 2 degraded / 3 overruled.
    case refused = 21
    /// A setup was delegated to the execution agent. agent = delegator, other = execution,
    /// id = setup, symbol, direction, quantity, value = limit ticks, detail = ExpiryAction,
    /// time = deadline.
    case delegation = 22
    /// A delegated setup ended. agent = execution, other = delegator, id = setup, symbol,
    /// direction, detail = DelegationStatus, quantity = units filled, value = average fill
    /// price (ticks, 0 if none), value2 = implementation shortfall (currency).
    case delegationOutcome = 23
}

/// One desk event in a fixed-size, journal-ready form (64 bytes of plain data). Every
/// step's output is a sequence of these; folding them into ``fnv1a(_:)`` gives the
/// determinism check. Field meanings per ``DeskRecordKind``; `time` is the step's event
/// time except for `.question`, where it is the deadline.
@frozen public struct DeskRecord: Sendable, BitwiseCopyable, Equatable {
    public var kind: DeskRecordKind
    public var direction: Direction
    public var detail: UInt8
    public var agent: AgentID
    public var other: AgentID
    public var symbol: SymbolID
    public var time: UInt64
    public var id: UInt64
    public var quantity: Int64
    public var value: Double
    public var value2: Double

    @inlinable
    public init(_ kind: DeskRecordKind, time: UInt64, agent: AgentID = .none, other: AgentID = .none,
                symbol: SymbolID = .none, direction: Direction = .flat, detail: UInt8 = 0, id: UInt64 = 0,
                quantity: Int64 = 0, value: Double = 0, value2: Double = 0) {
        self.kind = kind; self.direction = direction; self.detail = detail; self.agent = agent
        self.other = other; self.symbol = symbol; self.time = time; self.id = id
        self.quantity = quantity; self.value = value; self.value2 = value2
    }

    /// Folds every field, by bit pattern, into an FNV-1a 64-bit hash.
    /// - Complexity: O(1).
    @inlinable
    public func fnv1a(_ h: inout UInt64) {
        @inline(__always) func mix(_ h: inout UInt64, _ x: UInt64) {
            var x = x
            for _ in 0..<8 {
                h = (h ^ (x & 0xff)) &* 0x0000_0100_0000_01b3  // FNV prime; wrapping by definition
                x >>= 8
            }
        }
        mix(&h, UInt64(kind.rawValue) | UInt64(UInt8(bitPattern: direction.rawValue)) << 8
                | UInt64(detail) << 16 | UInt64(agent.rawValue) << 24 | UInt64(other.rawValue) << 40)
        mix(&h, UInt64(symbol.rawValue))
        mix(&h, time)
        mix(&h, id)
        mix(&h, UInt64(bitPattern: quantity))
        mix(&h, value.bitPattern)
        mix(&h, value2.bitPattern)
    }

    public static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
}

/// A fixed-capacity list of records, reused every step. Appending past capacity drops the
/// record and counts it in ``dropped``.
///
/// Not thread-safe; one owner.
public final class DeskRecordBuffer {
    public let capacity: Int
    @exclusivity(unchecked) var storage: [DeskRecord]
    @exclusivity(unchecked) public internal(set) var count = 0
    /// Records lost because the buffer was full (since init).
    @exclusivity(unchecked) public internal(set) var dropped = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        storage = Array(repeating: DeskRecord(.signal, time: 0), count: max(1, capacity))
    }

    /// - Complexity: O(1); no allocation.
    public func append(_ r: DeskRecord) {
        guard count < capacity else { dropped &+= 1; return }
        storage[count] = r
        count += 1
    }

    public func removeAll() { count = 0 }

    public subscript(i: Int) -> DeskRecord {
        precondition(i >= 0 && i < count, "record index out of range")
        return storage[i]
    }

    /// The records of the current step, in emission order. Read it before the next input:
    /// holding the slice across a step would make the next append copy the storage.
    public var records: ArraySlice<DeskRecord> { storage[0..<count] }
}
