import QuorumBook
import QuorumWire

/// Walks a day file's frames like `ITCHDayFile.Reader`, and before returning each one hints a
/// `BookManager` about the frames a few messages ahead (see `BookManager+Prefetch.swift`), so
/// the cache misses of upcoming order messages overlap with the work on the current one.
///
/// Three trailing readers walk the same buffer ahead of the current one; a frame they cannot
/// read (the end, a truncated tail) just gets no hint. Reading ahead only reads the buffer.
///
/// Not thread-safe. The buffer must outlive the reader.
public struct PrefetchingDayFileReader {
    @usableFromInline var current: ITCHDayFile.Reader
    @usableFromInline var queue: ITCHDayFile.Reader
    @usableFromInline var near: ITCHDayFile.Reader
    @usableFromInline var far: ITCHDayFile.Reader

    public init(_ buffer: UnsafeRawBufferPointer,
                far farDistance: Int = BookManager.prefetchFarDistance,
                near nearDistance: Int = BookManager.prefetchNearDistance,
                queue queueDistance: Int = BookManager.prefetchQueueDistance) {
        current = ITCHDayFile.Reader(buffer)
        queue = current
        near = current
        far = current
        for _ in 0..<queueDistance { _ = try? queue.next() }
        for _ in 0..<nearDistance { _ = try? near.next() }
        for _ in 0..<farDistance { _ = try? far.next() }
    }

    /// Byte offset of the next frame.
    @inlinable public var position: Int { current.position }

    /// The next framed message (as `ITCHDayFile.Reader.next()`), after hinting `manager`.
    /// - Complexity: O(1).
    @inlinable @inline(__always)
    public mutating func next(hinting manager: borrowing BookManager) throws(WireError)
        -> (offset: Int, bytes: UnsafeRawBufferPointer)?
    {
        if let f = try? far.next() { manager.prefetchReference(f.bytes) }
        if let f = try? near.next() { manager.prefetchOrder(f.bytes) }
        if let f = try? queue.next() { manager.prefetchQueue(f.bytes) }
        return try current.next()
    }
}
