import QuorumBook
import QuorumWire

/// Replays LOBSTER messages into an `OrderBook`.
///
/// LOBSTER's message file only sees orders added inside its time window. Orders that rested
/// before it (and the seeded book) have no add message, so the replayer keeps one *synthetic*
/// order per seeded level, with a reference from a reserved range; an execution, cancel or
/// delete of an unknown order id is applied to the synthetic order at that price ("apply it to
/// the level at that price"). A reduction with neither a known order nor synthetic quantity
/// at its price is counted in `unmatched` (the book then drifts from LOBSTER's, as it must
/// when the message file cannot explain the change).
///
/// Not thread-safe.
public struct LobsterReplayer: ~Copyable {
    public var book: OrderBook
    /// Synthetic order at (side, price) → its reference.
    var synthetic: [SyntheticKey: UInt64] = [:]
    var nextSynthetic: UInt64 = LobsterReplayer.syntheticBase
    /// Reductions that found nothing to reduce.
    public private(set) var unmatched = 0
    /// Book statuses other than `.ok` (e.g. a duplicate add).
    public private(set) var anomalies = 0
    public private(set) var firstAnomaly: String?

    /// References at and above this are synthetic; LOBSTER ids are far below.
    public static let syntheticBase: UInt64 = 1 << 62

    struct SyntheticKey: Hashable {
        var side: UInt8
        var price: UInt32
    }

    public init(config: BookConfig = BookConfig(ordersPerSymbol: 1 << 16, levelsPerSide: 4096, maxSymbols: 1)) {
        book = OrderBook(locate: StockLocate(1), config: config)
    }

    /// Replaces the book by the levels of an orderbook row, one synthetic order per level.
    public mutating func seed(_ row: Lobster.BookRow) {
        book.removeAll()
        synthetic.removeAll(keepingCapacity: true)
        var ev = IgnoreBookEvents()
        for (side, levels) in [(Side.sell, row.asks), (Side.buy, row.bids)] {
            for l in levels where l.size > 0 {
                let r = nextSynthetic
                nextSynthetic += 1
                if book.add(OrderRef(r), side: side, price: Price(UInt32(clamping: l.price)),
                            qty: Qty(UInt32(clamping: l.size)), &ev) == .ok {
                    synthetic[SyntheticKey(side: side.rawValue, price: UInt32(clamping: l.price))] = r
                }
            }
        }
    }

    /// Applies one message. Returns the synthetic reference used when the message addressed
    /// a level rather than a known order (nil otherwise), so converters can mirror it.
    @discardableResult
    public mutating func apply<H: OrderBookEvents>(_ m: Lobster.Message, _ events: inout H) -> LevelAddressed? {
        let ref = OrderRef(m.orderID)
        switch m.type {
        case .add:
            note(book.add(ref, side: m.side, price: m.price, qty: Qty(m.size), &events), m)
        case .partialCancel:
            if book.order(ref) != nil { note(book.cancel(ref, qty: Qty(m.size), &events), m) } else {
                return reduceLevel(m, &events)
            }
        case .delete:
            if book.order(ref) != nil { note(book.delete(ref, &events), m) } else { return reduceLevel(m, &events) }
        case .visibleExecution:
            if book.order(ref) != nil {
                note(book.execute(ref, qty: Qty(m.size), matchNumber: MatchNumber(0), &events), m)
            } else {
                return reduceLevel(m, &events)
            }
        case .hiddenExecution:
            book.recordTrade(TradeEvent(price: m.price, qty: UInt64(m.size), restingSide: m.side, kind: .hidden,
                                        matchNumber: MatchNumber(0), orderRef: ref), &events)
        case .cross:
            book.recordTrade(TradeEvent(price: m.price, qty: UInt64(m.size), restingSide: m.side, kind: .cross,
                                        matchNumber: MatchNumber(0), orderRef: ref), &events)
        case .halt:
            break
        }
        return nil
    }

    /// A reduction applied to a synthetic order: which one, and whether it removed it.
    public struct LevelAddressed {
        public var syntheticRef: OrderRef
        public var qty: UInt32
        public var removed: Bool
    }

    mutating func reduceLevel<H: OrderBookEvents>(_ m: Lobster.Message, _ events: inout H) -> LevelAddressed? {
        let key = SyntheticKey(side: m.side.rawValue, price: m.price.rawValue)
        guard let r = synthetic[key], let have = book.order(OrderRef(r))?.qty.rawValue else {
            unmatched += 1
            return nil
        }
        let q = min(have, m.size)
        if q < m.size { unmatched += 1 }
        if q == have {
            _ = book.delete(OrderRef(r), &events)
            synthetic[key] = nil
            return LevelAddressed(syntheticRef: OrderRef(r), qty: q, removed: true)
        }
        _ = book.cancel(OrderRef(r), qty: Qty(q), &events)
        return LevelAddressed(syntheticRef: OrderRef(r), qty: q, removed: false)
    }

