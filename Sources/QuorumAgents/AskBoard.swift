/// What an ask is about.
@frozen public enum QuestionKind: UInt8, Sendable, BitwiseCopyable {
    /// "How much exposure, correlation-weighted, do we already have in `symbol`'s direction?"
    /// Answer: Σⱼ ρ(symbol, j)·exposureⱼ in currency.
    case netExposure = 1
    /// "What is ρ(symbol, other)?" Answer: the EWMA correlation.
    case correlation = 2
}

/// A pending ask: who asked whom what, by when, and the signal parked until the answer.
@frozen public struct Question: Sendable, BitwiseCopyable, Equatable {
    public var id: UInt64
    public var asker: AgentID
    public var asked: AgentID
    public var kind: QuestionKind
    public var symbol: SymbolID
    public var other: SymbolID
    /// Event time after which the question times out (ns).
    public var deadline: UInt64
    public var issued: UInt64
    /// The desk step it was posted in; it is answered in a later step.
    public var issuedStep: UInt64
    /// The signal the asker holds back until the answer (or drops on timeout).
    public var parked: Signal
}

/// What became of a question.
@frozen public enum Resolution: Sendable, Equatable {
    case answered(Double)
    case timedOut
}

/// Ask and delegate with deadlines that never block: a question is posted and the asker's
/// loop moves on; the asked agent answers at the start of a later event, within its
/// per-event answer budget; a question still unanswered when the event time passes its
/// deadline resolves as a timeout. Everything is in event time, so replay reproduces it.
///
/// Pending questions sit in a fixed array in posting order (ids increase), so answering is
/// first-in first-out. Capacity is small (tens): removal compacts in O(capacity).
///
/// Not thread-safe; one owner.
public final class AskBoard {
    public let capacity: Int
    @exclusivity(unchecked) var pending: [Question]
    @exclusivity(unchecked) public internal(set) var pendingCount = 0
    @exclusivity(unchecked) var nextID: UInt64 = 1
    @exclusivity(unchecked) public internal(set) var asked = 0
    @exclusivity(unchecked) public internal(set) var answered = 0
    @exclusivity(unchecked) public internal(set) var timedOut = 0
    /// Asks refused because the board was full.
    @exclusivity(unchecked) public internal(set) var refused = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        let blank = Signal(symbol: .none, direction: .flat, confidence: 0, expectedReturn: 0, horizonNanos: 0,
                           pattern: .none, agent: .none, time: 0)
        pending = Array(repeating: Question(id: 0, asker: .none, asked: .none, kind: .netExposure, symbol: .none,
                                            other: .none, deadline: 0, issued: 0, issuedStep: 0, parked: blank),
                        count: self.capacity)
    }

    /// Posts a question; returns its id, or nil (counted) when the board is full.
    /// - Complexity: O(1); no allocation.
    public func ask(_ kind: QuestionKind, from asker: AgentID, to askedAgent: AgentID, symbol: SymbolID,
                    other: SymbolID = .none, parked: Signal, now: UInt64, step: UInt64, deadline: UInt64) -> UInt64? {
        guard pendingCount < capacity else { refused &+= 1; return nil }
        let id = nextID
        nextID &+= 1
        pending[pendingCount] = Question(id: id, asker: asker, asked: askedAgent, kind: kind, symbol: symbol,
                                         other: other, deadline: deadline, issued: now, issuedStep: step,
                                         parked: parked)
        pendingCount += 1
        asked &+= 1
        return id
    }

    /// Resolves what is due at `now`, oldest first: questions past their deadline time out;
    /// others are offered to `answer`, which returns nil when the asked agent cannot answer
    /// now (busy, quarantined) — those stay pending. Questions posted in step `step` itself
    /// wait for a later step. `deliver` receives each resolution.
    /// - Complexity: O(capacity); no allocation.
    public func resolve(now: UInt64, step: UInt64, answer: (Question) -> Double?, deliver: (Question, Resolution) -> Void) {
        var kept = 0
        for k in 0..<pendingCount {
            let q = pending[k]
            var done = false
            if now > q.deadline {
                timedOut &+= 1
                deliver(q, .timedOut)
                done = true
            } else if step > q.issuedStep, let a = answer(q) {
                answered &+= 1
                deliver(q, .answered(a))
                done = true
            }
            if !done {
                pending[kept] = q
                kept += 1
            }
        }
        pendingCount = kept
    }

    public func question(_ i: Int) -> Question {
        precondition(i >= 0 && i < pendingCount)
        return pending[i]
    }
}
