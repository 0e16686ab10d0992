/// What the parser made of the bytes at the start of the buffer it was given.
@frozen public enum FIXParseResult: Equatable, Sendable {
    /// The bytes hold only part of a message: keep them and call again with more.
    case needMoreData
    /// A valid message of `length` bytes; read it through `FIXParser.message`, then drop
    /// `length` bytes.
    case message(length: Int)
    /// `discarded` bytes are not a message (bad BodyLength, bad CheckSum, garbage between
    /// messages): drop them; the next byte is where a message could start.
    case garbled(discarded: Int)
    /// A well-framed message of `length` bytes that breaks a FIX rule: drop it and answer with
    /// a session-level Reject built from `rejection`. It still used up its MsgSeqNum.
    case invalid(length: Int, FIXRejection)
}

/// Why a well-framed message was rejected: the fields of the Reject (3) that answers it.
@frozen public struct FIXRejection: Equatable, Sendable, BitwiseCopyable {
    public var reason: FIXSessionRejectReason
    /// RefTagID (371): the offending tag, 0 when no tag number could be read.
    public var refTagID: Int
    /// RefMsgType (372): the MsgType bytes as received (possibly unknown), empty when absent.
    public var refMsgType: FIXString
    /// RefSeqNum (45): the message's MsgSeqNum, 0 when it had none readable.
    public var refSeqNum: UInt64
    /// Whether the message carried PossDupFlag=Y (a resent duplicate is ignored, not rejected).
    public var possDupFlag: Bool

    @inlinable public init(reason: FIXSessionRejectReason, refTagID: Int, refMsgType: FIXString = FIXString(),
                           refSeqNum: UInt64 = 0, possDupFlag: Bool = false) {
        self.reason = reason
        self.refTagID = refTagID
        self.refMsgType = refMsgType
        self.refSeqNum = refSeqNum
        self.possDupFlag = possDupFlag
    }
}

/// Frames, validates and indexes FIX 4.4 messages in a stream buffer, without copying or
/// allocating: the fields of the last message stay in the caller's bytes and `message` reads
/// them through a per-tag index of offsets and already-converted values.
///
/// What it checks, in order:
/// 1. Framing: `8=FIX.4.4<SOH>9=<digits><SOH>`, then BodyLength bytes ending in SOH, then
///    `10=<3 digits><SOH>` with the right CheckSum. Anything else is garbled: discarded up to the
///    next `8=FIX.4.4<SOH>` and counted.
/// 2. Fields: tag numbers are positive decimal integers (`invalidTagNumber`), every tag has a
///    value (`tagSpecifiedWithoutValue`), MsgType comes first after BodyLength
///    (`tagOutOfRequiredOrder`) and is one of the twelve Quorum speaks (`invalidMsgType`), no
///    known tag appears twice (`tagAppearsMoreThanOnce`), numbers, prices, times and flags are
///    well-formed (`incorrectDataFormat`) and within range (`valueIncorrect`).
/// 3. Required tags: the standard header's (49, 56, 34, 52; 122 with PossDupFlag=Y) and the
///    message type's from FIX44.xml, plus this venue's profile: Symbol (55) on orders and
///    reports, OrderQty (38) on new and replace orders, Price (44) on limit orders, LastQty and
///    LastPx (32, 31) on trade reports.
///
/// Tags it does not know (account, handling instructions, …) are skipped, not rejected, so a
/// counterparty's extra fields do not break the session; they are not checked for duplicates.
///
/// Not thread-safe; one per session.
public final class FIXParser {
    /// What the parser has seen since it was made.
    public struct Counters: Equatable, Sendable {
        public var messages: UInt64 = 0
        public var invalid: UInt64 = 0
        /// Garbled frames and runs of garbage between messages.
        public var garbled: UInt64 = 0
        public var discardedBytes: UInt64 = 0
        public init() {}
    }

    @usableFromInline let _index: _UnsafeFIXFieldIndex
    // Counters and the current message live in allocated memory rather than stored
    // properties: a stored property of a class pays a dynamic exclusivity check per access,
    // several per message on this path.
    let _counters: UnsafeMutablePointer<Counters>

    public init() {
        _index = _UnsafeFIXFieldIndex()
        _counters = .allocate(capacity: 1)
        _counters.initialize(to: Counters())
    }

    deinit { _counters.deallocate() }

    public var counters: Counters { _counters.pointee }

    /// The message the last `.message` (or `.invalid`) result described. Its fields point into
    /// the buffer that was parsed: valid until that buffer changes or `parse` is called again.
    @inlinable public var message: FIXMessageView { FIXMessageView(bytes: _index.message, index: _index) }

    /// Looks at the message at the start of `bytes`.
    /// - Complexity: O(message length) for a message; O(bytes) when skipping garbage.
    public func parse(_ bytes: UnsafeRawBufferPointer) -> FIXParseResult {
        guard let p = bytes.baseAddress, bytes.count > 0 else { return .needMoreData }
        let n = bytes.count
        let prefix = min(n, 10)
        if !_matchesBeginString(p, count: prefix) { return skipGarbage(p, n) }
        if n < 13 { return .needMoreData }
        // 9=<digits><SOH>
        guard p.load(fromByteOffset: 10, as: UInt8.self) == 0x39, p.load(fromByteOffset: 11, as: UInt8.self) == 0x3D
        else { return skipGarbage(p, n) }
        var i = 12
        var bodyLength = 0
        while true {
            guard i < n else { return i - 12 > 5 ? skipGarbage(p, n) : .needMoreData }
            let c = p.load(fromByteOffset: i, as: UInt8.self)
            if c == FIX.soh { break }
            let d = c &- 0x30
            guard d < 10, i - 12 < 5 else { return skipGarbage(p, n) }
            bodyLength = bodyLength * 10 + Int(d)
            i += 1
        }
        guard i > 12, bodyLength <= FIX.maxBodyLength else { return skipGarbage(p, n) }
        let bodyStart = i + 1
        let trailer = bodyStart + bodyLength
        let total = trailer + 7
        guard n >= total else { return .needMoreData }
        // The body ends with SOH and the trailer is exactly 10=ddd<SOH> with the right sum.
        guard p.load(fromByteOffset: trailer - 1, as: UInt8.self) == FIX.soh,
            p.load(fromByteOffset: trailer, as: UInt8.self) == 0x31,
            p.load(fromByteOffset: trailer + 1, as: UInt8.self) == 0x30,
            p.load(fromByteOffset: trailer + 2, as: UInt8.self) == 0x3D,
            p.load(fromByteOffset: trailer + 6, as: UInt8.self) == FIX.soh
        else { return skipGarbage(p, n) }
        let d0 = p.load(fromByteOffset: trailer + 3, as: UInt8.self) &- 0x30
        let d1 = p.load(fromByteOffset: trailer + 4, as: UInt8.self) &- 0x30
        let d2 = p.load(fromByteOffset: trailer + 5, as: UInt8.self) &- 0x30
        guard d0 < 10, d1 < 10, d2 < 10,
            Int(d0) * 100 + Int(d1) * 10 + Int(d2) == Int(_FIXChecksum.sum(p, count: trailer))
        else { return skipGarbage(p, n) }

        _index.message = UnsafeRawBufferPointer(start: p, count: total)
        // The one-pass fast path accepts only plainly valid messages; anything it does not
        // like (a rule broken, or just an unusual spelling) goes through the full validator,
        // which decides and says why.
        if !_index.indexFast(p, from: bodyStart, to: trailer),
            let rejection = _index.index(p, from: bodyStart, to: trailer)
        {
            _counters.pointee.invalid &+= 1
            return .invalid(length: total, rejection)
        }
        _counters.pointee.messages &+= 1
        return .message(length: total)
    }

