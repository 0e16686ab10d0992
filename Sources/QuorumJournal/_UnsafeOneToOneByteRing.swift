// A private one-producer/one-consumer byte ring: the hand-off from the hot path to the
// journal loop. It stands in for QuorumRings' SPSCRing until that module lands (swap
// `OneToOneByteRing` in `_JournalShared` for it; the record framing stays here).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Atomics

/// Layout of the control block (two 128-byte lines, so the producer's and the consumer's
/// counters never share a cache line, nor an adjacent-line prefetch pair):
///
///     0    u64 tail   (atomic; written by the producer)   ┐ producer line
///     8    u64 cached head (producer-private)              │
///     16   u64 padding of the pending claim (producer)     ┘
///     128  u64 head   (atomic; written by the consumer)   ┐ consumer line
///     136  u64 cached tail (consumer-private)              ┘
enum _ByteRingControlDescriptor {
    static let size = 256
    static let tailOffset = 0
    static let cachedHeadOffset = 8
    static let pendingPaddingOffset = 16
    static let headOffset = 128
    static let cachedTailOffset = 136
    /// A length word with this value marks the rest of the ring (to its end) as skipped.
    static let paddingMarker: UInt32 = 0xFFFF_FFFF
}

/// The pointer arithmetic of the ring. Positions are byte counts since the start
/// (u64, never wrap in practice: 2^64 bytes); the index in storage is `position & mask`.
/// Entries are 8-aligned, at least 8 bytes, and never straddle the end of storage: a claim
/// that would is preceded by a padding marker. Not thread-safe beyond its one producer and
/// one consumer.
struct _UnsafeOneToOneByteRingHandle: @unchecked Sendable {
    let control: UnsafeMutableRawPointer
    let storage: UnsafeMutableRawPointer
    let capacity: Int
    let mask: Int
    let tail: UnsafeAtomic<UInt64>
    let head: UnsafeAtomic<UInt64>

