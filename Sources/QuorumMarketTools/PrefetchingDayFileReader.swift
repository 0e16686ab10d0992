import QuorumBook
import QuorumWire

/// Walks a day file's frames like `ITCHDayFile.Reader`, and before returning each one hints a
/// `BookManager` about the frames a few messages ahead (see `BookManager+Prefetch.swift`), so
/// the cache misses of upcoming order messages overlap with the work on the current one.
///
/// One look-ahead cursor walks the frames `far` messages ahead of the current one and reads
/// each frame's order reference once, into a ring of the last 16; the near and queue stages
/// take their references from the ring instead of walking and parsing the frames again. A
/// frame the cursor cannot read (the end, a truncated tail) just gets no hint. Reading ahead
/// only reads the buffer.
///
/// With `shards`, the reader keeps to one shard's symbols (`LocateShards`): both cursors
/// pass over other shards' frames, so `next` returns only this shard's and the prefetch
/// distances count its messages alone; `framesRead` still counts every frame.
///
/// Not thread-safe. The buffer (and `shards`) must outlive the reader.
public struct PrefetchingDayFileReader {
    @usableFromInline var current: ITCHDayFile.Reader
    /// Byte offset of the next frame the look-ahead cursor reads.
    @usableFromInline var ahead: Int
    /// Frames read by the look-ahead cursor so far.
    @usableFromInline var aheadCount: Int
    /// `ref[i & 15]`: the order reference of look-ahead frame `i`, `noRef` if it has none.
    @usableFromInline var refs: _RefRing
    @usableFromInline let farDistance: Int
    @usableFromInline let nearLag: Int
    @usableFromInline let queueLag: Int
    /// The shard of every stock locate and this reader's shard; nil: every frame is ours.
    @usableFromInline let shardOfLocate: UnsafePointer<UInt8>?
    @usableFromInline let shard: UInt8
    /// With shards, per look-ahead entry: the byte offset of its frame and the frame's
    /// index in the file (for the end entry: where the cursor stopped, frames passed) — the
    /// current cursor jumps there instead of framing the other shards' messages again.
    @usableFromInline var offsets: _RefRing
    @usableFromInline var indexes: _RefRing
    /// Frames the look-ahead cursor has passed (with shards).
    @usableFromInline var aheadFrames: Int
    /// With shards: frames the current cursor has passed, this shard's or not (a frame
    /// `next` returns is frame `framesRead - 1` of the file). Without: 0.
    @usableFromInline var _framesRead: Int
    public var framesRead: Int { _framesRead }

    /// The ring's sentinel: the frame names no order (a real reference this large would only
    /// cost a useless hint).
    @usableFromInline static var noRef: UInt64 { .max }

    /// - Parameters:
    ///   - far, near, queue: distances in messages ahead of the current one, each at most 15,
    ///     with `far ≥ near ≥ queue`; larger values are clamped.
    ///   - shards, shard: keep to the frames of `shard`; nil: every frame.
    public init(_ buffer: UnsafeRawBufferPointer,
                far farDistance: Int = BookManager.prefetchFarDistance,
                near nearDistance: Int = BookManager.prefetchNearDistance,
                queue queueDistance: Int = BookManager.prefetchQueueDistance,
                shards: LocateShards? = nil, shard: Int = 0) {
        current = ITCHDayFile.Reader(buffer)
        shardOfLocate = shards.map { UnsafePointer($0.shardOfLocate) }
        self.shard = UInt8(truncatingIfNeeded: shard)
        _framesRead = 0
        ahead = 0
        aheadCount = 0
        refs = _RefRing()
        offsets = _RefRing()
        indexes = _RefRing()
        aheadFrames = 0
        let far = Swift.min(Swift.max(farDistance, 0), 15)
        let near = Swift.min(Swift.max(nearDistance, 0), far)
        let queue = Swift.min(Swift.max(queueDistance, 0), near)
        self.farDistance = far
        nearLag = far - near
        queueLag = far - queue
        // Fill the ring with the first `far` frames; their early stages are simply skipped.
        for _ in 0..<far { _ = _readAhead() }
    }

