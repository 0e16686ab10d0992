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

/// What a book keeps per side besides its ladder: the number of levels and the cached best.
/// Indexed by side (0 bid, 1 ask) in memory rather than held in two named properties, so code
/// that works on "the order's side" computes an address instead of branching on the side,
/// which on a mixed flow is a coin toss for the branch predictor.
///
/// It also holds the side's ladder and level-index base addresses: fetching them with a load
/// indexed by the side, rather than computing `base + s × size`, keeps the compiler from
/// turning "× 0 or 1" back into a select that it may emit as a branch (it did, in `add`).
@usableFromInline
struct _SideState {
    @usableFromInline var levelCount: Int
    @usableFromInline var best: BookQuote
    @usableFromInline let ladder: UnsafeMutablePointer<_LadderEntry>
    @usableFromInline let levelIndexSlots: UnsafeMutablePointer<_MapSlot>

    @inlinable @inline(__always)
    init(levelCount: Int, best: BookQuote, ladder: UnsafeMutablePointer<_LadderEntry>,
         levelIndexSlots: UnsafeMutablePointer<_MapSlot>) {
        self.levelCount = levelCount
        self.best = best
        self.ladder = ladder
        self.levelIndexSlots = levelIndexSlots
    }
}

/// A fresh book's memory: its storage and its own reference map, allocated and touched, not
/// yet owned by a book (`BookManager.prepareBooks`).
@usableFromInline
struct _PreparedBookMemory {
    @usableFromInline let storage: _UnsafeBookStorage
    @usableFromInline let map: _OrderRefMap

    @usableFromInline
    init(config: BookConfig) {
        storage = _UnsafeBookStorage(config: config)
        map = _OrderRefMap(orderCapacity: storage.orderCapacity)
    }

    /// Frees memory no book took.
    @usableFromInline
    func deallocate() {
        storage.deallocate()
        map.deallocate()
    }
}

/// All the memory of one book, allocated once and freed by `OrderBook.deinit`.
///
/// Per-side structures (ladders, level indexes, side state) are laid out side by side in one
/// allocation each, bids first; `sides[s]` names side `s`'s parts, so the hot path reaches
/// them by a load indexed by the side, never a branch on it.
@usableFromInline
struct _UnsafeBookStorage {
    @usableFromInline let orders: UnsafeMutablePointer<_Order>
    @usableFromInline let orderCapacity: Int
    @usableFromInline let levels: UnsafeMutablePointer<_Level>
    @usableFromInline let levelCapacity: Int
    /// The bid ladder's `levelsPerSide` entries, then the ask ladder's.
    @usableFromInline let ladders: UnsafeMutablePointer<_LadderEntry>
    @usableFromInline let levelsPerSide: Int
    /// The bid level index's slots, then the ask level index's (see `_LevelIndex`).
    @usableFromInline let levelIndexSlots: UnsafeMutablePointer<_MapSlot>
    /// Slots per side's level index (a power of two) and its hash shift.
    @usableFromInline let levelIndexCapacity: Int
    @usableFromInline let levelIndexShift: UInt64
    /// `sides[0]` bids, `sides[1]` asks.
    @usableFromInline let sides: UnsafeMutablePointer<_SideState>

    @usableFromInline
    init(config: BookConfig) {
        orderCapacity = config.ordersPerSymbol.nextPowerOfTwoAtLeast(2)
        precondition(orderCapacity < Int(Int32.max), "order pool must be addressable by Int32 handles")
        levelsPerSide = Swift.max(config.levelsPerSide, 1)
        levelCapacity = 2 * levelsPerSide
        orders = .allocate(capacity: orderCapacity)
        levels = .allocate(capacity: levelCapacity)
        ladders = .allocate(capacity: 2 * levelsPerSide)
        levelIndexCapacity = _LevelIndex.capacity(levelCapacity: levelsPerSide)
        levelIndexShift = UInt64(64 - levelIndexCapacity.trailingZeroBitCount)
        levelIndexSlots = .allocate(capacity: 2 * levelIndexCapacity)
        sides = .allocate(capacity: 2)
        // Touch everything now so first use on the hot path does not page-fault.
        for i in 0..<orderCapacity {
            (orders + i).initialize(to: _Order(ref: 0, price: 0, qty: 0, level: _nil, prev: _nil,
                                               next: i + 1 < orderCapacity ? Int32(i + 1) : _nil, side: 0))
        }
        for i in 0..<levelCapacity {
            (levels + i).initialize(to: _Level(price: 0, orderCount: 0, qty: 0, head: _nil,
                                               tail: i + 1 < levelCapacity ? Int32(i + 1) : _nil))
        }
        ladders.initialize(repeating: _LadderEntry(key: 0, level: _nil), count: 2 * levelsPerSide)
        levelIndexSlots.initialize(repeating: _MapSlot(tag: 0, handle: _nil), count: 2 * levelIndexCapacity)
        for side in 0..<2 {
            (sides + side).initialize(to: _SideState(
                levelCount: 0, best: .empty, ladder: ladders + side * levelsPerSide,
                levelIndexSlots: levelIndexSlots + side * levelIndexCapacity))
        }
    }

    @usableFromInline
    func deallocate() {
        orders.deallocate()
        levels.deallocate()
        ladders.deallocate()
        levelIndexSlots.deallocate()
        sides.deallocate()
    }

    /// Side `s`'s level index (0 bid, 1 ask): a view of its slots, built without a branch.
    @inlinable @inline(__always)
    func levelIndex(_ s: Int) -> _LevelIndex {
        _LevelIndex(slots: sides[s].levelIndexSlots, capacity: levelIndexCapacity, shift: levelIndexShift)
    }

    /// Side `s`'s ladder (0 bid, 1 ask).
    @inlinable @inline(__always)
    func ladder(_ s: Int) -> UnsafeMutablePointer<_LadderEntry> {
        sides[s].ladder
    }
}
