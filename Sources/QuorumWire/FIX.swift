/// FIX 4.4 over raw buffers: the tag numbers, the small enums Quorum speaks, and the inline
/// string type the messages carry.
///
/// A FIX message is `tag=value` fields, each ended by SOH (0x01):
/// ```
///  8=FIX.4.4 · 9=BodyLength · 35=MsgType · 49 · 56 · 34 · 52 [· 43 · 122] · body … · 10=CheckSum
///  └─ not counted ─────────┘└──────────── BodyLength counts these bytes ──────┘└ 3 digits ┘
/// ```
/// CheckSum is the sum of every byte before `10=`, modulo 256, as three digits.
///
/// What lives where:
/// - `FIXEncoder` writes a whole message (header, body, trailer) into a caller's buffer.
/// - `FIXParser` frames, validates and indexes one message in a stream buffer; `FIXMessageView`
///   reads its fields in place.
/// - The message structs (`FIXNewOrderSingle`, `FIXExecutionReport`, …) are plain values that
///   encode and decode through those two.
///
/// Prices are `Price` (4 implied decimals, as in ITCH) written as decimal text; quantities are
/// `Qty` integers. Times are nanoseconds since the Unix epoch (UTC) and travel as
/// `YYYYMMDD-HH:MM:SS.sss`.
public enum FIX {
    /// The largest message `FIXEncoder` can write: every field of every message it knows at
    /// its longest (32-byte strings, 20-digit numbers). Encoders ask for this much room.
    public static let maxMessageLength = 1024
    /// The largest BodyLength the parser accepts before calling a frame garbled.
    public static let maxBodyLength = 8192
    /// `8=FIX.4.4<SOH>`: what the parser resynchronises on.
    public static let beginString: StaticString = "8=FIX.4.4\u{01}"
    public static let soh: UInt8 = 0x01

    /// Tag numbers used by the messages Quorum speaks.
    public enum Tag {
        public static let avgPx = 6
        public static let beginSeqNo = 7
        public static let beginString = 8
        public static let bodyLength = 9
        public static let checkSum = 10
        public static let clOrdID = 11
        public static let cumQty = 14
        public static let endSeqNo = 16
        public static let execID = 17
        public static let lastPx = 31
        public static let lastQty = 32
        public static let msgSeqNum = 34
        public static let msgType = 35
        public static let newSeqNo = 36
        public static let orderID = 37
        public static let orderQty = 38
        public static let ordStatus = 39
        public static let ordType = 40
        public static let origClOrdID = 41
        public static let possDupFlag = 43
        public static let price = 44
        public static let refSeqNum = 45
        public static let senderCompID = 49
        public static let sendingTime = 52
        public static let side = 54
        public static let symbol = 55
        public static let targetCompID = 56
        public static let text = 58
        public static let timeInForce = 59
        public static let transactTime = 60
        public static let encryptMethod = 98
        public static let cxlRejReason = 102
        public static let ordRejReason = 103
        public static let heartBtInt = 108
        public static let testReqID = 112
        public static let origSendingTime = 122
        public static let gapFillFlag = 123
        public static let resetSeqNumFlag = 141
        public static let execType = 150
        public static let leavesQty = 151
        public static let refTagID = 371
        public static let refMsgType = 372
        public static let sessionRejectReason = 373
        public static let cxlRejResponseTo = 434
    }
}

/// MsgType (35): the thirteen messages Quorum speaks. Raw value is the one ASCII byte.
@frozen public enum FIXMsgType: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case heartbeat = 0x30  // '0'
    case testRequest = 0x31  // '1'
    case resendRequest = 0x32  // '2'
    case reject = 0x33  // '3'
    case sequenceReset = 0x34  // '4'
    case logout = 0x35  // '5'
    case executionReport = 0x38  // '8'
    case orderCancelReject = 0x39  // '9'
    case logon = 0x41  // 'A'
    case newOrderSingle = 0x44  // 'D'
    case orderCancelRequest = 0x46  // 'F'
    case orderCancelReplaceRequest = 0x47  // 'G'
    case orderStatusRequest = 0x48  // 'H'

    /// Session-level (administrative) messages are never resent; a gap fill covers them.
    @inlinable public var isAdmin: Bool {
        switch self {
        case .heartbeat, .testRequest, .resendRequest, .reject, .sequenceReset, .logout, .logon: return true
        default: return false
        }
    }
}

