import QuorumAgents
import QuorumBook
import QuorumWire

/// A trading session that can be killed anywhere and resumed exactly: the crash tests'
/// workload (and a demonstration of what recovery promises).
///
/// Market updates come from a recorded ITCH day (as `Backtest` makes them: BBO changes and
/// trades of the setup's symbols). After each one the driver answers every order the
/// coordinator holds open, oldest first, with a fixed venue model — an order fills at its
/// limit (a market order at the symbol's mid) for its whole quantity, or for half of it when
/// its id is a multiple of four; whatever is left is closed — and goes on until none is open
/// (answers can make the desk send more).
///
/// Because every order is answered before the next update, the driver's whole state is the
/// coordinator's: after recovery, `resume` answers the orders still open (exactly those the
/// crash interrupted, in the same order) and continues after the last market update the
/// journal holds. The final state is then the uninterrupted run's, hash for hash.
public final class RecoveryDrill {
    public let updates: [MarketUpdate]
    /// Answers per update beyond which the rest are closed unanswered: a runaway guard that a
    /// sane desk never meets (`runawayCloses` says if it did; a resumed run counts afresh,
    /// so a run that met it is not guaranteed to resume exactly).
    public var maxAnswersPerUpdate = 4096
    public private(set) var runawayCloses = 0

    /// The market updates of `feed` (ITCH day-file framing) for `setup.locates`.
    public init(setup: BacktestSetup, feed: UnsafeRawBufferPointer) {
        var books = BookManager()
        var tracker = BookChangeTracker()
        var reader = ITCHDayFile.Reader(feed)
        let wanted: BookChanges = setup.levelChanges ? [.bestBidOffer, .trade, .levels] : [.bestBidOffer, .trade]
        let traded = Set(setup.locates)
        var out: [MarketUpdate] = []
        var messages: UInt64 = 0
        while let frame = try? reader.next() {
            messages += 1
            tracker.reset()
            guard (try? books.apply(bytes: frame.bytes, sequence: messages, &tracker)) != nil else { continue }
            guard !tracker.changes.intersection(wanted).isEmpty, traded.contains(tracker.locate.rawValue),
                  frame.bytes.count >= 11
            else { continue }
            var t: UInt64 = 0
            for i in 5..<11 { t = t << 8 | UInt64(frame.bytes[i]) }  // 6-byte big-endian timestamp
            if let u = books.marketUpdate(tracker.locate, sequence: messages, exchangeTime: Timestamp(t),
                                          receiveTime: t, changes: tracker.changes) {
                out.append(u)
            }
        }
        updates = out
    }

    /// The index of the first update after feed message `sequence` (0 for a fresh run).
    public func resumeIndex(afterMarketSequence sequence: UInt64) -> Int {
        var lo = 0, hi = updates.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if updates[mid].sequence <= sequence { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Feeds updates `from..<until` (to the end when nil), answering orders after each;
    /// `afterUpdate(index)` runs once each update is fully answered.
    public func run(_ c: Coordinator, from: Int, until: Int? = nil, afterUpdate: (Int) -> Void = { _ in }) {
        let end = min(until ?? updates.count, updates.count)
        var i = from
        while i < end {
            c.consume(.market(updates[i]))
            answerOpenOrders(c)
            afterUpdate(i)
            i += 1
        }
    }

    /// Continues a recovered coordinator: answers what the crash left open, then runs the
    /// feed after `lastMarketSequence`.
    public func resume(_ c: Coordinator, lastMarketSequence: UInt64, until: Int? = nil,
                       afterUpdate: (Int) -> Void = { _ in }) {
        answerOpenOrders(c)
        run(c, from: resumeIndex(afterMarketSequence: lastMarketSequence), until: until, afterUpdate: afterUpdate)
    }

    /// Answers every open order, oldest first, until none is open.
    public func answerOpenOrders(_ c: Coordinator) {
        var answered = 0
        while c.openOrderCount > 0 {
            let o = c.openOrder(0)
            if answered >= maxAnswersPerUpdate {
                runawayCloses += 1
                c.consume(.orderClosed(symbol: o.order.symbol, order: o.order.id, unfilled: o.remaining, time: c.lastTime))
                continue
            }
            answered += 1
            answer(o, c)
        }
        while c.nextOutgoing() != nil {}  // nobody reads the outbox here
    }

    /// The venue model for one order (see the type's notes); resumes a half-answered one.
    func answer(_ o: OpenOrder, _ c: Coordinator) {
        let target = o.order.id % 4 == 0 ? o.order.quantity / 2 : o.order.quantity
        let i = o.order.symbol.index
        let mid = i < c.symbols.count ? c.symbols[i].midHalfTicks / 2 : 0
        let price = o.order.limitTicks > 0 ? o.order.limitTicks : mid
        let q = target - o.filled
        if q > 0 && price > 0 {
            c.consume(.fill(Fill(order: o.order.id, symbol: o.order.symbol, direction: o.order.direction, quantity: q,
                                 priceTicks: price, time: c.lastTime)))
        }
        if let still = c.openOrder(id: o.order.id) {
            c.consume(.orderClosed(symbol: still.order.symbol, order: still.order.id, unfilled: still.remaining,
                                   time: c.lastTime))
        }
    }
}
