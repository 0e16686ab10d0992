import QuorumBook
import QuorumWire

/// Capacities of one symbol's matching engine, fixed at `init`.
public struct MatchingConfig: Sendable, Equatable {
    /// Most orders resting at once.
    public var maxOrders: Int
    /// Most distinct price levels per side.
    public var maxLevelsPerSide: Int

    public init(maxOrders: Int = 1 << 16, maxLevelsPerSide: Int = 4096) {
        self.maxOrders = max(1, maxOrders)
        self.maxLevelsPerSide = max(1, maxLevelsPerSide)
    }
}

/// A resting order as the engine sees it.
@frozen public struct RestingOrder: Equatable, Sendable, BitwiseCopyable {
    public var ref: OrderRef
    public var side: Side
    public var price: Price
    public var qty: Qty
    public var owner: Owner
    public var token: ClientToken

    @inlinable
    public init(ref: OrderRef, side: Side, price: Price, qty: Qty, owner: Owner, token: ClientToken) {
        self.ref = ref
        self.side = side
        self.price = price
        self.qty = qty
        self.owner = owner
        self.token = token
    }
}

/// One symbol's price-time-priority matching engine.
///
/// Storage, allocated at `init` and never grown:
/// - an **order pool** of nodes addressed by `Int32` handles with a free list; each node is
///   in its price level's doubly linked FIFO (time priority) and carries the owner and the
///   client's token for reporting;
/// - a **reference map** from exchange order reference to handle (cancel, replace);
/// - a **level pool** and per side a **ladder**: price levels sorted by a key that puts the
///   best price at the end, so the touch is the last entry and matching pops from the end.
///
/// Incoming orders trade against the opposite side's best level, oldest order first, at the
/// resting order's price, until filled, out of crossing liquidity, or (market) out of book.
/// Every change is reported twice to the sink: as order events for the owners (accepted,
/// filled, …) and as the ITCH 5.0 messages a venue publishes for it — `A` for an order that
/// rests, `E` per execution of a resting order (a full execution removes it), `X` for a size
/// decrease that keeps priority, `D` for a cancel, `U` for a replace that loses priority. The
/// aggressor is never on the book, so it needs no message. Applying those messages to an L3
/// book (`BookManager`) reproduces this engine's displayed book exactly.
///
/// Requests never throw: bad ones are rejected with a reason. Steady-state operation never
/// allocates. Not thread-safe: one loop owns it.
public final class MatchingEngine {
    public let locate: StockLocate
    public let stock: Stock
    public let config: MatchingConfig
    /// Stamped into every ITCH header this engine writes.
    public var trackingNumber: UInt16 {
        get { _st.pointee.trackingNumber }
        set { _st.pointee.trackingNumber = newValue }
    }
    public let sequence: ExchangeSequence

    @usableFromInline let _orders: UnsafeMutablePointer<_Order>
    @usableFromInline let _levels: UnsafeMutablePointer<_Level>
    /// Two ladders of `maxLevelsPerSide` rungs: buy at 0, sell at `maxLevelsPerSide`.
    @usableFromInline let _ladder: UnsafeMutablePointer<_Rung>
    @usableFromInline let _map: _UnsafeRefMap<Int32>
    /// The mutable scalars live behind a pointer: stored `var`s of a class are checked for
    /// exclusive access at run time on every access, which cost a quarter of the publisher
    /// path's time; the pointer's memory is not.
    @usableFromInline let _st: UnsafeMutablePointer<_EngineState>
    @inlinable var _count: (Int, Int) {
        get { (_st.pointee.bids, _st.pointee.asks) }
        set { _st.pointee.bids = newValue.0; _st.pointee.asks = newValue.1 }
    }
    @inlinable var _freeOrder: Int32 {
        get { _st.pointee.freeOrder }
        set { _st.pointee.freeOrder = newValue }
    }
    @inlinable var _freeLevel: Int32 {
        get { _st.pointee.freeLevel }
        set { _st.pointee.freeLevel = newValue }
    }
    @inlinable var _orderCount: Int {
        get { _st.pointee.orderCount }
        set { _st.pointee.orderCount = newValue }
    }