/// Side (54).
@frozen public enum FIXSide: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case buy = 0x31  // '1'
    case sell = 0x32  // '2'
    case sellShort = 0x35  // '5'
}

/// OrdType (40).
@frozen public enum FIXOrdType: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case market = 0x31  // '1'
    case limit = 0x32  // '2'
}

/// TimeInForce (59).
@frozen public enum FIXTimeInForce: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case day = 0x30  // '0'
    case goodTillCancel = 0x31  // '1'
    case immediateOrCancel = 0x33  // '3'
    case fillOrKill = 0x34  // '4'
}

/// ExecType (150), FIX 4.4 values.
@frozen public enum FIXExecType: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case new = 0x30  // '0'
    case doneForDay = 0x33  // '3'
    case canceled = 0x34  // '4'
    case replaced = 0x35  // '5'
    case pendingCancel = 0x36  // '6'
    case rejected = 0x38  // '8'
    case pendingNew = 0x41  // 'A'
    case expired = 0x43  // 'C'
    case pendingReplace = 0x45  // 'E'
    case trade = 0x46  // 'F'
    case orderStatus = 0x49  // 'I'
}

/// OrdStatus (39).
@frozen public enum FIXOrdStatus: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case new = 0x30  // '0'
    case partiallyFilled = 0x31  // '1'
    case filled = 0x32  // '2'
    case doneForDay = 0x33  // '3'
    case canceled = 0x34  // '4'
    case replaced = 0x35  // '5' (no longer used in 4.4, still accepted)
    case pendingCancel = 0x36  // '6'
    case rejected = 0x38  // '8'
    case pendingNew = 0x41  // 'A'
    case expired = 0x43  // 'C'
    case pendingReplace = 0x45  // 'E'
}

/// CxlRejResponseTo (434).
@frozen public enum FIXCxlRejResponseTo: UInt8, Sendable, BitwiseCopyable, CaseIterable {
    case cancelRequest = 0x31  // '1'
    case cancelReplaceRequest = 0x32  // '2'
}

/// SessionRejectReason (373): why a well-framed message was rejected.
@frozen public enum FIXSessionRejectReason: Int, Sendable, BitwiseCopyable, CaseIterable {
    case invalidTagNumber = 0
    case requiredTagMissing = 1
    case tagNotDefinedForMessageType = 2
    case undefinedTag = 3
    case tagSpecifiedWithoutValue = 4
    case valueIncorrect = 5
    case incorrectDataFormat = 6
    case compIDProblem = 9
    case sendingTimeAccuracyProblem = 10
    case invalidMsgType = 11
    case tagAppearsMoreThanOnce = 13
    case tagOutOfRequiredOrder = 14
    case other = 99
}

