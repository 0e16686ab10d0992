// The only place in QuorumWire that touches raw pointers. Every load and store is unaligned
// on purpose: ITCH fields sit at odd offsets (a 2-byte length prefix, a 1-byte type), and
// x86-64 and arm64 both do unaligned loads at full speed.
//
// Callers check the buffer length once at the edge (`WireError.truncated`), then use these
// unchecked accessors; each caller documents the length it checked.

@usableFromInline
enum _UnsafeBigEndian {
    @inlinable @inline(__always)
    static func u8(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }
    @inlinable @inline(__always)
    static func u16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inlinable @inline(__always)
    static func u32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inlinable @inline(__always)
    static func u64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    /// 6-byte timestamp: a 2-byte high part then a 4-byte low part.
    @inlinable @inline(__always)
    static func u48(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(u16(p, offset)) << 32 | UInt64(u32(p, offset + 2))
    }

    @inlinable @inline(__always)
    static func put8(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt8) {
        p.storeBytes(of: v, toByteOffset: offset, as: UInt8.self)
    }
    @inlinable @inline(__always)
    static func put16(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt16) {
        p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inlinable @inline(__always)
    static func put32(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
        p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
    }
    @inlinable @inline(__always)
    static func put64(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt64) {
        p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self)
    }
    /// Writes the low 48 bits; higher bits are dropped (timestamps are < 2^48 by definition).
    @inlinable @inline(__always)
    static func put48(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt64) {
        put16(p, offset, UInt16(truncatingIfNeeded: v >> 32))
        put32(p, offset + 2, UInt32(truncatingIfNeeded: v))
    }
}
