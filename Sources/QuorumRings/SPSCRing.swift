import Atomics
import CURing

/// Offsets in an `SPSCRing`'s storage, in bytes from its (page-aligned) start.
///
/// ```
///  0                 128                          256                          384
///  ├─ producer line ─┼─ consumer line ────────────┼─ padding ──────────────────┼─ slots …
///  │ tail · headCache│ head · tailCache           │ keeps slot 0 off the       │ capacity ×
///  │ · claimed       │                            │ consumer line              │ stride
/// ```
/// `tail` is written only by the producer and `head` only by the consumer; each side
/// keeps a plain cached copy of the other's index on its own line and refreshes it only
/// when the ring looks full (producer) or empty (consumer).
public enum SPSCRingDescriptor {
    public static let tailOffset = 0
    public static let headCacheOffset = 8
    public static let claimedOffset = 16
    public static let headOffset = cacheLinePairSize
    public static let tailCacheOffset = cacheLinePairSize + 8
    public static let slotsOffset = 3 * cacheLinePairSize
}

/// A bounded single-producer single-consumer ring of fixed-size elements.
///
/// Positions are unbounded 64-bit counters; a slot is `position & mask`. The producer
/// publishes with a releasing store of `tail`, the consumer with a releasing store of
/// `head`, each side acquiring the other's counter only when its cached copy says the ring
/// is full or empty — so in steady state a transfer touches no shared line but the slots.
///
/// Thread safety: exactly one thread calls the producer methods (`push`, `claim`,
/// `commit`) and exactly one thread calls the consumer methods (`pop`, `readable`,
/// `release`). Any thread may read `capacity` and `approximateCount`.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    public let capacity: Int
    @usableFromInline let mask: Int
    @usableFromInline let slots: UnsafeMutablePointer<Element>
    @usableFromInline let tail: UnsafeAtomic<Int>
    @usableFromInline let head: UnsafeAtomic<Int>
    /// Producer-owned plain words on the producer line.
    @usableFromInline let headCache: UnsafeMutablePointer<Int>
    @usableFromInline let claimed: UnsafeMutablePointer<Int>
    /// Consumer-owned plain word on the consumer line.
    @usableFromInline let tailCache: UnsafeMutablePointer<Int>
    private let memory: _UnsafeRingMemory

    /// Creates an empty ring.
    /// - Parameters:
    ///   - capacity: a power of two in `1...RingCapacity.maximum`.
    ///   - placement: where the storage lives; NUMA-local to the calling thread by default,
    ///     so create a ring on (or pinned next to) the thread that writes it.
    public init(capacity: Int, placement: MemoryPlacement = .numaLocal) throws(RingError) {
        try RingCapacity.validate(capacity)
        let bytes = SPSCRingDescriptor.slotsOffset + capacity * MemoryLayout<Element>.stride
        let memory = try _UnsafeRingMemory(byteCount: bytes, placement: placement)
        let base = memory.base
        self.capacity = capacity
        self.mask = capacity - 1
        self.tail = _atomicInt(at: base + SPSCRingDescriptor.tailOffset, initialValue: 0)
        self.head = _atomicInt(at: base + SPSCRingDescriptor.headOffset, initialValue: 0)
        self.headCache = (base + SPSCRingDescriptor.headCacheOffset).bindMemory(to: Int.self, capacity: 1)
        self.claimed = (base + SPSCRingDescriptor.claimedOffset).bindMemory(to: Int.self, capacity: 1)
        self.tailCache = (base + SPSCRingDescriptor.tailCacheOffset).bindMemory(to: Int.self, capacity: 1)
        self.slots = (base + SPSCRingDescriptor.slotsOffset).bindMemory(to: Element.self, capacity: capacity)
        self.memory = memory
    }

    // MARK: Producer

    /// Appends one element; returns `false` when the ring is full.
    /// - Complexity: O(1); touches the consumer's line only when the ring looks full.
    @inlinable @inline(__always)
    public func push(_ element: Element) -> Bool {
        // Relaxed: only this thread writes `tail`.
        let position = tail.load(ordering: .relaxed)
        if position &- headCache.pointee == capacity {
            // Acquiring: the consumer's reads of these slots happened before it moved head.
            headCache.pointee = head.load(ordering: .acquiring)
            if position &- headCache.pointee == capacity { return false }
        }
        _tsanWrite(slots + (position & mask), MemoryLayout<Element>.size)
        slots[position & mask] = element
        // Releasing: the slot write becomes visible before the new tail.
        tail.store(position &+ 1, ordering: .releasing)
        return true
    }

    /// Claims up to `count` contiguous free slots for the producer to fill, then publish
    /// with `commit(_:)`. The buffer is empty when the ring is full; it may be shorter than
    /// `count` when fewer slots are free or the run reaches the end of storage.
    /// - Complexity: O(1).
    @inlinable
    public func claim(upTo count: Int) -> UnsafeMutableBufferPointer<Element> {
        let position = tail.load(ordering: .relaxed)
        var free = capacity &- (position &- headCache.pointee)
        if free < count {
            headCache.pointee = head.load(ordering: .acquiring)
            free = capacity &- (position &- headCache.pointee)
        }
        let start = position & mask
        let n = min(count, free, capacity &- start)
        claimed.pointee = max(n, 0)
        return UnsafeMutableBufferPointer(start: slots + start, count: max(n, 0))
    }

    /// Publishes the first `count` slots of the last claim to the consumer.
    /// - Precondition: `count` is at most the size of the last claim.
    @inlinable
    public func commit(_ count: Int) {
        precondition(count >= 0 && count <= claimed.pointee, "commit(\(count)) exceeds the claimed \(claimed.pointee) slots")
        claimed.pointee = 0
        let position = tail.load(ordering: .relaxed)
        _tsanWrite(slots + (position & mask), count * MemoryLayout<Element>.stride)
        // Releasing: the claimed slots' writes become visible before the new tail.
        tail.store(position &+ count, ordering: .releasing)
    }

    // MARK: Consumer

    /// Removes and returns the oldest element, or `nil` when the ring is empty.
    /// - Complexity: O(1); touches the producer's line only when the ring looks empty.
    @inlinable @inline(__always)
    public func pop() -> Element? {
        // Relaxed: only this thread writes `head`.
        let position = head.load(ordering: .relaxed)
        if position == tailCache.pointee {
            // Acquiring: pairs with the producer's releasing tail store.
            tailCache.pointee = tail.load(ordering: .acquiring)
            if position == tailCache.pointee {
                // Empty: start pulling the next slot's line now, so that when the tail
                // moves its cache miss is not followed by a second one for the slot.
                curing_prefetch(slots + (position & mask))
                return nil
            }
        }
        _tsanRead(slots + (position & mask), MemoryLayout<Element>.size)
        let element = slots[position & mask]
        // Releasing: our read of the slot completes before the producer may reuse it.
        head.store(position &+ 1, ordering: .releasing)
        return element
    }

    /// The contiguous run of published elements at the head, up to `count`; empty when the
    /// ring is empty. Read them, then give the slots back with `release(_:)`.
    /// - Complexity: O(1).
    @inlinable
    public func readable(upTo count: Int = .max) -> UnsafeBufferPointer<Element> {
        let position = head.load(ordering: .relaxed)
        if position == tailCache.pointee {
            tailCache.pointee = tail.load(ordering: .acquiring)
        }
        let start = position & mask
        let n = min(count, tailCache.pointee &- position, capacity &- start)
        return UnsafeBufferPointer(start: slots + start, count: n)
    }

    /// Returns `count` slots at the head to the producer.
    /// - Precondition: `count` is at most the length of the last `readable` run.
    @inlinable
    public func release(_ count: Int) {
        let position = head.load(ordering: .relaxed)
        precondition(count >= 0 && position &+ count <= tailCache.pointee, "release(\(count)) exceeds what was readable")
        _tsanRead(slots + (position & mask), count * MemoryLayout<Element>.stride)
        head.store(position &+ count, ordering: .releasing)
    }

    // MARK: Observation

    /// The number of elements in the ring at some instant during the call.
    public var approximateCount: Int {
        let h = head.load(ordering: .acquiring)
        let t = tail.load(ordering: .acquiring)
        return max(0, min(capacity, t &- h))
    }
}
