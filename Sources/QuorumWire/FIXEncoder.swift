/// The standard header fields Quorum writes, in this order after 8/9/35:
/// 49 SenderCompID, 56 TargetCompID, 34 MsgSeqNum, 52 SendingTime, then 43 PossDupFlag=Y and
/// 122 OrigSendingTime when the message is a resend.
@frozen public struct FIXHeader: Equatable, Sendable, BitwiseCopyable {
    public var senderCompID: FIXString
    public var targetCompID: FIXString
    public var msgSeqNum: UInt64
    /// Nanoseconds since the Unix epoch, UTC; written to the millisecond.
    public var sendingTime: UInt64
    public var possDupFlag: Bool
    /// Written (as 122) only with `possDupFlag`.
    public var origSendingTime: UInt64

    @inlinable
    public init(senderCompID: FIXString, targetCompID: FIXString, msgSeqNum: UInt64, sendingTime: UInt64,
                possDupFlag: Bool = false, origSendingTime: UInt64 = 0) {
        self.senderCompID = senderCompID
        self.targetCompID = targetCompID
        self.msgSeqNum = msgSeqNum
        self.sendingTime = sendingTime
        self.possDupFlag = possDupFlag
        self.origSendingTime = origSendingTime
    }
}

/// A message body Quorum can encode and decode. The encoder writes the header, calls
/// `_writeFields` for the body, then the trailer; `init(_:)` reads a body back from a message
/// the parser has validated (every required tag present, every value well-formed).
public protocol FIXMessageBody: Equatable, Sendable {
    static var msgType: FIXMsgType { get }
    func _writeFields(_ w: inout _FIXWriter)
    init(_ message: borrowing FIXMessageView)
}

/// Appends `tag=value<SOH>` fields at a cursor. Unchecked: `FIXEncoder` checks once that the
/// buffer has `FIX.maxMessageLength` bytes, which bounds everything a message can write.
@frozen public struct _FIXWriter {
    public let base: UnsafeMutableRawPointer
    public var position: Int
    /// The millisecond of the last time written and where its text is: SendingTime and
    /// TransactTime are the same millisecond almost always, so the second copies 21 bytes.
    @usableFromInline var _lastMillis: UInt64 = .max
    @usableFromInline var _lastTimePosition = 0

    @inlinable @inline(__always)
    public init(_ base: UnsafeMutableRawPointer, position: Int) {
        self.base = base
        self.position = position
    }

    @inlinable @inline(__always)
    mutating func byte(_ b: UInt8) {
        base.storeBytes(of: b, toByteOffset: position, as: UInt8.self)
        position &+= 1
    }

    /// `tag=`; tags are at most 4 digits. For a constant tag (every call in the messages) the
    /// digits and '=' fold into one constant store; the byte past them is overwritten by the
    /// value that follows.
    @inlinable @inline(__always)
    public mutating func tag(_ t: Int) {
        let p = base + position
        let v = UInt32(truncatingIfNeeded: t)
        if t < 10 {
            p.storeBytes(of: UInt16(truncatingIfNeeded: 0x3D30 | v).littleEndian, as: UInt16.self)
            position &+= 2
        } else if t < 100 {
            p.storeBytes(of: (0x3D_3030 | (v / 10) | ((v % 10) << 8)).littleEndian, as: UInt32.self)
            position &+= 3
        } else if t < 1000 {
            p.storeBytes(of: (0x3D30_3030 | (v / 100) | ((v / 10 % 10) << 8) | ((v % 10) << 16)).littleEndian,
                         as: UInt32.self)
            position &+= 4
        } else {
            let w = UInt64(0x3D_3030_3030) | UInt64(v / 1000) | UInt64(v / 100 % 10) << 8
                | UInt64(v / 10 % 10) << 16 | UInt64(v % 10) << 24
            p.storeBytes(of: w.littleEndian, as: UInt64.self)
            position &+= 5
        }
    }

    @inlinable @inline(__always)
    public mutating func uint(_ t: Int, _ v: UInt64) {
        tag(t)
        let n = _FIXDigits.count(v)
        _FIXDigits.write(v, count: n, at: base + position)
        position &+= n
        byte(FIX.soh)
    }

    @inlinable @inline(__always)
    public mutating func char(_ t: Int, _ c: UInt8) {
        tag(t)
        byte(c)
        byte(FIX.soh)
    }

    @inlinable @inline(__always)
    public mutating func bool(_ t: Int, _ v: Bool) { char(t, v ? 0x59 : 0x4E) }  // 'Y' / 'N'

