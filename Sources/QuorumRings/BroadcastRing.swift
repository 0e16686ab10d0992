import Atomics

/// Offsets in a `BroadcastRing`'s storage, in bytes from its (page-aligned) start.
///
/// ```
///  0                      128                      128·(1+r)               128·(1+N)
///  ├─ producer line ──────┼─ reader 0 line ────────┼─ … reader r line ─────┼─ slots …
///  │ tail · cursorCache   │ cursor · position ·    │                       │ [ sequence · element ]
///  │                      │ lost                   │                       │ × capacity, whole lines
/// ```
/// A slot's sequence word says what it holds: `2p + 2` "position p, complete", `2p + 1`
/// "position p, being written" (`.lapSlowReaders` only), 0 "nothing yet". Readers poll
/// the slot they want next, not the producer's `tail`, so an entry reaches a reader in
/// one cache-line transfer. `tail` is the producer's position, read by a reader only
/// when it finds it was lapped. Each reader owns one line: `cursor` is what it has
/// published as consumed (the producer reads it in `.waitForSlowest` mode), `position`
/// where it reads next, `lost` how many entries it has been lapped by.
public enum BroadcastRingDescriptor {
    public static let tailOffset = 0
    public static let cursorCacheOffset = 8
    public static func readerOffset(_ reader: Int) -> Int { cacheLinePairSize * (1 + reader) }
    public static let cursorInReader = 0
    public static let positionInReader = 8
    public static let lostInReader = 16
    public static func slotsOffset(readers: Int) -> Int { cacheLinePairSize * (1 + readers) }
    public static let sequenceOffsetInSlot = 0
}

/// One producer, a fixed number of readers, each reading every entry at its own pace.
///
/// In `.waitForSlowest` mode (the default, the Disruptor's semantics) the producer never
/// overwrites an entry some reader has not read: `publish` returns `false` until the
/// slowest reader moves on. In `.lapSlowReaders` mode the producer never waits; a reader
/// that falls a whole ring behind skips to the oldest entry still intact and learns how
/// many it lost. There each slot works as a small seqlock: the producer marks it "being
/// written", copies the entry in with word-sized relaxed atomics and marks it complete;
/// a reader copies it out and checks the mark did not change, so it never returns a
/// torn entry.
///
/// Thread safety: one thread publishes; reader `r` is used by one thread at a time
/// (several readers may share a thread, e.g. as loops on one `LoopRunner`).
public final class BroadcastRing<Element: BitwiseCopyable>: @unchecked Sendable {
    /// What the producer does when the ring is full of entries a reader has not read.
    public enum Overflow: Sendable, Equatable {
        /// Wait (report full) until the slowest reader moves on.
        case waitForSlowest
        /// Overwrite; readers that were lapped skip ahead and count what they lost.
        case lapSlowReaders
    }

    /// What one read produced.
    public enum Read {
        case element(Element)
        /// Nothing new has been published.
        case empty
        /// The reader was lapped: this many entries were overwritten before it read them.
        /// Its next read continues from the oldest intact entry.
        case lost(Int)
    }

    public let capacity: Int
    public let readerCount: Int
    public let overflow: Overflow
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let slots: _SlotArray<Element>
    @usableFromInline let tail: UnsafeAtomic<Int>
    /// Producer-owned plain word: the slowest cursor it last saw.
    @usableFromInline let cursorCache: UnsafeMutablePointer<Int>
    /// A reader publishes its cursor whenever its position crosses a multiple of this
    /// (a power of two) and whenever it catches up.
    @usableFromInline let publishEvery: Int
    private let memory: _UnsafeRingMemory

