import QuorumWire

// The raw memory of one order book. This file and `_OrderRefMap.swift` are the only places in
// QuorumBook that do pointer arithmetic; `OrderBook` checks handles once at its edge (a handle
// comes from the map or from a ladder entry, both of which only ever hold live handles) and
// then trusts them.

/// Sentinel for "no handle" in every Int32 link below.
@usableFromInline let _nil: Int32 = -1

/// One resting order: 32 bytes, so two per cache line.
@usableFromInline
struct _Order {
    @usableFromInline var ref: UInt64
    @usableFromInline var price: UInt32
    @usableFromInline var qty: UInt32
    /// Handle of the level this order rests on.
    @usableFromInline var level: Int32
    /// FIFO neighbours within the level; `next` doubles as the free-list link.
    @usableFromInline var prev: Int32
    @usableFromInline var next: Int32
    /// 0 = bid, 1 = ask.
    @usableFromInline var side: UInt8

    @inlinable @inline(__always)
    init(ref: UInt64, price: UInt32, qty: UInt32, level: Int32, prev: Int32, next: Int32, side: UInt8) {
        self.ref = ref
        self.price = price
        self.qty = qty
        self.level = level
        self.prev = prev
        self.next = next
        self.side = side
    }
}

/// One price level: aggregate plus the FIFO queue of its orders (head = oldest).
@usableFromInline
struct _Level {
    @usableFromInline var price: UInt32
    @usableFromInline var orderCount: UInt32
    @usableFromInline var qty: UInt64
    @usableFromInline var head: Int32
    /// `tail` doubles as the free-list link.
    @usableFromInline var tail: Int32

    @inlinable @inline(__always)
    init(price: UInt32, orderCount: UInt32, qty: UInt64, head: Int32, tail: Int32) {
        self.price = price
        self.orderCount = orderCount
        self.qty = qty
        self.head = head
        self.tail = tail
    }
}

/// One entry of a side's sorted ladder. `key` orders the ladder ascending with the best price
/// last: bids use the price, asks use its bitwise complement (so the lowest ask has the
/// highest key). One comparison routine then serves both sides.
@usableFromInline
struct _LadderEntry {
    @usableFromInline var key: UInt32
    @usableFromInline var level: Int32

    @inlinable @inline(__always)
    init(key: UInt32, level: Int32) {
        self.key = key
        self.level = level
    }
}

/// All the memory of one book, allocated once and freed by `OrderBook.deinit`.
@usableFromInline
struct _UnsafeBookStorage {
    @usableFromInline let orders: UnsafeMutablePointer<_Order>
    @usableFromInline let orderCapacity: Int
    @usableFromInline let levels: UnsafeMutablePointer<_Level>
    @usableFromInline let levelCapacity: Int
    /// `ladders[0]` bids, `ladders[1]` asks; each holds `levelsPerSide` entries.
    @usableFromInline let ladders: (UnsafeMutablePointer<_LadderEntry>, UnsafeMutablePointer<_LadderEntry>)
    @usableFromInline let levelsPerSide: Int
    /// `levelIndexes[0]` bids, `[1]` asks: ladder key → level handle (see `_LevelIndex`).
    @usableFromInline let levelIndexes: (_LevelIndex, _LevelIndex)

    @usableFromInline
    init(config: BookConfig) {
        orderCapacity = config.ordersPerSymbol.nextPowerOfTwoAtLeast(2)
        precondition(orderCapacity < Int(Int32.max), "order pool must be addressable by Int32 handles")
        levelsPerSide = Swift.max(config.levelsPerSide, 1)
        levelCapacity = 2 * levelsPerSide
        orders = .allocate(capacity: orderCapacity)
        levels = .allocate(capacity: levelCapacity)
        ladders = (.allocate(capacity: levelsPerSide), .allocate(capacity: levelsPerSide))
        levelIndexes = (_LevelIndex(levelCapacity: levelsPerSide), _LevelIndex(levelCapacity: levelsPerSide))
        // Touch everything now so first use on the hot path does not page-fault.
        for i in 0..<orderCapacity {
            (orders + i).initialize(to: _Order(ref: 0, price: 0, qty: 0, level: _nil, prev: _nil,
                                               next: i + 1 < orderCapacity ? Int32(i + 1) : _nil, side: 0))
        }
        for i in 0..<levelCapacity {
            (levels + i).initialize(to: _Level(price: 0, orderCount: 0, qty: 0, head: _nil,
                                               tail: i + 1 < levelCapacity ? Int32(i + 1) : _nil))
        }
        ladders.0.initialize(repeating: _LadderEntry(key: 0, level: _nil), count: levelsPerSide)
        ladders.1.initialize(repeating: _LadderEntry(key: 0, level: _nil), count: levelsPerSide)
    }

    @usableFromInline
    func deallocate() {
        orders.deallocate()
        levels.deallocate()
        ladders.0.deallocate()
        ladders.1.deallocate()
        levelIndexes.0.deallocate()
        levelIndexes.1.deallocate()
    }

    @inlinable @inline(__always)
    func levelIndex(_ side: Int) -> _LevelIndex {
        side == 0 ? levelIndexes.0 : levelIndexes.1
    }

    @inlinable @inline(__always)
    func ladder(_ side: Int) -> UnsafeMutablePointer<_LadderEntry> {
        side == 0 ? ladders.0 : ladders.1
    }
}
