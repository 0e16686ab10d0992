/// NASDAQ's recorded day-file framing: each ITCH message is preceded by its length as a
/// 2-byte big-endian integer (`00 24 41 …` is a 36-byte Add Order).
///
/// Layout:
/// ```
///  0      2                2+len  2+len+2
///  ┌──────┬─────────────────┬──────┬──────────── …
///  │ len  │ message (len B) │ len  │ message
///  └──────┴─────────────────┴──────┴──────────── …
/// ```
public enum ITCHDayFile {
    /// Bytes before each message.
    public static let prefixLength = 2

    /// Walks the framed messages of a buffer without copying them.
    ///
    /// Each `next()` returns the next message's bytes and its byte offset (of the length
    /// prefix) in the buffer. A frame that runs past the end of the buffer is reported once as
    /// `.truncated` with its offset, after which the reader is exhausted; the reader never
    /// decodes, so a bad message body does not stop the walk (the caller decodes and counts).
    ///
    /// Not thread-safe. The buffer must outlive the reader.
    @frozen public struct Reader {
        public let buffer: UnsafeRawBufferPointer
        /// Byte offset of the next length prefix.
        public var position: Int

        @inlinable
        public init(_ buffer: UnsafeRawBufferPointer) {
            self.buffer = buffer
            self.position = 0
        }

        /// The next framed message, nil at the clean end of the buffer.
        /// - Complexity: O(1).
        @inlinable @inline(__always)
        public mutating func next() throws(WireError) -> (offset: Int, bytes: UnsafeRawBufferPointer)? {
            let remaining = buffer.count - position
            if remaining == 0 { return nil }
            let start = position
            guard remaining >= 2, let base = buffer.baseAddress else {
                position = buffer.count
                throw .truncated(offset: start, needed: 2, available: remaining)
            }
            let len = Int(_UnsafeBigEndian.u16(base, start))
            guard remaining - 2 >= len else {
                position = buffer.count
                throw .truncated(offset: start, needed: 2 + len, available: remaining)
            }
            // &+ : start + 2 + len ≤ buffer.count, checked just above.
            position = start &+ 2 &+ len
            return (start, UnsafeRawBufferPointer(start: base + (start &+ 2), count: len))
        }

        /// The next framed message as a validated view (known type, spec length), nil at the
        /// clean end of the buffer. This is the whole of decoding a day file for a reader that
        /// loads fields on demand: framing, the type/length check, a view; nothing is copied.
        ///
        /// A frame whose message is malformed is reported and skipped: the walk goes on with
        /// the next frame.
        /// - Throws: `.truncated` as `next()` for a frame running past the end (the reader is
        ///   then exhausted); for a malformed message, what `ITCHMessageView(validating:)`
        ///   throws, with the offset moved to the message's offset in the buffer.
        /// - Complexity: O(1).
        @inlinable @inline(__always)
        public mutating func nextView() throws(WireError) -> (offset: Int, view: ITCHMessageView)? {
            guard let (offset, bytes) = try next() else { return nil }
            do {
                return (offset, try ITCHMessageView(validating: bytes))
            } catch {
                throw error.shifted(by: offset + ITCHDayFile.prefixLength)
            }
        }
    }

    /// Appends framed messages into a caller-provided buffer.
    ///
    /// Not thread-safe.
    @frozen public struct Writer {
        public let buffer: UnsafeMutableRawBufferPointer
        public var position: Int = 0

        @inlinable
        public init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

        /// Bytes left.
        @inlinable public var available: Int { buffer.count - position }

        /// Writes the prefix and the message; throws `.truncated` (nothing written) when full.
        /// - Complexity: O(1).
        @inlinable
        public mutating func append(_ message: ITCHMessage) throws(WireError) {
            let n = message.length
            guard available >= 2 + n, let base = buffer.baseAddress else {
                throw .truncated(offset: position, needed: 2 + n, available: available)
            }
            _UnsafeBigEndian.put16(base, position, UInt16(n))
            _ = try message.encode(into: UnsafeMutableRawBufferPointer(start: base + position + 2, count: n))
            position += 2 + n
        }

        /// Forgets what was written (after the caller flushed it).
        @inlinable public mutating func reset() { position = 0 }
    }
}