    @inlinable @inline(__always)
    public mutating func string(_ t: Int, _ s: FIXString) {
        tag(t)
        // All 32 bytes in four stores (the buffer has room: FIX.maxMessageLength); the bytes
        // past the string are overwritten by what follows.
        let q = base + position
        q.storeBytes(of: s._words.0, as: UInt64.self)
        q.storeBytes(of: s._words.1, toByteOffset: 8, as: UInt64.self)
        q.storeBytes(of: s._words.2, toByteOffset: 16, as: UInt64.self)
        q.storeBytes(of: s._words.3, toByteOffset: 24, as: UInt64.self)
        position &+= s.count
        byte(FIX.soh)
    }

    @inlinable @inline(__always)
    public mutating func qty(_ t: Int, _ q: Qty) { uint(t, UInt64(q.rawValue)) }

    /// The price as decimal text: the whole part, then up to 4 decimals without trailing zeros
    /// (`911400` → `91.14`, `10000` → `1`).
    @inlinable @inline(__always)
    public mutating func price(_ t: Int, _ p: Price) {
        tag(t)
        let whole = UInt64(p.rawValue / 10_000)
        var frac = UInt64(p.rawValue % 10_000)
        let n = _FIXDigits.count(whole)
        _FIXDigits.write(whole, count: n, at: base + position)
        position &+= n
        if frac != 0 {
            var digits = 4
            while frac % 10 == 0 {
                frac /= 10
                digits &-= 1
            }
            byte(0x2E)  // '.'
            _FIXDigits.write(frac, count: digits, at: base + position)
            position &+= digits
        }
        byte(FIX.soh)
    }

    @inlinable @inline(__always)
    public mutating func time(_ t: Int, _ nanos: UInt64) {
        tag(t)
        let millis = nanos / 1_000_000
        let p = base + position
        if millis == _lastMillis {
            let q = UnsafeRawPointer(base + _lastTimePosition)
            p.storeBytes(of: q.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
            p.storeBytes(of: q.loadUnaligned(fromByteOffset: 13, as: UInt64.self), toByteOffset: 13, as: UInt64.self)
        } else {
            FIXTime.writeDate(days: Int64(millis / 86_400_000), at: p)
            FIXTime.writeTimeOfDay(nanos, at: p + 8)
            _lastMillis = millis
            _lastTimePosition = position
        }
        position &+= FIXTime.length
        byte(FIX.soh)
    }
}

/// Writes whole FIX 4.4 messages into caller-provided buffers. Stateless; never allocates.
public enum FIXEncoder {
    /// `8=FIX.4.4<SOH>9=` and the three BodyLength digits most messages need, then SOH: the
    /// body is written from here and moved only when its length is not three digits.
    @usableFromInline static let _bodyOffset = 16

    /// Encodes `body` with `header` at the start of `buffer`; returns the bytes written, or 0
    /// when `buffer` is shorter than `FIX.maxMessageLength` (nothing is written then).
    /// - Complexity: O(message length); no allocation.
    @inlinable
    public static func encode<M: FIXMessageBody>(_ body: M, header: FIXHeader,
                                                 into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var bodyFieldsStart = 0
        return encode(body, header: header, into: buffer, bodyFieldsStart: &bodyFieldsStart)
    }

    /// As `encode(_:header:into:)`, and reports where the body's own fields (after the header)
    /// start in the written message, so a resend store can keep just those bytes.
    @inlinable
    public static func encode<M: FIXMessageBody>(_ body: M, header: FIXHeader,
                                                 into buffer: UnsafeMutableRawBufferPointer,
                                                 bodyFieldsStart: inout Int) -> Int {
        guard buffer.count >= FIX.maxMessageLength, let base = buffer.baseAddress else { return 0 }
        var w = _FIXWriter(base, position: _bodyOffset)
        writeHeader(&w, M.msgType, header)
        bodyFieldsStart = w.position
        body._writeFields(&w)
        let shift = finish(base, bodyEnd: w.position)
        bodyFieldsStart -= shift
        return w.position - shift + 7
    }

