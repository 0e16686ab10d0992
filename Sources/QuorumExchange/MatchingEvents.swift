import QuorumWire

/// How an order meets the book.
@frozen public enum OrderType: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    /// Trades what crosses at `price` or better; the rest rests on the book (day order).
    case limit
    /// Trades at any price until filled or the opposite side is empty; never rests.
    case market
    /// Limit price, never rests: what does not trade at once is cancelled.
    case immediateOrCancel
    /// Limit price, all or none: trades only if the visible liquidity at `price` or better
    /// covers the whole quantity at entry; otherwise nothing trades and it is cancelled.
    case fillOrKill
}

/// Who entered an order: the background flow, or a client session the glue numbers.
/// Fills report both sides' owners so each can be told.
@frozen public struct Owner: RawRepresentable, Hashable, Sendable, BitwiseCopyable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    /// The simulator's own background flow.
    @inlinable public static var flow: Owner { Owner(0) }
}

/// The client's own handle on an order (e.g. an index the FIX glue keeps for a ClOrdID),
/// carried untouched and handed back with every event about the order.
@frozen public struct ClientToken: RawRepresentable, Hashable, Sendable, BitwiseCopyable {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }
}

/// An order as entered.
@frozen public struct NewOrder: Equatable, Sendable, BitwiseCopyable {
    public var side: Side
    public var type: OrderType
    /// Limit price; ignored for `.market`.
    public var price: Price
    public var qty: Qty
    public var owner: Owner
    public var token: ClientToken

    @inlinable
    public init(side: Side, type: OrderType = .limit, price: Price, qty: Qty, owner: Owner = .flow,
                token: ClientToken = ClientToken(0)) {
        self.side = side
        self.type = type
        self.price = price
        self.qty = qty
        self.owner = owner
        self.token = token
    }
}

/// Why a request was refused. Nothing changed in the book.
@frozen public enum RejectReason: UInt8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    case zeroQuantity
    case invalidSide
    /// Zero price on a priced order.
    case invalidPrice
    /// The order would rest but the order pool is full.
    case orderPoolFull
    /// The order would rest at a new price level but the side's ladder is full.
    case levelsFull
    /// No symbol with this locate (exchange front).
    case unknownSymbol
    /// Cancel or replace of an order that is not live (never existed, filled or cancelled).
    case unknownOrder
    /// Cancel or replace by an owner other than the order's.
    case notOwner

    public var description: String {
        switch self {
        case .zeroQuantity: return "zero quantity"
        case .invalidSide: return "invalid side"
        case .invalidPrice: return "invalid price"
        case .orderPoolFull: return "order pool full"
        case .levelsFull: return "price levels full"
        case .unknownSymbol: return "unknown symbol"
        case .unknownOrder: return "unknown order"
        case .notOwner: return "not the order's owner"
        }
    }
}

/// Which request a rejection answers.
@frozen public enum RequestKind: UInt8, Sendable, BitwiseCopyable {
    case new, cancel, replace
}

/// Why quantity left the book without trading.
@frozen public enum CancelReason: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    /// The owner asked.
    case requested
    /// The untraded remainder of an immediate-or-cancel order.
    case immediateOrCancel
    /// A fill-or-kill order the book could not fill whole: nothing traded.
    case fillOrKill
    /// The remainder of a market order once the opposite side ran out.
    case noLiquidity
}

/// A new order was accepted and given its exchange order reference.
@frozen public struct OrderAccepted: Equatable, Sendable, BitwiseCopyable {
    public var locate: StockLocate
    public var ref: OrderRef
    public var order: NewOrder
    public var timestamp: Timestamp

    @inlinable
    public init(locate: StockLocate, ref: OrderRef, order: NewOrder, timestamp: Timestamp) {
        self.locate = locate
        self.ref = ref
        self.order = order
        self.timestamp = timestamp
    }
}

