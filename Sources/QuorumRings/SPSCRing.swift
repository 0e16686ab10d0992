import Atomics
import CURing

/// Offsets in an `SPSCRing`'s storage, in bytes from its (page-aligned) start.
///
/// ```
///  0                  128                 256        384
///  ├─ producer line ──┼─ consumer line ───┼─ pad ────┼─ slots: [ sequence · element ] × capacity …
///  │ tail · headCache │ head              │          │   stride: whole 64-byte lines
///  │ · claimed        │                   │          │
/// ```
/// A slot's sequence word says which position it holds (`p + 1`: "position p is here and
/// ready"). The consumer polls the slot itself, never the producer's `tail`, so handing
/// over one message moves the slot's line and nothing else, as a bare cache-line
/// ping-pong does; polling a separate tail and then reading the slot would cost two
/// transfers in a row. Every slot starts on a line of its own: with several slots to a
/// line, the producer filling slot p + 1 and the consumer reading slot p fight over one
/// line, and throughput swung 5× between runs with how closely the consumer followed
/// (8-byte messages: 85–450 M/s with 16-byte slots, a steady 210–230 M/s with 64-byte
/// ones; 64-byte messages: 17–150 M/s behind a tail cursor, 105–125 M/s sequenced). The
/// producer learns of free slots from `head`, re-read only when its cached copy says the
/// ring is full.
public enum SPSCRingDescriptor {
    public static let tailOffset = 0
    public static let headCacheOffset = 8
    public static let claimedOffset = 16
    public static let headOffset = cacheLinePairSize
    public static let slotsOffset = 3 * cacheLinePairSize
    public static let sequenceOffsetInSlot = 0
}

