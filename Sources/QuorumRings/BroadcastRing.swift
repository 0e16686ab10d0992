import Atomics

/// Offsets in a `BroadcastRing`'s storage, in bytes from its (page-aligned) start.
///
/// ```
///  0                      128                      128·(1+r)               128·(1+N)
///  ├─ producer line ──────┼─ reader 0 line ────────┼─ … reader r line ─────┼─ slots …
///  │ tail · cursorCache   │ cursor · tailCache ·   │                       │ capacity ×
///  │                      │ position · lost        │                       │ slotStride
/// ```
/// `tail` is the producer's published position. Each reader owns one line: `cursor` is
/// what it has published as consumed (the producer reads it in `.waitForSlowest` mode),
/// `position` is where it will read next, `tailCache` its last view of `tail`, `lost` how
/// many entries it has been lapped by in `.lapSlowReaders` mode.
public enum BroadcastRingDescriptor {
    public static let tailOffset = 0
    public static let cursorCacheOffset = 8
    public static func readerOffset(_ reader: Int) -> Int { cacheLinePairSize * (1 + reader) }
    public static let cursorInReader = 0
    public static let tailCacheInReader = 8
    public static let positionInReader = 16
    public static let lostInReader = 24
    public static func slotsOffset(readers: Int) -> Int { cacheLinePairSize * (1 + readers) }
}

/// One producer, a fixed number of readers, each reading every entry at its own pace.
///
/// In `.waitForSlowest` mode (the default, the Disruptor's semantics) the producer never
/// overwrites an entry some reader has not read: `publish` returns `false` until the
/// slowest reader moves on. In `.lapSlowReaders` mode the producer never waits; a reader
/// that falls a whole ring behind skips to the oldest entry still intact and learns how
/// many it lost. There, entries are copied with word-sized relaxed atomics and validated
/// against `tail` after the copy, like a seqlock, so a reader never returns a torn entry.
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
    @usableFromInline let mask: Int
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let slots: UnsafeMutableRawPointer
    @usableFromInline let slotStride: Int
    @usableFromInline let tail: UnsafeAtomic<Int>
    /// Producer-owned plain word: the slowest cursor it last saw.
    @usableFromInline let cursorCache: UnsafeMutablePointer<Int>
    /// A reader publishes its cursor after this many reads (or when it catches up).
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
        let stride = _roundUp(MemoryLayout<Element>.stride, to: max(8, MemoryLayout<Element>.alignment))
        let slotsOffset = BroadcastRingDescriptor.slotsOffset(readers: readers)
        let memory = try _UnsafeRingMemory(byteCount: slotsOffset + capacity * stride, placement: placement)
        self.base = memory.base
        self.capacity = capacity
        self.readerCount = readers
        self.overflow = overflow
        self.mask = capacity - 1
        self.slotStride = stride
        self.slots = memory.base + slotsOffset
        self.tail = _atomicInt(at: memory.base + BroadcastRingDescriptor.tailOffset, initialValue: 0)
        self.cursorCache = (memory.base + BroadcastRingDescriptor.cursorCacheOffset)
            .bindMemory(to: Int.self, capacity: 1)
        for r in 0..<readers {
            _ = _atomicInt(at: memory.base + BroadcastRingDescriptor.readerOffset(r), initialValue: 0)
        }
        self.publishEvery = max(1, capacity / 8)
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
        let slot = slots + (position & mask) &* slotStride
        switch overflow {
        case .waitForSlowest:
            if position &- cursorCache.pointee >= capacity {
                cursorCache.pointee = slowestCursor()
                if position &- cursorCache.pointee >= capacity { return false }
            }
            _tsanWrite(slot, MemoryLayout<Element>.size)
            slot.storeBytes(of: element, as: Element.self)
        case .lapSlowReaders:
            // Releasing fence before overwriting: a reader whose copy sees any of these
            // words will, after its acquiring fence, also see the tail published before
            // them, and so know this slot was being rewritten.
            atomicMemoryFence(ordering: .releasing)
            _RacyCopy.store(element, to: slot)
        }
        // Releasing: the entry is visible before the new tail.
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
        let tailCache = _readerWord(reader, BroadcastRingDescriptor.tailCacheInReader)
        let position = positionWord.pointee
        switch overflow {
        case .waitForSlowest:
            if position == tailCache.pointee {
                // Tell the producer how far we got before we look for more.
                _cursor(reader).store(position, ordering: .releasing)
                // Acquiring: pairs with the producer's releasing tail store.
                tailCache.pointee = tail.load(ordering: .acquiring)
                if position == tailCache.pointee { return .empty }
            }
            _tsanRead(slots + (position & mask) &* slotStride, MemoryLayout<Element>.size)
            let element = (slots + (position & mask) &* slotStride).load(as: Element.self)
            positionWord.pointee = position &+ 1
            if (position &+ 1) % publishEvery == 0 {
                // Releasing: our read of the slot completes before the producer reuses it.
                _cursor(reader).store(position &+ 1, ordering: .releasing)
            }
            return .element(element)
        case .lapSlowReaders:
            let published = tail.load(ordering: .acquiring)
            if position == published { return .empty }
            if published &- position >= capacity {
                return .lost(_skip(reader, from: position, tail: published))
            }
            let element = _RacyCopy.load(Element.self, from: slots + (position & mask) &* slotStride)
            // Acquiring fence, then re-read tail: if the producer had started rewriting this
            // slot while we copied, the tail we see now says so.
            atomicMemoryFence(ordering: .acquiring)
            let after = tail.load(ordering: .relaxed)
            if after &- position >= capacity {
                return .lost(_skip(reader, from: position, tail: after))
            }
            positionWord.pointee = position &+ 1
            return .element(element)
        }
    }

    /// Moves a lapped reader to the oldest entry not being overwritten.
    @inlinable
    func _skip(_ reader: Int, from position: Int, tail published: Int) -> Int {
        // With tail t the producer may be writing entry t into the slot of entry t - C,
        // so entries t - C + 1 ... t - 1 are the intact ones.
        let oldest = published &- capacity &+ 1
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