    /// Creates an empty ring.
    /// - Parameters:
    ///   - capacity: a power of two; at least 2 in `.lapSlowReaders` mode, where the slot
    ///     the producer is overwriting cannot be read, so `capacity - 1` entries are kept.
    ///   - readers: the number of readers, 1...256.
    public init(
        capacity: Int, readers: Int, overflow: Overflow = .waitForSlowest,
        placement: MemoryPlacement = .numaLocal
    ) throws(RingError) {
        try RingCapacity.validate(capacity, minimum: overflow == .lapSlowReaders ? 2 : 1)
        guard (1...256).contains(readers) else {
            throw .invalidReaderCount(readers, allowed: "1...256")
        }
        let slotsOffset = BroadcastRingDescriptor.slotsOffset(readers: readers)
        let memory = try _UnsafeRingMemory(
            byteCount: slotsOffset + _SlotArray<Element>.byteCount(capacity: capacity), placement: placement)
        self.base = memory.base
        self.capacity = capacity
        self.readerCount = readers
        self.overflow = overflow
        // Sequence 0: nothing written yet.
        self.slots = _SlotArray(base: memory.base + slotsOffset, capacity: capacity) { _ in 0 }
        self.tail = _atomicInt(at: memory.base + BroadcastRingDescriptor.tailOffset, initialValue: 0)
        self.cursorCache = (memory.base + BroadcastRingDescriptor.cursorCacheOffset)
            .bindMemory(to: Int.self, capacity: 1)
        for r in 0..<readers {
            _ = _atomicInt(at: memory.base + BroadcastRingDescriptor.readerOffset(r), initialValue: 0)
        }
        self.publishEvery = max(1, capacity / 8)  // a power of two, as capacity is
        self.memory = memory
    }

    @inlinable @inline(__always)
    func _cursor(_ reader: Int) -> UnsafeAtomic<Int> {
        UnsafeAtomic(at: (base + BroadcastRingDescriptor.readerOffset(reader))
            .assumingMemoryBound(to: Int.AtomicRepresentation.self))
    }

    @inlinable @inline(__always)
    func _readerWord(_ reader: Int, _ offset: Int) -> UnsafeMutablePointer<Int> {
        (base + BroadcastRingDescriptor.readerOffset(reader) + offset).assumingMemoryBound(to: Int.self)
    }

    // MARK: Producer

    /// Publishes one entry to every reader. In `.waitForSlowest` mode returns `false`
    /// (and publishes nothing) while the slowest reader is a whole ring behind; in
    /// `.lapSlowReaders` mode always returns `true`.
    /// - Complexity: O(1); O(readers) when the ring looks full and cursors are re-read.
    @inlinable
    public func publish(_ element: Element) -> Bool {
        // Relaxed: only this thread writes `tail`.
        let position = tail.load(ordering: .relaxed)
        let sequence = slots.sequence(position)
        switch overflow {
        case .waitForSlowest:
            if position &- cursorCache.pointee >= capacity {
                cursorCache.pointee = slowestCursor()
                if position &- cursorCache.pointee >= capacity { return false }
            }
            _tsanWrite(slots.element(position), MemoryLayout<Element>.size)
            slots.element(position).storeBytes(of: element, as: Element.self)
        case .lapSlowReaders:
            // Mark the slot "being written", then a releasing fence: a reader whose copy
            // sees any new word also sees this mark when it re-reads the sequence.
            sequence.store(2 &* position &+ 1, ordering: .relaxed)
            atomicMemoryFence(ordering: .releasing)
            _RacyCopy.store(element, to: slots.element(position))
        }
        // Releasing: the entry is visible before its slot says "complete".
        sequence.store(2 &* position &+ 2, ordering: .releasing)
        // Releasing: a lapped reader that reads tail finds the slots before it complete.
        tail.store(position &+ 1, ordering: .releasing)
        return true
    }

    /// The smallest cursor any reader has published.
    @inlinable
    func slowestCursor() -> Int {
        var slowest = Int.max
        for r in 0..<readerCount {
            // Acquiring: the reader finished reading slots before publishing its cursor.
            slowest = min(slowest, _cursor(r).load(ordering: .acquiring))
        }
        return slowest
    }

    // MARK: Readers

