import QuorumAgents
import QuorumWire

// Live mode: the fixed-size messages that cross between the net loop and the desk loop in
// SPSC rings, and the status snapshots each loop publishes through a seqlock.
//
//   net loop ── MarketUpdate ─────────────▶ desk loop (coordinator.consume(.market))
//   net loop ── LiveVenueEvent ───────────▶ desk loop (coordinator.consume(.fill/.orderClosed),
//                                            or a venue report for the order reconciler)
//   net loop ◀─ LiveOrderCommand ────────── desk loop (nextOutgoing, cancel-all)

/// Desk → net: send a child order, or cancel every working order.
@frozen public struct LiveOrderCommand: Sendable, BitwiseCopyable {
    @frozen public enum Kind: UInt8, Sendable, BitwiseCopyable {
        case new = 1
        case cancelAll = 2
    }
    public var kind: Kind
    public var order: ChildOrder
    /// Receive stamp (CLOCK_MONOTONIC ns) of the datagram whose update led to the order;
    /// 0 when an execution report or a closure led to it.
    public var triggerReceiveNanos: UInt64
    /// When the desk loop took that update off its ring (CLOCK_MONOTONIC ns; 0 likewise):
    /// splits tick-to-trade into waiting for the desk and the desk's own work.
    public var deskStartNanos: UInt64
    /// When the desk pushed the command onto the net loop's ring (CLOCK_MONOTONIC ns; 0 when
    /// `deskStartNanos` is 0): splits the desk's work from the ring hop back.
    public var deskEndNanos: UInt64

    @inlinable
    public init(kind: Kind, order: ChildOrder, triggerReceiveNanos: UInt64, deskStartNanos: UInt64 = 0,
                deskEndNanos: UInt64 = 0) {
        self.kind = kind
        self.order = order
        self.triggerReceiveNanos = triggerReceiveNanos
        self.deskStartNanos = deskStartNanos
        self.deskEndNanos = deskEndNanos
    }
}

/// Net → desk: what the venue said about a child order.
@frozen public struct LiveVenueEvent: Sendable, BitwiseCopyable, Equatable {
    @frozen public enum Kind: UInt8, Sendable, BitwiseCopyable {
        /// `quantity` filled at `priceTicks`.
        case fill = 1
        /// The order is done (cancelled, rejected, expired, or never reached the venue) with
        /// `quantity` unfilled.
        case closed = 2
        /// An execution report about an order the net loop does not track (one open when a
        /// recovered run started): a status answer, a resend, or a live report. `quantity`
        /// is its CumQty, `priceTicks` its AvgPx; the desk hands it to the `OrderReconciler`.
        case report = 3
    }
    public var kind: Kind
    public var order: UInt64
    public var symbol: SymbolID
    public var direction: Direction
    public var quantity: Int64
    public var priceTicks: Int64
    /// `.report` only: LastQty and LastPx (0 when absent), ExecType and OrdStatus (their
    /// FIX characters), OrdRejReason (-1 when absent), PossDupFlag.
    public var lastQuantity: Int64 = 0
    public var lastPriceTicks: Int64 = 0
    public var execType: UInt8 = 0
    public var ordStatus: UInt8 = 0
    public var rejectReason: Int16 = -1
    public var possDup = false

    @inlinable
    public init(kind: Kind, order: UInt64, symbol: SymbolID, direction: Direction, quantity: Int64, priceTicks: Int64) {
        self.kind = kind
        self.order = order
        self.symbol = symbol
        self.direction = direction
        self.quantity = quantity
        self.priceTicks = priceTicks
    }

    /// A `.report` event carrying what reconciliation needs of `r`.
    public init(report r: FIXExecutionReport, order: UInt64, possDup: Bool) {
        self.init(kind: .report, order: order, symbol: .none, direction: r.side == .sell ? .short : .long,
                  quantity: Int64(r.cumQty.rawValue), priceTicks: Int64(r.avgPx.rawValue))
        lastQuantity = r.lastQty.map { Int64($0.rawValue) } ?? 0
        lastPriceTicks = r.lastPx.map { Int64($0.rawValue) } ?? 0
        execType = r.execType.rawValue
        ordStatus = r.ordStatus.rawValue
        rejectReason = r.ordRejReason.map { Int16(clamping: $0) } ?? -1
        self.possDup = possDup
    }