/// A request was refused; `ref` is the order it named (zero for a new order).
@frozen public struct OrderRejected: Equatable, Sendable, BitwiseCopyable {
    public var locate: StockLocate
    public var request: RequestKind
    public var reason: RejectReason
    public var ref: OrderRef
    public var owner: Owner
    public var token: ClientToken
    public var timestamp: Timestamp

    @inlinable
    public init(locate: StockLocate, request: RequestKind, reason: RejectReason, ref: OrderRef, owner: Owner, token: ClientToken, timestamp: Timestamp) {
        self.locate = locate
        self.request = request
        self.reason = reason
        self.ref = ref
        self.owner = owner
        self.token = token
        self.timestamp = timestamp
    }
}

/// One side of a fill.
@frozen public struct FillParty: Equatable, Sendable, BitwiseCopyable {
    public var ref: OrderRef
    public var owner: Owner
    public var token: ClientToken
    public var side: Side
    /// Quantity still open after this fill (0: the order is done).
    public var leaves: Qty

    @inlinable
    public init(ref: OrderRef, owner: Owner, token: ClientToken, side: Side, leaves: Qty) {
        self.ref = ref
        self.owner = owner
        self.token = token
        self.side = side
        self.leaves = leaves
    }
}

/// A trade between an incoming (aggressor) order and a resting one, at the resting price.
@frozen public struct Fill: Equatable, Sendable, BitwiseCopyable {
    public var locate: StockLocate
    public var matchNumber: MatchNumber
    public var price: Price
    public var qty: Qty
    public var aggressor: FillParty
    public var resting: FillParty
    public var timestamp: Timestamp

    @inlinable
    public init(locate: StockLocate, matchNumber: MatchNumber, price: Price, qty: Qty, aggressor: FillParty, resting: FillParty, timestamp: Timestamp) {
        self.locate = locate
        self.matchNumber = matchNumber
        self.price = price
        self.qty = qty
        self.aggressor = aggressor
        self.resting = resting
        self.timestamp = timestamp
    }
}

/// Quantity of a live order left the book without trading.
@frozen public struct OrderCancelled: Equatable, Sendable, BitwiseCopyable {
    public var locate: StockLocate
    public var ref: OrderRef
    public var owner: Owner
    public var token: ClientToken
    public var side: Side
    /// Quantity cancelled (the whole remainder: the order is done).
    public var qty: Qty
    public var reason: CancelReason
    public var timestamp: Timestamp

    @inlinable
    public init(locate: StockLocate, ref: OrderRef, owner: Owner, token: ClientToken, side: Side, qty: Qty, reason: CancelReason, timestamp: Timestamp) {
        self.locate = locate
        self.ref = ref
        self.owner = owner
        self.token = token
        self.side = side
        self.qty = qty
        self.reason = reason
        self.timestamp = timestamp
    }
}

/// A live order was changed. `newRef == oldRef` when it kept its queue position (same price,
/// smaller or equal size); otherwise it got a new reference and went to the back of its level.
@frozen public struct OrderReplaced: Equatable, Sendable, BitwiseCopyable {
    public var locate: StockLocate
    public var oldRef: OrderRef
    public var newRef: OrderRef
    public var owner: Owner
    public var oldToken: ClientToken
    public var newToken: ClientToken
    public var side: Side
    public var price: Price
    /// The new open quantity (before any fill the new price causes; those follow as fills).
    public var qty: Qty
    public var keptPriority: Bool
    public var timestamp: Timestamp

    @inlinable
    public init(locate: StockLocate, oldRef: OrderRef, newRef: OrderRef, owner: Owner, oldToken: ClientToken, newToken: ClientToken, side: Side, price: Price, qty: Qty, keptPriority: Bool, timestamp: Timestamp) {
        self.locate = locate
        self.oldRef = oldRef
        self.newRef = newRef
        self.owner = owner
        self.oldToken = oldToken
        self.newToken = newToken
        self.side = side
        self.price = price
        self.qty = qty
        self.keptPriority = keptPriority
        self.timestamp = timestamp
    }
}

