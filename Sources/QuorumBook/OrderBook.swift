import QuorumWire

/// One symbol's order-by-order (L3) book, preallocated.
///
/// Storage, all sized from `BookConfig` at `init` and never grown:
/// - an **order pool** of 32-byte nodes addressed by `Int32` handles, with a free list;
/// - an **order-reference map** (open addressing, linear probing, backward-shift delete);
/// - a **level pool** of aggregates, each heading a FIFO queue of its orders (time priority);
/// - per side a **ladder**: a sorted array of (key, level handle) entries with the best price
///   at the *end*;
/// - per side a **level index** (`_LevelIndex`): price → level handle, so an order joining an
///   existing level never searches the ladder.
///
/// Why a sorted array for the ladder: nearly all book traffic lands within a few levels of the
/// best price, and with the best at the end those are the last few entries — found by a short
/// backward scan and inserted or removed by moving only the few 8-byte entries above them.
/// Levels far from the best (rare) fall back to binary search and a longer `memmove`. There is
/// no allocation (the array has `levelsPerSide` slots), best bid/ask are O(1) reads, and top-N
/// depth is a contiguous backward read. A price-indexed array would make every lookup O(1)
/// but needs re-centring as the price drifts and a second structure for outliers; a tree
/// needs pointer chasing and rebalancing. The benchmarks in `Benchmarks/BookBenchmarks`
/// measure this choice.
///
/// Book events go to a generic `OrderBookEvents` handler passed `inout` to each operation.
/// Operations never throw and never trap on bad flow: they return a `BookStatus` and leave the
/// book consistent.
///
/// Not thread-safe: one owner (the net loop) mutates and reads it.
public struct OrderBook: ~Copyable {
    public let locate: StockLocate
    @usableFromInline let _s: _UnsafeBookStorage
    @usableFromInline let _map: _OrderRefMap
    /// True for a `BookManager`'s books: the manager's feed-wide table holds most references
    /// and `_map` only those that overflow it, so `order(_:)` here does not see every order.
    @usableFromInline let _refsInFeedTable: Bool
    @usableFromInline var _freeOrder: Int32
    @usableFromInline var _freeLevel: Int32
    @usableFromInline var _orderCount: Int
    /// The most recent trade (visible, hidden or cross); `.none` before the first.
    public var lastTrade: TradeEvent

    /// Allocates and touches all of the book's memory (`config.bytesPerBook`).
    public init(locate: StockLocate, config: BookConfig) {
        self.init(locate: locate, config: config, refsInFeedTable: false)
    }

    @usableFromInline
    init(locate: StockLocate, config: BookConfig, refsInFeedTable: Bool) {
        self.init(locate: locate, memory: _PreparedBookMemory(config: config), refsInFeedTable: refsInFeedTable)
    }

    /// A book in memory allocated (and touched) beforehand; the book frees it.
    @usableFromInline
    init(locate: StockLocate, memory: _PreparedBookMemory, refsInFeedTable: Bool) {
        self.locate = locate
        _refsInFeedTable = refsInFeedTable
        _s = memory.storage
        _map = memory.map
        _freeOrder = 0
        _freeLevel = 0
        _orderCount = 0
        lastTrade = .none
    }

    deinit {
        _s.deallocate()
        _map.deallocate()
    }

    // MARK: - Queries

    /// Live orders. - Complexity: O(1).
    @inlinable public var orderCount: Int { _orderCount }
    /// Orders the pool can still take. - Complexity: O(1).
    @inlinable public var ordersAvailable: Int { _s.orderCapacity - _orderCount }
    /// The pool's capacity. - Complexity: O(1).
    @inlinable public var orderCapacity: Int { _s.orderCapacity }
    /// - Complexity: O(1).
    @inlinable public var bestBid: BookQuote { _s.sides[0].best }
    /// - Complexity: O(1).
    @inlinable public var bestAsk: BookQuote { _s.sides[1].best }
    /// True when both sides are present and the best bid is at or above the best ask (only
    /// possible with crossed input, e.g. during an auction or from a broken feed).
    @inlinable public var isCrossed: Bool {
        let bid = bestBid
        let ask = bestAsk
        return !bid.isEmpty && !ask.isEmpty && bid.price >= ask.price
    }