    mutating func note(_ s: BookStatus, _ m: Lobster.Message) {
        if s != .ok {
            anomalies += 1
            if firstAnomaly == nil { firstAnomaly = "order \(m.orderID) at \(m.time): \(s)" }
        }
    }

    /// The book's top `levels` levels in LOBSTER's row layout.
    public func snapshot(levels: Int) -> Lobster.BookRow {
        var asks: [Lobster.Level] = []
        var bids: [Lobster.Level] = []
        for i in 0..<levels {
            if let a = book.level(.sell, i) { asks.append(.init(price: Int64(a.price.rawValue), size: Int64(a.qty))) } else {
                asks.append(.init(price: Lobster.emptyAskPrice, size: 0))
            }
            if let b = book.level(.buy, i) { bids.append(.init(price: Int64(b.price.rawValue), size: Int64(b.qty))) } else {
                bids.append(.init(price: Lobster.emptyBidPrice, size: 0))
            }
        }
        return Lobster.BookRow(asks: asks, bids: bids)
    }

    /// The book before message 1, reconstructed from orderbook row 1 by undoing message 1 on
    /// the level aggregates (the orderbook file has no row before the first message).
    public static func rowBefore(first message: Lobster.Message, after row: Lobster.BookRow) -> Lobster.BookRow {
        var r = row
        let delta: Int64
        switch message.type {
        case .add: delta = -Int64(message.size)
        case .partialCancel, .delete, .visibleExecution: delta = Int64(message.size)
        default: return r
        }
        let price = Int64(message.price.rawValue)
        func adjust(_ levels: inout [Lobster.Level], ascending: Bool) {
            if let i = levels.firstIndex(where: { $0.size > 0 && $0.price == price }) {
                levels[i].size += delta
                if levels[i].size <= 0 { levels.remove(at: i); levels.append(.init(price: ascending ? Lobster.emptyAskPrice : Lobster.emptyBidPrice, size: 0)) }
            } else if delta > 0 {
                levels.append(.init(price: price, size: delta))
                levels.sort { a, b in
                    if a.size == 0 { return false }
                    if b.size == 0 { return true }
                    return ascending ? a.price < b.price : a.price > b.price
                }
                levels.removeLast()
            }
        }
        if message.side == .sell { adjust(&r.asks, ascending: true) } else { adjust(&r.bids, ascending: false) }
        return r
    }
}

/// The outcome of `quorum lobster replay --check`.
public struct LobsterCheckReport: Sendable, CustomStringConvertible {
    public struct Mismatch: Sendable, CustomStringConvertible {
        /// 1-based row of the orderbook file (= message number) whose transition failed.
        public var row: Int
        public var level: Int
        public var side: Side
        public var expected: Lobster.Level
        public var found: Lobster.Level
        public var description: String {
            "row \(row), level \(level), \(side == .buy ? "bid" : "ask"): expected \(expected), found \(found)"
        }
    }
    public var transitions: Int
    public var matched: Int
    public var comparedLevels: Int
    public var firstMismatch: Mismatch?

    public var description: String {
        var s = "\(matched) of \(transitions) transitions match on levels 1–\(comparedLevels)"
        if let m = firstMismatch { s += "; first mismatch: \(m)" }
        return s
    }
}

extension LobsterReplayer {
    /// Checks every transition: orderbook row k−1 as the book, plus message k, must equal row
    /// k on levels 1…`comparedLevels` (LOBSTER's window refills the last level from outside the
    /// message file, so callers compare N−1 of N levels).
    public static func checkTransitions(messages: [Lobster.Message], rows: [Lobster.BookRow], comparedLevels: Int)
        -> LobsterCheckReport
    {
        var replayer = LobsterReplayer()
        var ev = IgnoreBookEvents()
        var report = LobsterCheckReport(transitions: 0, matched: 0, comparedLevels: comparedLevels)
        let n = min(messages.count, rows.count)
        guard n >= 2 else { return report }
        for k in 1..<n {
            replayer.seed(rows[k - 1])
            replayer.apply(messages[k], &ev)
            let got = replayer.snapshot(levels: comparedLevels)
            report.transitions += 1
            var ok = true
            for i in 0..<comparedLevels {
                for (side, expected, found) in [(Side.sell, rows[k].asks[i], got.asks[i]),
                                                (Side.buy, rows[k].bids[i], got.bids[i])] where expected != found {
                    ok = false
                    if report.firstMismatch == nil {
                        report.firstMismatch = .init(row: k + 1, level: i + 1, side: side, expected: expected, found: found)
                    }
                }
            }
            if ok { report.matched += 1 }
        }
        return report
    }
}