    /// The execution report a `.report` event stands for (the fields reconciliation reads),
    /// nil when its ExecType or OrdStatus is not one FIX 4.4 defines.
    public var executionReport: FIXExecutionReport? {
        guard kind == .report, let et = FIXExecType(rawValue: execType), let os = FIXOrdStatus(rawValue: ordStatus) else {
            return nil
        }
        let cum = Qty(UInt32(clamping: quantity))
        return FIXExecutionReport(
            orderID: FIXString(), clOrdID: FIXString(decimal: order), execID: FIXString(), execType: et, ordStatus: os,
            symbol: FIXString(), side: direction == .short ? .sell : .buy,
            lastQty: lastQuantity > 0 ? Qty(UInt32(clamping: lastQuantity)) : nil,
            lastPx: lastQuantity > 0 ? Price(UInt32(clamping: lastPriceTicks)) : nil,
            leavesQty: Qty(0), cumQty: cum, avgPx: Price(UInt32(clamping: priceTicks)),
            ordRejReason: rejectReason >= 0 ? Int(rejectReason) : nil)
    }
}

/// What the net loop publishes for the status line (a seqlock snapshot).
@frozen public struct LiveNetStatus: Sendable, BitwiseCopyable, Equatable {
    public var feedMessages: UInt64 = 0
    public var updatesPublished: UInt64 = 0
    /// Updates dropped because the desk's ring was full.
    public var updatesDropped: UInt64 = 0
    public var messagesLost: UInt64 = 0
    /// MoldUDP64 gaps seen and re-requests sent (late packets are delivered with the stamp
    /// of their arrival, retransmitted ones with theirs).
    public var feedGaps: UInt64 = 0
    public var feedRequests: UInt64 = 0
    public var ordersSent: UInt64 = 0
    /// Orders closed unfilled without reaching the venue (order table slot busy, bad
    /// quantity, parked longer than the time to live, cancelled while parked).
    public var ordersRefused: UInt64 = 0
    /// Orders that waited for the session to log on.
    public var ordersParked: UInt64 = 0
    public var cancelsSent: UInt64 = 0
    public var executionReports: UInt64 = 0
    public var fills: UInt64 = 0
    public var closures: UInt64 = 0
    /// Execution reports for orders the table does not hold (late, duplicated, unknown).
    public var unknownReports: UInt64 = 0
    /// Reports handed to the desk's reconciler: about untracked orders (recovered runs), and
    /// about orders whose cancel the venue rejected (the status answer and what follows).
    public var forwardedReports: UInt64 = 0
    /// OrderCancelRejects about our working orders; each asks the venue for the order's status.
    public var cancelRejects: UInt64 = 0
    public var statusRequestsSent: UInt64 = 0
    public var logons: UInt64 = 0
    public var disconnects: UInt64 = 0
    public var workingOrders: UInt64 = 0
    /// 0 disconnected, 1 logging on, 2 active, 3 logging out.
    public var sessionState: UInt8 = 0
    public var feedEnded = false
    public init() {}
}

/// What the desk loop publishes for the status line (a seqlock snapshot).
@frozen public struct LiveDeskStatus: Sendable, BitwiseCopyable {
    public static let symbolSlots = 16
    public var inputs: UInt64 = 0
    public var marketInputs: UInt64 = 0
    public var fills: UInt64 = 0
    public var ordersSent: UInt64 = 0
    public var openOrders: UInt64 = 0
    public var totalPnL = 0.0
    public var realisedPnL = 0.0
    public var valueAtRisk = 0.0
    /// `EngineMode` as 0 normal, 1 degraded, 2 emergency.
    public var mode: UInt8 = 0
    public var lastSequence: UInt64 = 0
    public var journalFailures: UInt64 = 0
    /// Market updates superseded by a newer one of the same symbol before the desk took them.
    public var updatesConflated: UInt64 = 0
    /// Positions of the first `symbolSlots` symbols.
    public var positions: InlineArray<16, Int64> = InlineArray(repeating: 0)
    public init() {}
}