    /// Allocates and touches all memory. `sequence` is shared with the other symbols'
    /// engines of the same exchange.
    public init(locate: StockLocate, stock: Stock, config: MatchingConfig = MatchingConfig(),
                sequence: ExchangeSequence = ExchangeSequence(), trackingNumber: UInt16 = 0) {
        self.locate = locate
        self.stock = stock
        self.config = config
        self.sequence = sequence
        _st = .allocate(capacity: 1)
        _st.initialize(to: _EngineState(trackingNumber: trackingNumber))
        let n = config.maxOrders
        _orders = .allocate(capacity: n)
        for i in 0..<n {
            (_orders + i).initialize(to: _Order(next: i + 1 < n ? Int32(i + 1) : -1))
        }
        let l = 2 * config.maxLevelsPerSide
        _levels = .allocate(capacity: l)
        for i in 0..<l {
            (_levels + i).initialize(to: _Level(nextFree: i + 1 < l ? Int32(i + 1) : -1))
        }
        _ladder = .allocate(capacity: l)
        _ladder.initialize(repeating: _Rung(key: 0, level: -1), count: l)
        _map = _UnsafeRefMap(maxKeys: n, missing: -1)
    }

    deinit {
        _orders.deallocate()
        _levels.deallocate()
        _ladder.deallocate()
        _map.deallocate()
        _st.deallocate()
    }

    // MARK: - Queries

    /// Resting orders. - Complexity: O(1).
    @inlinable public var orderCount: Int { _orderCount }

    /// Number of price levels on a side. - Complexity: O(1).
    @inlinable public func levelCount(_ side: Side) -> Int { side == .buy ? _count.0 : _count.1 }

    /// The level `depth` steps from the best (0 = best), or nil past the last.
    /// - Complexity: O(1).
    @inlinable
    public func level(_ side: Side, _ depth: Int) -> DepthLevel? {
        let s = _sideIndex(side)
        let n = _n(s)
        guard depth >= 0, depth < n else { return nil }
        let l = _levels[Int(_rungs(s)[n - 1 - depth].level)]
        return DepthLevel(price: Price(l.price), qty: l.qty, orderCount: l.orderCount)
    }

    /// - Complexity: O(1).
    @inlinable public var bestBid: BookQuote { _quote(0) }
    /// - Complexity: O(1).
    @inlinable public var bestAsk: BookQuote { _quote(1) }

    /// The live order with this reference. - Complexity: O(1) expected.
    @inlinable
    public func order(_ ref: OrderRef) -> RestingOrder? {
        let h = _map.find(ref.rawValue)
        guard h >= 0 else { return nil }
        let o = _orders[Int(h)]
        return RestingOrder(ref: OrderRef(o.ref), side: o.side == 0 ? .buy : .sell, price: Price(o.price),
                            qty: Qty(o.qty), owner: Owner(o.owner), token: ClientToken(o.token))
    }

    /// The handle of the live order `ref`, or -1. - Complexity: O(1) expected.
    @inlinable @inline(__always)
    func _find(_ ref: OrderRef) -> Int32 { _map.find(ref.rawValue) }

    /// The order at a live handle.
    @inlinable @inline(__always)
    func _order(at h: Int32) -> RestingOrder {
        let o = _orders[Int(h)]
        return RestingOrder(ref: OrderRef(o.ref), side: o.side == 0 ? .buy : .sell, price: Price(o.price),
                            qty: Qty(o.qty), owner: Owner(o.owner), token: ClientToken(o.token))
    }

    /// Order references at a level, oldest first. Allocates: for tests and tools.
    public func queue(_ side: Side, _ depth: Int) -> [OrderRef] {
        let s = _sideIndex(side)
        let n = _n(s)
        guard depth >= 0, depth < n else { return [] }
        var h = _levels[Int(_rungs(s)[n - 1 - depth].level)].head
        var out: [OrderRef] = []
        while h >= 0 {
            out.append(OrderRef(_orders[Int(h)].ref))
            h = _orders[Int(h)].next
        }
        return out
    }

