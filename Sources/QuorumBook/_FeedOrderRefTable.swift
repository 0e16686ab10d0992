/// Order reference → (book, order handle) for a whole feed, direct-mapped by `ref & mask`.
///
/// ITCH assigns order references in increasing order across the whole feed, so the live
/// references cluster in a sliding window just below the newest one. Indexing by the low bits
/// puts consecutive adds in consecutive 8-byte slots (eight to a cache line, written in order),
/// and keeps the slots of live orders inside a region about the size of the window, where a
/// hashed table scatters them over every book's whole map. This is the cache miss the book's
/// profile was dominated by.
///
/// A slot holds the low 32 bits of the reference (its *tag*) and a feed-wide handle
/// `book << orderShift | order`; the full reference is confirmed in the order node, which
/// every caller loads next anyway. A reference whose slot is taken by a live order (one that
/// outlived `capacity` newer references, or a feed whose references are not sequential)
/// overflows to its own book's `_OrderRefMap`, so nothing is ever refused and per-book
/// semantics (the same reference may live in two books) are unchanged.
///
/// Not thread-safe.
@usableFromInline
struct _FeedOrderRefTable {
    @usableFromInline let slots: UnsafeMutablePointer<_MapSlot>
    @usableFromInline let mask: Int
    /// log2 of the books' order capacity: a feed-wide handle's low bits are the order handle.
    @usableFromInline let orderShift: Int
    @usableFromInline let orderMask: Int32
    /// False when the table is disabled and every entry overflows.
    @usableFromInline let isEnabled: Bool

    /// - Parameters:
    ///   - capacity: slots, rounded up to a power of two; 0 disables the table (every entry
    ///     then lives in its book's map).
    ///   - books: how many books the feed-wide handle must address.
    ///   - orderCapacity: each book's order pool (a power of two).
    @usableFromInline
    init(capacity: Int, books: Int, orderCapacity: Int) {
        orderShift = orderCapacity.trailingZeroBitCount
        orderMask = Int32(truncatingIfNeeded: orderCapacity - 1)
        // The handle must fit in an Int32 (`_nil` is -1): otherwise run without the table.
        let fits = books.nextPowerOfTwoAtLeast(1) << orderShift <= Int(Int32.max)
        isEnabled = capacity > 0 && fits
        let n = isEnabled ? capacity.nextPowerOfTwoAtLeast(8) : 1
        slots = .allocate(capacity: n)
        // Touch everything now so first use on the hot path does not page-fault. A disabled
        // table is one slot that stays empty, so lookups need no extra branch.
        slots.initialize(repeating: _MapSlot(tag: 0, handle: _nil), count: n)
        mask = n - 1
    }

    @usableFromInline
    func deallocate() { slots.deallocate() }


    @inlinable @inline(__always)
    func index(_ ref: UInt64) -> Int { Int(truncatingIfNeeded: ref) & mask }

    @inlinable @inline(__always)
    func handle(book: Int, order: Int32) -> Int32 { Int32(truncatingIfNeeded: book << orderShift) | order }

    /// Address of the slot `ref` maps to, for a prefetch.
    @inlinable @inline(__always)
    func slotAddress(_ ref: UInt64) -> UnsafeRawPointer { UnsafeRawPointer(slots + (Int(truncatingIfNeeded: ref) & mask)) }

    /// The slot `ref` maps to. The caller confirms a tag match against the full reference in
    /// the order node.
    @inlinable @inline(__always)
    func slot(_ ref: UInt64) -> _MapSlot { slots[index(ref)] }

    /// Puts `handle` in `ref`'s slot. The caller checked (with `slot`) that the slot is free or
    /// holds a stale entry (only `OrderBook.removeAll()` on a managed book leaves those).
    /// - Complexity: O(1).
    @inlinable @inline(__always)
    func store(_ ref: UInt64, _ handle: Int32) {
        slots[index(ref)] = _MapSlot(tag: UInt32(truncatingIfNeeded: ref), handle: handle)
    }

    /// Clears `ref`'s slot if it holds `handle`; returns false (the entry is in the book's map)
    /// otherwise.
    /// - Complexity: O(1).
    @inlinable @inline(__always)
    func remove(_ ref: UInt64, _ handle: Int32) -> Bool {
        guard isEnabled else { return false }
        let i = index(ref)
        let s = slots[i]
        guard s.handle == handle && s.tag == UInt32(truncatingIfNeeded: ref) else { return false }
        slots[i].handle = _nil
        return true
    }
}