    /// Discards from the start of the buffer up to the next place a message could begin: the
    /// next `8=FIX.4.4<SOH>`, or a tail that is a prefix of it.
    func skipGarbage(_ p: UnsafeRawPointer, _ n: Int) -> FIXParseResult {
        var k = 1
        while k < n {
            if p.load(fromByteOffset: k, as: UInt8.self) == 0x38, _matchesBeginString(p + k, count: min(10, n - k)) { break }
            k += 1
        }
        _counters.pointee.garbled &+= 1
        _counters.pointee.discardedBytes &+= UInt64(k)
        return .garbled(discarded: k)
    }

    @inline(__always)
    func _matchesBeginString(_ p: UnsafeRawPointer, count: Int) -> Bool {
        if count == 10 {
            // "8=FIX.4." and "4<SOH>" as two loads.
            return p.loadUnaligned(as: UInt64.self) == UInt64(0x2E34_2E58_4946_3D38).littleEndian
                && p.loadUnaligned(fromByteOffset: 8, as: UInt16.self) == UInt16(0x0134).littleEndian
        }
        let begin: StaticString = "8=FIX.4.4\u{01}"
        for j in 0..<count where p.load(fromByteOffset: j, as: UInt8.self) != begin.utf8Start[j] { return false }
        return true
    }
}

/// A parsed message, read in place. Every accessor is O(1): values were converted while the
/// parser validated them. Valid only while the parsed bytes are unchanged and until the next
/// `parse`.
public struct FIXMessageView {
    /// The whole message, `8=` to the trailer's SOH.
    public let bytes: UnsafeRawBufferPointer
    // Not retained: the parser outlives every view it hands out (views live for one callback).
    @usableFromInline unowned(unsafe) let index: _UnsafeFIXFieldIndex

    @inlinable init(bytes: UnsafeRawBufferPointer, index: _UnsafeFIXFieldIndex) {
        self.bytes = bytes
        self.index = index
    }

    /// MsgType (35). Only meaningful after a `.message` result (an invalid message may have none).
    @inlinable public var msgType: FIXMsgType { FIXMsgType(rawValue: UInt8(truncatingIfNeeded: index.value(_FIXField.msgType))) ?? .heartbeat }
    @inlinable public var msgSeqNum: UInt64 { UInt64(index.value(_FIXField.msgSeqNum)) }
    @inlinable public var sendingTime: UInt64 { UInt64(index.value(_FIXField.sendingTime)) }
    @inlinable public var possDupFlag: Bool { index.has(_FIXField.possDupFlag) && index.value(_FIXField.possDupFlag) != 0 }
    @inlinable public var origSendingTime: UInt64? { time(FIX.Tag.origSendingTime) }
    @inlinable public var senderCompID: FIXString { string(FIX.Tag.senderCompID) ?? FIXString() }
    @inlinable public var targetCompID: FIXString { string(FIX.Tag.targetCompID) ?? FIXString() }

    /// Whether the message carries `tag` (one of the tags the parser indexes).
    @inlinable @inline(__always) public func has(_ tag: Int) -> Bool {
        let f = _FIXField.field(forTag: tag)
        return f >= 0 && index.has(f)
    }

    /// The raw value bytes of an indexed tag.
    @inlinable @inline(__always) public func value(_ tag: Int) -> UnsafeRawBufferPointer? {
        let f = _FIXField.field(forTag: tag)
        guard f >= 0, index.has(f) else { return nil }
        let (start, length) = index.span(f)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
    }

    /// A string value; Text (58) longer than `FIXString.capacity` is cut, other strings were
    /// checked by the parser to fit.
    @inlinable @inline(__always) public func string(_ tag: Int) -> FIXString? {
        let f = _FIXField.field(forTag: tag)
        return f >= 0 ? _string(field: f) : nil
    }

    @inlinable @inline(__always) func converted(_ tag: Int) -> Int64? {
        let f = _FIXField.field(forTag: tag)
        return f >= 0 ? _converted(field: f) : nil
    }

    // By field number (`_FIXField`): what the message structs decode with, free of the
    // tag → field switch.

    @inlinable @inline(__always) func _string(field f: Int) -> FIXString? {
        guard index.has(f) else { return nil }
        let (start, length) = index.span(f)
        let n = min(length, FIXString.capacity)
        if start &+ FIXString.capacity <= bytes.count {
            // Four word loads, masked to the value: the message has 32 bytes from `start`.
            return FIXString(_loading: bytes.baseAddress! + start, count: n)
        }
        return FIXString(UnsafeRawBufferPointer(start: bytes.baseAddress! + start, count: n))
    }

    @inlinable @inline(__always) func _converted(field f: Int) -> Int64? {
        index.has(f) ? index.value(f) : nil
    }

    @inlinable @inline(__always) func _qty(field f: Int) -> Qty? {
        index.has(f) ? Qty(UInt32(truncatingIfNeeded: index.value(f))) : nil
    }

    @inlinable @inline(__always) func _price(field f: Int) -> Price? {
        index.has(f) ? Price(UInt32(truncatingIfNeeded: index.value(f))) : nil
    }

