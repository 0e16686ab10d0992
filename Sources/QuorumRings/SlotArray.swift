import Atomics

/// The slots the rings share: `capacity` slots, each a sequence word followed by an
/// element, each starting on a cache line of its own (see `SPSCRingDescriptor` for why).
/// What the sequence word means is the ring's business; this type only knows where
/// things are.
@usableFromInline
struct _SlotArray<Element: BitwiseCopyable> {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let mask: Int
    @usableFromInline let stride: Int
    @usableFromInline let elementOffset: Int

    /// Bytes per slot and the element's offset in it: the sequence word first, the
    /// element (rounded up to whole words, which racy word copies need) after it, the
    /// total rounded up to whole 64-byte lines.
    static var layout: (stride: Int, elementOffset: Int) {
        let alignment = max(8, MemoryLayout<Element>.alignment)
        let elementOffset = _roundUp(8, to: alignment)
        let used = elementOffset + _roundUp(MemoryLayout<Element>.size, to: 8)
        return (_roundUp(_roundUp(used, to: 64), to: alignment), elementOffset)
    }

    /// Bytes needed for `capacity` slots.
    static func byteCount(capacity: Int) -> Int { capacity * layout.stride }

    /// Lays the slots out at `base` (at least `byteCount(capacity:)` bytes, 64-byte
    /// aligned) and sets slot i's sequence word to `initialSequence(i)`.
    init(base: UnsafeMutableRawPointer, capacity: Int, initialSequence: (Int) -> Int) {
        let layout = Self.layout
        self.base = base
        self.mask = capacity - 1
        self.stride = layout.stride
        self.elementOffset = layout.elementOffset
        for slot in 0..<capacity {
            _ = _atomicInt(at: base + slot * layout.stride, initialValue: initialSequence(slot))
        }
    }

    /// The sequence word of position `position`'s slot.
    @inlinable @inline(__always)
    func sequence(_ position: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (base + (position & mask) &* stride).assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    /// Where position `position`'s element lives.
    @inlinable @inline(__always)
    func element(_ position: Int) -> UnsafeMutableRawPointer {
        base + ((position & mask) &* stride &+ elementOffset)
    }

    /// Positions `start ..< start + count`, read in place.
    @inlinable @inline(__always)
    func run(from start: Int, count: Int) -> SlotRun<Element> {
        SlotRun(slots: base, mask: mask, slotStride: stride, elementOffset: elementOffset, start: start, count: count)
    }
}
