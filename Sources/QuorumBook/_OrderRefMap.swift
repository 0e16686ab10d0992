/// Order reference → order handle, open addressing with linear probing, preallocated at twice
/// the order pool's capacity (load factor ≤ 0.5, so probes stay short and an empty slot
/// always exists). Deletion shifts the following cluster back instead of leaving tombstones,
/// so a long day of adds and deletes never degrades lookups and never needs a rehash.
///
/// A slot is 8 bytes: the low 32 bits of the reference (its *tag*) and the handle. The full
/// reference lives in the order node, which every caller loads next anyway, so a lookup
/// confirms a tag match there at no extra cache miss; keeping the key out of the slot halves
/// the table, and on a many-symbol feed the table's cache misses are the book's main cost
/// (the benchmarks show it). The home slot is a function of the tag alone, so backward-shift
/// deletion never needs to look at order nodes.
///
/// Not thread-safe.
@usableFromInline
struct _MapSlot {
    @usableFromInline var tag: UInt32
    /// `_nil` marks an empty slot; any order reference (including 0) is a valid key.
    @usableFromInline var handle: Int32

    @inlinable @inline(__always)
    init(tag: UInt32, handle: Int32) {
        self.tag = tag
        self.handle = handle
    }
}

@usableFromInline
struct _OrderRefMap {
    @usableFromInline let slots: UnsafeMutablePointer<_MapSlot>
    @usableFromInline let mask: Int
    /// Fibonacci hashing keeps the *high* bits of `tag × 2^64/φ`; ITCH references are
    /// sequential, and multiplicative hashing spreads sequences evenly.
    @usableFromInline let shift: UInt64

    @usableFromInline
    init(orderCapacity: Int) {
        let capacity = (2 * orderCapacity).nextPowerOfTwoAtLeast(4)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: _MapSlot(tag: 0, handle: _nil), count: capacity)
        mask = capacity - 1
        shift = UInt64(64 - capacity.trailingZeroBitCount)
    }

    @usableFromInline
    func deallocate() { slots.deallocate() }

    @inlinable @inline(__always)
    static func tag(_ key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key) }

    @inlinable @inline(__always)
    func home(_ tag: UInt32) -> Int {
        // &* : the multiplication is meant to wrap.
        Int(truncatingIfNeeded: (UInt64(tag) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The handle for `key`, or `_nil`. `orders` resolves tag collisions by the full reference.
    /// - Complexity: O(1) expected.
    @inlinable @inline(__always)
    func find(_ key: UInt64, _ orders: UnsafeMutablePointer<_Order>) -> Int32 {
        let t = Self.tag(key)
        var i = home(t)
        while true {
            let s = slots[i]
            if s.handle == _nil { return _nil }
            if s.tag == t && orders[Int(s.handle)].ref == key { return s.handle }
            i = (i &+ 1) & mask  // &+ : i ≤ mask, cannot overflow
        }
    }

    /// Inserts a key the caller has checked is absent. Always succeeds: the map has twice as
    /// many slots as the pool has orders.
    /// - Complexity: O(1) expected.
    @inlinable @inline(__always)
    func insert(_ key: UInt64, _ handle: Int32) {
        let t = Self.tag(key)
        var i = home(t)
        while slots[i].handle != _nil { i = (i &+ 1) & mask }
        slots[i] = _MapSlot(tag: t, handle: handle)
    }

    /// Removes the entry holding `handle` (whose order has reference `key`), if present
    /// (backward-shift deletion).
    /// - Complexity: O(1) expected.
    @inlinable
    func remove(_ key: UInt64, _ handle: Int32) {
        var i = home(Self.tag(key))
        while true {
            let s = slots[i]
            if s.handle == _nil { return }
            if s.handle == handle { break }
            i = (i &+ 1) & mask
        }
        // Pull back every following entry whose home slot is not in (i, j].
        var j = i
        while true {
            j = (j &+ 1) & mask
            let s = slots[j]
            if s.handle == _nil { break }
            let h = home(s.tag)
            // Cyclic distances: the entry may move to i iff its home is not strictly after i
            // on the way to j.
            if (j &- h) & mask >= (j &- i) & mask {
                slots[i] = s
                i = j
            }
        }
        slots[i].handle = _nil
    }
}