    /// Visible quantity an order on `side` limited at `price` could trade right now.
    /// - Complexity: O(levels that cross).
    public func crossingQuantity(_ side: Side, type: OrderType, price: Price) -> UInt64 {
        let o = 1 - _sideIndex(side)
        var total: UInt64 = 0
        let rungs = _rungs(o)
        var i = _n(o) - 1
        while i >= 0 {
            let l = _levels[Int(rungs[i].level)]
            guard type == .market || _crosses(o, l.price, price.rawValue) else { break }
            total += l.qty
            i -= 1
        }
        return total
    }

    // MARK: - Requests

    /// Enters a new order: matches it, then rests (limit) or cancels (IOC, market, FOK) the
    /// remainder. Events and ITCH messages go to `sink` as they happen.
    /// - Complexity: O(1) per resting order traded, plus O(d) to create or remove a level d
    ///   levels from the best (O(log levels) beyond 16). Never allocates.
    @inlinable
    @discardableResult
    public func submit<S: MatchingEvents>(_ order: NewOrder, timestamp: Timestamp, _ sink: inout S) -> SubmitResult {
        if let reason = _validate(order) {
            sink.rejected(OrderRejected(locate: locate, request: .new, reason: reason, ref: OrderRef(0),
                                        owner: order.owner, token: order.token, timestamp: timestamp))
            return SubmitResult(ref: OrderRef(0), rejection: reason, filled: .zero, resting: .zero, cancelled: .zero)
        }
        let s = _sideIndex(order.side)
        let ref = sequence._takeOrderRef()
        sink.accepted(OrderAccepted(locate: locate, ref: ref, order: order, timestamp: timestamp))
        var remaining = order.qty.rawValue
        if order.type == .fillOrKill && crossingQuantity(order.side, type: .limit, price: order.price) < UInt64(remaining) {
            sink.cancelled(OrderCancelled(locate: locate, ref: ref, owner: order.owner, token: order.token,
                                          side: order.side, qty: order.qty, reason: .fillOrKill, timestamp: timestamp))
            return SubmitResult(ref: ref, rejection: nil, filled: .zero, resting: .zero, cancelled: order.qty)
        }
        _match(s, order.type == .market ? nil : order.price.rawValue, &remaining, ref, order.owner, order.token,
               timestamp, &sink)
        let filled = order.qty.rawValue - remaining
        guard remaining > 0 else {
            return SubmitResult(ref: ref, rejection: nil, filled: Qty(filled), resting: .zero, cancelled: .zero)
        }
        if order.type == .limit {
            _rest(s, ref, order.price.rawValue, remaining, order.owner, order.token, timestamp, &sink)
            return SubmitResult(ref: ref, rejection: nil, filled: Qty(filled), resting: Qty(remaining), cancelled: .zero)
        }
        sink.cancelled(OrderCancelled(locate: locate, ref: ref, owner: order.owner, token: order.token,
                                      side: order.side, qty: Qty(remaining),
                                      reason: order.type == .market ? .noLiquidity : .immediateOrCancel,
                                      timestamp: timestamp))
        return SubmitResult(ref: ref, rejection: nil, filled: Qty(filled), resting: .zero, cancelled: Qty(remaining))
    }

    /// Cancels the rest of a live order. Rejected (`.unknownOrder`) when the order is not on
    /// the book — never entered, already filled or cancelled — and (`.notOwner`) when `owner`
    /// is not the order's; pass the order's owner (the flow passes `.flow`).
    /// Returns the quantity cancelled, or nil when rejected.
    /// - Complexity: O(1) expected, plus O(d) if its level empties d levels from the best.
    @inlinable
    @discardableResult
    public func cancel<S: MatchingEvents>(_ ref: OrderRef, owner: Owner, token: ClientToken,
                                          timestamp: Timestamp, _ sink: inout S) -> Qty? {
        _cancel(_map.find(ref.rawValue), ref, owner: owner, token: token, timestamp: timestamp, &sink)
    }

