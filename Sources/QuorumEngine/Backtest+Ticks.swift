import QuorumBook
import QuorumWire

/// One market update a backtest's desk steps on, flattened for other engines (the
/// nautilus_trader comparison reads these as quote and trade ticks). Little-endian, 48-byte
/// stride: `ts u64 · bid_sz u64 · ask_sz u64 · trade_sz u64 · locate u16 · changes u8 ·
/// aggressor u8 · bid_px u32 · ask_px u32 · trade_px u32` (`numpyDtype`). Prices in ITCH
/// ticks (4 implied decimals); an empty side is price 0, size 0; `trade_*` are 0 unless
/// `changes` has the trade bit (4). `aggressor`: 1 buyer, 2 seller, 0 none.
@frozen public struct BacktestTick: Equatable, Sendable, BitwiseCopyable {
    public var timestamp: UInt64
    public var bidQty: UInt64
    public var askQty: UInt64
    public var tradeQty: UInt64
    public var locate: UInt16
    public var changes: UInt8
    public var aggressor: UInt8
    public var bidPrice: UInt32
    public var askPrice: UInt32
    public var tradePrice: UInt32

    public static let numpyDtype =
        "[('ts','<u8'),('bid_sz','<u8'),('ask_sz','<u8'),('trade_sz','<u8'),('locate','<u2'),('changes','u1'),"
        + "('aggressor','u1'),('bid_px','<u4'),('ask_px','<u4'),('trade_px','<u4')]"
}

extension Backtest {
    /// The market updates `run(feed:)` would hand the desk for `setup` (same books, same
    /// filter: a traded locate whose BBO changed or that printed a trade, or any level with
    /// `levelChanges`), in feed order, without trading. Offline export; allocates.
    /// - Returns: the ticks and the feed messages read.
    public static func ticks(setup: BacktestSetup, feed: UnsafeRawBufferPointer) -> (ticks: [BacktestTick], messages: Int) {
        var traded = [Bool](repeating: false, count: 65_536)
        for l in setup.locates { traded[Int(l)] = true }
        var books = BookManager()
        var tracker = BookChangeTracker()
        var reader = ITCHDayFile.Reader(feed)
        let wanted: BookChanges = setup.levelChanges ? [.bestBidOffer, .trade, .levels] : [.bestBidOffer, .trade]
        var out: [BacktestTick] = []
        out.reserveCapacity(feed.count / 64)
        var messages = 0
        while let frame = try? reader.next() {
            messages += 1
            tracker.reset()
            guard (try? books.apply(bytes: frame.bytes, sequence: UInt64(messages), &tracker)) != nil,
                  !tracker.changes.intersection(wanted).isEmpty, traded[Int(tracker.locate.rawValue)],
                  frame.bytes.count >= 11
            else { continue }
            let t = _itchTimestamp(frame.bytes)
            guard let u = books.marketUpdate(tracker.locate, sequence: UInt64(messages), exchangeTime: Timestamp(t),
                                             receiveTime: t, changes: tracker.changes)
            else { continue }
            let trade = u.changes.contains(.trade)
            out.append(BacktestTick(
                timestamp: t, bidQty: u.bestBid.qty, askQty: u.bestAsk.qty, tradeQty: trade ? u.lastTrade.qty : 0,
                locate: u.locate.rawValue, changes: u.changes.rawValue,
                // A resting sell executed means a buyer crossed the spread.
                aggressor: trade ? (u.lastTrade.restingSide == .sell ? 1 : 2) : 0,
                bidPrice: u.bestBid.price.rawValue, askPrice: u.bestAsk.price.rawValue,
                tradePrice: trade ? u.lastTrade.price.rawValue : 0))
        }
        return (out, messages)
    }
}

/// The 6-byte big-endian timestamp at offset 5 of an ITCH message (caller checked ≥ 11 bytes).
@inline(__always)
func _itchTimestamp(_ p: UnsafeRawBufferPointer) -> UInt64 {
    var t: UInt64 = 0
    for i in 5..<11 { t = t << 8 | UInt64(p[i]) }
    return t
}