    /// A one-byte enum field's byte (the parser checked it is one of the enum's values).
    @inlinable @inline(__always) func _char(field f: Int) -> UInt8? {
        index.has(f) ? UInt8(truncatingIfNeeded: index.value(f)) : nil
    }

    @inlinable @inline(__always) public func uint(_ tag: Int) -> UInt64? { converted(tag).map { UInt64($0) } }
    @inlinable @inline(__always) public func int(_ tag: Int) -> Int? { converted(tag).map { Int($0) } }
    @inlinable @inline(__always) public func price(_ tag: Int) -> Price? { converted(tag).map { Price(UInt32(truncatingIfNeeded: $0)) } }
    @inlinable @inline(__always) public func qty(_ tag: Int) -> Qty? { converted(tag).map { Qty(UInt32(truncatingIfNeeded: $0)) } }
    /// Nanoseconds since the Unix epoch.
    @inlinable @inline(__always) public func time(_ tag: Int) -> UInt64? { converted(tag).map { UInt64($0) } }
    @inlinable @inline(__always) public func char(_ tag: Int) -> UInt8? { converted(tag).map { UInt8(truncatingIfNeeded: $0) } }
    @inlinable @inline(__always) public func bool(_ tag: Int) -> Bool? { converted(tag).map { $0 != 0 } }
}

/// The tags the parser indexes, numbered 0..<64 so that "which are present" is one 64-bit mask.
@usableFromInline enum _FIXField {
    @usableFromInline static let msgType = 0
    @usableFromInline static let senderCompID = 1
    @usableFromInline static let targetCompID = 2
    @usableFromInline static let msgSeqNum = 3
    @usableFromInline static let sendingTime = 4
    @usableFromInline static let possDupFlag = 5
    @usableFromInline static let origSendingTime = 6
    @usableFromInline static let encryptMethod = 7
    @usableFromInline static let heartBtInt = 8
    @usableFromInline static let resetSeqNumFlag = 9
    @usableFromInline static let testReqID = 10
    @usableFromInline static let beginSeqNo = 11
    @usableFromInline static let endSeqNo = 12
    @usableFromInline static let refSeqNum = 13
    @usableFromInline static let refTagID = 14
    @usableFromInline static let refMsgType = 15
    @usableFromInline static let sessionRejectReason = 16
    @usableFromInline static let text = 17
    @usableFromInline static let gapFillFlag = 18
    @usableFromInline static let newSeqNo = 19
    @usableFromInline static let clOrdID = 20
    @usableFromInline static let symbol = 21
    @usableFromInline static let side = 22
    @usableFromInline static let transactTime = 23
    @usableFromInline static let orderQty = 24
    @usableFromInline static let ordType = 25
    @usableFromInline static let price = 26
    @usableFromInline static let timeInForce = 27
    @usableFromInline static let origClOrdID = 28
    @usableFromInline static let orderID = 29
    @usableFromInline static let execID = 30
    @usableFromInline static let execType = 31
    @usableFromInline static let ordStatus = 32
    @usableFromInline static let leavesQty = 33
    @usableFromInline static let cumQty = 34
    @usableFromInline static let avgPx = 35
    @usableFromInline static let lastPx = 36
    @usableFromInline static let lastQty = 37
    @usableFromInline static let cxlRejResponseTo = 38
    @usableFromInline static let cxlRejReason = 39
    @usableFromInline static let possResend = 40
    @usableFromInline static let ordRejReason = 41
    @usableFromInline static let count = 42

    /// The field number of `tag`, or -1 for a tag the parser skips. Inlined so that a
    /// constant tag folds to a constant field.
    @inlinable @inline(__always) static func field(forTag tag: Int) -> Int {
        switch tag {
        case 35: return 0
        case 49: return 1
        case 56: return 2
        case 34: return 3
        case 52: return 4
        case 43: return 5
        case 122: return 6
        case 98: return 7
        case 108: return 8
        case 141: return 9
        case 112: return 10
        case 7: return 11
        case 16: return 12
        case 45: return 13
        case 371: return 14
        case 372: return 15
        case 373: return 16
        case 58: return 17
        case 123: return 18
        case 36: return 19
        case 11: return 20
        case 55: return 21
        case 54: return 22
        case 60: return 23
        case 38: return 24
        case 40: return 25
        case 44: return 26
        case 59: return 27
        case 41: return 28
        case 37: return 29
        case 17: return 30
        case 150: return 31
        case 39: return 32
        case 151: return 33
        case 14: return 34
        case 6: return 35
        case 31: return 36
        case 32: return 37
        case 434: return 38
        case 102: return 39
        case 97: return 40
        case 103: return 41
        default: return -1
        }
    }

    static func tag(ofField f: Int) -> Int {
        switch f {
        case 0: return 35
        case 1: return 49
        case 2: return 56
        case 3: return 34
        case 4: return 52
        case 5: return 43
        case 6: return 122
        case 7: return 98
        case 8: return 108
        case 9: return 141
        case 10: return 112
        case 11: return 7
        case 12: return 16
        case 13: return 45
        case 14: return 371
        case 15: return 372
        case 16: return 373
        case 17: return 58
        case 18: return 123
        case 19: return 36
        case 20: return 11
        case 21: return 55
        case 22: return 54
        case 23: return 60
        case 24: return 38
        case 25: return 40
        case 26: return 44
        case 27: return 59
        case 28: return 41
        case 29: return 37
        case 30: return 17
        case 31: return 150
        case 32: return 39
        case 33: return 151
        case 34: return 14
        case 35: return 6
        case 36: return 31
        case 37: return 32
        case 38: return 434
        case 39: return 102
        case 41: return 103
        default: return 97
        }
    }

    enum Kind: UInt8 {
        case msgType, int, string, text, time, bool, price, qty
        case side, ordType, timeInForce, execType, ordStatus, cxlRejResponseTo
    }

    static func kind(_ f: Int) -> Kind {
        switch f {
        case msgType: return .msgType
        case senderCompID, targetCompID, testReqID, refMsgType, clOrdID, symbol, origClOrdID, orderID, execID:
            return .string
        case text: return .text
        case sendingTime, origSendingTime, transactTime: return .time
        case possDupFlag, resetSeqNumFlag, gapFillFlag, possResend: return .bool
        case price, avgPx, lastPx: return .price
        case orderQty, leavesQty, cumQty, lastQty: return .qty
        case side: return .side
        case ordType: return .ordType
        case timeInForce: return .timeInForce
        case execType: return .execType
        case ordStatus: return .ordStatus
        case cxlRejResponseTo: return .cxlRejResponseTo
        default: return .int
        }
    }

