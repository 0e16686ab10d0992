/// A 10-byte ASCII session identifier, as MoldUDP64 and SoupBinTCP carry it.
///
/// Stored as its raw bytes (8 + 2, big-endian) so that it is a plain value with no
/// references: comparing two sessions is two integer compares.
@frozen public struct SessionID: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt16

    @inlinable public init(high: UInt64, low: UInt16) {
        self.high = high
        self.low = low
    }

    /// Pads on the right with spaces; characters past the tenth are dropped.
    public init(_ text: String) {
        var bytes = Array(text.utf8.prefix(10))
        while bytes.count < 10 { bytes.append(0x20) }
        var h: UInt64 = 0
        for b in bytes[0..<8] { h = h << 8 | UInt64(b) }
        high = h
        low = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
    }

    /// All spaces: "any session" in a SoupBinTCP login request.
    public static let blank = SessionID("")

    @inlinable @inline(__always)
    init(_unchecked p: UnsafeRawPointer, _ offset: Int) {
        high = _UnsafeBigEndian.u64(p, offset)
        low = _UnsafeBigEndian.u16(p, offset + 8)
    }

    @inlinable @inline(__always)
    func _encode(unchecked p: UnsafeMutableRawPointer, _ offset: Int) {
        _UnsafeBigEndian.put64(p, offset, high)
        _UnsafeBigEndian.put16(p, offset + 8, low)
    }

    public var description: String {
        var bytes: [UInt8] = []
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i))) }
        bytes.append(UInt8(low >> 8))
        bytes.append(UInt8(truncatingIfNeeded: low))
        return String(decoding: bytes, as: UTF8.self).trimmingSpaces()
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " || s.last == "\0" { s.removeLast() }
        return String(s)
    }
}
