import QuorumWire

/// What the background flow did with its source messages.
@frozen public struct BackgroundFlowCounters: Equatable, Sendable {
    /// Source messages offered.
    public var messages: UInt64 = 0
    /// A → limit orders entered.
    public var adds: UInt64 = 0
    /// E, C → aggressive IOC orders entered.
    public var executions: UInt64 = 0
    /// D → cancels.
    public var deletes: UInt64 = 0
    /// X → size decreases (or cancels when nothing would remain).
    public var partialCancels: UInt64 = 0
    /// U → replaces.
    public var replaces: UInt64 = 0
    /// R → symbols added to the exchange.
    public var symbolsAdded: UInt64 = 0
    /// Source messages about an order the engine no longer has (a client traded it away, or
    /// it never rested): skipped.
    public var orphaned: UInt64 = 0
    /// Requests the engine refused (capacity, unknown symbol).
    public var rejected: UInt64 = 0
    /// Adds whose resting order could not be remembered (the reference table was full).
    public var referenceTableFull: UInt64 = 0
    /// Messages with no order-entry meaning here (S, P, Q, H, …).
    public var ignored: UInt64 = 0

    public init() {}
}

/// Turns a market-data stream — the synthetic day (`SyntheticDay.next()`), a recorded ITCH
/// day file (decoded with `ITCHDayFile.Reader`), or LOBSTER messages (through
/// `LobsterToITCH.convert`) — into order entry on the exchange, as owner `.flow`:
///
/// - `A`/`F` add → a limit order at the same side, price and size (the source reference
///   travels as the client token and is mapped to the engine's reference);
/// - `E`/`C` execution → an immediate-or-cancel order from the other side at the executed
///   order's current price for the executed size: whatever is at the front of that level
///   trades, which is the source order unless a client's order got there first;
/// - `X` partial cancel → a size decrease that keeps priority (a cancel if nothing remains);
/// - `D` delete → a cancel; `U` replace → a replace (new price and size, new reference),
///   or a cancel and a new order when the engine's rules would keep the order's place (same
///   price, no larger) — the source's U always sends it to the back;
/// - `R` → the symbol is added to the exchange under the same locate (start of day);
/// - anything else is counted and ignored: the exchange publishes its own S, and hidden
///   trades and crosses do not change a displayed book.
///
/// The engine's book is the truth: it is what the feed publishes. When client orders trade
/// with the flow, later source messages can refer to orders the engine no longer has; those
/// are counted as `orphaned` and skipped, so the book stays consistent whatever clients do.
/// The same source and the same requests from clients give the same result, always.
///
/// Order entry never allocates (R adds a symbol, which does). Not thread-safe.
public final class BackgroundFlow {
    public let exchange: Exchange
    public let owner: Owner
    public var counters: BackgroundFlowCounters { _counters }
    /// Behind a pointer: no run-time exclusivity check per access (see `MatchingEngine._st`).
    @usableFromInline let _st: UnsafeMutablePointer<(counters: BackgroundFlowCounters, liveRefs: Int)>
    @inlinable var _counters: BackgroundFlowCounters {
        get { _st.pointee.counters }
        set { _st.pointee.counters = newValue }
    }
    @inlinable var _liveRefs: Int {
        get { _st.pointee.liveRefs }
        set { _st.pointee.liveRefs = newValue }
    }
    /// Source order reference → engine order reference.
    @usableFromInline let _refs: _UnsafeRefMap<UInt64>
    @usableFromInline let _maxRefs: Int

    /// `maxLiveOrders`: most source orders alive at once over all symbols.
    public init(exchange: Exchange, maxLiveOrders: Int = 1 << 20, owner: Owner = .flow) {
        self.exchange = exchange
        self.owner = owner
        _maxRefs = max(1, maxLiveOrders)
        _refs = _UnsafeRefMap(maxKeys: _maxRefs, missing: 0)
        _st = .allocate(capacity: 1)
        _st.initialize(to: (BackgroundFlowCounters(), 0))
    }

    deinit {
        _refs.deallocate()
        _st.deallocate()
    }

    /// Forgets every source reference and zeroes the counters (a new day; empty the
    /// engines with `MatchingEngine.removeAll()` too). - Complexity: O(table capacity).
    public func removeAll() {
        _refs.removeAll()
        _liveRefs = 0
        _counters = BackgroundFlowCounters()
    }

    /// Source references currently mapped to engine orders.
    public var mappedOrders: Int { _liveRefs }

