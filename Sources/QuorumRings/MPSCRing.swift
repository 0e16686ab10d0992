import Atomics

/// Offsets in an `MPSCRing`'s storage, in bytes from its (page-aligned) start.
///
/// ```
///  0                  128                 256
///  ├─ producers' line ┼─ consumer line ───┼─ slots: [ sequence · element ] × capacity …
///  │ tail (CAS)       │ head (plain)      │   whole 64-byte lines per slot (_SlotArray)
/// ```
/// Each slot carries a sequence word that says whose turn it is. For position `p` in
/// slot `p & mask`: `2p` means "free for the producer that claims p", `2p + 1` means
/// "holds p's element, ready for the consumer". Doubling keeps the two states apart even
/// when the capacity is 1 (the classic `p` / `p + 1` scheme cannot tell them apart there).
public enum MPSCRingDescriptor {
    public static let tailOffset = 0
    public static let headOffset = cacheLinePairSize
    public static let slotsOffset = 2 * cacheLinePairSize
    public static let sequenceOffsetInSlot = 0
}

/// A bounded many-producer single-consumer ring of fixed-size elements.
///
/// Producers claim a position with a compare-and-swap on `tail`, write the element, then
/// publish it through the slot's sequence word; the consumer reads slots in position
/// order. Elements from one producer are consumed in the order that producer pushed them;
/// elements from different producers interleave in claim order.
///
/// Thread safety: any number of threads may call `push`; exactly one thread calls `pop`
/// and `drain`.
public final class MPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    public let capacity: Int
    @usableFromInline let slots: _SlotArray<Element>
    @usableFromInline let tail: UnsafeAtomic<Int>
    /// Consumer-owned plain word on the consumer line.
    @usableFromInline let head: UnsafeMutablePointer<Int>
    private let memory: _UnsafeRingMemory

    /// Creates an empty ring; `capacity` is a power of two in `1...RingCapacity.maximum`.
    public init(capacity: Int, placement: MemoryPlacement = .numaLocal) throws(RingError) {
        try RingCapacity.validate(capacity)
        let memory = try _UnsafeRingMemory(
            byteCount: MPSCRingDescriptor.slotsOffset + _SlotArray<Element>.byteCount(capacity: capacity),
            placement: placement)
        let base = memory.base
        self.capacity = capacity
        self.tail = _atomicInt(at: base + MPSCRingDescriptor.tailOffset, initialValue: 0)
        self.head = (base + MPSCRingDescriptor.headOffset).bindMemory(to: Int.self, capacity: 1)
        // 2p: "free for the producer that claims position p".
        self.slots = _SlotArray(base: base + MPSCRingDescriptor.slotsOffset, capacity: capacity) { 2 * $0 }
        self.memory = memory
    }

    /// Appends one element; returns `false` when the ring is full.
    /// - Complexity: O(1) expected; a producer retries its compare-and-swap only when
    ///   another producer claimed the same position first.
    @inlinable
    public func push(_ element: Element) -> Bool {
        // Relaxed: the slot's sequence word, not tail, orders the element's memory.
        var position = tail.load(ordering: .relaxed)
        while true {
            let sequence = slots.sequence(position)
            // Acquiring: the consumer's read of the slot's previous element is complete.
            let turn = sequence.load(ordering: .acquiring) &- 2 &* position
            if turn == 0 {
                let (exchanged, current) = tail.weakCompareExchange(
                    expected: position, desired: position &+ 1, ordering: .relaxed)
                if exchanged {
                    _tsanWrite(slots.element(position), MemoryLayout<Element>.size)
                    slots.element(position).storeBytes(of: element, as: Element.self)
                    // Releasing: the element is visible before the consumer sees "ready".
                    sequence.store(2 &* position &+ 1, ordering: .releasing)
                    return true
                }
                position = current
            } else if turn < 0 {
                // The slot still holds the element from one lap ago: full.
                return false
            } else {
                // Another producer took this position; start again from the current tail.
                position = tail.load(ordering: .relaxed)
            }
        }
    }

    /// Removes and returns the oldest published element, or `nil` when none is ready.
    /// A slot claimed but not yet written by a producer reads as empty until it is.
    /// - Complexity: O(1).
    @inlinable
    public func pop() -> Element? {
        let position = head.pointee
        let sequence = slots.sequence(position)
        // Acquiring: pairs with the producer's releasing "ready" store.
        guard sequence.load(ordering: .acquiring) == 2 &* position &+ 1 else { return nil }
        _tsanRead(slots.element(position), MemoryLayout<Element>.size)
        let element = slots.element(position).load(as: Element.self)
        // Releasing: our read completes before a producer one lap ahead may overwrite.
        sequence.store(2 &* (position &+ capacity), ordering: .releasing)
        head.pointee = position &+ 1
        return element
    }

    /// Pops up to `limit` ready elements into `body`, returning how many it consumed.
    /// - Complexity: O(n) in the number consumed.
    @inlinable
    public func drain(limit: Int = .max, _ body: (Element) -> Void) -> Int {
        var count = 0
        while count < limit, let element = pop() {
            body(element)
            count &+= 1
        }
        return count
    }
}