    @inline(__always) static func bit(_ f: Int) -> UInt64 { 1 << UInt64(f) }

    static var header: UInt64 { bit(senderCompID) | bit(targetCompID) | bit(msgSeqNum) | bit(sendingTime) }

    /// The body tags `type` requires (FIX44.xml plus the venue profile in `FIXParser`'s notes).
    static func required(_ type: FIXMsgType) -> UInt64 {
        switch type {
        case .heartbeat, .logout: return 0
        case .testRequest: return bit(testReqID)
        case .resendRequest: return bit(beginSeqNo) | bit(endSeqNo)
        case .reject: return bit(refSeqNum)
        case .sequenceReset: return bit(newSeqNo)
        case .logon: return bit(encryptMethod) | bit(heartBtInt)
        case .newOrderSingle:
            return bit(clOrdID) | bit(symbol) | bit(side) | bit(transactTime) | bit(orderQty) | bit(ordType)
        case .orderCancelRequest:
            return bit(origClOrdID) | bit(clOrdID) | bit(symbol) | bit(side) | bit(transactTime)
        case .orderCancelReplaceRequest:
            return bit(origClOrdID) | bit(clOrdID) | bit(symbol) | bit(side) | bit(transactTime) | bit(orderQty)
                | bit(ordType)
        case .executionReport:
            return bit(orderID) | bit(execID) | bit(execType) | bit(ordStatus) | bit(symbol) | bit(side)
                | bit(leavesQty) | bit(cumQty) | bit(avgPx)
        case .orderCancelReject:
            return bit(orderID) | bit(clOrdID) | bit(origClOrdID) | bit(ordStatus) | bit(cxlRejResponseTo)
        case .orderStatusRequest:
            // FIX44.xml: ClOrdID, the Instrument component (its Symbol) and Side.
            return bit(clOrdID) | bit(symbol) | bit(side)
        }
    }
}

/// Per-field offsets and converted values of the message being parsed, in one preallocated
/// block; a presence mask says which entries belong to the current message, so nothing is
/// cleared between messages.
@usableFromInline final class _UnsafeFIXFieldIndex {
    @usableFromInline struct Entry {
        @usableFromInline var start: Int32
        @usableFromInline var length: Int32
        @usableFromInline var value: Int64
    }

    @usableFromInline let entries: UnsafeMutablePointer<Entry>
    /// Word 0: the presence mask; words 1, 2: the current message's base and length;
    /// words 3, 4: the last `YYYYMMDD` the fast path validated (as loaded) and its day number.
    @usableFromInline let words: UnsafeMutablePointer<UInt64>
    /// Tag (< 512) → field number, or -1.
    let fieldOfTag: UnsafeMutablePointer<Int8>
    /// Field number → `Kind`.
    let kindOfField: UnsafeMutablePointer<_FIXField.Kind>
    /// After field f (63: after a skipped tag), the `tag=` bytes that followed it last time,
    /// the mask that selects them from a word, and `k + 1 | slot << 8` (k digits, the tag's
    /// `slotOfTag` entry): a counterparty writes its fields in the same order message after
    /// message, so the next tag is usually one compare.
    struct Prediction {
        var tag: UInt64
        var mask: UInt64
        var info: UInt64
    }
    let predicted: UnsafeMutablePointer<Prediction>
    /// Tag (< 512) → `kind << 8 | field`, or 0xFFFF for a tag the parser skips.
    let slotOfTag: UnsafeMutablePointer<UInt16>
    /// Field number → the bytes (all below 128) a one-byte enum field accepts, as two
    /// 64-bit masks; zero for other fields.
    let enumBytes: UnsafeMutablePointer<(UInt64, UInt64)>

    init() {
        entries = .allocate(capacity: 64)
        entries.initialize(repeating: Entry(start: 0, length: 0, value: 0), count: 64)
        words = .allocate(capacity: 5)
        words.initialize(repeating: 0, count: 5)
        fieldOfTag = .allocate(capacity: 512)
        for t in 0..<512 { (fieldOfTag + t).initialize(to: Int8(_FIXField.field(forTag: t))) }
        kindOfField = .allocate(capacity: 64)
        for f in 0..<64 { (kindOfField + f).initialize(to: f < _FIXField.count ? _FIXField.kind(f) : .text) }
        // A mask of 0 never matches a tag of all ones: nothing is predicted at first.
        predicted = .allocate(capacity: 64)
        predicted.initialize(repeating: Prediction(tag: ~0, mask: 0, info: 0), count: 64)
        slotOfTag = .allocate(capacity: 512)
        for t in 0..<512 {
            let f = _FIXField.field(forTag: t)
            (slotOfTag + t).initialize(to: f < 0 ? 0xFFFF : UInt16(_FIXField.kind(f).rawValue) << 8 | UInt16(f))
        }
        enumBytes = .allocate(capacity: 64)
        enumBytes.initialize(repeating: (0, 0), count: 64)
        for f in 0..<_FIXField.count {
            switch kindOfField[f] {
            case .side, .ordType, .timeInForce, .execType, .ordStatus, .cxlRejResponseTo:
                for b in 0..<128 {
                    var byte = UInt8(b)
                    guard case .success = convertChecked(f, &byte, 1) else { continue }
                    if b < 64 { enumBytes[f].0 |= 1 << UInt64(b) } else { enumBytes[f].1 |= 1 << UInt64(b - 64) }
                }
            default: break
            }
        }
    }

    deinit {
        entries.deallocate()
        words.deallocate()
        fieldOfTag.deallocate()
        kindOfField.deallocate()
        enumBytes.deallocate()
        slotOfTag.deallocate()
        predicted.deallocate()
    }

    @usableFromInline var present: UInt64 {
        @inline(__always) get { words[0] }
        @inline(__always) set { words[0] = newValue }
    }