    /// `cancel` of the order at handle `h` (-1: unknown), found by the caller.
    @inlinable
    func _cancel<S: MatchingEvents>(_ h: Int32, _ ref: OrderRef, owner: Owner, token: ClientToken,
                                    timestamp: Timestamp, _ sink: inout S) -> Qty? {
        guard h >= 0 else {
            _reject(.cancel, .unknownOrder, ref, owner, token, timestamp, &sink)
            return nil
        }
        let o = _orders[Int(h)]
        guard o.owner == owner.rawValue else {
            _reject(.cancel, .notOwner, ref, owner, token, timestamp, &sink)
            return nil
        }
        sink.cancelled(OrderCancelled(locate: locate, ref: ref, owner: owner, token: ClientToken(o.token),
                                      side: o.side == 0 ? .buy : .sell, qty: Qty(o.qty), reason: .requested,
                                      timestamp: timestamp))
        sink.published(.orderDelete(ITCH.OrderDelete(header: _header(timestamp), orderRef: ref)))
        _unlink(h)
        _map.remove(ref.rawValue)
        _freeNode(h)
        return Qty(o.qty)
    }

    /// Changes a live order's price and/or open quantity (`qty` is the new *open* quantity,
    /// not the total ordered: a FIX glue passes OrderQty − CumQty) and its client token.
    ///
    /// Same price and a smaller (or equal) size keeps the order's reference and queue place
    /// (ITCH `X` for the decrease). A new price or a larger size loses priority: the order
    /// gets a new reference and joins the back of its level (ITCH `U`). If the new price
    /// crosses the opposite side the old order is deleted (`D`) and the new one trades as an
    /// incoming limit order, resting any remainder (`A`).
    ///
    /// Returns the outcome under the new reference (the rejection reason when refused).
    /// - Complexity: as `cancel` plus `submit`.
    @inlinable
    @discardableResult
    public func replace<S: MatchingEvents>(_ ref: OrderRef, price: Price, qty: Qty, owner: Owner,
                                           token: ClientToken, timestamp: Timestamp, _ sink: inout S) -> SubmitResult {
        _replace(_map.find(ref.rawValue), ref, price: price, qty: qty, owner: owner, token: token,
                 timestamp: timestamp, &sink)
    }

