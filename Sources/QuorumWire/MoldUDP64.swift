/// MoldUDP64: how NASDAQ multicasts ITCH. One UDP datagram carries a header and zero or
/// more length-prefixed message blocks; message sequence numbers are implicit (the header's
/// sequence number is that of the first block).
///
/// Downstream packet:
/// ```
///  0         10              18      20
///  ┌─────────┬───────────────┬───────┬──────┬──────────┬──────┬──────── …
///  │ session │ sequence (u64)│ count │ len  │ message  │ len  │ message
///  └─────────┴───────────────┴───────┴──────┴──────────┴──────┴──────── …
/// ```
/// `count == 0` is a heartbeat (sequence = next expected), `count == 0xFFFF` ends the
/// session. A re-request packet (client → re-request server) has the same 20-byte header
/// shape with the number of messages wanted as its count.
public enum MoldUDP64 {
    public static let headerLength = 20
    public static let heartbeatCount: UInt16 = 0
    public static let endOfSessionCount: UInt16 = 0xFFFF
    /// Largest payload that fits one Ethernet-MTU datagram (1500 − IP 20 − UDP 8).
    public static let maxPacketLength = 1472

    /// What a downstream header announces.
    @frozen public enum Kind: Equatable, Sendable {
        case messages(count: Int)
        case heartbeat
        case endOfSession
    }

    /// The 20-byte header (of a downstream or a re-request packet).
    @frozen public struct Header: Equatable, Sendable, BitwiseCopyable {
        public var session: SessionID
        public var sequenceNumber: UInt64
        public var messageCount: UInt16

        @inlinable public init(session: SessionID, sequenceNumber: UInt64, messageCount: UInt16) {
            self.session = session
            self.sequenceNumber = sequenceNumber
            self.messageCount = messageCount
        }

        @inlinable public var kind: Kind {
            switch messageCount {
            case MoldUDP64.heartbeatCount: return .heartbeat
            case MoldUDP64.endOfSessionCount: return .endOfSession
            default: return .messages(count: Int(messageCount))
            }
        }

        @inlinable @inline(__always)
        init(_unchecked p: UnsafeRawPointer) {
            session = SessionID(_unchecked: p, 0)
            sequenceNumber = _UnsafeBigEndian.u64(p, 10)
            messageCount = _UnsafeBigEndian.u16(p, 18)
        }

        @inlinable @inline(__always)
        func _encode(unchecked p: UnsafeMutableRawPointer) {
            session._encode(unchecked: p, 0)
            _UnsafeBigEndian.put64(p, 10, sequenceNumber)
            _UnsafeBigEndian.put16(p, 18, messageCount)
        }

        /// Decodes the first 20 bytes of `bytes`.
        @inlinable
        public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> Header {
            guard let p = bytes.baseAddress, bytes.count >= MoldUDP64.headerLength else {
                throw .truncated(offset: 0, needed: MoldUDP64.headerLength, available: bytes.count)
            }
            return Header(_unchecked: p)
        }

        /// Writes 20 bytes; returns 20.
        @inlinable
        public func encode(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
            guard let p = buffer.baseAddress, buffer.count >= MoldUDP64.headerLength else {
                throw .truncated(offset: 0, needed: MoldUDP64.headerLength, available: buffer.count)
            }
            _encode(unchecked: p)
            return MoldUDP64.headerLength
        }
    }

    /// A re-request for `messageCount` messages starting at `sequenceNumber`.
    public typealias RequestPacket = Header

    /// A validated view of one downstream datagram.
    ///
    /// `init` walks the message blocks once and rejects a packet whose blocks do not exactly
    /// fill it (truncated block, missing blocks, trailing bytes), so iterating afterwards
    /// needs no checks. Not thread-safe; the bytes must outlive the view.
    @frozen public struct Packet {
        public let header: Header
        public let bytes: UnsafeRawBufferPointer

        /// - Complexity: O(message count).
        @inlinable
        public init(_ bytes: UnsafeRawBufferPointer) throws(WireError) {
            let header = try Header.decode(bytes)
            let p = bytes.baseAddress!  // non-nil: decode checked count >= 20
            var position = MoldUDP64.headerLength
            if case .messages(let count) = header.kind {
                for _ in 0..<count {
                    guard bytes.count - position >= 2 else {
                        throw .truncated(offset: position, needed: 2, available: bytes.count - position)
                    }
                    let len = Int(_UnsafeBigEndian.u16(p, position))
                    guard bytes.count - position - 2 >= len else {
                        throw .truncated(offset: position, needed: 2 + len, available: bytes.count - position)
                    }
                    position += 2 + len
                }
            }
            guard position == bytes.count else {
                throw .lengthMismatch(offset: 0, type: 0, expected: position, actual: bytes.count)
            }
            self.header = header
            self.bytes = bytes
        }