    /// Applies one source message at `timestamp` (the simulator's clock, not the source's).
    /// - Complexity: that of the engine request it becomes.
    @inlinable
    public func apply<S: MatchingEvents>(_ message: ITCHMessage, timestamp: Timestamp, _ sink: inout S) {
        _counters.messages &+= 1
        switch message {
        case .addOrder(let m):
            _add(m.header.stockLocate, m.orderRef, m.side, m.price, m.shares, timestamp, &sink)
        case .addOrderMPID(let m):
            _add(m.header.stockLocate, m.orderRef, m.side, m.price, m.shares, timestamp, &sink)
        case .orderExecuted(let m):
            _execute(m.header.stockLocate, m.orderRef, m.executedShares, timestamp, &sink)
        case .orderExecutedWithPrice(let m):
            _execute(m.header.stockLocate, m.orderRef, m.executedShares, timestamp, &sink)
        case .orderCancel(let m):
            _counters.partialCancels &+= 1
            guard let l = _live(m.header.stockLocate, m.orderRef) else { return }
            let o = l.order
            if o.qty.rawValue > m.cancelledShares.rawValue {
                let r = l.engine._replace(l.handle, o.ref, price: o.price,
                                          qty: Qty(o.qty.rawValue - m.cancelledShares.rawValue),
                                          owner: owner, token: o.token, timestamp: timestamp, &sink)
                if !r.isAccepted { _counters.rejected &+= 1 }
            } else {
                _ = l.engine._cancel(l.handle, o.ref, owner: owner, token: o.token, timestamp: timestamp, &sink)
                _forget(m.orderRef)
            }
        case .orderDelete(let m):
            _counters.deletes &+= 1
            guard let l = _live(m.header.stockLocate, m.orderRef) else { return }
            _ = l.engine._cancel(l.handle, l.order.ref, owner: owner, token: l.order.token, timestamp: timestamp, &sink)
            _forget(m.orderRef)
        case .orderReplace(let m):
            _counters.replaces &+= 1
            guard let l = _live(m.header.stockLocate, m.originalOrderRef) else { return }
            let e = l.engine
            let o = l.order
            _forget(m.originalOrderRef)
            let r: SubmitResult
            if m.price == o.price && m.shares.rawValue <= o.qty.rawValue {
                // The engine would keep this order's place; the source sent it to the back
                // (U always does), so do that: cancel and enter anew.
                _ = e._cancel(l.handle, o.ref, owner: owner, token: o.token, timestamp: timestamp, &sink)
                r = e.submit(NewOrder(side: o.side, type: .limit, price: m.price, qty: m.shares, owner: owner,
                                      token: ClientToken(m.newOrderRef.rawValue)), timestamp: timestamp, &sink)
            } else {
                r = e._replace(l.handle, o.ref, price: m.price, qty: m.shares, owner: owner,
                               token: ClientToken(m.newOrderRef.rawValue), timestamp: timestamp, &sink)
            }
            if !r.isAccepted {
                _counters.rejected &+= 1
            } else if r.resting.rawValue > 0 {
                _remember(m.newOrderRef, r.ref)
            }
        case .stockDirectory(let m):
            if exchange.engine(m.header.stockLocate) == nil, exchange.addSymbol(m.stock, locate: m.header.stockLocate) != nil {
                _counters.symbolsAdded &+= 1
            } else {
                _counters.ignored &+= 1
            }
        default:
            _counters.ignored &+= 1
        }
    }

    @inlinable
    func _add<S: MatchingEvents>(_ locate: StockLocate, _ sourceRef: OrderRef, _ side: Side, _ price: Price, _ qty: Qty,
                                 _ timestamp: Timestamp, _ sink: inout S) {
        _counters.adds &+= 1
        let r = exchange.submit(NewOrder(side: side, type: .limit, price: price, qty: qty, owner: owner,
                                         token: ClientToken(sourceRef.rawValue)),
                                locate: locate, timestamp: timestamp, &sink)
        if !r.isAccepted {
            _counters.rejected &+= 1
        } else if r.resting.rawValue > 0 {
            _remember(sourceRef, r.ref)
        }
    }