    /// Number of price levels on a side. - Complexity: O(1).
    @inlinable public func levelCount(_ side: Side) -> Int { _count(side == .buy ? 0 : 1) }

    /// The level `depth` steps from the best (0 = best), or nil past the last level.
    /// - Complexity: O(1).
    @inlinable
    public func level(_ side: Side, _ depth: Int) -> DepthLevel? {
        let s = side == .buy ? 0 : 1
        let n = _count(s)
        guard depth >= 0, depth < n else { return nil }
        let l = _s.levels[Int(_s.ladder(s)[n - 1 - depth].level)]
        return DepthLevel(price: Price(l.price), qty: l.qty, orderCount: l.orderCount)
    }

    /// The level at exactly `price`, or nil.
    /// - Complexity: O(1) expected.
    @inlinable
    public func level(_ side: Side, price: Price) -> DepthLevel? {
        let s = side == .buy ? 0 : 1
        let lh = _s.levelIndex(s).find(Self._key(s, price.rawValue))
        guard lh != _nil else { return nil }
        let l = _s.levels[Int(lh)]
        return DepthLevel(price: Price(l.price), qty: l.qty, orderCount: l.orderCount)
    }

    /// Writes up to `out.count` levels from the best outward; returns how many were written.
    /// - Complexity: O(out.count).
    @inlinable
    public func depth(_ side: Side, into out: UnsafeMutableBufferPointer<DepthLevel>) -> Int {
        let s = side == .buy ? 0 : 1
        let n = Swift.min(_count(s), out.count)
        let ladder = _s.ladder(s)
        let top = _count(s) - 1
        for i in 0..<n {
            let l = _s.levels[Int(ladder[top - i].level)]
            out[i] = DepthLevel(price: Price(l.price), qty: l.qty, orderCount: l.orderCount)
        }
        return n
    }

    /// The live order with this reference. For a `BookManager`'s book use
    /// `BookManager.order(_:_:)`, which also searches the feed-wide table.
    /// - Complexity: O(1) expected.
    @inlinable
    public func order(_ ref: OrderRef) -> (side: Side, price: Price, qty: Qty)? {
        let h = _map.find(ref.rawValue, _s.orders)
        guard h != _nil else { return nil }
        let o = _s.orders[Int(h)]
        return (o.side == 0 ? .buy : .sell, Price(o.price), Qty(o.qty))
    }

    /// The oldest order at the level `depth` steps from the best: the next to trade there.
    /// - Complexity: O(1).
    @inlinable
    public func frontOrder(_ side: Side, _ depth: Int = 0) -> OrderRef? {
        let s = side == .buy ? 0 : 1
        let n = _count(s)
        guard depth >= 0, depth < n else { return nil }
        let l = _s.levels[Int(_s.ladder(s)[n - 1 - depth].level)]
        return OrderRef(_s.orders[Int(l.head)].ref)
    }

    /// The order references queued at a level, oldest first. Allocates: for tests and tools.
    /// - Complexity: O(orders at the level).
    public func queue(_ side: Side, _ depth: Int) -> [OrderRef] {
        let s = side == .buy ? 0 : 1
        let n = _count(s)
        guard depth >= 0, depth < n else { return [] }
        var h = _s.levels[Int(_s.ladder(s)[n - 1 - depth].level)].head
        var out: [OrderRef] = []
        while h != _nil {
            out.append(OrderRef(_s.orders[Int(h)].ref))
            h = _s.orders[Int(h)].next
        }
        return out
    }

    // MARK: - Operations

    /// Adds a displayed order at the back of its price level's queue (ITCH A, and F — the
    /// attribution does not change the book).
    /// - Complexity: O(1) expected, plus O(d) to create a level d levels from the best.
    @inlinable
    public mutating func add<H: OrderBookEvents>(
        _ ref: OrderRef, side: Side, price: Price, qty: Qty, _ events: inout H
    ) -> BookStatus {
        let status = _add(ref.rawValue, side, price.rawValue, qty.rawValue, &events)
        if status == .ok { _refreshBest(side == .buy ? 0 : 1, &events) }
        return status
    }