    /// `replace` of the order at handle `h` (-1: unknown), found by the caller.
    @inlinable
    func _replace<S: MatchingEvents>(_ h: Int32, _ ref: OrderRef, price: Price, qty: Qty, owner: Owner,
                                     token: ClientToken, timestamp: Timestamp, _ sink: inout S) -> SubmitResult {
        var reason: RejectReason? = nil
        if h < 0 {
            reason = .unknownOrder
        } else if _orders[Int(h)].owner != owner.rawValue {
            reason = .notOwner
        } else if qty.rawValue == 0 {
            reason = .zeroQuantity
        } else if price.rawValue == 0 {
            reason = .invalidPrice
        }
        let o = h >= 0 ? _orders[Int(h)] : _Order(next: -1)
        let s = Int(o.side)
        let keeps = reason == nil && price.rawValue == o.price && qty.rawValue <= o.qty
        if reason == nil && !keeps && !_hasLevel(s, price.rawValue) && _n(s) >= config.maxLevelsPerSide {
            reason = .levelsFull
        }
        if let reason {
            _reject(.replace, reason, ref, owner, token, timestamp, &sink)
            return SubmitResult(ref: OrderRef(0), rejection: reason, filled: .zero, resting: .zero, cancelled: .zero)
        }
        let side: Side = s == 0 ? .buy : .sell
        if keeps {
            let decrease = o.qty - qty.rawValue
            _orders[Int(h)].token = token.rawValue
            sink.replaced(OrderReplaced(locate: locate, oldRef: ref, newRef: ref, owner: owner,
                                        oldToken: ClientToken(o.token), newToken: token, side: side, price: price,
                                        qty: qty, keptPriority: true, timestamp: timestamp))
            if decrease > 0 {
                _orders[Int(h)].qty = qty.rawValue
                _levels[Int(o.level)].qty -= UInt64(decrease)
                sink.published(.orderCancel(ITCH.OrderCancel(header: _header(timestamp), orderRef: ref,
                                                              cancelledShares: Qty(decrease))))
            }
            return SubmitResult(ref: ref, rejection: nil, filled: .zero, resting: qty, cancelled: .zero)
        }
        let newRef = sequence._takeOrderRef()
        sink.replaced(OrderReplaced(locate: locate, oldRef: ref, newRef: newRef, owner: owner,
                                    oldToken: ClientToken(o.token), newToken: token, side: side, price: price,
                                    qty: qty, keptPriority: false, timestamp: timestamp))
        _unlink(h)
        _map.remove(ref.rawValue)
        let o2 = 1 - s
        if _n(o2) > 0 && _crosses(o2, _levels[Int(_rungs(o2)[_n(o2) - 1].level)].price, price.rawValue) {
            sink.published(.orderDelete(ITCH.OrderDelete(header: _header(timestamp), orderRef: ref)))
            _freeNode(h)
            var remaining = qty.rawValue
            _match(s, price.rawValue, &remaining, newRef, owner, token, timestamp, &sink)
            if remaining > 0 {
                _rest(s, newRef, price.rawValue, remaining, owner, token, timestamp, &sink)
            }
            return SubmitResult(ref: newRef, rejection: nil, filled: Qty(qty.rawValue - remaining),
                                resting: Qty(remaining), cancelled: .zero)
        }
        // The node moves: same handle, new reference, back of the new level's queue.
        _orders[Int(h)].ref = newRef.rawValue
        _orders[Int(h)].token = token.rawValue
        _orders[Int(h)].qty = qty.rawValue
        _orders[Int(h)].price = price.rawValue
        _link(h, s, price.rawValue)
        _map.insert(newRef.rawValue, h)
        sink.published(.orderReplace(ITCH.OrderReplace(header: _header(timestamp), originalOrderRef: ref,
                                                       newOrderRef: newRef, shares: qty, price: price)))
        return SubmitResult(ref: newRef, rejection: nil, filled: .zero, resting: qty, cancelled: .zero)
    }

    /// Removes every resting order without publishing anything (a new day). Capacity is kept.
    /// - Complexity: O(resting orders + levels).
    public func removeAll() {
        for s in 0..<2 {
            while _n(s) > 0 {
                let lh = _rungs(s)[_n(s) - 1].level
                var h = _levels[Int(lh)].head
                while h >= 0 {
                    let next = _orders[Int(h)].next
                    _map.remove(_orders[Int(h)].ref)
                    _freeNode(h)
                    h = next
                }
                _levels[Int(lh)].head = -1
                _freeLevelHandle(lh)
                _setN(s, _n(s) - 1)
            }
        }
    }

    // MARK: - Internals

    @inlinable @inline(__always)
    func _sideIndex(_ side: Side) -> Int { side == .buy ? 0 : 1 }

    @inlinable @inline(__always)
    func _n(_ s: Int) -> Int { s == 0 ? _st.pointee.bids : _st.pointee.asks }

    @inlinable @inline(__always)
    func _setN(_ s: Int, _ n: Int) {
        if s == 0 { _st.pointee.bids = n } else { _st.pointee.asks = n }
    }

    @inlinable @inline(__always)
    func _rungs(_ s: Int) -> UnsafeMutablePointer<_Rung> { _ladder + s * config.maxLevelsPerSide }

    /// Ladder key: ascending with the best price last on both sides.
    @inlinable @inline(__always)
    static func _key(_ s: Int, _ price: UInt32) -> UInt32 { s == 0 ? price : ~price }

