/// One ITCH 5.0 message read in place: its type and length checked once, its fields loaded
/// only when asked for.
///
/// `ITCHMessage.decode` copies every field of a message (up to 50 bytes) into an enum, which a
/// caller then switches on again. Most readers of a day file want two or three fields of some
/// messages: a view checks what decoding checks — a known type byte and exactly that type's
/// spec length — and then reads each field straight from the caller's bytes with one
/// unaligned big-endian load. `message` still gives the full decoded value when one is wanted,
/// and `body(_:)` a per-type struct.
///
/// The check is a table lookup of the type's spec length (0 for an unknown type) and one
/// compare, so a well-formed message costs no data-dependent branch; the errors are exactly
/// the decoder's.
///
/// A view borrows the caller's bytes: it must not outlive them, and they must not change
/// under it.
@frozen public struct ITCHMessageView {
    /// The message's type byte; the message's `length` bytes are readable from here.
    public let start: UnsafeRawPointer

    /// Checks that `bytes` are exactly one message of a known type at its spec length.
    /// - Throws: what `ITCHMessage.decode(bytes)` throws for the same bytes: `.truncated` for
    ///   an empty buffer or one shorter than its type's spec length, `.unknownType`,
    ///   `.lengthMismatch` for a longer one. Offsets are relative to `bytes`.
    /// - Complexity: O(1); reads one byte and never allocates.
    @inlinable @inline(__always)
    public init(validating bytes: UnsafeRawBufferPointer) throws(WireError) {
        guard let p = bytes.baseAddress, bytes.count > 0 else {
            throw .truncated(offset: 0, needed: 1, available: 0)
        }
        let type = _UnsafeBigEndian.u8(p, 0)
        let expected = ITCH.specLength(type)
        guard expected == bytes.count else { throw Self._error(type, expected, bytes.count) }
        start = p
    }

    /// A view of a message the caller has already checked (type known, `length` bytes
    /// readable at `p`).
    @inlinable @inline(__always)
    public init(_unchecked p: UnsafeRawPointer) { start = p }

    /// Out of line: errors are rare, and building one takes more code than checking.
    @usableFromInline @inline(never)
    static func _error(_ type: UInt8, _ expected: Int, _ actual: Int) -> WireError {
        expected == 0 ? .unknownType(offset: 0, type: type) : ITCHMessage._sizeError(type, expected, actual)
    }

    /// The type byte (`A`, `E`, …). - Complexity: O(1).
    @inlinable public var type: UInt8 { _UnsafeBigEndian.u8(start, 0) }

    /// The spec length of the message's type, which is its length. - Complexity: O(1).
    @inlinable public var length: Int { ITCH.specLength(type) }

    /// The message's bytes. - Complexity: O(1).
    @inlinable public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: start, count: length) }

    /// Bytes 1..<3 of every message. - Complexity: O(1).
    @inlinable public var stockLocate: StockLocate { StockLocate(_UnsafeBigEndian.u16(start, 1)) }

    /// Bytes 5..<11 of every message: nanoseconds since midnight. - Complexity: O(1).
    @inlinable public var timestamp: Timestamp { Timestamp(_UnsafeBigEndian.u48(start, 5)) }

    /// The common header. - Complexity: O(1).
    @inlinable public var header: ITCH.Header { ITCH.Header(_unchecked: start) }

    /// True for the messages that name a resting order by reference at offset 11:
    /// A F E C X D U. - Complexity: O(1), no branch.
    @inlinable public var isOrderMessage: Bool { ITCH.isOrderMessageType(type) }

    /// The (original) order reference of an order message (A F E C X D U), nil for any other
    /// type. - Complexity: O(1).
    @inlinable public var orderRef: OrderRef? {
        isOrderMessage ? OrderRef(_UnsafeBigEndian.u64(start, 11)) : nil
    }

    /// The message as a per-type struct, or nil if it is of another type.
    /// - Complexity: O(1); copies that type's fields.
    @inlinable @inline(__always)
    public func body<M: ITCHMessageBody>(_: M.Type) -> M? {
        type == M.messageType ? M(_unchecked: start) : nil
    }

    /// The whole message, decoded (every field copied).
    /// - Complexity: O(1).
    @inlinable public var message: ITCHMessage {
        // The view was validated, so decoding the same bytes cannot fail.
        try! ITCHMessage.decode(bytes)
    }
}

extension ITCH {
    /// The spec length of a type byte, 0 for a byte that is no ITCH 5.0 type.
    ///
    /// Written as a switch over constants so the optimiser turns it into a lookup in a
    /// constant table (one range check, one load), with no lazily initialised global to check
    /// on each call. `ITCHMessageViewTests` pins it to `ITCHMessage.specLength(ofType:)`.
    /// - Complexity: O(1).
    @inlinable @inline(__always)
    public static func specLength(_ type: UInt8) -> Int {
        switch type {
        case 0x53: return 12  // S
        case 0x52: return 39  // R
        case 0x48: return 25  // H
        case 0x59: return 20  // Y
        case 0x4c: return 26  // L
        case 0x56: return 35  // V
        case 0x57: return 12  // W
        case 0x4b: return 28  // K
        case 0x4a: return 35  // J
        case 0x68: return 21  // h
        case 0x41: return 36  // A
        case 0x46: return 40  // F
        case 0x45: return 31  // E
        case 0x43: return 36  // C
        case 0x58: return 23  // X
        case 0x44: return 19  // D
        case 0x55: return 35  // U
        case 0x50: return 44  // P
        case 0x51: return 40  // Q
        case 0x42: return 19  // B
        case 0x49: return 50  // I
        case 0x4e: return 20  // N
        case 0x4f: return 48  // O
        default: return 0
        }
    }

    /// Whether a type byte is one of the order messages A F E C X D U (the ones that carry an
    /// order reference at offset 11), as a range check and a bit test rather than a switch.
    /// - Complexity: O(1).
    @inlinable @inline(__always)
    public static func isOrderMessageType(_ type: UInt8) -> Bool {
        // &- : a byte below 'A' wraps to a large value, which the range check rejects.
        let d = UInt64(type) &- 0x41
        return d < 64 && (_orderMessageMask &>> d) & 1 == 1
    }

    /// Bit (t − 'A') set for each order message type t in A C D E F U X.
    @inlinable static var _orderMessageMask: UInt64 {
        1 << (0x41 - 0x41) | 1 << (0x43 - 0x41) | 1 << (0x44 - 0x41) | 1 << (0x45 - 0x41)
            | 1 << (0x46 - 0x41) | 1 << (0x55 - 0x41) | 1 << (0x58 - 0x41)
    }
}