    /// `add` through this book's own reference map.
    @inlinable @inline(__always)
    mutating func _add<H: OrderBookEvents>(
        _ ref: UInt64, _ side: Side, _ price: UInt32, _ qty: UInt32, _ events: inout H
    ) -> BookStatus {
        guard _map.find(ref, _s.orders) == _nil else { return .duplicateOrderRef }
        var h = _nil
        let status = _addNode(ref, side, price, qty, &h, &events)
        if h != _nil { _map.insert(ref, h) }
        return status
    }

    /// Executes `qty` shares of an order at its own price (ITCH E); removes it when filled.
    /// An execution larger than the order fills the order and reports `.executionExceedsOrder`.
    /// - Complexity: O(1) expected, plus O(d) if the level empties d levels from the best.
    @inlinable
    public mutating func execute<H: OrderBookEvents>(
        _ ref: OrderRef, qty: Qty, matchNumber: MatchNumber, _ events: inout H
    ) -> BookStatus {
        _execute(ref, qty, matchNumber, price: nil, printable: true, &events)
    }

    /// Executes `qty` shares of an order at `price`, which may differ from the order's (ITCH C).
    /// - Complexity: as `execute`.
    @inlinable
    public mutating func execute<H: OrderBookEvents>(
        _ ref: OrderRef, qty: Qty, matchNumber: MatchNumber, price: Price, printable: Bool, _ events: inout H
    ) -> BookStatus {
        _execute(ref, qty, matchNumber, price: price, printable: printable, &events)
    }

    /// Removes `qty` shares from an order (ITCH X); removes the order if none remain. A cancel
    /// of more than the order removes it and reports `.cancelExceedsOrder`.
    /// - Complexity: as `execute`.
    @inlinable
    public mutating func cancel<H: OrderBookEvents>(_ ref: OrderRef, qty: Qty, _ events: inout H) -> BookStatus {
        let h = _map.find(ref.rawValue, _s.orders)
        guard h != _nil else { return .unknownOrderRef }
        let (status, freed) = _cancel(h, qty.rawValue, &events)
        if freed { _map.remove(ref.rawValue, h) }
        return status
    }

    /// `cancel` of the live order `h`; `freed` says it left the book (its map entry must go).
    @inlinable @inline(__always)
    mutating func _cancel<H: OrderBookEvents>(_ h: Int32, _ qty: UInt32, _ events: inout H) -> (BookStatus, freed: Bool) {
        let have = _s.orders[Int(h)].qty
        var q = qty
        var status = BookStatus.ok
        if q > have {
            q = have
            status = .cancelExceedsOrder
        } else if q == 0 {
            return (.zeroQuantity, false)
        }
        let s = Int(_s.orders[Int(h)].side)
        let freed = _reduce(h, q, &events)
        _refreshBest(s, &events)
        return (status, freed)
    }

    /// Removes an order (ITCH D).
    /// - Complexity: as `execute`.
    @inlinable
    public mutating func delete<H: OrderBookEvents>(_ ref: OrderRef, _ events: inout H) -> BookStatus {
        let h = _map.find(ref.rawValue, _s.orders)
        guard h != _nil else { return .unknownOrderRef }
        _delete(h, &events)
        _map.remove(ref.rawValue, h)
        return .ok
    }

    /// `delete` of the live order `h`; it always leaves the book.
    @inlinable @inline(__always)
    mutating func _delete<H: OrderBookEvents>(_ h: Int32, _ events: inout H) {
        let s = Int(_s.orders[Int(h)].side)
        _ = _reduce(h, _s.orders[Int(h)].qty, &events)
        _refreshBest(s, &events)
    }