/// A bounded single-producer single-consumer ring of fixed-size elements.
///
/// Positions are unbounded 64-bit counters; position `p` lives in slot `p & mask`. The
/// producer publishes with a releasing store of the slot's sequence word; the consumer
/// frees slots with a releasing store of `head`. Each slot takes at least a cache line,
/// so a ring of 8-byte messages uses 64 bytes per slot: the price of steady throughput.
///
/// Thread safety: exactly one thread calls the producer methods (`push`, `claim`,
/// `commit`) and exactly one thread calls the consumer methods (`pop`, `readable`,
/// `release`). Any thread may read `capacity` and `approximateCount`.
public final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    public let capacity: Int
    @usableFromInline let slots: _SlotArray<Element>
    /// The producer's next position; only the producer writes it (observers may read;
    /// the consumer does not).
    @usableFromInline let tail: UnsafeAtomic<Int>
    /// The consumer's next position, published for the producer.
    @usableFromInline let head: UnsafeAtomic<Int>
    /// Producer-owned plain words on the producer line.
    @usableFromInline let headCache: UnsafeMutablePointer<Int>
    @usableFromInline let claimed: UnsafeMutablePointer<Int>
    private let memory: _UnsafeRingMemory

    /// Creates an empty ring.
    /// - Parameters:
    ///   - capacity: a power of two in `1...RingCapacity.maximum`.
    ///   - placement: where the storage lives; NUMA-local to the calling thread by default,
    ///     so create a ring on (or pinned next to) the thread that writes it.
    public init(capacity: Int, placement: MemoryPlacement = .numaLocal) throws(RingError) {
        try RingCapacity.validate(capacity)
        let memory = try _UnsafeRingMemory(
            byteCount: SPSCRingDescriptor.slotsOffset + _SlotArray<Element>.byteCount(capacity: capacity),
            placement: placement)
        let base = memory.base
        self.capacity = capacity
        // Sequence 0 means "holds position -1": every slot starts empty.
        self.slots = _SlotArray(base: base + SPSCRingDescriptor.slotsOffset, capacity: capacity) { _ in 0 }
        self.tail = _atomicInt(at: base + SPSCRingDescriptor.tailOffset, initialValue: 0)
        self.head = _atomicInt(at: base + SPSCRingDescriptor.headOffset, initialValue: 0)
        self.headCache = (base + SPSCRingDescriptor.headCacheOffset).bindMemory(to: Int.self, capacity: 1)
        self.claimed = (base + SPSCRingDescriptor.claimedOffset).bindMemory(to: Int.self, capacity: 1)
        self.memory = memory
    }

    /// How many slots are free for the producer, refreshing its view of `head` when
    /// fewer than `wanted` look free.
    @inlinable @inline(__always)
    func _free(at position: Int, wanted: Int) -> Int {
        var free = capacity &- (position &- headCache.pointee)
        if free < wanted {
            // Acquiring: the consumer's reads of these slots happened before it moved head.
            headCache.pointee = head.load(ordering: .acquiring)
            free = capacity &- (position &- headCache.pointee)
        }
        return free
    }

    // MARK: Producer

    /// Appends one element; returns `false` when the ring is full.
    /// - Complexity: O(1); touches the consumer's line only when the ring looks full.
    @inlinable @inline(__always)
    public func push(_ element: Element) -> Bool {
        // Relaxed: only this thread writes `tail`.
        let position = tail.load(ordering: .relaxed)
        if _free(at: position, wanted: 1) < 1 { return false }
        _tsanWrite(slots.element(position), MemoryLayout<Element>.size)
        slots.element(position).storeBytes(of: element, as: Element.self)
        // Releasing: the element is visible before the slot says it is ready.
        slots.sequence(position).store(position &+ 1, ordering: .releasing)
        // Relaxed: tail is the producer's bookkeeping; the consumer never reads it.
        tail.store(position &+ 1, ordering: .relaxed)
        return true
    }

    /// Slots claimed by the producer, to fill and then publish with `commit(_:)`.
    public struct Claim {
        @usableFromInline let ring: SPSCRing
        @usableFromInline let start: Int
        public let count: Int

        @inlinable init(ring: SPSCRing, start: Int, count: Int) {
            self.ring = ring
            self.start = start
            self.count = count
        }

        public var isEmpty: Bool { count == 0 }

        /// Writes the `index`th claimed slot.
        @inlinable
        public subscript(index: Int) -> Element {
            get { ring.slots.element(start &+ index).load(as: Element.self) }
            nonmutating set {
                precondition(index >= 0 && index < count, "claim index \(index) out of 0..<\(count)")
                ring.slots.element(start &+ index).storeBytes(of: newValue, as: Element.self)
            }
        }
    }

    /// Claims up to `count` free slots for the producer to fill, then publish with
    /// `commit(_:)`. The claim is empty when the ring is full, and shorter than `count`
    /// when fewer slots are free.
    /// - Complexity: O(1).
    @inlinable
    public func claim(upTo count: Int) -> Claim {
        let position = tail.load(ordering: .relaxed)
        let n = max(0, min(count, _free(at: position, wanted: count)))
        claimed.pointee = n
        return Claim(ring: self, start: position, count: n)
    }

    /// Publishes the first `count` slots of the last claim to the consumer.
    /// - Precondition: `count` is at most the size of the last claim.
    /// - Complexity: O(count).
    @inlinable
    public func commit(_ count: Int) {
        precondition(count >= 0 && count <= claimed.pointee, "commit(\(count)) exceeds the claimed \(claimed.pointee) slots")
        claimed.pointee = 0
        let position = tail.load(ordering: .relaxed)
        #if QUORUM_TSAN
        for p in position..<(position &+ count) { _tsanWrite(slots.element(p), MemoryLayout<Element>.size) }
        #endif
        for p in position..<(position &+ count) {
            // Releasing: each element is visible before its slot says it is ready.
            slots.sequence(p).store(p &+ 1, ordering: .releasing)
        }
        tail.store(position &+ count, ordering: .relaxed)
    }

    // MARK: Consumer

    /// Removes and returns the oldest element, or `nil` when the ring is empty.
    /// - Complexity: O(1); touches only the slot's line, and its own.
    @inlinable @inline(__always)
    public func pop() -> Element? {
        // Relaxed: only this thread writes `head`.
        let position = head.load(ordering: .relaxed)
        // Acquiring: pairs with the producer's releasing sequence store.
        guard slots.sequence(position).load(ordering: .acquiring) == position &+ 1 else { return nil }
        _tsanRead(slots.element(position), MemoryLayout<Element>.size)
        let element = slots.element(position).load(as: Element.self)
        // Releasing: our read of the slot completes before the producer may reuse it.
        head.store(position &+ 1, ordering: .releasing)
        return element
    }

    /// The published elements at the head, up to `count`; empty when the ring is empty.
    /// - Complexity: O(log n) in the elements returned.
    @inlinable
    public func readable(upTo count: Int = .max) -> SlotRun<Element> {
        let position = head.load(ordering: .relaxed)
        let limit = min(count, capacity)
        let n = _publishedPrefix(from: position, limit: limit) { p in
            // Acquiring: pairs with the producer's releasing sequence store.
            slots.sequence(p).load(ordering: .acquiring) == p &+ 1
        }
        return slots.run(from: position, count: n)
    }

    /// Returns `count` slots at the head to the producer.
    /// - Precondition: those slots are published (as `readable` reported them).
    /// - Complexity: O(1) (O(count) in ThreadSanitizer builds).
    @inlinable
    public func release(_ count: Int) {
        let position = head.load(ordering: .relaxed)
        precondition(count >= 0 && count <= capacity, "release(\(count)) exceeds the capacity \(capacity)")
        #if QUORUM_TSAN
        for p in position..<(position &+ count) { _tsanRead(slots.element(p), MemoryLayout<Element>.size) }
        #endif
        // Releasing: our reads of the slots complete before the producer reuses them.
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
