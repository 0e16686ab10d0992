import QuorumAgents
import QuorumBook
import QuorumNet
import QuorumWire

/// Makes a coordinator agree with the venue about its orders, through ordinary inputs.
///
/// After recovery the coordinator holds the orders that were open when the journal ended;
/// meanwhile the venue may have filled them, cancelled them, or never received them. The
/// reconciler asks about each (an OrderStatusRequest, 35=H) and turns every execution report
/// into what the coordinator missed: the quantity the venue has filled beyond the
/// coordinator's `filled` becomes one `fill` input; an order the venue has finished
/// (filled, cancelled, rejected, expired) or does not know (OrdStatus 8, OrdRejReason 5)
/// becomes an `orderClosed` input for what is left. Both are consumed — so journaled — like
/// every other input.
///
/// Dedupe is by quantity, not by ExecID: a report only ever adds `CumQty − filled`, so the
/// PossDup resends the FIX session replays after a restart, a status answer that covers the
/// same fills, or the same report twice add nothing the second time. That makes `apply`
/// safe for every execution report in live mode too, not only during recovery.
///
/// ClOrdIDs are the desk's order ids in decimal (`FIXString(decimal:)`).
/// Not thread-safe: the coordinator's owner calls it.
public final class OrderReconciler {
    public struct Counters: Sendable, Equatable, CustomStringConvertible {
        /// Status requests made (by `statusRequests()`, whoever sends them).
        public var statusRequestsSent = 0
        public var statusAnswers = 0
        public var reports = 0
        /// Fill inputs made from reports, and their total quantity.
        public var missedFills = 0
        public var missedQuantity: Int64 = 0
        /// `orderClosed` inputs made (finished or unknown at the venue).
        public var ordersClosed = 0
        /// Orders the venue says it does not know (also counted in `ordersClosed`).
        public var unknownAtVenue = 0
        /// Reports that added nothing: their fills were already applied (resends, repeats).
        public var duplicates = 0
        /// Status answers that matched the coordinator as it was.
        public var agreed = 0
        /// Reports for orders the coordinator does not hold open (already closed, not ours).
        public var notOpen = 0
        /// Reports whose CumQty is below what the coordinator has filled (left alone).
        public var venueBehind = 0
        /// Reports whose CumQty exceeds the order's quantity (filled up to the quantity).
        public var overfilled = 0
        public init() {}

        /// One line for the operator: what reconciliation found and did.
        public var description: String {
            var s = "orders reconciled: \(statusAnswers) of \(statusRequestsSent) answered, \(missedFills) missed fills "
            s += "(\(missedQuantity) shares), \(ordersClosed) closed (\(unknownAtVenue) unknown at the venue), "
            s += "\(agreed) agreed, \(duplicates) duplicate reports ignored"
            if venueBehind > 0 || overfilled > 0 { s += ", \(venueBehind) behind, \(overfilled) overfilled" }
            return s
        }
    }

    /// What one report did.
    public enum Action: Sendable, Equatable {
        case agreed
        case duplicate
        case filled(quantity: Int64, priceTicks: Int64)
        case closed(unfilled: Int64)
        case filledAndClosed(quantity: Int64, priceTicks: Int64, unfilled: Int64)
        case notOpen
        case venueBehind
    }

    public let coordinator: Coordinator
    /// The venue's symbol for each desk symbol, by `SymbolID.index`.
    public let symbolNames: [FIXString]
    public private(set) var counters = Counters()
    var awaiting: Set<UInt64> = []

    public init(coordinator: Coordinator, symbolNames: [FIXString]) {
        self.coordinator = coordinator
        self.symbolNames = symbolNames
    }

    /// Status requests not yet answered.
    public var awaitingAnswers: Int { awaiting.count }
    /// Every order asked about has been answered.
    public var isComplete: Bool { awaiting.isEmpty }

    /// One OrderStatusRequest per open order, oldest first; each is awaited until a status
    /// answer (ExecType I) for it arrives. The values are plain: the net loop may send them
    /// while the coordinator's thread applies the answers. Ask again after a reconnect if
    /// some were never answered.
    public func statusRequests() -> [FIXOrderStatusRequest] {
        var out: [FIXOrderStatusRequest] = []
        for k in 0..<coordinator.openOrderCount {
            let o = coordinator.openOrder(k).order
            let name = o.symbol.index < symbolNames.count ? symbolNames[o.symbol.index] : FIXString()
            out.append(FIXOrderStatusRequest(clOrdID: FIXString(decimal: o.id), symbol: name,
                                             side: o.direction == .short ? .sell : .buy))
            awaiting.insert(o.id)
        }
        counters.statusRequestsSent += out.count
        return out
    }