    /// Reads reader `reader`'s next entry: `.empty` when nothing is new, `.lost(n)` when
    /// the reader was lapped (its position has already moved to the oldest intact entry).
    /// - Complexity: O(1).
    @inlinable
    public func read(_ reader: Int) -> Read {
        let positionWord = _readerWord(reader, BroadcastRingDescriptor.positionInReader)
        let position = positionWord.pointee
        let sequence = slots.sequence(position)
        let complete = 2 &* position &+ 2
        // Acquiring: pairs with the producer's releasing "complete" store.
        let before = sequence.load(ordering: .acquiring)
        switch overflow {
        case .waitForSlowest:
            guard before == complete else {
                // Caught up: tell the producer how far we got.
                _cursor(reader).store(position, ordering: .releasing)
                return .empty
            }
            _tsanRead(slots.element(position), MemoryLayout<Element>.size)
            let element = slots.element(position).load(as: Element.self)
            positionWord.pointee = position &+ 1
            if (position &+ 1) & (publishEvery &- 1) == 0 {
                // Releasing: our reads of the slots complete before the producer reuses them.
                _cursor(reader).store(position &+ 1, ordering: .releasing)
            }
            return .element(element)
        case .lapSlowReaders:
            if before == complete {
                let element = _RacyCopy.load(Element.self, from: slots.element(position))
                // Acquiring fence, then re-read the sequence: if the producer started
                // rewriting the slot while we copied, the sequence says so.
                atomicMemoryFence(ordering: .acquiring)
                if sequence.load(ordering: .relaxed) == before {
                    positionWord.pointee = position &+ 1
                    return .element(element)
                }
            } else if before < complete {
                // Not written yet (or position p being written right now).
                return .empty
            }
            // The slot holds a later lap: we were overtaken.
            return .lost(_skip(reader, from: position))
        }
    }

    /// The complete entries at reader `reader`'s position, up to `count`. `.waitForSlowest`
    /// mode only: there no entry can change under the reader until it releases it.
    /// - Complexity: O(n) in the entries returned (each slot's sequence is checked).
    @inlinable
    public func readable(_ reader: Int, upTo count: Int = .max) -> SlotRun<Element> {
        precondition(overflow == .waitForSlowest, "in-place runs need .waitForSlowest; use read(_:) when lapping")
        let position = _readerWord(reader, BroadcastRingDescriptor.positionInReader).pointee
        let n = _publishedPrefix(from: position, limit: min(count, capacity)) { p in
            // Acquiring: pairs with the producer's releasing "complete" store.
            slots.sequence(p).load(ordering: .acquiring) == 2 &* p &+ 2
        }
        if n == 0 {
            // Caught up: tell the producer how far we got.
            _cursor(reader).store(position, ordering: .releasing)
        }
        return slots.run(from: position, count: n)
    }

    /// Moves reader `reader` past `count` entries of its last run and publishes its
    /// cursor to the producer.
    /// - Complexity: O(1) (O(count) in ThreadSanitizer builds).
    @inlinable
    public func release(_ reader: Int, _ count: Int) {
        let positionWord = _readerWord(reader, BroadcastRingDescriptor.positionInReader)
        let position = positionWord.pointee
        #if QUORUM_TSAN
        for p in position..<(position &+ count) { _tsanRead(slots.element(p), MemoryLayout<Element>.size) }
        #endif
        positionWord.pointee = position &+ count
        // Releasing: our reads of the slots complete before the producer reuses them.
        _cursor(reader).store(position &+ count, ordering: .releasing)
    }

    /// Moves a lapped reader to the oldest entry not being overwritten.
    @inlinable
    func _skip(_ reader: Int, from position: Int) -> Int {
        // Acquiring: pairs with the producer's releasing tail store.
        let published = tail.load(ordering: .acquiring)
        // With tail t the producer may be writing entry t into the slot of entry t - C,
        // so entries t - C + 1 ... t - 1 are the intact ones.
        let oldest = max(position &+ 1, published &- capacity &+ 1)
        let lost = oldest &- position
        _readerWord(reader, BroadcastRingDescriptor.positionInReader).pointee = oldest
        _readerWord(reader, BroadcastRingDescriptor.lostInReader).pointee &+= lost
        return lost
    }

    /// Entries reader `reader` has lost to lapping since the ring was created. Read it
    /// from the reader's own thread.
    public func lostCount(_ reader: Int) -> Int {
        _readerWord(reader, BroadcastRingDescriptor.lostInReader).pointee
    }

    /// How many entries have been published.
    public var publishedCount: Int { tail.load(ordering: .acquiring) }
}

extension BroadcastRing.Read: Equatable where Element: Equatable {}
