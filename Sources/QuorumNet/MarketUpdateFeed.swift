import QuorumBook
import QuorumRings
import QuorumWire

/// The feed handler's output: every ITCH message from the feed is applied to the books, and
/// each one that changed a symbol's best bid/offer, levels or trades becomes one fixed-size
/// `MarketUpdate` pushed to an SPSC ring for the agents' loop — sequence, exchange and
/// receive timestamps, BBO, top 5 per side, last trade, imbalance.
///
/// The ring is never waited on: when it is full the update is dropped and counted
/// (`updatesDropped`), because the net loop must keep reading the socket; the consumer sees
/// the next update for that symbol, which carries the whole top of book again.
/// Not thread-safe on this side: the net loop owns it.
public final class MarketUpdateFeed: MoldFeedSink {
    public var books: BookManager
    public let ring: SPSCRing<MarketUpdate>
    public private(set) var applied: UInt64 = 0
    public private(set) var undecodable: UInt64 = 0
    public private(set) var lostMessages: UInt64 = 0
    public private(set) var updatesPublished: UInt64 = 0
    public private(set) var updatesDropped: UInt64 = 0
    public private(set) var sessionEnded = false
    var _tracker = BookChangeTracker()

    public init(books: consuming BookManager, ring: SPSCRing<MarketUpdate>) {
        self.books = books
        self.ring = ring
    }

    public func message(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, receiveNanos: UInt64) {
        _tracker.reset()
        do {
            try books.apply(bytes: bytes, sequence: sequence, &_tracker)
        } catch {
            undecodable &+= 1
            return
        }
        applied &+= 1
        guard !_tracker.changes.isEmpty else { return }
        // Every ITCH message carries its timestamp at offset 5 (48 bits, ns since midnight).
        var stamp: UInt64 = 0
        if bytes.count >= 11 {
            for i in 5..<11 { stamp = stamp << 8 | UInt64(bytes[i]) }
        }
        guard let update = books.marketUpdate(_tracker.locate, sequence: sequence, exchangeTime: Timestamp(stamp),
                                              receiveTime: receiveNanos, changes: _tracker.changes)
        else { return }
        if ring.push(update) { updatesPublished &+= 1 } else { updatesDropped &+= 1 }
    }

    public func lost(from sequence: UInt64, count: UInt64) { lostMessages &+= count }
    public func endOfSession(nextSequence: UInt64) { sessionEnded = true }
}