    /// Replaces an order by a new one on the same side (ITCH U): the original leaves the
    /// book and the new order joins the back of its level's queue. If `newRef` is already live
    /// nothing changes (`.duplicateOrderRef`). Best bid/offer is reported once, for the final
    /// state, never for the state between the removal and the add.
    /// - Complexity: as `add` plus `delete`.
    @inlinable
    public mutating func replace<H: OrderBookEvents>(
        _ originalRef: OrderRef, with newRef: OrderRef, qty: Qty, price: Price, _ events: inout H
    ) -> BookStatus {
        let h = _map.find(originalRef.rawValue, _s.orders)
        guard h != _nil else { return .unknownOrderRef }
        if newRef != originalRef && _map.find(newRef.rawValue, _s.orders) != _nil { return .duplicateOrderRef }
        let s = Int(_s.orders[Int(h)].side)
        _ = _reduce(h, _s.orders[Int(h)].qty, &events)
        _map.remove(originalRef.rawValue, h)
        var nh = _nil
        let status = _addNode(newRef.rawValue, Self._side(s), price.rawValue, qty.rawValue, &nh, &events)
        if nh != _nil { _map.insert(newRef.rawValue, nh) }
        _refreshBest(s, &events)
        return status
    }

    /// Records a trade that does not touch the displayed book: an execution against a hidden
    /// order (ITCH P) or a cross (ITCH Q).
    /// - Complexity: O(1).
    @inlinable
    public mutating func recordTrade<H: OrderBookEvents>(_ trade: TradeEvent, _ events: inout H) {
        lastTrade = trade
        events.traded(locate, trade)
    }

    /// Empties the book (orders, levels, best prices); capacity is kept.
    /// - Complexity: O(live orders + levels).
    public mutating func removeAll() {
        for s in 0..<2 {
            let ladder = _s.ladder(s)
            for i in 0..<_count(s) {
                let lh = ladder[i].level
                var h = _s.levels[Int(lh)].head
                while h != _nil {
                    let next = _s.orders[Int(h)].next
                    _map.remove(_s.orders[Int(h)].ref, h)
                    _s.orders[Int(h)].level = _nil
                    _s.orders[Int(h)].next = _freeOrder
                    _freeOrder = h
                    h = next
                }
                _s.levelIndex(s).remove(ladder[i].key)
                _s.levels[Int(lh)].tail = _freeLevel
                _freeLevel = lh
            }
            _setCount(s, 0)
        }
        _orderCount = 0
        _s.sides[0].best = .empty
        _s.sides[1].best = .empty
    }

    // MARK: - Internals

    // Side-indexed helpers: `s` is 0 (bid) or 1 (ask), and each of these is arithmetic on it,
    // not a branch (see `_SideState`).

    @inlinable @inline(__always)
    func _count(_ s: Int) -> Int { _s.sides[s].levelCount }

    @inlinable @inline(__always)
    func _setCount(_ s: Int, _ n: Int) { _s.sides[s].levelCount = n }

    /// The ladder key: the price for bids, its complement for asks (`0 &- s` is all zeros or
    /// all ones).
    @inlinable @inline(__always)
    static func _key(_ s: Int, _ price: UInt32) -> UInt32 { price ^ UInt32(truncatingIfNeeded: 0 &- s) }

    /// `.buy` for 0, `.sell` for 1 ('B' + 0x11 = 'S').
    @inlinable @inline(__always)
    static func _side(_ s: Int) -> Side { Side(rawValue: 0x42 &+ 0x11 &* UInt8(truncatingIfNeeded: s)) }