    /// Sends `statusRequests()` over `session` (same thread); returns how many the session
    /// took. Call it once logged on: an inactive session refuses (and keeps nothing); a full
    /// transport keeps the message for the venue's ResendRequest.
    @discardableResult
    public func requestStatus(over session: FIXSession, now: UInt64) -> Int {
        var n = 0
        for r in statusRequests() where session.sendOrderStatusRequest(r, now: now) { n += 1 }
        return n
    }

    /// The desk order id a ClOrdID names; nil unless it is all decimal digits.
    public static func orderID(of clOrdID: FIXString) -> UInt64? {
        clOrdID.withBytes { b -> UInt64? in
            guard !b.isEmpty, b.count <= 19 else { return nil }
            var v: UInt64 = 0
            for c in b {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + UInt64(c - 0x30)
            }
            return v
        }
    }

    /// Applies one execution report (a status answer, a resend, or a live one): fills what the
    /// coordinator missed, closes what the venue finished. `possDup` is the message's
    /// PossDupFlag (only for counting: a resend adds nothing by quantity anyway); `time`
    /// stamps the inputs (never before the coordinator's last input).
    @discardableResult
    public func apply(_ r: FIXExecutionReport, possDup: Bool = false, time: UInt64) -> Action {
        counters.reports += 1
        // A cancel's report names the cancel request's ClOrdID; the order is OrigClOrdID.
        var id = r.clOrdID.flatMap(Self.orderID(of:))
        if id.map({ coordinator.openOrder(id: $0) == nil }) ?? true, let orig = r.origClOrdID.flatMap(Self.orderID(of:)) {
            id = orig
        }
        if r.execType == .orderStatus {
            counters.statusAnswers += 1
            if let id { awaiting.remove(id) }
        }
        guard let id, let o = coordinator.openOrder(id: id) else {
            counters.notOpen += 1
            return .notOpen
        }
        let t = max(time, coordinator.lastTime)
        let unknown = r.ordStatus == .rejected && r.ordRejReason == FIXExecutionReport.unknownOrder
        if unknown {
            counters.unknownAtVenue += 1
            return close(o, time: t)
        }
        let cum = Int64(r.cumQty.rawValue)
        if cum < o.filled {
            counters.venueBehind += 1
            return .venueBehind
        }
        var missed = cum - o.filled
        if missed > o.remaining {
            counters.overfilled += 1
            missed = o.remaining
        }
        var price: Int64 = 0
        if missed > 0 {
            price = Self.price(of: missed, report: r, order: o)
            coordinator.consume(.fill(Fill(order: id, symbol: o.order.symbol, direction: o.order.direction,
                                           quantity: missed, priceTicks: price, time: t)))
            counters.missedFills += 1
            counters.missedQuantity += missed
        }
        let finished: Bool
        switch r.ordStatus {
        case .filled, .canceled, .rejected, .expired, .doneForDay: finished = true
        default: finished = false
        }
        if finished, let still = coordinator.openOrder(id: id) {
            let closed = close(still, time: t)
            if case .closed(let unfilled) = closed, missed > 0 {
                return .filledAndClosed(quantity: missed, priceTicks: price, unfilled: unfilled)
            }
            return closed
        }
        if missed > 0 { return .filled(quantity: missed, priceTicks: price) }
        if r.execType == .orderStatus {
            counters.agreed += 1
            return .agreed
        }
        if r.execType == .trade || possDup {
            counters.duplicates += 1
            return .duplicate
        }
        counters.agreed += 1
        return .agreed
    }

    func close(_ o: OpenOrder, time: UInt64) -> Action {
        coordinator.consume(.orderClosed(symbol: o.order.symbol, order: o.order.id, unfilled: o.remaining, time: time))
        counters.ordersClosed += 1
        return .closed(unfilled: o.remaining)
    }

    /// The price of the `missed` shares: LastPx when the report is the one trade that
    /// covers them; else what AvgPx × CumQty leaves after the fills the coordinator has,
    /// rounded to the nearest tick (AvgPx if that is not positive).
    static func price(of missed: Int64, report r: FIXExecutionReport, order o: OpenOrder) -> Int64 {
        if r.execType == .trade, let q = r.lastQty, Int64(q.rawValue) == missed, let px = r.lastPx {
            return Int64(px.rawValue)
        }
        let total = Int64(r.cumQty.rawValue) * Int64(r.avgPx.rawValue) - o.filledTicks
        let px = (total + missed / 2) / missed
        return px > 0 ? px : Int64(r.avgPx.rawValue)
    }
}