    @inlinable
    func _execute<S: MatchingEvents>(_ locate: StockLocate, _ sourceRef: OrderRef, _ qty: Qty, _ timestamp: Timestamp,
                                     _ sink: inout S) {
        _counters.executions &+= 1
        guard let l = _live(locate, sourceRef) else { return }
        let e = l.engine
        let o = l.order
        let r = e.submit(NewOrder(side: o.side.opposite, type: .immediateOrCancel, price: o.price, qty: qty,
                                  owner: owner, token: ClientToken(0)), timestamp: timestamp, &sink)
        if !r.isAccepted { _counters.rejected &+= 1 }
        // A full execution of the source order ends it in the source; if the IOC traded
        // another order instead, the engine order lives on and the mapping is kept.
        if e._find(o.ref) < 0 { _forget(sourceRef) }
    }

    /// The engine and live order a source reference maps to, or nil (counted as orphaned;
    /// a stale mapping is dropped).
    @inlinable
    func _live(_ locate: StockLocate, _ sourceRef: OrderRef) -> _LiveOrder? {
        let ref = _refs.find(sourceRef.rawValue)
        if ref != 0, let e = exchange.engine(locate) {
            let h = e._find(OrderRef(ref))
            if h >= 0 {
                let o = e._order(at: h)
                if o.owner == owner { return _LiveOrder(engine: e, handle: h, order: o) }
            }
        }
        if ref != 0 { _forget(sourceRef) }
        _counters.orphaned &+= 1
        return nil
    }

    @inlinable
    func _remember(_ sourceRef: OrderRef, _ ref: OrderRef) {
        guard sourceRef.rawValue != 0 else { return }
        if _refs.find(sourceRef.rawValue) != 0 {
            _refs.insert(sourceRef.rawValue, ref.rawValue)
            return
        }
        guard _liveRefs < _maxRefs else {
            _counters.referenceTableFull &+= 1
            return
        }
        _refs.insert(sourceRef.rawValue, ref.rawValue)
        _liveRefs += 1
    }

    @inlinable
    func _forget(_ sourceRef: OrderRef) {
        if _refs.remove(sourceRef.rawValue) { _liveRefs -= 1 }
    }
}

/// A flow order found on its engine.
@usableFromInline
struct _LiveOrder {
    @usableFromInline let engine: MatchingEngine
    @usableFromInline let handle: Int32
    @usableFromInline let order: RestingOrder

    @inlinable
    init(engine: MatchingEngine, handle: Int32, order: RestingOrder) {
        self.engine = engine
        self.handle = handle
        self.order = order
    }
}

/// Paces a flow at a fixed rate: given the time, how many messages are due. Pure arithmetic
/// on the caller's nanosecond clock; no timers, no sleeping.
///
/// A late caller gets the backlog (at most `maxBurst` per call; the rest next call), so the
/// average rate holds.
@frozen public struct FlowPacer: Equatable, Sendable {
    public let messagesPerSecond: UInt64
    public let start: UInt64
    public let maxBurst: Int
    /// Messages released so far.
    public var released: UInt64 { _released }
    @usableFromInline var _released: UInt64 = 0

    public init(messagesPerSecond: UInt64, start: UInt64, maxBurst: Int = 4096) {
        self.messagesPerSecond = max(1, messagesPerSecond)
        self.start = start
        self.maxBurst = max(1, maxBurst)
    }

    /// Messages due by `now` since `start`.
    @inlinable
    public func due(at now: UInt64) -> UInt64 {
        guard now > start else { return 0 }
        // 128-bit product: elapsed × rate overflows 64 bits after ~5 hours at 1 M/s.
        let p = (now - start).multipliedFullWidth(by: messagesPerSecond)
        return UInt64(1_000_000_000).dividingFullWidth((p.high, p.low)).quotient
    }

    /// How many messages to send now; they count as released.
    @inlinable
    public mutating func release(now: UInt64) -> Int {
        let d = due(at: now)
        guard d > _released else { return 0 }
        let n = Int(min(d - _released, UInt64(maxBurst)))
        _released += UInt64(n)
        return n
    }

    /// Returns messages released but not sent (the sender was busy); they are due again.
    @inlinable
    public mutating func giveBack(_ count: Int) {
        _released -= Swift.min(_released, UInt64(Swift.max(0, count)))
    }

    /// When the next message is due (for arming a timer).
    @inlinable
    public var nextDue: UInt64 {
        // The smallest t with (t − start) × rate ≥ (released + 1) × 1e9.
        let p = (released + 1).multipliedFullWidth(by: 1_000_000_000)
        let (q, r) = messagesPerSecond.dividingFullWidth((p.high, p.low))
        return start + q + (r > 0 ? 1 : 0)
    }
}