    @usableFromInline var message: UnsafeRawBufferPointer {
        @inline(__always) get {
            UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(words[1])), count: Int(words[2]))
        }
        @inline(__always) set {
            words[1] = UInt64(UInt(bitPattern: newValue.baseAddress))
            words[2] = UInt64(newValue.count)
        }
    }

    @inline(__always) func field(ofTag tag: Int) -> Int { tag < 512 ? Int(fieldOfTag[tag]) : -1 }

    @inlinable @inline(__always) func has(_ f: Int) -> Bool { present & (1 << UInt64(f)) != 0 }
    @inlinable @inline(__always) func value(_ f: Int) -> Int64 { entries[f].value }
    @inlinable @inline(__always) func span(_ f: Int) -> (Int, Int) { (Int(entries[f].start), Int(entries[f].length)) }

    /// One pass over `p[from..<to]` for the common case: every tag 1 to 4 plain digits, every
    /// value in its usual spelling (strings within capacity, integers and quantities as digits,
    /// prices with at most 4 decimals, `YYYYMMDD-HH:MM:SS.sss` times, one-byte flags and
    /// enums), MsgType first, no known tag twice and every required tag present. Records the
    /// fields and returns true for such a message; returns false — having decided nothing —
    /// for anything else, and `index` then validates from scratch.
    ///
    /// Reads eight bytes at a time past a field's start: safe, because the message's 7-byte
    /// trailer follows `to`.
    @inline(__always)
    func indexFast(_ p: UnsafeRawPointer, from: Int, to end: Int) -> Bool {
        guard end &- from >= 5 else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // "35=" X SOH first.
        let first = p.loadUnaligned(fromByteOffset: from, as: UInt64.self).littleEndian
        guard first & 0xFF_00FF_FFFF == 0x01_003D_3533,
            let type = FIXMsgType(rawValue: UInt8(truncatingIfNeeded: first >> 24))
        else { return false }
        entries[_FIXField.msgType] = Entry(start: Int32(truncatingIfNeeded: from &+ 3), length: 1,
                                           value: Int64(type.rawValue))
        var present: UInt64 = 1 << UInt64(_FIXField.msgType)
        var i = from &+ 5
        // The prediction for what follows the field read last (MsgType at first; entry 63 after
        // a tag Quorum skips).
        let predicted = self.predicted, entries = self.entries
        var guess = predicted + _FIXField.msgType
        while i < end {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
            let valueStart: Int
            let slot: UInt16
            if w & guess.pointee.mask == guess.pointee.tag {
                // The same `tag=` bytes that followed this field last time: already checked.
                let info = guess.pointee.info
                valueStart = i &+ Int(info & 0xFF)
                slot = UInt16(truncatingIfNeeded: info >> 8)
            } else {
                // Tag: find '=' in the next eight bytes; 1 to 4 digits before it.
                let e = w ^ 0x3D3D_3D3D_3D3D_3D3D
                let z = (e &- ones) & ~e & highs
                let k = z.trailingZeroBitCount >> 3
                guard k &- 1 < 4 else { return false }  // k in 1...4
                let mask: UInt64 = (1 &<< UInt64(k &* 8)) &- 1
                let d = (w & mask) ^ (0x3030_3030_3030_3030 & mask)  // digits → 0...9, else ≥ 10
                guard ((d &+ 0x7676_7676_7676_7676) | d) & highs & mask == 0 else { return false }
                let tag: Int
                switch k {
                case 1: tag = Int(d & 0xF)
                case 2: tag = Int(d & 0xF) &* 10 &+ Int((d >> 8) & 0xF)
                case 3: tag = Int(d & 0xF) &* 100 &+ Int((d >> 8) & 0xF) &* 10 &+ Int((d >> 16) & 0xF)
                default:
                    tag = Int(d & 0xF) &* 1000 &+ Int((d >> 8) & 0xF) &* 100 &+ Int((d >> 16) & 0xF) &* 10
                        &+ Int((d >> 24) & 0xF)
                }
                guard tag > 0 else { return false }
                slot = tag < 512 ? slotOfTag[tag] : 0xFFFF
                // Remember `tag=` as what follows the previous field.
                let withEquals = (mask << 8) | 0xFF
                guess.pointee = Prediction(tag: w & withEquals, mask: withEquals, info: UInt64(k &+ 1) | UInt64(slot) << 8)
                valueStart = i &+ k &+ 1
            }
            // Value: up to the next SOH (the body ends in SOH, so the scan stops inside it).
            // Most values end within their first eight bytes, which also hold their digits.
            let vw = p.loadUnaligned(fromByteOffset: valueStart, as: UInt64.self).littleEndian
            let s = vw ^ ones
            let sz = (s &- ones) & ~s & highs
            let valueEnd = sz != 0 ? valueStart &+ (sz.trailingZeroBitCount >> 3) : _findSOH(p, from: valueStart &+ 8, end: end)
            let n = valueEnd &- valueStart
            i = valueEnd &+ 1
            guard n > 0 else { return false }
            if slot == 0xFFFF {  // a tag Quorum does not read
                guess = predicted + 63
                continue
            }
            let f = Int(slot & 0xFF)
            guess = predicted + f
            let bit: UInt64 = 1 &<< UInt64(f)
            guard present & bit == 0 else { return false }
            present |= bit
            let kind = unsafeBitCast(UInt8(truncatingIfNeeded: slot >> 8), to: _FIXField.Kind.self)
            if kind == .string {
                // A third of the fields: only the length to check, nothing to convert.
                guard n <= FIXString.capacity else { return false }
                entries[f] = Entry(start: Int32(truncatingIfNeeded: valueStart), length: Int32(truncatingIfNeeded: n),
                                   value: 0)
                continue
            }
            let v = p + valueStart
            var value: Int64 = 0
            // Kind's raw values are its case numbers 0..<14, so the byte is the enum's bits.
            switch kind {
            case .string:
                guard n <= FIXString.capacity else { return false }
            case .text:
                break
            case .int:
                if n <= 8 {
                    guard let x = _parse8(vw, n) else { return false }
                    value = x
                } else {
                    guard n <= 18, let x = _digits(v, n) else { return false }
                    value = x
                }
            case .qty:
                guard n <= 8, let x = _parse8(vw, n) else { return false }
                value = x
            case .price:
                guard n <= 8, let x = _price8(vw, n) else { return false }
                value = x
            case .time:
                guard n == FIXTime.length, let x = _time(v) else { return false }
                value = x
            case .side, .ordType, .timeInForce, .execType, .ordStatus, .cxlRejResponseTo:
                guard n == 1 else { return false }
                let b = UInt8(truncatingIfNeeded: vw)
                let allowed = b < 64 ? enumBytes[f].0 &>> UInt64(b) : enumBytes[f].1 &>> UInt64(b & 63)
                guard b < 128, allowed & 1 != 0 else { return false }
                value = Int64(b)
            default:
                guard case .success(let x) = convertChecked(f, v, n) else { return false }
                value = x
            }
            entries[f] = Entry(start: Int32(truncatingIfNeeded: valueStart), length: Int32(truncatingIfNeeded: n),
                               value: value)
        }
        var required = _FIXField.header | _FIXField.required(type)
        if present & (1 << UInt64(_FIXField.possDupFlag)) != 0 && entries[_FIXField.possDupFlag].value != 0 {
            required |= 1 << UInt64(_FIXField.origSendingTime)
        }
        switch type {
        case .newOrderSingle, .orderCancelReplaceRequest:
            if present & (1 << UInt64(_FIXField.ordType)) != 0,
                entries[_FIXField.ordType].value == Int64(FIXOrdType.limit.rawValue)
            {
                required |= 1 << UInt64(_FIXField.price)
            }
        case .executionReport:
            if present & (1 << UInt64(_FIXField.execType)) != 0,
                entries[_FIXField.execType].value == Int64(FIXExecType.trade.rawValue)
            {
                required |= (1 << UInt64(_FIXField.lastQty)) | (1 << UInt64(_FIXField.lastPx))
            }
        default: break
        }
        guard required & ~present == 0 else { return false }
        self.present = present
        return true
    }

    /// `n` (1...18) decimal digits, or nil.
    @inline(__always)
    func _digits(_ p: UnsafeRawPointer, _ n: Int) -> Int64? {
        var x: Int64 = 0
        var k = 0
        repeat {
            let d = p.load(fromByteOffset: k, as: UInt8.self) &- 0x30
            guard d < 10 else { return nil }
            x = x &* 10 &+ Int64(d)
            k &+= 1
        } while k < n
        return x
    }

    /// The `n` (1...8) decimal digits in the low bytes of `w` (first digit lowest), or nil:
    /// checked and converted eight at a time (pairs, then quads, then the whole).
    @inline(__always)
    func _parse8(_ w: UInt64, _ n: Int) -> Int64? {
        let mask: UInt64 = n >= 8 ? ~0 : (1 &<< UInt64(n &* 8)) &- 1
        let t = (w ^ 0x3030_3030_3030_3030) & mask  // digits → 0...9
        guard ((t &+ 0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080 == 0 else { return nil }
        var x = t &<< UInt64(64 &- n &* 8)  // right-align: missing leading digits are zeros
        x = ((x &* (10 << 8 | 1)) >> 8) & 0x00FF_00FF_00FF_00FF
        x = ((x &* (100 << 16 | 1)) >> 16) & 0x0000_FFFF_0000_FFFF
        x = (x &* (10_000 << 32 | 1)) >> 32
        return Int64(x)
    }

    /// A price of at most 8 bytes in the low bytes of `w`: 1 to 8 whole digits, then
    /// optionally '.' and 1 to 4 decimals; 4 implied decimals within UInt32, or nil (the full
    /// validator decides those).
    @inline(__always)
    func _price8(_ w: UInt64, _ n: Int) -> Int64? {
        let e = w ^ 0x2E2E_2E2E_2E2E_2E2E  // '.' → 0
        let z = (e &- 0x0101_0101_0101_0101) & ~e & 0x8080_8080_8080_8080
        let dot = z.trailingZeroBitCount >> 3
        let x: Int64
        if dot >= n {
            guard let whole = _parse8(w, n) else { return nil }
            x = whole &* 10_000
        } else {
            let decimals = n &- dot &- 1
            guard dot > 0, decimals > 0, decimals <= 4 else { return nil }
            // Close up the '.': whole digits, then the decimals moved one byte down.
            let low: UInt64 = (1 &<< UInt64(dot &* 8)) &- 1
            guard let digits = _parse8((w & low) | ((w >> 8) & ~low), n &- 1) else { return nil }
            let scale: Int64 = decimals == 4 ? 1 : decimals == 3 ? 10 : decimals == 2 ? 100 : 1000
            x = digits &* scale
        }
        return x <= Int64(UInt32.max) ? x : nil
    }

    /// `YYYYMMDD-HH:MM:SS.sss` (21 bytes) as nanoseconds since the epoch, or nil. The date
    /// is checked and converted once per day: a date equal to the last one reuses its day.
    @inline(__always)
    func _time(_ p: UnsafeRawPointer) -> Int64? {
        let date = p.loadUnaligned(as: UInt64.self)
        let days: UInt64
        if date == words[3] && words[3] != 0 {
            days = words[4]
        } else {
            guard let d = _dayOfDate(p) else { return nil }
            days = d
            words[3] = date
            words[4] = days
        }
        // "HH:MM:SS" as one word: separators checked and digits converted together.
        let hms = p.loadUnaligned(fromByteOffset: 9, as: UInt64.self).littleEndian ^ 0x3030_3A30_303A_3030
        let frac = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 17, as: UInt32.self)) ^ 0x3030_302E
        guard p.load(fromByteOffset: 8, as: UInt8.self) == 0x2D,
            hms & 0x0000_FF00_00FF_0000 == 0, frac & 0xFF == 0,
            ((hms &+ 0x7676_7676_7676_7676) | hms) & 0x8080_8080_8080_8080 == 0,
            ((frac &+ 0x7676_7676) | frac) & 0x8080_8000 == 0
        else { return nil }
        let hh = (hms & 0xF) &* 10 &+ ((hms >> 8) & 0xF)
        let mm = ((hms >> 24) & 0xF) &* 10 &+ ((hms >> 32) & 0xF)
        let ss = ((hms >> 48) & 0xF) &* 10 &+ ((hms >> 56) & 0xF)
        let ms = UInt64((frac >> 8) & 0xF) &* 100 &+ UInt64((frac >> 16) & 0xF) &* 10 &+ UInt64((frac >> 24) & 0xF)
        guard hh < 24, mm < 60, ss <= 60 else { return nil }
        let seconds = days &* 86_400 &+ hh &* 3600 &+ mm &* 60 &+ ss
        return Int64(seconds &* 1_000_000_000 &+ ms &* 1_000_000)
    }

    /// The day number (since the epoch) of the `YYYYMMDD` at `p`, or nil. Out of line: it
    /// runs once per day, and its scratch buffer would otherwise put a stack-protector check
    /// on every call of `indexFast`.
    @inline(never)
    func _dayOfDate(_ p: UnsafeRawPointer) -> UInt64? {
        // Validate the date alone with a fixed valid time of day.
        var probe: (UInt64, UInt64, UInt8) = (0, 0, 0)
        let ok: UInt64? = withUnsafeMutableBytes(of: &probe) { q in
            q.baseAddress!.copyMemory(from: p, byteCount: 8)
            let rest: StaticString = "-00:00:00"
            q.baseAddress!.advanced(by: 8).copyMemory(from: rest.utf8Start, byteCount: 9)
            return FIXTime.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(q)[0..<17]))
        }
        guard let t = ok else { return nil }
        return t / 86_400_000_000_000
    }

    /// Walks the fields of `p[from..<to]` (which ends in SOH), records them and checks the
    /// message's rules. Returns nil for a valid message, or why it is invalid.
    func index(_ p: UnsafeRawPointer, from: Int, to end: Int) -> FIXRejection? {
        present = 0
        var failure: (FIXSessionRejectReason, Int)? = nil
        var i = from
        var first = true
        while i < end {
            // Tag: decimal digits up to '='.
            var tag = 0
            let tagStart = i
            var c = p.load(fromByteOffset: i, as: UInt8.self)
            if i &+ 8 <= end, let (t, k) = _tagFast(p.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian) {
                // The common case: 1 to 4 digits then '=' within the next eight bytes.
                tag = t
                i &+= k
                c = 0x3D
            }
            while c != 0x3D && c != FIX.soh {
                let d = c &- 0x30
                if d >= 10 || i - tagStart >= 6 { tag = -1 }
                if tag >= 0 { tag = tag * 10 + Int(d) }
                i += 1
                c = p.load(fromByteOffset: i, as: UInt8.self)
            }
            // Value: up to the SOH (the body's last byte is SOH, so this stops inside the body).
            var valueStart = i
            if c == 0x3D {
                valueStart = i + 1
                i = _findSOH(p, from: valueStart, end: end)
            }
            let valueLength = i - valueStart
            i += 1  // past SOH
            let wasFirst = first
            first = false
            if failure != nil {
                // Keep looking only for MsgSeqNum and PossDupFlag, for the Reject and the
                // sequence check.
                if tag == 34 || tag == 43, valueLength > 0, !has(field(ofTag: tag)) {
                    let f = field(ofTag: tag)
                    if let v = convert(f, p + valueStart, valueLength) { record(f, valueStart, valueLength, v) }
                }
                continue
            }
            if tag <= 0 || c != 0x3D || tagStart == valueStart - 1 {
                failure = (.invalidTagNumber, max(tag, 0))
                continue
            }
            if wasFirst && tag != 35 {
                failure = (.tagOutOfRequiredOrder, 35)
                continue
            }
            if valueLength == 0 {
                failure = (.tagSpecifiedWithoutValue, tag)
                continue
            }
            let f = field(ofTag: tag)
            if f < 0 { continue }
            if has(f) {
                failure = (.tagAppearsMoreThanOnce, tag)
                continue
            }
            if f == _FIXField.msgType {
                // Record the raw bytes first so the Reject can quote an unknown MsgType.
                record(f, valueStart, valueLength, -1)
                if valueLength != 1 || FIXMsgType(rawValue: p.load(fromByteOffset: valueStart, as: UInt8.self)) == nil {
                    failure = (.invalidMsgType, 35)
                    continue
                }
                entries[f].value = Int64(p.load(fromByteOffset: valueStart, as: UInt8.self))
                continue
            }
            if kindOfField[f] == .string {
                // Strings (a third of the fields) need only their length checked.
                if valueLength <= FIXString.capacity { record(f, valueStart, valueLength, 0) }
                else { failure = (.valueIncorrect, tag) }
                continue
            }
            switch convertChecked(f, p + valueStart, valueLength) {
            case .success(let v): record(f, valueStart, valueLength, v)
            case .failure(let reason): failure = (reason.reason, tag)
            }
        }
        if failure == nil {
            if !has(_FIXField.msgType) {
                failure = (.requiredTagMissing, 35)
            } else {
                let type = FIXMsgType(rawValue: UInt8(truncatingIfNeeded: value(_FIXField.msgType)))!
                var required = _FIXField.header | _FIXField.required(type)
                if has(_FIXField.possDupFlag) && value(_FIXField.possDupFlag) != 0 {
                    required |= _FIXField.bit(_FIXField.origSendingTime)
                }
                let limit = Int64(FIXOrdType.limit.rawValue)
                if (type == .newOrderSingle || type == .orderCancelReplaceRequest),
                    has(_FIXField.ordType), value(_FIXField.ordType) == limit
                {
                    required |= _FIXField.bit(_FIXField.price)
                }
                if type == .executionReport, has(_FIXField.execType),
                    value(_FIXField.execType) == Int64(FIXExecType.trade.rawValue)
                {
                    required |= _FIXField.bit(_FIXField.lastQty) | _FIXField.bit(_FIXField.lastPx)
                }
                let missing = required & ~present
                if missing != 0 {
                    failure = (.requiredTagMissing, _FIXField.tag(ofField: missing.trailingZeroBitCount))
                }
            }
        }
        guard let (reason, tag) = failure else { return nil }
        var msgType = FIXString()
        if has(_FIXField.msgType) {
            let (s, l) = span(_FIXField.msgType)
            msgType = FIXString(UnsafeRawBufferPointer(start: p + s, count: min(l, FIXString.capacity)))!
        }
        return FIXRejection(
            reason: reason, refTagID: tag, refMsgType: msgType,
            refSeqNum: has(_FIXField.msgSeqNum) ? UInt64(value(_FIXField.msgSeqNum)) : 0,
            possDupFlag: has(_FIXField.possDupFlag) && value(_FIXField.possDupFlag) != 0)
    }

    /// The position of the first SOH at or after `i`; `p[end - 1]` is SOH, so it stops there
    /// at the latest. Eight bytes at a time: XOR with 0x01… turns SOH into zero, and the
    /// zero-byte test marks the first zero exactly (false marks appear only above a true one).
    @inline(__always)
    func _findSOH(_ p: UnsafeRawPointer, from start: Int, end: Int) -> Int {
        var j = start
        while j &+ 8 <= end {
            let w = p.loadUnaligned(fromByteOffset: j, as: UInt64.self).littleEndian ^ 0x0101_0101_0101_0101
            let z = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
            if z != 0 { return j &+ (z.trailingZeroBitCount >> 3) }
            j &+= 8
        }
        while p.load(fromByteOffset: j, as: UInt8.self) != FIX.soh { j &+= 1 }
        return j
    }

    /// A tag of 1 to 4 digits followed by '=' at the start of `w` (eight bytes, first byte
    /// lowest): its value and length, or nil to take the byte-at-a-time path.
    @inline(__always)
    func _tagFast(_ w: UInt64) -> (Int, Int)? {
        let e = w ^ 0x3D3D_3D3D_3D3D_3D3D  // '=' → 0
        let z = (e &- 0x0101_0101_0101_0101) & ~e & 0x8080_8080_8080_8080
        let k = z.trailingZeroBitCount >> 3  // bytes before the first '='
        guard k >= 1 && k <= 4 else { return nil }
        let mask: UInt64 = (1 << UInt64(k &* 8)) &- 1
        let digits = w & mask
        // Each byte 0x30...0x39: high nibble 3, low nibble + 6 stays below 16.
        guard (digits & 0xF0F0_F0F0_F0F0_F0F0) == (0x3030_3030_3030_3030 & mask),
            ((digits & 0x0F0F_0F0F_0F0F_0F0F) &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 & mask == 0
        else { return nil }
        let d0 = Int(w & 0xF), d1 = Int((w >> 8) & 0xF), d2 = Int((w >> 16) & 0xF), d3 = Int((w >> 24) & 0xF)
        switch k {
        case 1: return (d0, 1)
        case 2: return (d0 &* 10 &+ d1, 2)
        case 3: return (d0 &* 100 &+ d1 &* 10 &+ d2, 3)
        default: return (d0 &* 1000 &+ d1 &* 100 &+ d2 &* 10 &+ d3, 4)
        }
    }

    @inline(__always)
    func record(_ f: Int, _ start: Int, _ length: Int, _ v: Int64) {
        entries[f] = Entry(start: Int32(truncatingIfNeeded: start), length: Int32(truncatingIfNeeded: length), value: v)
        present |= 1 << UInt64(f)
    }

    struct Bad: Error { let reason: FIXSessionRejectReason }

    func convert(_ f: Int, _ p: UnsafeRawPointer, _ n: Int) -> Int64? {
        if case .success(let v) = convertChecked(f, p, n) { return v }
        return nil
    }

    /// Checks a value's format and range for its field and converts it: integers, prices
    /// (4 implied decimals), quantities, times (ns since epoch), flags (1/0) and enum bytes.
    @inline(__always)
    func convertChecked(_ f: Int, _ p: UnsafeRawPointer, _ n: Int) -> Result<Int64, Bad> {
        @inline(__always) func byte(_ k: Int) -> UInt8 { p.load(fromByteOffset: k, as: UInt8.self) }
        let kind = kindOfField[f]
        switch kind {
        case .string:
            return n <= FIXString.capacity ? .success(0) : .failure(Bad(reason: .valueIncorrect))
        case .text, .msgType:
            return .success(0)
        case .int:
            guard n <= 18 else {
                for k in 0..<n where byte(k) &- 0x30 >= 10 { return .failure(Bad(reason: .incorrectDataFormat)) }
                return .failure(Bad(reason: .valueIncorrect))
            }
            var v: Int64 = 0
            for k in 0..<n {
                let d = byte(k) &- 0x30
                guard d < 10 else { return .failure(Bad(reason: .incorrectDataFormat)) }
                v = v &* 10 &+ Int64(d)  // ≤ 18 digits: no overflow
            }
            return .success(v)
        case .qty, .price:
            // digits [ '.' digits ]; a price keeps 4 decimals, a quantity none; more decimals
            // must be zeros.
            let decimals = kind == .price ? 4 : 0
            var v: Int64 = 0
            var k = 0
            var wholeDigits = 0
            if n > 0 && byte(0) == UInt8(ascii: "-") {
                return .failure(Bad(reason: .valueIncorrect))
            }
            while k < n && byte(k) != UInt8(ascii: ".") {
                let d = byte(k) &- 0x30
                guard d < 10 else { return .failure(Bad(reason: .incorrectDataFormat)) }
                guard wholeDigits < 12 else { return .failure(Bad(reason: .valueIncorrect)) }
                v = v * 10 + Int64(d)
                wholeDigits += 1
                k += 1
            }
            var fracDigits = 0
            if k < n {
                k += 1  // '.'
                guard k < n || wholeDigits > 0 else { return .failure(Bad(reason: .incorrectDataFormat)) }
                while k < n {
                    let d = byte(k) &- 0x30
                    guard d < 10 else { return .failure(Bad(reason: .incorrectDataFormat)) }
                    if fracDigits < decimals {
                        v = v * 10 + Int64(d)
                        fracDigits += 1
                    } else if d != 0 {
                        return .failure(Bad(reason: .valueIncorrect))
                    }
                    k += 1
                }
            }
            guard wholeDigits > 0 || fracDigits > 0 else { return .failure(Bad(reason: .incorrectDataFormat)) }
            while fracDigits < decimals {
                v *= 10
                fracDigits += 1
            }
            guard v <= Int64(UInt32.max) else { return .failure(Bad(reason: .valueIncorrect)) }
            return .success(v)
        case .time:
            guard let t = FIXTime.parse(UnsafeRawBufferPointer(start: p, count: n)) else {
                return .failure(Bad(reason: .incorrectDataFormat))
            }
            return .success(Int64(t))
        case .bool:
            guard n == 1 else { return .failure(Bad(reason: .incorrectDataFormat)) }
            switch byte(0) {
            case UInt8(ascii: "Y"): return .success(1)
            case UInt8(ascii: "N"): return .success(0)
            default: return .failure(Bad(reason: .valueIncorrect))
            }
        case .side, .ordType, .timeInForce, .execType, .ordStatus, .cxlRejResponseTo:
            guard n == 1 else { return .failure(Bad(reason: .incorrectDataFormat)) }
            let b = byte(0)
            let ok: Bool
            switch kind {
            case .side: ok = FIXSide(rawValue: b) != nil
            case .ordType: ok = FIXOrdType(rawValue: b) != nil
            case .timeInForce: ok = FIXTimeInForce(rawValue: b) != nil
            case .execType: ok = FIXExecType(rawValue: b) != nil
            case .ordStatus: ok = FIXOrdStatus(rawValue: b) != nil
            default: ok = FIXCxlRejResponseTo(rawValue: b) != nil
            }
            return ok ? .success(Int64(b)) : .failure(Bad(reason: .valueIncorrect))
        }
    }
}