        /// Calls `body` with each message's sequence number, byte offset in the packet, and
        /// bytes, in order.
        /// - Complexity: O(message count).
        @inlinable
        public func forEachMessage<E: Error>(
            _ body: (_ sequence: UInt64, _ offset: Int, _ message: UnsafeRawBufferPointer) throws(E) -> Void
        ) throws(E) {
            guard case .messages(let count) = header.kind, let p = bytes.baseAddress else { return }
            var position = MoldUDP64.headerLength
            for i in 0..<count {
                // Safe: init checked every block lies inside the packet.
                let len = Int(_UnsafeBigEndian.u16(p, position))
                try body(header.sequenceNumber &+ UInt64(i), position + 2,
                         UnsafeRawBufferPointer(start: p + position + 2, count: len))
                position += 2 + len
            }
        }
    }

    /// Builds one downstream packet in a caller-provided buffer.
    ///
    /// Not thread-safe.
    @frozen public struct PacketWriter {
        public let buffer: UnsafeMutableRawBufferPointer
        public var header: Header
        public var length: Int

        /// Starts a packet whose first message will have `sequenceNumber`.
        @inlinable
        public init(_ buffer: UnsafeMutableRawBufferPointer, session: SessionID, sequenceNumber: UInt64) throws(WireError) {
            guard buffer.count >= MoldUDP64.headerLength else {
                throw .truncated(offset: 0, needed: MoldUDP64.headerLength, available: buffer.count)
            }
            self.buffer = buffer
            self.header = Header(session: session, sequenceNumber: sequenceNumber, messageCount: 0)
            self.length = MoldUDP64.headerLength
        }

        /// Room for one more message of `n` bytes?
        @inlinable public func fits(_ n: Int) -> Bool {
            buffer.count - length >= 2 + n && header.messageCount < MoldUDP64.endOfSessionCount - 1
        }

        /// Appends one ITCH message; throws `.truncated` (nothing written) when it does not fit.
        @inlinable
        public mutating func append(_ message: ITCHMessage) throws(WireError) {
            let n = message.length
            guard fits(n), let base = buffer.baseAddress else {
                throw .truncated(offset: length, needed: 2 + n, available: buffer.count - length)
            }
            _UnsafeBigEndian.put16(base, length, UInt16(n))
            _ = try message.encode(into: UnsafeMutableRawBufferPointer(start: base + length + 2, count: n))
            length += 2 + n
            header.messageCount += 1
        }

        /// Appends raw message bytes.
        @inlinable
        public mutating func append(bytes: UnsafeRawBufferPointer) throws(WireError) {
            let n = bytes.count
            guard n <= Int(UInt16.max), fits(n), let base = buffer.baseAddress else {
                throw .truncated(offset: length, needed: 2 + n, available: buffer.count - length)
            }
            _UnsafeBigEndian.put16(base, length, UInt16(n))
            if n > 0 { (base + length + 2).copyMemory(from: bytes.baseAddress!, byteCount: n) }
            length += 2 + n
            header.messageCount += 1
        }

        /// Writes the header and returns the packet's length in bytes.
        @inlinable
        public func finish() -> Int {
            header._encode(unchecked: buffer.baseAddress!)
            return length
        }
    }

    /// Writes a heartbeat (count 0, `nextSequenceNumber` = next message to be sent); returns 20.
    @inlinable
    public static func encodeHeartbeat(session: SessionID, nextSequenceNumber: UInt64,
                                       into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        try Header(session: session, sequenceNumber: nextSequenceNumber, messageCount: heartbeatCount).encode(into: buffer)
    }

    /// Writes an end-of-session packet (count 0xFFFF); returns 20.
    @inlinable
    public static func encodeEndOfSession(session: SessionID, nextSequenceNumber: UInt64,
                                          into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        try Header(session: session, sequenceNumber: nextSequenceNumber, messageCount: endOfSessionCount).encode(into: buffer)
    }
}