/// Where a matching engine reports. Taken as a generic `inout` parameter, so a concrete sink
/// is specialised into the engine: no existential, no closure, no allocation.
///
/// Per request the order is: `accepted` or `rejected`, then `replaced` (replace only), then
/// each `filled` in match order, then `cancelled` for an unfilled remainder. `published`
/// receives the ITCH messages for the book change, in feed order, interleaved where they
/// happen (an execution's `E` right after its `filled`).
public protocol MatchingEvents {
    mutating func accepted(_ event: OrderAccepted)
    mutating func rejected(_ event: OrderRejected)
    mutating func filled(_ event: Fill)
    mutating func cancelled(_ event: OrderCancelled)
    mutating func replaced(_ event: OrderReplaced)
    /// One ITCH 5.0 message for the market-data feed.
    mutating func published(_ message: ITCHMessage)
}

extension MatchingEvents {
    @inlinable @inline(__always) public mutating func accepted(_ event: OrderAccepted) {}
    @inlinable @inline(__always) public mutating func rejected(_ event: OrderRejected) {}
    @inlinable @inline(__always) public mutating func filled(_ event: Fill) {}
    @inlinable @inline(__always) public mutating func cancelled(_ event: OrderCancelled) {}
    @inlinable @inline(__always) public mutating func replaced(_ event: OrderReplaced) {}
    @inlinable @inline(__always) public mutating func published(_ message: ITCHMessage) {}
}

/// A sink that drops everything.
@frozen public struct IgnoreMatchingEvents: MatchingEvents {
    @inlinable public init() {}
}

/// What happened to a new order, returned to the caller as well as reported to the sink.
@frozen public struct SubmitResult: Equatable, Sendable, BitwiseCopyable {
    /// The order's reference; zero when rejected.
    public var ref: OrderRef
    /// nil when accepted.
    public var rejection: RejectReason?
    public var filled: Qty
    /// Quantity now resting on the book under `ref`.
    public var resting: Qty
    /// Quantity cancelled unfilled (IOC, FOK, market remainder).
    public var cancelled: Qty

    @inlinable public var isAccepted: Bool { rejection == nil }

    @inlinable
    public init(ref: OrderRef, rejection: RejectReason?, filled: Qty, resting: Qty, cancelled: Qty) {
        self.ref = ref
        self.rejection = rejection
        self.filled = filled
        self.resting = resting
        self.cancelled = cancelled
    }
}

/// Order references and match numbers, shared by every engine of one exchange so that both
/// are unique over the day across symbols, as in ITCH. Not thread-safe.
public final class ExchangeSequence {
    /// The next order reference to hand out (starts at 1: zero means "none").
    public var nextOrderRef: UInt64 {
        get { _next[0] }
        set { _next[0] = newValue }
    }
    public var nextMatchNumber: UInt64 {
        get { _next[1] }
        set { _next[1] = newValue }
    }
    /// Behind a pointer: no run-time exclusivity check per access (see `MatchingEngine._st`).
    @usableFromInline let _next: UnsafeMutablePointer<UInt64>

    public init(firstOrderRef: UInt64 = 1, firstMatchNumber: UInt64 = 1) {
        _next = .allocate(capacity: 2)
        _next.initialize(to: firstOrderRef)
        (_next + 1).initialize(to: firstMatchNumber)
    }

    deinit { _next.deallocate() }

    @inlinable @inline(__always)
    func _takeOrderRef() -> OrderRef {
        let r = _next[0]
        _next[0] = r &+ 1  // &+ : 2^64 references cannot be reached
        return OrderRef(r)
    }

    @inlinable @inline(__always)
    func _takeMatchNumber() -> MatchNumber {
        let m = _next[1]
        _next[1] = m &+ 1  // &+ : as above
        return MatchNumber(m)
    }
}