    /// Position of `key` in the side's ladder, or where it would be inserted.
    /// - Complexity: O(1) within 8 levels of the best, O(log n) beyond.
    @inlinable @inline(__always)
    func _search(_ s: Int, _ key: UInt32) -> (index: Int, found: Bool) {
        let ladder = _s.ladder(s)
        var i = _count(s) - 1
        // Short scan from the best end first: that is where the flow is.
        let stop = Swift.max(i - 8, -1)
        while i > stop {
            let k = ladder[i].key
            if k == key { return (i, true) }
            if k < key { return (i + 1, false) }
            i -= 1
        }
        if i < 0 { return (0, false) }
        // Branch-free lower bound over ladder[0...i]: each step keeps or advances `base` with
        // a conditional move, so the loop runs ⌈log2 n⌉ times whatever the keys are and the
        // predictor only has to learn the trip count, not a coin toss per step.
        var base = 0
        var n = i + 1
        while n > 1 {
            let half = n &>> 1
            base = ladder[base &+ half].key < key ? base &+ half : base  // &+ : < n ≤ count
            n &-= half
        }
        let lo = base &+ (ladder[base].key < key ? 1 : 0)  // &+ : base ≤ i
        return (lo, lo <= i && ladder[lo].key == key)
    }

    /// Queues a new order (the caller checked `ref` is not live) and sets `handle` to its node
    /// when it was added; leaves every reference map to the caller. Does not refresh the best
    /// prices.
    @inlinable
    mutating func _addNode<H: OrderBookEvents>(
        _ ref: UInt64, _ side: Side, _ price: UInt32, _ qty: UInt32, _ handle: inout Int32, _ events: inout H
    ) -> BookStatus {
        // B → 0, S → 1; anything else is refused. The first test is one well-predicted branch
        // (valid sides are B or S); the side itself then never steers a branch.
        let d = UInt32(side.rawValue) &- 0x42  // &- : bytes below 'B' wrap to large values
        guard d < 32 && (0x0002_0001 as UInt32) &>> d & 1 == 1 else { return .invalidSide }
        let s = Int(d &>> 4)  // 0 for B (d = 0), 1 for S (d = 0x11)
        guard qty > 0 else { return .zeroQuantity }
        guard _freeOrder != _nil else { return .orderPoolExhausted }
        // Find or create the level: the index first, the ladder only to place a new one.
        let key = Self._key(s, price)
        let levelIndex = _s.levelIndex(s)
        var lh = levelIndex.find(key)
        if lh == _nil {
            let n = _count(s)
            guard n < _s.levelsPerSide, _freeLevel != _nil else { return .levelsExhausted }
            let (index, _) = _search(s, key)  // not found: the index has every live level
            let ladder = _s.ladder(s)
            lh = _freeLevel
            _freeLevel = _s.levels[Int(lh)].tail
            _s.levels[Int(lh)] = _Level(price: price, orderCount: 0, qty: 0, head: _nil, tail: _nil)
            if index < n {
                // memmove: the source and destination overlap.
                UnsafeMutableRawPointer(ladder + index + 1).copyMemory(
                    from: ladder + index, byteCount: (n - index) * MemoryLayout<_LadderEntry>.stride)
            }
            ladder[index] = _LadderEntry(key: key, level: lh)
            _setCount(s, n + 1)
            levelIndex.insert(key, lh)
        }
        // Take an order node and queue it at the back of the level.
        let h = _freeOrder
        let o = _s.orders + Int(h)
        _freeOrder = o.pointee.next
        let l = _s.levels + Int(lh)
        o.pointee = _Order(ref: ref, price: price, qty: qty, level: lh, prev: l.pointee.tail, next: _nil,
                           side: UInt8(s))
        if l.pointee.tail != _nil { _s.orders[Int(l.pointee.tail)].next = h } else { l.pointee.head = h }
        l.pointee.tail = h
        l.pointee.orderCount += 1
        l.pointee.qty += UInt64(qty)
        handle = h
        _orderCount += 1
        events.levelChanged(locate, side: side, price: Price(price), qty: l.pointee.qty,
                            orderCount: l.pointee.orderCount)
        return .ok
    }