    /// Does a resting level at `restingPrice` on side `o` cross an incoming limit `limit`?
    @inlinable @inline(__always)
    func _crosses(_ o: Int, _ restingPrice: UInt32, _ limit: UInt32) -> Bool {
        o == 1 ? restingPrice <= limit : restingPrice >= limit
    }

    @inlinable @inline(__always)
    func _header(_ timestamp: Timestamp) -> ITCH.Header {
        ITCH.Header(stockLocate: locate, trackingNumber: trackingNumber, timestamp: timestamp)
    }

    @inlinable
    func _quote(_ s: Int) -> BookQuote {
        let n = _n(s)
        guard n > 0 else { return .empty }
        let l = _levels[Int(_rungs(s)[n - 1].level)]
        return BookQuote(price: Price(l.price), qty: l.qty)
    }

    @inlinable
    func _validate(_ order: NewOrder) -> RejectReason? {
        guard order.side.isValid else { return .invalidSide }
        guard order.qty.rawValue > 0 else { return .zeroQuantity }
        guard order.type == .market || order.price.rawValue > 0 else { return .invalidPrice }
        if order.type == .limit {
            // Checked up front so that an order that would rest never trades first and then
            // finds no room: matching only frees nodes and levels.
            guard _freeOrder >= 0 else { return .orderPoolFull }
            let s = _sideIndex(order.side)
            if !_hasLevel(s, order.price.rawValue) && _n(s) >= config.maxLevelsPerSide { return .levelsFull }
        }
        return nil
    }

    @inlinable
    func _reject<S: MatchingEvents>(_ request: RequestKind, _ reason: RejectReason, _ ref: OrderRef, _ owner: Owner,
                                    _ token: ClientToken, _ timestamp: Timestamp, _ sink: inout S) {
        sink.rejected(OrderRejected(locate: locate, request: request, reason: reason, ref: ref, owner: owner,
                                    token: token, timestamp: timestamp))
    }

    /// Trades `remaining` of an incoming order on side `s` against the opposite ladder.
    /// `limit == nil` is a market order.
    @inlinable
    func _match<S: MatchingEvents>(_ s: Int, _ limit: UInt32?, _ remaining: inout UInt32, _ ref: OrderRef,
                                   _ owner: Owner, _ token: ClientToken, _ timestamp: Timestamp, _ sink: inout S) {
        let o = 1 - s
        let rungs = _rungs(o)
        let side: Side = s == 0 ? .buy : .sell
        let restingSide: Side = side.opposite
        while remaining > 0 {
            let n = _n(o)
            guard n > 0 else { return }
            let lh = rungs[n - 1].level
            let levelPrice = _levels[Int(lh)].price
            if let limit, !_crosses(o, levelPrice, limit) { return }
            let h = _levels[Int(lh)].head
            let restingQty = _orders[Int(h)].qty
            let q = min(remaining, restingQty)
            remaining -= q
            let leaves = restingQty - q
            _orders[Int(h)].qty = leaves
            _levels[Int(lh)].qty -= UInt64(q)
            let match = sequence._takeMatchNumber()
            let restingRef = OrderRef(_orders[Int(h)].ref)
            sink.filled(Fill(
                locate: locate, matchNumber: match, price: Price(levelPrice), qty: Qty(q),
                aggressor: FillParty(ref: ref, owner: owner, token: token, side: side, leaves: Qty(remaining)),
                resting: FillParty(ref: restingRef, owner: Owner(_orders[Int(h)].owner),
                                   token: ClientToken(_orders[Int(h)].token), side: restingSide, leaves: Qty(leaves)),
                timestamp: timestamp))
            sink.published(.orderExecuted(ITCH.OrderExecuted(header: _header(timestamp), orderRef: restingRef,
                                                             executedShares: Qty(q), matchNumber: match)))
            if leaves == 0 {
                _unlink(h)
                _map.remove(restingRef.rawValue)
                _freeNode(h)
            }
        }
    }