    /// Encodes a message whose body fields are already encoded (a resend from a store):
    /// header, then `bodyFields` verbatim, then the trailer. Returns 0 when it cannot fit.
    @inlinable
    public static func encode(msgType: FIXMsgType, header: FIXHeader, bodyFields: UnsafeRawBufferPointer,
                              into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard bodyFields.count <= FIX.maxMessageLength, buffer.count >= FIX.maxMessageLength + bodyFields.count,
            let base = buffer.baseAddress
        else { return 0 }
        var w = _FIXWriter(base, position: _bodyOffset)
        writeHeader(&w, msgType, header)
        if bodyFields.count > 0 {
            (base + w.position).copyMemory(from: bodyFields.baseAddress!, byteCount: bodyFields.count)
            w.position += bodyFields.count
        }
        let shift = finish(base, bodyEnd: w.position)
        return w.position - shift + 7
    }

    @inlinable @inline(__always)
    static func writeHeader(_ w: inout _FIXWriter, _ type: FIXMsgType, _ h: FIXHeader) {
        w.char(FIX.Tag.msgType, type.rawValue)
        w.string(FIX.Tag.senderCompID, h.senderCompID)
        w.string(FIX.Tag.targetCompID, h.targetCompID)
        w.uint(FIX.Tag.msgSeqNum, h.msgSeqNum)
        w.time(FIX.Tag.sendingTime, h.sendingTime)
        if h.possDupFlag {
            w.bool(FIX.Tag.possDupFlag, true)
            w.time(FIX.Tag.origSendingTime, h.origSendingTime)
        }
    }

    /// Writes `8=FIX.4.4<SOH>9=<len><SOH>` in front of the body that occupies
    /// `_bodyOffset..<bodyEnd` (moving the body when BodyLength is not three digits) and the
    /// CheckSum after it. Returns how far the body moved left (negative: right).
    @inlinable @inline(__always)
    static func finish(_ base: UnsafeMutableRawPointer, bodyEnd: Int) -> Int {
        let bodyLength = bodyEnd - _bodyOffset
        let digits = _FIXDigits.count(UInt64(bodyLength))
        let shift = 3 - digits
        if shift != 0 {
            // Rare: a body under 100 bytes (Heartbeat and friends with short CompIDs) or over 999.
            (base + _bodyOffset - shift).copyMemory(from: base + _bodyOffset, byteCount: bodyLength)
        }
        // "8=FIX.4.4\u{1}9=" is 12 bytes.
        _writePrefix(base)
        _FIXDigits.write(UInt64(bodyLength), count: digits, at: base + 12)
        base.storeBytes(of: FIX.soh, toByteOffset: 12 + digits, as: UInt8.self)
        let end = bodyEnd - shift
        let sum = _FIXChecksum.sum(UnsafeRawPointer(base), count: end)
        var w = _FIXWriter(base, position: end)
        w.byte(0x31)  // '1'
        w.byte(0x30)  // '0'
        w.byte(0x3D)  // '='
        _FIXDigits.write(UInt64(sum), count: 3, at: base + w.position)
        base.storeBytes(of: FIX.soh, toByteOffset: w.position + 3, as: UInt8.self)
        return shift
    }

    @inlinable @inline(__always)
    static func _writePrefix(_ p: UnsafeMutableRawPointer) {
        // "8=FIX.4." then "4\u{1}9=": two unaligned stores instead of twelve byte stores.
        p.storeBytes(of: UInt64(0x2E34_2E58_4946_3D38).littleEndian, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: UInt32(0x3D39_0134).littleEndian, toByteOffset: 8, as: UInt32.self)
    }
}

/// The FIX CheckSum: the byte sum modulo 256.
@usableFromInline enum _FIXChecksum {
    /// Sums sixteen bytes per step in sixteen byte lanes that wrap: each lane is then its
    /// bytes' sum modulo 256, and so is the wrapping sum of the lanes. The last partial block
    /// reloads the final sixteen bytes and masks off the ones already summed, so nothing past
    /// `count` is read.
    @inlinable
    static func sum(_ p: UnsafeRawPointer, count: Int) -> UInt8 {
        guard count >= 16 else {
            var total: UInt8 = 0
            var i = 0
            while i < count {
                total &+= p.load(fromByteOffset: i, as: UInt8.self)
                i &+= 1
            }
            return total
        }
        var lanes = SIMD16<UInt8>()
        var i = 0
        while count &- i >= 16 {
            lanes &+= p.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            i &+= 16
        }
        let rest = count &- i
        if rest > 0 {
            let last = p.loadUnaligned(fromByteOffset: count &- 16, as: SIMD16<UInt8>.self)
            let skip = SIMD16<UInt8>(repeating: UInt8(truncatingIfNeeded: 16 &- rest))
            let index = SIMD16<UInt8>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
            lanes &+= last.replacing(with: 0, where: index .< skip)
        }
        return lanes.wrappedSum()
    }
}
