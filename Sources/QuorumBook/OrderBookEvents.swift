import QuorumWire

/// Best price and the quantity resting there; `qty == 0` means the side is empty.
@frozen public struct BookQuote: Equatable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var price: Price
    public var qty: UInt64
    @inlinable public init(price: Price, qty: UInt64) {
        self.price = price
        self.qty = qty
    }
    @inlinable public static var empty: BookQuote { BookQuote(price: .zero, qty: 0) }
    @inlinable public var isEmpty: Bool { qty == 0 }
    public var description: String { isEmpty ? "-" : "\(qty)@\(price)" }
}

/// One aggregated price level as seen in depth.
@frozen public struct DepthLevel: Equatable, Sendable, BitwiseCopyable {
    public var price: Price
    public var qty: UInt64
    public var orderCount: UInt32
    @inlinable public init(price: Price, qty: UInt64, orderCount: UInt32) {
        self.price = price
        self.qty = qty
        self.orderCount = orderCount
    }
    @inlinable public static var empty: DepthLevel { DepthLevel(price: .zero, qty: 0, orderCount: 0) }
}

/// How a trade came about.
@frozen public enum TradeKind: UInt8, Sendable, BitwiseCopyable {
    /// A displayed order executed at its own price (ITCH E).
    case execution
    /// A displayed order executed at another price (ITCH C).
    case executionWithPrice
    /// A non-displayed order executed (ITCH P): the visible book does not change.
    case hidden
    /// An opening/closing/IPO/halt cross (ITCH Q).
    case cross
}

/// A trade the book saw.
@frozen public struct TradeEvent: Equatable, Sendable, BitwiseCopyable {
    public var price: Price
    public var qty: UInt64
    /// The resting order's side (a sell order executed = a buyer-initiated trade).
    public var restingSide: Side
    public var kind: TradeKind
    public var matchNumber: MatchNumber
    public var orderRef: OrderRef
    /// False for a C message flagged non-printable (it must not count in volume).
    public var printable: Bool

    @inlinable
    public init(price: Price, qty: UInt64, restingSide: Side, kind: TradeKind, matchNumber: MatchNumber,
                orderRef: OrderRef, printable: Bool = true) {
        self.price = price
        self.qty = qty
        self.restingSide = restingSide
        self.kind = kind
        self.matchNumber = matchNumber
        self.orderRef = orderRef
        self.printable = printable
    }

    @inlinable public static var none: TradeEvent {
        TradeEvent(price: .zero, qty: 0, restingSide: .buy, kind: .execution, matchNumber: MatchNumber(0), orderRef: OrderRef(0))
    }
}

/// Receives book changes as they happen.
///
/// Books take the handler as a generic `inout` parameter, so a concrete handler is
/// specialised and inlined into the book code: no existential box, no closure context, no
/// allocation. Every method has an empty default; implement only what you need.
public protocol OrderBookEvents {
    /// A level's aggregate changed; `qty == 0` means the level disappeared.
    mutating func levelChanged(_ locate: StockLocate, side: Side, price: Price, qty: UInt64, orderCount: UInt32)
    /// Best bid or best ask (price or quantity) changed.
    mutating func bestChanged(_ locate: StockLocate, bid: BookQuote, ask: BookQuote)
    /// A trade printed against this book (visible, hidden or cross).
    mutating func traded(_ locate: StockLocate, _ trade: TradeEvent)
}

extension OrderBookEvents {
    @inlinable @inline(__always)
    public mutating func levelChanged(_ locate: StockLocate, side: Side, price: Price, qty: UInt64, orderCount: UInt32) {}
    @inlinable @inline(__always)
    public mutating func bestChanged(_ locate: StockLocate, bid: BookQuote, ask: BookQuote) {}
    @inlinable @inline(__always)
    public mutating func traded(_ locate: StockLocate, _ trade: TradeEvent) {}
}

/// A handler that ignores everything (for benchmarks and bulk replays).
@frozen public struct IgnoreBookEvents: OrderBookEvents {
    @inlinable public init() {}
}

/// What a book operation did. Anything but `.ok` is a flow anomaly the caller counts; the book
/// is consistent after every status.
@frozen public enum BookStatus: UInt8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    case ok
    /// An add with an order reference that is already live; ignored.
    case duplicateOrderRef
    /// An execute/cancel/delete/replace of a reference that is not live; ignored.
    case unknownOrderRef
    /// An execution of more shares than the order had: the order was executed in full.
    case executionExceedsOrder
    /// A cancel of at least the order's shares: the order was removed.
    case cancelExceedsOrder
    /// The order pool is full; the add was dropped.
    case orderPoolExhausted
    /// The side already holds `levelsPerSide` levels; the add was dropped.
    case levelsExhausted
    /// A side byte other than B/S; ignored.
    case invalidSide
    /// An add or replace of zero shares; ignored (a replace still removed the original).
    case zeroQuantity

    public var description: String {
        switch self {
        case .ok: return "ok"
        case .duplicateOrderRef: return "duplicate order reference"
        case .unknownOrderRef: return "unknown order reference"
        case .executionExceedsOrder: return "execution larger than the order"
        case .cancelExceedsOrder: return "cancel of at least the order's shares"
        case .orderPoolExhausted: return "order pool exhausted"
        case .levelsExhausted: return "price levels exhausted"
        case .invalidSide: return "invalid side"
        case .zeroQuantity: return "zero quantity"
        }
    }
}