    /// Puts the remainder of an accepted order on the book and publishes its `A`.
    @inlinable
    func _rest<S: MatchingEvents>(_ s: Int, _ ref: OrderRef, _ price: UInt32, _ qty: UInt32, _ owner: Owner,
                                  _ token: ClientToken, _ timestamp: Timestamp, _ sink: inout S) {
        // Safe: the caller checked pool and ladder room before any matching, and matching
        // only frees nodes and levels.
        let h = _freeOrder
        _freeOrder = _orders[Int(h)].next
        _orderCount += 1
        _orders[Int(h)] = _Order(ref: ref.rawValue, token: token.rawValue, owner: owner.rawValue, price: price,
                                 qty: qty, side: UInt8(s), next: -1, prev: -1, level: -1)
        _link(h, s, price)
        _map.insert(ref.rawValue, h)
        sink.published(.addOrder(ITCH.AddOrder(header: _header(timestamp), orderRef: ref, side: s == 0 ? .buy : .sell,
                                               shares: Qty(qty), stock: stock, price: Price(price))))
    }

    @inlinable @inline(__always)
    func _freeNode(_ h: Int32) {
        _orders[Int(h)].level = -1
        _orders[Int(h)].next = _freeOrder
        _freeOrder = h
        _orderCount -= 1
    }

    @inlinable @inline(__always)
    func _freeLevelHandle(_ lh: Int32) {
        _levels[Int(lh)].head = _freeLevel
        _freeLevel = lh
    }

    /// Where `key` is on side `s`: (index, true) when present, else (insertion index, false).
    /// Scans back from the best (where nearly all traffic lands), then binary-searches.
    @inlinable
    func _search(_ s: Int, _ key: UInt32) -> (Int, Bool) {
        let rungs = _rungs(s)
        var i = _n(s) - 1
        var steps = 0
        while i >= 0 && steps < 16 {
            let k = rungs[i].key
            if k == key { return (i, true) }
            if k < key { return (i + 1, false) }
            i -= 1
            steps += 1
        }
        if i < 0 { return (0, false) }
        var lo = 0
        var hi = i + 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if rungs[mid].key < key { lo = mid + 1 } else { hi = mid }
        }
        return (lo, lo <= i && rungs[lo].key == key)
    }

    @inlinable
    func _hasLevel(_ s: Int, _ price: UInt32) -> Bool { _search(s, Self._key(s, price)).1 }

    /// Appends order `h` (its fields set, not linked) to the back of its level on side `s`,
    /// creating the level if needed (room was checked by the caller).
    @inlinable
    func _link(_ h: Int32, _ s: Int, _ price: UInt32) {
        let key = Self._key(s, price)
        let (index, found) = _search(s, key)
        let lh: Int32
        if found {
            lh = _rungs(s)[index].level
        } else {
            lh = _freeLevel
            _freeLevel = _levels[Int(lh)].head
            _levels[Int(lh)] = _Level(price: price, orderCount: 0, qty: 0, head: -1, tail: -1)
            let rungs = _rungs(s)
            let n = _n(s)
            if index < n {
                // memmove: the ranges overlap.
                UnsafeMutableRawPointer(rungs + index + 1).copyMemory(
                    from: rungs + index, byteCount: (n - index) * MemoryLayout<_Rung>.stride)
            }
            rungs[index] = _Rung(key: key, level: lh)
            _setN(s, n + 1)
        }
        let tail = _levels[Int(lh)].tail
        _orders[Int(h)].prev = tail
        _orders[Int(h)].next = -1
        _orders[Int(h)].level = lh
        if tail >= 0 { _orders[Int(tail)].next = h } else { _levels[Int(lh)].head = h }
        _levels[Int(lh)].tail = h
        _levels[Int(lh)].orderCount += 1
        _levels[Int(lh)].qty += UInt64(_orders[Int(h)].qty)
    }

    /// Takes order `h` out of its level (removing the level when it empties). The node stays
    /// allocated; the caller frees or relinks it.
    @inlinable
    func _unlink(_ h: Int32) {
        let o = _orders[Int(h)]
        let lh = o.level
        if o.prev >= 0 { _orders[Int(o.prev)].next = o.next } else { _levels[Int(lh)].head = o.next }
        if o.next >= 0 { _orders[Int(o.next)].prev = o.prev } else { _levels[Int(lh)].tail = o.prev }
        _levels[Int(lh)].orderCount -= 1
        _levels[Int(lh)].qty -= UInt64(o.qty)
        _orders[Int(h)].level = -1
        guard _levels[Int(lh)].orderCount == 0 else { return }
        let s = Int(o.side)
        let n = _n(s)
        let rungs = _rungs(s)
        if rungs[n - 1].level != lh {
            // Not the best level: close the gap it leaves in the ladder.
            let index = _search(s, Self._key(s, _levels[Int(lh)].price)).0
            UnsafeMutableRawPointer(rungs + index).copyMemory(
                from: rungs + index + 1, byteCount: (n - 1 - index) * MemoryLayout<_Rung>.stride)
        }
        _setN(s, n - 1)
        _freeLevelHandle(lh)
    }
}

