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
    /// One load from a 256-byte table in read-only data, indexed by the byte: no branch, no
    /// lazily initialised global. (A `switch` over the 23 types was compiled into a jump
    /// table, an indirect branch per message, once the caller's length compare was threaded
    /// into its cases.) `ITCHMessageViewTests` pins every entry to
    /// `ITCHMessage.specLength(ofType:)`.
    /// - Complexity: O(1).
    @inlinable @inline(__always)
    public static func specLength(_ type: UInt8) -> Int {
        Int(_specLengths.utf8Start[Int(type)])
    }

    /// Byte t is the spec length of type t (every length is below 128, so each character is
    /// one UTF-8 byte); 256 bytes, row r holding types 16r ..< 16r + 16.
    @inlinable static var _specLengths: StaticString {
        """
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{24}\u{13}\u{24}\u{13}\u{1f}\u{28}\u{0}\u{19}\u{32}\u{23}\u{1c}\u{1a}\u{0}\u{14}\u{30}\
        \u{2c}\u{28}\u{27}\u{c}\u{0}\u{23}\u{23}\u{c}\u{17}\u{14}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{15}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\
        \u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}
        """
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
