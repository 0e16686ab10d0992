extension OrderBook {
    /// Walks the whole book and returns the first broken invariant, or nil:
    /// ladders strictly sorted (bids descending from the best, asks ascending), every level's
    /// total equal to the sum of its orders and its count to their number, FIFO links
    /// consistent both ways, every order findable by its reference, cached best prices equal
    /// to the ladder tops, the level index holding exactly the live levels, and pool accounting (live + free = capacity, for orders and levels).
    /// Crossing is not an invariant violation (crossed input exists); see `isCrossed`.
    ///
    /// - Complexity: O(capacity). For tests and diagnostics, not the hot path.
    public func checkInvariants() -> String? {
        var liveOrders = 0
        for s in 0..<2 {
            let ladder = _s.ladder(s)
            let n = _count(s)
            for i in 0..<n {
                let e = ladder[i]
                if i > 0 && ladder[i - 1].key >= e.key { return "side \(s): ladder not strictly sorted at \(i)" }
                guard e.level >= 0 && Int(e.level) < _s.levelCapacity else { return "side \(s): bad level handle" }
                let l = _s.levels[Int(e.level)]
                if Self._key(s, l.price) != e.key { return "side \(s): level price \(l.price) does not match key" }
                if _s.levelIndex(s).find(e.key) != e.level { return "side \(s): level index misses level \(l.price)" }
                var sum: UInt64 = 0
                var count: UInt32 = 0
                var prev = _nil
                var h = l.head
                while h != _nil {
                    let o = _s.orders[Int(h)]
                    if o.prev != prev { return "order \(o.ref): prev link broken" }
                    if o.level != e.level || Int(o.side) != s || o.price != l.price {
                        return "order \(o.ref): on level \(o.level)/side \(o.side) but queued at \(e.level)/\(s)"
                    }
                    if o.qty == 0 { return "order \(o.ref): zero quantity but live" }
                    let found = _map.find(o.ref, _s.orders)
                    // A manager's book maps only the references that overflowed the feed table.
                    if found != h && !(_refsInFeedTable && found == _nil) {
                        return "order \(o.ref): reference map does not point at it"
                    }
                    sum += UInt64(o.qty)
                    count += 1
                    prev = h
                    h = o.next
                    if count > UInt32(_s.orderCapacity) { return "level \(l.price): queue loops" }
                }
                if l.tail != prev { return "level \(l.price): tail link broken" }
                if count == 0 { return "level \(l.price): empty but in the ladder" }
                if sum != l.qty { return "level \(l.price): total \(l.qty) != sum of orders \(sum)" }
                if count != l.orderCount { return "level \(l.price): count \(l.orderCount) != \(count) orders" }
                liveOrders += Int(count)
            }
        }
        for s in 0..<2 {
            let index = _s.levelIndex(s)
            var indexed = 0
            for i in 0..<index.capacity where index.slots[i].handle != _nil { indexed += 1 }
            if indexed != _count(s) { return "side \(s): level index holds \(indexed) entries for \(_count(s)) levels" }
        }
        if liveOrders != _orderCount { return "order count \(_orderCount) != \(liveOrders) queued" }
        var free = 0
        var h = _freeOrder
        while h != _nil {
            free += 1
            if free > _s.orderCapacity { return "order free list loops" }
            h = _s.orders[Int(h)].next
        }
        if free + _orderCount != _s.orderCapacity { return "order pool: \(free) free + \(_orderCount) live != capacity" }
        var freeLevels = 0
        var lh = _freeLevel
        while lh != _nil {
            freeLevels += 1
            if freeLevels > _s.levelCapacity { return "level free list loops" }
            lh = _s.levels[Int(lh)].tail
        }
        if freeLevels + _count(0) + _count(1) != _s.levelCapacity { return "level pool accounting broken" }
        var mapped = 0
        for i in 0...(_map.mask) where _map.slots[i].handle != _nil { mapped += 1 }
        if _refsInFeedTable ? mapped > _orderCount : mapped != _orderCount { return "reference map holds \(mapped) entries for \(_orderCount) orders" }
        if _top(0) != bestBid { return "cached best bid \(bestBid) != \(_top(0))" }
        if _top(1) != bestAsk { return "cached best ask \(bestAsk) != \(_top(1))" }
        return nil
    }
}
