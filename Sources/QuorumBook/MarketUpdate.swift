import QuorumWire

/// What changed in a book while applying one message.
@frozen public struct BookChanges: OptionSet, Sendable, BitwiseCopyable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public static var bestBidOffer: BookChanges { BookChanges(rawValue: 1) }
    /// Some level changed (not necessarily within the top 5).
    @inlinable public static var levels: BookChanges { BookChanges(rawValue: 2) }
    @inlinable public static var trade: BookChanges { BookChanges(rawValue: 4) }
}

/// The fixed-size event the feed handler publishes to agents after a message changed a book.
///
/// Plain data (`BitwiseCopyable`, no references) so it can be copied into a broadcast ring
/// slot by value. Levels beyond the book's depth are `DepthLevel.empty`.
@frozen public struct MarketUpdate: Sendable, BitwiseCopyable {
    @inlinable public static var depth: Int { 5 }

    public var locate: StockLocate
    public var stock: Stock
    /// Feed sequence number of the message that caused the update.
    public var sequence: UInt64
    /// The exchange's timestamp of that message (ns since midnight).
    public var exchangeTime: Timestamp
    /// When the datagram was received (ns, the receiver's clock).
    public var receiveTime: UInt64
    public var changes: BookChanges
    public var bestBid: BookQuote
    public var bestAsk: BookQuote
    /// Best first; `bidCount`/`askCount` of them are real.
    public var bids: InlineArray<5, DepthLevel>
    public var asks: InlineArray<5, DepthLevel>
    public var bidCount: UInt8
    public var askCount: UInt8
    public var lastTrade: TradeEvent
    /// Top-5 book imbalance (bid qty − ask qty) / (bid qty + ask qty) in basis points,
    /// −10 000…10 000; 0 when both sides are empty.
    public var imbalanceBasisPoints: Int16

    @inlinable
    public init() {
        locate = StockLocate(0)
        stock = Stock(rawValue: 0)
        sequence = 0
        exchangeTime = Timestamp(0)
        receiveTime = 0
        changes = []
        bestBid = .empty
        bestAsk = .empty
        bids = InlineArray(repeating: .empty)
        asks = InlineArray(repeating: .empty)
        bidCount = 0
        askCount = 0
        lastTrade = .none
        imbalanceBasisPoints = 0
    }
}

extension OrderBook {
    /// Fills the book-derived fields of `update` (BBO, top 5 per side, last trade, imbalance).
    /// - Complexity: O(5); never allocates.
    @inlinable
    public func fill(_ update: inout MarketUpdate) {
        update.locate = locate
        update.bestBid = bestBid
        update.bestAsk = bestAsk
        var bidQty: UInt64 = 0
        var askQty: UInt64 = 0
        let nb = Swift.min(_count(0), MarketUpdate.depth)
        let na = Swift.min(_count(1), MarketUpdate.depth)
        for i in 0..<MarketUpdate.depth {
            let b = i < nb ? level(.buy, i)! : .empty
            let a = i < na ? level(.sell, i)! : .empty
            update.bids[i] = b
            update.asks[i] = a
            bidQty += b.qty
            askQty += a.qty
        }
        update.bidCount = UInt8(nb)
        update.askCount = UInt8(na)
        update.lastTrade = lastTrade
        let total = bidQty + askQty
        update.imbalanceBasisPoints = total == 0
            ? 0 : Int16((Int64(bidQty) - Int64(askQty)) * 10_000 / Int64(total))
    }
}

extension BookManager {
    /// The update for a symbol's current book, or nil if the locate has no book.
    /// - Complexity: O(5); never allocates.
    @inlinable
    public func marketUpdate(_ locate: StockLocate, sequence: UInt64, exchangeTime: Timestamp, receiveTime: UInt64,
                             changes: BookChanges) -> MarketUpdate? {
        let slot = _slotOfLocate[Int(locate.rawValue)]
        guard slot >= 0 else { return nil }
        var u = MarketUpdate()
        _books[Int(slot)].fill(&u)
        u.stock = _symbols[Int(slot)].stock
        u.sequence = sequence
        u.exchangeTime = exchangeTime
        u.receiveTime = receiveTime
        u.changes = changes
        return u
    }
}

/// An `OrderBookEvents` handler that only notes what changed, for the feed handler to decide
/// whether to publish a `MarketUpdate` after each message. Reset it before each message.
@frozen public struct BookChangeTracker: OrderBookEvents {
    public var changes: BookChanges = []
    public var locate = StockLocate(0)
    @inlinable public init() {}
    @inlinable public mutating func reset() { changes = [] }
    @inlinable
    public mutating func levelChanged(_ locate: StockLocate, side: Side, price: Price, qty: UInt64, orderCount: UInt32) {
        changes.insert(.levels)
        self.locate = locate
    }
    @inlinable
    public mutating func bestChanged(_ locate: StockLocate, bid: BookQuote, ask: BookQuote) {
        changes.insert(.bestBidOffer)
        self.locate = locate
    }
    @inlinable
    public mutating func traded(_ locate: StockLocate, _ trade: TradeEvent) {
        changes.insert(.trade)
        self.locate = locate
    }
}