    /// Byte offset of the next frame.
    @inlinable public var position: Int { current.position }

    /// Reads the next frame at the look-ahead cursor into the ring; returns its reference.
    @inlinable @inline(__always)
    mutating func _readAhead() -> UInt64 {
        let buffer = current.buffer
        var ref = Self.noRef
        var at = ahead
        while buffer.count - ahead >= 2, let base = buffer.baseAddress {
            at = ahead
            let len = Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: ahead, as: UInt16.self)))
            guard buffer.count - ahead - 2 >= len else {
                // The current cursor reads the truncated frame itself, and reports it.
                ahead = buffer.count
                break
            }
            let message = UnsafeRawBufferPointer(start: base + ahead + 2, count: len)
            ahead += 2 + len
            if shardOfLocate == nil {
                ref = BookManager.referencedOrder(message) ?? Self.noRef
                break
            }
            aheadFrames &+= 1
            if _owns(message) {
                ref = BookManager.referencedOrder(message) ?? Self.noRef
                offsets[aheadCount] = UInt64(at)
                indexes[aheadCount] = UInt64(aheadFrames &- 1)
                refs[aheadCount] = ref
                aheadCount &+= 1
                return ref
            }
            at = ahead
        }
        if shardOfLocate != nil {
            // The end entry: the clean end, or the truncated frame at `at`.
            offsets[aheadCount] = UInt64(at)
            indexes[aheadCount] = UInt64(aheadFrames)
            // Once the bad tail is handed out, later entries are the clean end.
            ahead = buffer.count
        }
        refs[aheadCount] = ref
        aheadCount &+= 1  // &+= : one per frame of the buffer
        return ref
    }

    /// The next framed message (as `ITCHDayFile.Reader.next()`), after hinting `manager`.
    /// - Complexity: O(1).
    @inlinable @inline(__always)
    public mutating func next(hinting manager: borrowing BookManager) throws(WireError)
        -> (offset: Int, bytes: UnsafeRawBufferPointer)?
    {
        let i = aheadCount
        let far = _readAhead()
        if far != Self.noRef { manager.prefetchReference(orderRef: far) }
        let near = refs[i &- nearLag]  // &- : a lag before the first frame reads a noRef slot
        if near != Self.noRef { manager.prefetchOrder(orderRef: near) }
        let queue = refs[i &- queueLag]
        if queue != Self.noRef { manager.prefetchQueue(orderRef: queue) }
        guard shardOfLocate != nil else { return try current.next() }
        // This shard's next frame is where the look-ahead found it, `far` entries back.
        let k = i &- farDistance
        current.position = Int(offsets[k])
        _framesRead = Int(indexes[k])
        let frame = try current.next()
        if frame != nil { _framesRead &+= 1 }
        return frame
    }

    /// Whether `message` is this reader's: always without shards; else its locate's shard
    /// is this one (shard 0 for a message too short to name a locate).
    @inlinable @inline(__always)
    func _owns(_ message: UnsafeRawBufferPointer) -> Bool {
        guard let shardOfLocate else { return true }
        let locate = message.count >= 3
            ? Int(UInt16(bigEndian: message.baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: 1, as: UInt16.self)))
            : 0
        return shardOfLocate[locate] == shard
    }
}

/// Sixteen references in place (no allocation), indexed modulo 16.
@usableFromInline
struct _RefRing {
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    @inlinable
    init() {
        let n = PrefetchingDayFileReader.noRef
        storage = (n, n, n, n, n, n, n, n, n, n, n, n, n, n, n, n)
    }

    // Both accessors go through the tuple's own storage in place: a non-mutating
    // `withUnsafeBytes(of:)` would copy all 128 bytes first.
    @inlinable
    subscript(i: Int) -> UInt64 {
        @inline(__always) mutating get {
            withUnsafeMutableBytes(of: &storage) { $0.load(fromByteOffset: (i & 15) &<< 3, as: UInt64.self) }
        }
        @inline(__always) set {
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: (i & 15) &<< 3, as: UInt64.self) }
        }
    }
}
