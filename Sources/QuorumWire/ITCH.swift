/// NASDAQ TotalView-ITCH 5.0: the namespace for the per-type message structs
/// (`ITCH.AddOrder`, `ITCH.OrderExecuted`, …) generated in `ITCH-Messages.swift`.
public enum ITCH {
    /// The 11 bytes every ITCH 5.0 message starts with, after its type byte.
    @frozen public struct Header: Equatable, Sendable, BitwiseCopyable {
        public var stockLocate: StockLocate
        public var trackingNumber: UInt16
        /// Nanoseconds since midnight; 48 bits on the wire.
        public var timestamp: Timestamp

        @inlinable
        public init(stockLocate: StockLocate, trackingNumber: UInt16 = 0, timestamp: Timestamp) {
            self.stockLocate = stockLocate
            self.trackingNumber = trackingNumber
            self.timestamp = timestamp
        }

        @inlinable @inline(__always)
        public init(_unchecked p: UnsafeRawPointer) {
            stockLocate = StockLocate(_UnsafeBigEndian.u16(p, 1))
            trackingNumber = _UnsafeBigEndian.u16(p, 3)
            timestamp = Timestamp(_UnsafeBigEndian.u48(p, 5))
        }

        @inlinable @inline(__always)
        public func _encode(unchecked p: UnsafeMutableRawPointer) {
            _UnsafeBigEndian.put16(p, 1, stockLocate.rawValue)
            _UnsafeBigEndian.put16(p, 3, trackingNumber)
            _UnsafeBigEndian.put48(p, 5, timestamp.rawValue)
        }
    }

    /// The largest ITCH 5.0 message (NOII, 50 bytes): a buffer this size holds any message.
    public static let maxMessageLength = 50
}

/// What every ITCH message struct provides: its type byte, its spec length, and unchecked
/// read/write of its bytes. The checked entry points are in the extension.
public protocol ITCHMessageBody: Equatable, Sendable, BitwiseCopyable {
    static var messageType: UInt8 { get }
    static var length: Int { get }
    var header: ITCH.Header { get set }
    init(_unchecked p: UnsafeRawPointer)
    func _encode(unchecked p: UnsafeMutableRawPointer)
}

extension ITCHMessageBody {
    /// Decodes a message of this type from exactly `bytes`.
    /// - Complexity: O(1); never allocates.
    @inlinable
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> Self {
        guard let p = bytes.baseAddress, bytes.count >= 1 else {
            throw .truncated(offset: 0, needed: length, available: bytes.count)
        }
        let type = _UnsafeBigEndian.u8(p, 0)
        guard type == messageType else { throw .unknownType(offset: 0, type: type) }
        guard bytes.count == length else { throw ITCHMessage._sizeError(type, length, bytes.count) }
        return Self(_unchecked: p)
    }

    /// Writes the message at the start of `buffer`; returns `length`.
    /// - Complexity: O(1); never allocates.
    @inlinable
    public func encode(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        guard let p = buffer.baseAddress, buffer.count >= Self.length else {
            throw .truncated(offset: 0, needed: Self.length, available: buffer.count)
        }
        _encode(unchecked: p)
        return Self.length
    }
}

extension ITCHMessage {
    /// Shorter than the spec is a truncation; any other difference is a length mismatch.
    @inlinable
    static func _sizeError(_ type: UInt8, _ expected: Int, _ actual: Int) -> WireError {
        actual < expected
            ? .truncated(offset: 0, needed: expected, available: actual)
            : .lengthMismatch(offset: 0, type: type, expected: expected, actual: actual)
    }
}