/// A matching engine's mutable scalars.
@usableFromInline
struct _EngineState {
    @usableFromInline var bids = 0
    @usableFromInline var asks = 0
    @usableFromInline var freeOrder: Int32 = 0
    @usableFromInline var freeLevel: Int32 = 0
    @usableFromInline var orderCount = 0
    @usableFromInline var trackingNumber: UInt16

    @inlinable
    init(trackingNumber: UInt16) { self.trackingNumber = trackingNumber }
}

/// One order node. `next` doubles as the free-list link.
@usableFromInline
struct _Order: BitwiseCopyable {
    @usableFromInline var ref: UInt64
    @usableFromInline var token: UInt64
    @usableFromInline var owner: UInt32
    @usableFromInline var price: UInt32
    @usableFromInline var qty: UInt32
    /// 0 buy, 1 sell.
    @usableFromInline var side: UInt8
    @usableFromInline var next: Int32
    @usableFromInline var prev: Int32
    /// Its level's handle; -1 when not on the book.
    @usableFromInline var level: Int32

    @inlinable
    init(ref: UInt64, token: UInt64, owner: UInt32, price: UInt32, qty: UInt32, side: UInt8, next: Int32,
         prev: Int32, level: Int32) {
        self.ref = ref
        self.token = token
        self.owner = owner
        self.price = price
        self.qty = qty
        self.side = side
        self.next = next
        self.prev = prev
        self.level = level
    }

    @inlinable
    init(next: Int32) {
        self.init(ref: 0, token: 0, owner: 0, price: 0, qty: 0, side: 0, next: next, prev: -1, level: -1)
    }
}

/// One price level: aggregate and FIFO of its orders. `head` doubles as the free-list link.
@usableFromInline
struct _Level: BitwiseCopyable {
    @usableFromInline var price: UInt32
    @usableFromInline var orderCount: UInt32
    @usableFromInline var qty: UInt64
    @usableFromInline var head: Int32
    @usableFromInline var tail: Int32

    @inlinable
    init(price: UInt32, orderCount: UInt32, qty: UInt64, head: Int32, tail: Int32) {
        self.price = price
        self.orderCount = orderCount
        self.qty = qty
        self.head = head
        self.tail = tail
    }

    @inlinable
    init(nextFree: Int32) { self.init(price: 0, orderCount: 0, qty: 0, head: nextFree, tail: -1) }
}

/// A ladder entry: the level's sort key and its handle.
@usableFromInline
struct _Rung: BitwiseCopyable {
    @usableFromInline var key: UInt32
    @usableFromInline var level: Int32

    @inlinable
    init(key: UInt32, level: Int32) {
        self.key = key
        self.level = level
    }
}
