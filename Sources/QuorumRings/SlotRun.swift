/// Published entries of a ring read in place, without copying them out: positions
/// `start ..< start + count`, each in slot `position & mask` at `elementOffset` within a
/// `slotStride`-byte slot. Read them, then hand the slots back (`release`) before the
/// producer may reuse them; the run must not be kept after that.
public struct SlotRun<Element: BitwiseCopyable>: RandomAccessCollection {
    @usableFromInline let slots: UnsafeMutableRawPointer
    @usableFromInline let mask: Int
    @usableFromInline let slotStride: Int
    @usableFromInline let elementOffset: Int
    @usableFromInline let start: Int
    public let count: Int

    @inlinable
    init(slots: UnsafeMutableRawPointer, mask: Int, slotStride: Int, elementOffset: Int, start: Int, count: Int) {
        self.slots = slots
        self.mask = mask
        self.slotStride = slotStride
        self.elementOffset = elementOffset
        self.start = start
        self.count = count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    /// - Complexity: O(1).
    @inlinable
    public subscript(index: Int) -> Element {
        precondition(index >= 0 && index < count, "run index \(index) out of 0..<\(count)")
        return (slots + (((start &+ index) & mask) &* slotStride &+ elementOffset)).load(as: Element.self)
    }
}