    /// Takes `q` (≤ the order's shares) off an order; unlinks and frees it at zero (returning
    /// true: the caller removes its map entry), and frees its level when that empties. Does not
    /// refresh the best prices.
    @inlinable @discardableResult
    mutating func _reduce<H: OrderBookEvents>(_ h: Int32, _ q: UInt32, _ events: inout H) -> Bool {
        let o = _s.orders + Int(h)
        let s = Int(o.pointee.side)
        let lh = o.pointee.level
        let l = _s.levels + Int(lh)
        o.pointee.qty -= q
        l.pointee.qty -= UInt64(q)
        let freed = o.pointee.qty == 0
        if freed {
            let prev = o.pointee.prev
            let next = o.pointee.next
            if prev != _nil { _s.orders[Int(prev)].next = next } else { l.pointee.head = next }
            if next != _nil { _s.orders[Int(next)].prev = prev } else { l.pointee.tail = prev }
            l.pointee.orderCount -= 1
            // A dead node has no level: the feed-wide table's lookups check it.
            o.pointee.level = _nil
            o.pointee.next = _freeOrder
            _freeOrder = h
            _orderCount -= 1
        }
        let price = l.pointee.price
        let side = Self._side(s)
        if l.pointee.orderCount == 0 {
            let key = Self._key(s, price)
            _s.levelIndex(s).remove(key)
            let (index, _) = _search(s, key)  // found: the level is live
            let n = _count(s)
            let ladder = _s.ladder(s)
            if index + 1 < n {
                UnsafeMutableRawPointer(ladder + index).copyMemory(
                    from: ladder + index + 1, byteCount: (n - index - 1) * MemoryLayout<_LadderEntry>.stride)
            }
            _setCount(s, n - 1)
            l.pointee.tail = _freeLevel
            _freeLevel = lh
            events.levelChanged(locate, side: side, price: Price(price), qty: 0, orderCount: 0)
        } else {
            events.levelChanged(locate, side: side, price: Price(price), qty: l.pointee.qty,
                                orderCount: l.pointee.orderCount)
        }
        return freed
    }

    @inlinable
    mutating func _execute<H: OrderBookEvents>(
        _ ref: OrderRef, _ qty: Qty, _ match: MatchNumber, price: Price?, printable: Bool, _ events: inout H
    ) -> BookStatus {
        let h = _map.find(ref.rawValue, _s.orders)
        guard h != _nil else { return .unknownOrderRef }
        let (status, freed) = _execute(h, ref, qty, match, price: price, printable: printable, &events)
        if freed { _map.remove(ref.rawValue, h) }
        return status
    }

    /// `execute` of the live order `h`; `freed` says it left the book.
    @inlinable @inline(__always)
    mutating func _execute<H: OrderBookEvents>(
        _ h: Int32, _ ref: OrderRef, _ qty: Qty, _ match: MatchNumber, price: Price?, printable: Bool,
        _ events: inout H
    ) -> (BookStatus, freed: Bool) {
        let o = _s.orders[Int(h)]
        var q = qty.rawValue
        var status = BookStatus.ok
        if q > o.qty {
            q = o.qty
            status = .executionExceedsOrder
        } else if q == 0 {
            return (.zeroQuantity, false)
        }
        let trade = TradeEvent(
            price: price ?? Price(o.price), qty: UInt64(q), restingSide: Self._side(Int(o.side)),
            kind: price == nil ? .execution : .executionWithPrice, matchNumber: match, orderRef: ref,
            printable: printable)
        lastTrade = trade
        events.traded(locate, trade)
        let freed = _reduce(h, q, &events)
        _refreshBest(Int(o.side), &events)
        return (status, freed)
    }

    @inlinable @inline(__always)
    func _top(_ s: Int) -> BookQuote {
        let n = _count(s)
        if n == 0 { return .empty }
        let l = _s.levels[Int(_s.ladder(s)[n - 1].level)]
        return BookQuote(price: Price(l.price), qty: l.qty)
    }

    /// Re-reads the top of side `s` and reports a change once. A message changes one side
    /// only (the side of its order), so the other side's cached best stands.
    @inlinable @inline(__always)
    mutating func _refreshBest<H: OrderBookEvents>(_ s: Int, _ events: inout H) {
        let top = _top(s)
        let side = _s.sides + s
        if top != side.pointee.best {
            side.pointee.best = top
            events.bestChanged(locate, bid: _s.sides[0].best, ask: _s.sides[1].best)
        }
    }
}