/// A short ASCII string stored inline (up to 32 bytes): CompIDs, ClOrdIDs, OrderIDs, ExecIDs,
/// symbols, TestReqIDs, short texts. A plain value with no references, so messages that carry
/// it copy without retain/release or allocation.
@frozen public struct FIXString: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public static let capacity = 32
    @usableFromInline var _words: (UInt64, UInt64, UInt64, UInt64)
    @usableFromInline var _count: UInt8

    /// The empty string.
    @inlinable public init() {
        _words = (0, 0, 0, 0)
        _count = 0
    }

    /// Copies `bytes`; nil when they are longer than `capacity`.
    @inlinable public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= FIXString.capacity else { return nil }
        self.init()
        _count = UInt8(bytes.count)
        if bytes.count > 0 {
            withUnsafeMutableBytes(of: &_words) { $0.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        }
    }

    /// The `count` (≤ `capacity`) bytes at `p`, read as four whole words: `p` must have
    /// `capacity` readable bytes. The bytes past `count` are masked to zero, as in every
    /// `FIXString`.
    @inlinable @inline(__always)
    init(_loading p: UnsafeRawPointer, count: Int) {
        @inline(__always) func word(_ k: Int) -> UInt64 {
            let w = p.loadUnaligned(fromByteOffset: k &* 8, as: UInt64.self).littleEndian
            let keep = count &- k &* 8
            if keep >= 8 { return w.littleEndian }
            if keep <= 0 { return 0 }
            return (w & ((1 &<< UInt64(keep &* 8)) &- 1)).littleEndian
        }
        _words = (word(0), word(1), word(2), word(3))
        _count = UInt8(truncatingIfNeeded: count)
    }

    /// Copies the UTF-8 of `text`, dropping what is past `capacity` bytes (set-up time only).
    public init(_ text: String) {
        self.init()
        var t = text
        t.withUTF8 { u in
            let n = min(u.count, FIXString.capacity)
            _count = UInt8(n)
            withUnsafeMutableBytes(of: &_words) { w in
                for i in 0..<n { w[i] = u[i] }
            }
        }
    }

    public init(stringLiteral value: String) { self.init(value) }

    /// The decimal digits of `value` (ClOrdIDs numbered by the order manager); no allocation.
    @inlinable public init(decimal value: UInt64) {
        self.init()
        let n = _FIXDigits.count(value)
        _count = UInt8(n)
        withUnsafeMutableBytes(of: &_words) { _FIXDigits.write(value, count: n, at: $0.baseAddress!) }
    }

    @inlinable public var count: Int { Int(_count) }
    @inlinable public var isEmpty: Bool { _count == 0 }

    /// Calls `body` with the bytes (valid only inside `body`).
    @inlinable public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: _words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(_count)])) }
    }

    @inlinable public static func == (a: FIXString, b: FIXString) -> Bool {
        a._count == b._count && a._words.0 == b._words.0 && a._words.1 == b._words.1
            && a._words.2 == b._words.2 && a._words.3 == b._words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(_count)
        hasher.combine(_words.0)
        hasher.combine(_words.1)
        hasher.combine(_words.2)
        hasher.combine(_words.3)
    }

    public var description: String { withBytes { String(decoding: $0, as: UTF8.self) } }
}

/// Decimal digits of unsigned integers, written without building strings.
@usableFromInline enum _FIXDigits {
    /// How many decimal digits `v` has: compares against powers of ten, small values first
    /// (sequence numbers, quantities and ClOrdIDs are short), instead of dividing per digit.
    @inlinable @inline(__always)
    static func count(_ v: UInt64) -> Int {
        if v < 10_000 {
            if v < 100 { return v < 10 ? 1 : 2 }
            return v < 1000 ? 3 : 4
        }
        if v < 100_000_000 {
            if v < 1_000_000 { return v < 100_000 ? 5 : 6 }
            return v < 10_000_000 ? 7 : 8
        }
        return _countLong(v)
    }

    @usableFromInline static func _countLong(_ v: UInt64) -> Int {
        var n = 9
        var limit: UInt64 = 1_000_000_000
        while n < 20 && v >= limit {
            limit &*= 10
            n &+= 1
        }
        return n
    }

    /// Two ASCII digits of `v` (0...99) as a little-endian 16-bit word: tens first.
    @inlinable @inline(__always)
    static func pair(_ v: UInt64) -> UInt16 {
        let hi = (v &* 103) >> 10  // v / 10 for v < 100
        let lo = v &- hi &* 10
        return UInt16(truncatingIfNeeded: (hi | (lo << 8)) &+ 0x3030)
    }

    /// Writes exactly `count` digits of `v` (left-padded with zeros) at `p`, two per step.
    @inlinable @inline(__always)
    static func write(_ v: UInt64, count: Int, at p: UnsafeMutableRawPointer) {
        var x = v
        var i = count
        while i >= 2 {
            let q = x / 100
            p.storeBytes(of: pair(x &- q &* 100).littleEndian, toByteOffset: i &- 2, as: UInt16.self)
            x = q
            i &-= 2
        }
        if i == 1 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: x % 10) &+ 0x30, as: UInt8.self)
        }
    }
}
