/// Order reference → order handle, open addressing with linear probing, preallocated at twice
/// the order pool's capacity (load factor ≤ 0.5, so probes stay short and an empty slot
/// always exists). Deletion shifts the following cluster back instead of leaving tombstones,
/// so a long day of adds and deletes never degrades lookups and never needs a rehash.
///
/// Not thread-safe.
@usableFromInline
struct _MapSlot {
    @usableFromInline var key: UInt64
    /// `_nil` marks an empty slot; any order reference (including 0) is a valid key.
    @usableFromInline var handle: Int32

    @inlinable @inline(__always)
    init(key: UInt64, handle: Int32) {
        self.key = key
        self.handle = handle
    }
}

@usableFromInline
struct _OrderRefMap {
    @usableFromInline let slots: UnsafeMutablePointer<_MapSlot>
    @usableFromInline let mask: Int
    /// Fibonacci hashing keeps the *high* bits of `key × 2^64/φ`; ITCH references are
    /// sequential, and multiplicative hashing spreads sequences evenly.
    @usableFromInline let shift: UInt64

    @usableFromInline
    init(orderCapacity: Int) {
        let capacity = (2 * orderCapacity).nextPowerOfTwoAtLeast(4)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: _MapSlot(key: 0, handle: _nil), count: capacity)
        mask = capacity - 1
        shift = UInt64(64 - capacity.trailingZeroBitCount)
    }

    @usableFromInline
    func deallocate() { slots.deallocate() }

    @inlinable @inline(__always)
    func home(_ key: UInt64) -> Int {
        // &* : the multiplication is meant to wrap.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The handle for `key`, or `_nil`.
    /// - Complexity: O(1) expected.
    @inlinable @inline(__always)
    func find(_ key: UInt64) -> Int32 {
        var i = home(key)
        while true {
            let s = slots[i]
            if s.handle == _nil { return _nil }
            if s.key == key { return s.handle }
            i = (i &+ 1) & mask  // &+ : i ≤ mask, cannot overflow
        }
    }

    /// Inserts a key the caller has checked is absent. Always succeeds: the map has twice as
    /// many slots as the pool has orders.
    /// - Complexity: O(1) expected.
    @inlinable @inline(__always)
    func insert(_ key: UInt64, _ handle: Int32) {
        var i = home(key)
        while slots[i].handle != _nil { i = (i &+ 1) & mask }
        slots[i] = _MapSlot(key: key, handle: handle)
    }

    /// Removes `key` if present (backward-shift deletion).
    /// - Complexity: O(1) expected.
    @inlinable
    func remove(_ key: UInt64) {
        var i = home(key)
        while true {
            let s = slots[i]
            if s.handle == _nil { return }
            if s.key == key { break }
            i = (i &+ 1) & mask
        }
        // Pull back every following entry whose home slot is not in (i, j].
        var j = i
        while true {
            j = (j &+ 1) & mask
            let s = slots[j]
            if s.handle == _nil { break }
            let h = home(s.key)
            // Distance from home to j versus from i to j, cyclically: the entry may move to i
            // iff its home is not strictly after i on the way to j.
            if (j &- h) & mask >= (j &- i) & mask {
                slots[i] = s
                i = j
            }
        }
        slots[i].handle = _nil
    }

    /// Empties the map. - Complexity: O(capacity).
    @usableFromInline
    func removeAll() {
        slots.update(repeating: _MapSlot(key: 0, handle: _nil), count: mask + 1)
    }
}
