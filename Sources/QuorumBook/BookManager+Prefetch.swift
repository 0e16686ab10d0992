import CQuorumBook
import QuorumWire

// Software prefetch for a feed read ahead of the book.
//
// Nearly all of an order message's time is spent waiting for three dependent cache misses:
// the feed-wide table slot of its reference, then the order node the slot names, then the
// node's level and FIFO neighbours. Each depends on the one before, so no out-of-order core
// overlaps them within a message; across messages they are independent. A caller that can
// see the next few raw messages (a day file, a MoldUDP64 packet) hints them in stages:
//
//   message i + farDistance:  prefetchReference   → the table slot
//   message i + nearDistance: prefetchOrder       → the order node (slot now cached)
//   message i + queueDistance: prefetchQueue      → its level and FIFO neighbours
//   message i:                apply                 (node, level, neighbours cached)
//
// Hints never change state and never fault, so a wrong or stale hint costs only bandwidth.

extension BookManager {
    /// How far ahead of `apply` to call `prefetchReference`, in messages.
    @inlinable public static var prefetchFarDistance: Int { 12 }
    /// How far ahead of `apply` to call `prefetchOrder`, in messages.
    @inlinable public static var prefetchNearDistance: Int { 6 }
    /// How far ahead of `apply` to call `prefetchQueue`, in messages.
    @inlinable public static var prefetchQueueDistance: Int { 2 }

    /// The order reference an order message names, or nil for any other type or length.
    @inlinable @inline(__always)
    static func _referencedOrder(_ message: UnsafeRawBufferPointer) -> UInt64? {
        // Every order message (A F E C X D U) has its reference at offset 11 and is at least
        // 19 bytes long: the count check covers the 8-byte read.
        guard message.count >= 19, let p = message.baseAddress,
              ITCH.isOrderMessageType(p.load(as: UInt8.self)) else { return nil }
        return UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 11, as: UInt64.self))
    }

    /// The order reference of a raw ITCH message, as the `orderRef:` stages below take it:
    /// the reference of an order message (A F E C X D U), nil for anything else. A caller that
    /// hints one message in several stages reads it once with this.
    /// - Complexity: O(1); reads only `message`.
    @inlinable @inline(__always)
    public static func referencedOrder(_ message: UnsafeRawBufferPointer) -> UInt64? {
        _referencedOrder(message)
    }

    /// Stage 1: hints the feed-wide table slot of the order `message` names (raw ITCH bytes
    /// of a message to be applied about `prefetchFarDistance` messages from now).
    /// - Complexity: O(1); reads only `message`.
    @inlinable @inline(__always)
    public func prefetchReference(_ message: UnsafeRawBufferPointer) {
        guard let ref = Self._referencedOrder(message) else { return }
        prefetchReference(orderRef: ref)
    }

    /// Stage 1 for a reference already read with `referencedOrder(_:)`.
    @inlinable @inline(__always)
    public func prefetchReference(orderRef ref: UInt64) {
        cquorumbook_prefetch_write(_table.slotAddress(ref))
    }

    /// Stage 2: hints the order node the message's reference maps to (its slot is cached by
    /// `prefetchReference`). Nothing for an add: its slot is empty.
    /// - Complexity: O(1).
    @inlinable @inline(__always)
    public func prefetchOrder(_ message: UnsafeRawBufferPointer) {
        guard let ref = Self._referencedOrder(message) else { return }
        prefetchOrder(orderRef: ref)
    }

    /// Stage 2 for a reference already read with `referencedOrder(_:)`.
    @inlinable @inline(__always)
    public func prefetchOrder(orderRef ref: UInt64) {
        // No branch on what the slot holds: whether it is empty (the next add's) or names an
        // order is data the predictor cannot guess. An empty or stale slot yields some node
        // of some live book, a useless but harmless hint.
        guard _bookCount > 0 else { return }
        let h = _table.slot(ref).handle
        cquorumbook_prefetch_write(UnsafeRawPointer(_hintedOrders(h) + Int(h & _table.orderMask)))
    }

    /// The order pool of the book a feed-wide handle names, clamped to the last book for an
    /// empty (`-1`) or out-of-range handle, without a branch. Needs at least one book.
    @inlinable @inline(__always)
    func _hintedOrders(_ h: Int32) -> UnsafeMutablePointer<_Order> {
        // Unsigned: -1 (empty) is above every book, so the min picks the last one.
        let b = Swift.min(UInt32(bitPattern: h) &>> UInt32(truncatingIfNeeded: _table.orderShift),
                          UInt32(truncatingIfNeeded: _bookCount &- 1))
        return _books[Int(b)]._s.orders
    }

    /// Stage 3: hints what removing or reducing the order touches besides its node: its level
    /// and its FIFO neighbours (the node is cached by `prefetchOrder`).
    /// - Complexity: O(1).
    @inlinable @inline(__always)
    public func prefetchQueue(_ message: UnsafeRawBufferPointer) {
        guard let ref = Self._referencedOrder(message) else { return }
        prefetchQueue(orderRef: ref)
    }

    /// Stage 3 for a reference already read with `referencedOrder(_:)`.
    @inlinable @inline(__always)
    public func prefetchQueue(orderRef ref: UInt64) {
        guard _bookCount > 0 else { return }
        // As `prefetchOrder`, no branch on the slot's or the node's contents: every index is
        // clamped into its pool (a `-1` link clamps to the pool's last entry), so a stale,
        // foreign or empty entry just hints some line of this book.
        let h = _table.slot(ref).handle
        let b = Swift.min(UInt32(bitPattern: h) &>> UInt32(truncatingIfNeeded: _table.orderShift),
                          UInt32(truncatingIfNeeded: _bookCount &- 1))
        let storage = _books[Int(b)]._s
        let o = storage.orders[Int(h & _table.orderMask)]
        // Capacities fit in 32 bits (handles are Int32); truncating spares the range checks.
        let lastLevel = UInt32(truncatingIfNeeded: storage.levelCapacity &- 1)  // &- : at least 2 levels
        let lastOrder = UInt32(truncatingIfNeeded: storage.orderCapacity &- 1)  // &- : at least 2 orders
        let level = Swift.min(UInt32(bitPattern: o.level), lastLevel)
        let prev = Swift.min(UInt32(bitPattern: o.prev), lastOrder)
        let next = Swift.min(UInt32(bitPattern: o.next), lastOrder)
        cquorumbook_prefetch_write(UnsafeRawPointer(storage.levels + Int(level)))
        cquorumbook_prefetch_write(UnsafeRawPointer(storage.orders + Int(prev)))
        cquorumbook_prefetch_write(UnsafeRawPointer(storage.orders + Int(next)))
    }
}