    static func allocate(capacity: Int) -> _UnsafeOneToOneByteRingHandle {
        precondition(capacity >= 64 && capacity & (capacity - 1) == 0, "ring capacity must be a power of two ≥ 64")
        typealias D = _ByteRingControlDescriptor
        let control = UnsafeMutableRawPointer.allocate(byteCount: D.size, alignment: 128)
        control.initializeMemory(as: UInt8.self, repeating: 0, count: D.size)
        // 2 MiB-aligned and advised as huge pages (where THP is available): a ring of
        // thousands of 4 KiB pages would cost the producer a TLB miss every few appends.
        let hugePage = 2 << 20
        let storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: capacity >= hugePage ? hugePage : 4096)
        if capacity >= hugePage { _ = system_madvise(storage, capacity, MADV_HUGEPAGE) }
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)  // touch every page now, not on the hot path
        let tail = UnsafeAtomic<UInt64>(at: (control + D.tailOffset).bindMemory(to: UInt64.AtomicRepresentation.self, capacity: 1))
        let head = UnsafeAtomic<UInt64>(at: (control + D.headOffset).bindMemory(to: UInt64.AtomicRepresentation.self, capacity: 1))
        return _UnsafeOneToOneByteRingHandle(control: control, storage: storage, capacity: capacity,
                                             mask: capacity - 1, tail: tail, head: head)
    }

    func deallocate() {
        control.deallocate()
        storage.deallocate()
    }

    @inline(__always) private var cachedHead: UInt64 {
        get { control.load(fromByteOffset: _ByteRingControlDescriptor.cachedHeadOffset, as: UInt64.self) }
        nonmutating set { control.storeBytes(of: newValue, toByteOffset: _ByteRingControlDescriptor.cachedHeadOffset, as: UInt64.self) }
    }
    @inline(__always) private var pendingPadding: UInt64 {
        get { control.load(fromByteOffset: _ByteRingControlDescriptor.pendingPaddingOffset, as: UInt64.self) }
        nonmutating set { control.storeBytes(of: newValue, toByteOffset: _ByteRingControlDescriptor.pendingPaddingOffset, as: UInt64.self) }
    }
    @inline(__always) private var cachedTail: UInt64 {
        get { control.load(fromByteOffset: _ByteRingControlDescriptor.cachedTailOffset, as: UInt64.self) }
        nonmutating set { control.storeBytes(of: newValue, toByteOffset: _ByteRingControlDescriptor.cachedTailOffset, as: UInt64.self) }
    }

    // MARK: producer

    /// Room for `size` contiguous bytes (a multiple of 8, at most capacity/2), or nil when full.
    /// Nothing is visible to the consumer until `commit(size)`.
    @inline(__always)
    func claim(_ size: Int) -> UnsafeMutableRawPointer? {
        // relaxed: only this (producer) thread writes tail.
        let position = tail.load(ordering: .relaxed)
        let index = Int(truncatingIfNeeded: position) & mask
        let toEnd = capacity &- index
        let padding = toEnd < size ? toEnd : 0
        let needed = UInt64(truncatingIfNeeded: size &+ padding)
        if position &+ needed &- cachedHead > UInt64(capacity) {  // &: positions only grow, head ≤ tail
            // acquiring: the consumer's reads of the bytes before head are done before we reuse them.
            cachedHead = head.load(ordering: .acquiring)
            if position &+ needed &- cachedHead > UInt64(capacity) { return nil }
        }
        if padding != 0 {
            (storage + index).storeBytes(of: _ByteRingControlDescriptor.paddingMarker, as: UInt32.self)
        }
        pendingPadding = UInt64(truncatingIfNeeded: padding)
        return storage + ((index &+ padding) & mask)
    }

    /// Publishes the `size` bytes written after the last `claim(size)`.
    @inline(__always)
    func commit(_ size: Int) {
        let position = tail.load(ordering: .relaxed)  // relaxed: producer-owned
        // releasing: the entry's bytes (and any padding marker) are visible before the new tail.
        tail.store(position &+ pendingPadding &+ UInt64(truncatingIfNeeded: size), ordering: .releasing)
    }

    /// Free bytes as the producer last saw them (a lower bound).
    var producerFreeBytes: Int {
        // relaxed: producer-owned tail; head acquiring as in claim.
        capacity - Int(tail.load(ordering: .relaxed) &- head.load(ordering: .acquiring))
    }

    // MARK: consumer

    /// The committed bytes from head up to the end of storage or of the data, whichever
    /// is first, with padding markers already skipped. Empty when nothing is committed.
    @inline(__always)
    func readable() -> UnsafeRawBufferPointer {
        // relaxed: only this (consumer) thread writes head.
        var position = head.load(ordering: .relaxed)
        while true {
            if cachedTail == position {
                // acquiring: pairs with commit's releasing store; the entries are complete.
                cachedTail = tail.load(ordering: .acquiring)
                if cachedTail == position { return UnsafeRawBufferPointer(start: nil, count: 0) }
            }
            let index = Int(truncatingIfNeeded: position) & mask
            let available = Int(truncatingIfNeeded: cachedTail &- position)
            let contiguous = min(available, capacity &- index)
            if (storage + index).load(as: UInt32.self) == _ByteRingControlDescriptor.paddingMarker {
                position &+= UInt64(truncatingIfNeeded: capacity &- index)  // &: skip to the start of storage
                // releasing: hand the skipped bytes back (nothing was read from them but the marker).
                head.store(position, ordering: .releasing)
                continue
            }
            return UnsafeRawBufferPointer(start: storage + index, count: contiguous)
        }
    }

    /// Hands `size` bytes at head back to the producer.
    @inline(__always)
    func release(_ size: Int) {
        let position = head.load(ordering: .relaxed)  // relaxed: consumer-owned
        // releasing: our reads of those bytes happen before the producer may overwrite them.
        head.store(position &+ UInt64(truncatingIfNeeded: size), ordering: .releasing)
    }
}

/// A fixed-capacity one-to-one byte ring; owns its memory. Never grows: a full ring makes
/// `claim` return nil. Not thread-safe beyond one producer thread and one consumer thread.
struct OneToOneByteRing: ~Copyable, @unchecked Sendable {
    let handle: _UnsafeOneToOneByteRingHandle

    /// - Complexity: O(capacity) (the storage is zeroed so no page fault lands on the hot path).
    init(capacity: Int) { handle = .allocate(capacity: capacity) }
    deinit { handle.deallocate() }
}
