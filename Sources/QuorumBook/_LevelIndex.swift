/// Ladder key → level handle for one side of one book: open addressing, linear probing,
/// preallocated at twice the side's level capacity (load factor ≤ 0.5), backward-shift
/// deletion (no tombstones, no rehash).
///
/// Why besides the sorted ladder: most adds join a level that already exists, and on a real
/// book a good share of them rest far from the touch, where the ladder needs a scan past the
/// top eight entries and then a binary search — a run of data-dependent branches the
/// predictor misses. The index answers "is there a level at this price" with one hash and
/// usually one probe; the ladder is searched only to place a *new* level or to unlink an
/// emptied one.
///
/// A slot is a `_MapSlot` whose tag is the full ladder key (no indirection to confirm).
///
/// Not thread-safe.
@usableFromInline
struct _LevelIndex {
    @usableFromInline let slots: UnsafeMutablePointer<_MapSlot>
    @usableFromInline let mask: Int
    @usableFromInline let shift: UInt64

    /// Slots for a side of `levelCapacity` levels.
    @usableFromInline
    static func capacity(levelCapacity: Int) -> Int { (2 * levelCapacity).nextPowerOfTwoAtLeast(4) }

    /// An index with its own slots (tests); free them with `deallocate()`.
    @usableFromInline
    init(levelCapacity: Int) {
        let capacity = Self.capacity(levelCapacity: levelCapacity)
        let slots = UnsafeMutablePointer<_MapSlot>.allocate(capacity: capacity)
        // Touch everything now so first use on the hot path does not page-fault.
        slots.initialize(repeating: _MapSlot(tag: 0, handle: _nil), count: capacity)
        self.init(slots: slots, capacity: capacity, shift: UInt64(64 - capacity.trailingZeroBitCount))
    }

    /// A view of `capacity` initialised slots owned by someone else (a book's storage).
    @inlinable @inline(__always)
    init(slots: UnsafeMutablePointer<_MapSlot>, capacity: Int, shift: UInt64) {
        self.slots = slots
        mask = capacity &- 1  // &- : capacity ≥ 4
        self.shift = shift
    }

    @usableFromInline
    func deallocate() { slots.deallocate() }

    /// Slots, for invariant checks.
    @inlinable var capacity: Int { mask + 1 }

    @inlinable @inline(__always)
    func home(_ key: UInt32) -> Int {
        // &* : Fibonacci hashing, the multiplication is meant to wrap. Prices are multiples of
        // a tick, which multiplicative hashing spreads evenly.
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) &>> shift)
    }

    /// The level with this key, or `_nil`.
    /// - Complexity: O(1) expected.
    @inlinable @inline(__always)
    func find(_ key: UInt32) -> Int32 {
        var i = home(key)
        while true {
            let s = slots[i]
            if s.handle == _nil || s.tag == key { return s.handle }
            i = (i &+ 1) & mask  // &+ : i ≤ mask, cannot overflow
        }
    }

    /// Records a new level; the caller checked the key is absent. Always succeeds: the index
    /// has twice as many slots as the side can have levels.
    /// - Complexity: O(1) expected.
    @inlinable @inline(__always)
    func insert(_ key: UInt32, _ level: Int32) {
        var i = home(key)
        while slots[i].handle != _nil { i = (i &+ 1) & mask }
        slots[i] = _MapSlot(tag: key, handle: level)
    }

    /// Forgets the level with this key, if present (backward-shift deletion).
    /// - Complexity: O(1) expected.
    @inlinable
    func remove(_ key: UInt32) {
        var i = home(key)
        while true {
            let s = slots[i]
            if s.handle == _nil { return }
            if s.tag == key { break }
            i = (i &+ 1) & mask
        }
        // Pull back every following entry whose home is not cyclically in (i, j].
        var j = i
        while true {
            j = (j &+ 1) & mask
            let s = slots[j]
            if s.handle == _nil { break }
            let h = home(s.tag)
            if (j &- h) & mask >= (j &- i) & mask {
                slots[i] = s
                i = j
            }
        }
        slots[i].handle = _nil
    }
}
