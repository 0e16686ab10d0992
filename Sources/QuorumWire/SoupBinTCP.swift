/// SoupBinTCP 3.00: NASDAQ's sequenced-stream session layer over TCP (used for ITCH
/// glimpse/replay and OUCH). A stream of logical packets:
/// ```
///  0       2      3
///  ┌───────┬──────┬──────────────────────┐
///  │ len   │ type │ payload (len − 1 B)  │   len counts type + payload, big-endian
///  └───────┴──────┴──────────────────────┘
/// ```
/// Text fields are ASCII: alphanumeric fields are padded on the right with spaces, numeric
/// fields (sequence numbers) are right-justified and padded on the left with spaces.
public enum SoupBinTCP {
    public static let prefixLength = 2

    /// Packet type bytes.
    public enum PacketType {
        public static let debug = UInt8(ascii: "+")
        public static let loginAccepted = UInt8(ascii: "A")
        public static let loginRejected = UInt8(ascii: "J")
        public static let sequencedData = UInt8(ascii: "S")
        public static let serverHeartbeat = UInt8(ascii: "H")
        public static let endOfSession = UInt8(ascii: "Z")
        public static let loginRequest = UInt8(ascii: "L")
        public static let unsequencedData = UInt8(ascii: "U")
        public static let clientHeartbeat = UInt8(ascii: "R")
        public static let logoutRequest = UInt8(ascii: "O")
    }

    /// Payload lengths of the fixed-size packets (type byte excluded).
    public static let loginAcceptedPayload = 30  // session 10, sequence number 20
    public static let loginRejectedPayload = 1  // reason code
    public static let loginRequestPayload = 46  // username 6, password 10, session 10, sequence 20

    /// Reject reason codes.
    public enum RejectReason {
        public static let notAuthorized = UInt8(ascii: "A")
        public static let sessionNotAvailable = UInt8(ascii: "S")
    }

    /// A login request's credentials and where to resume.
    public struct LoginRequest: Equatable, Sendable {
        /// Up to 6 ASCII characters.
        public var username: String
        /// Up to 10 ASCII characters.
        public var password: String
        /// The session to join, or `.blank` for the current one.
        public var requestedSession: SessionID
        /// The next sequence number wanted; 0 asks for the most recent.
        public var requestedSequenceNumber: UInt64

        public init(username: String, password: String, requestedSession: SessionID = .blank,
                    requestedSequenceNumber: UInt64) {
            self.username = username
            self.password = password
            self.requestedSession = requestedSession
            self.requestedSequenceNumber = requestedSequenceNumber
        }
    }

    /// One logical packet, both directions. Data packets refer to the caller's bytes
    /// (zero-copy): they are valid as long as the buffer they were decoded from.
    public enum Packet: Equatable {
        // Server → client.
        case debug(UnsafeRawBufferPointer)
        case loginAccepted(session: SessionID, sequenceNumber: UInt64)
        case loginRejected(reason: UInt8)
        case sequencedData(UnsafeRawBufferPointer)
        case serverHeartbeat
        case endOfSession
        // Client → server.
        case loginRequest(LoginRequest)
        case unsequencedData(UnsafeRawBufferPointer)
        case clientHeartbeat
        case logoutRequest

        public static func == (a: Packet, b: Packet) -> Bool {
            func same(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool { x.elementsEqual(y) }
            switch (a, b) {
            case let (.debug(x), .debug(y)), let (.sequencedData(x), .sequencedData(y)),
                let (.unsequencedData(x), .unsequencedData(y)):
                return same(x, y)
            case let (.loginAccepted(s1, n1), .loginAccepted(s2, n2)): return s1 == s2 && n1 == n2
            case let (.loginRejected(r1), .loginRejected(r2)): return r1 == r2
            case let (.loginRequest(l1), .loginRequest(l2)): return l1 == l2
            case (.serverHeartbeat, .serverHeartbeat), (.endOfSession, .endOfSession),
                (.clientHeartbeat, .clientHeartbeat), (.logoutRequest, .logoutRequest):
                return true
            default: return false
            }
        }

        /// The packet's type byte.
        public var packetType: UInt8 {
            switch self {
            case .debug: return PacketType.debug
            case .loginAccepted: return PacketType.loginAccepted
            case .loginRejected: return PacketType.loginRejected
            case .sequencedData: return PacketType.sequencedData
            case .serverHeartbeat: return PacketType.serverHeartbeat
            case .endOfSession: return PacketType.endOfSession
            case .loginRequest: return PacketType.loginRequest
            case .unsequencedData: return PacketType.unsequencedData
            case .clientHeartbeat: return PacketType.clientHeartbeat
            case .logoutRequest: return PacketType.logoutRequest
            }
        }

        /// Payload length (type byte excluded).
        public var payloadLength: Int {
            switch self {
            case .debug(let b), .sequencedData(let b), .unsequencedData(let b): return b.count
            case .loginAccepted: return SoupBinTCP.loginAcceptedPayload
            case .loginRejected: return SoupBinTCP.loginRejectedPayload
            case .loginRequest: return SoupBinTCP.loginRequestPayload
            case .serverHeartbeat, .endOfSession, .clientHeartbeat, .logoutRequest: return 0
            }
        }

        /// Bytes on the wire including the 2-byte length.
        public var encodedLength: Int { SoupBinTCP.prefixLength + 1 + payloadLength }

        /// Writes the packet at the start of `buffer`; returns the bytes written.
        /// - Complexity: O(payload length); never allocates.
        public func encode(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
            let n = encodedLength
            guard n - 2 <= Int(UInt16.max) else {
                throw .invalidField(offset: 0, field: "packet length", value: UInt64(n - 2))
            }
            guard let p = buffer.baseAddress, buffer.count >= n else {
                throw .truncated(offset: 0, needed: n, available: buffer.count)
            }
            _UnsafeBigEndian.put16(p, 0, UInt16(n - 2))
            _UnsafeBigEndian.put8(p, 2, packetType)
            let body = p + 3
            switch self {
            case .debug(let b), .sequencedData(let b), .unsequencedData(let b):
                if b.count > 0 { body.copyMemory(from: b.baseAddress!, byteCount: b.count) }
            case .loginAccepted(let session, let seq):
                session._encode(unchecked: body, 0)
                SoupBinTCP._putNumeric(body + 10, width: 20, seq)
            case .loginRejected(let reason):
                _UnsafeBigEndian.put8(body, 0, reason)
            case .loginRequest(let l):
                SoupBinTCP._putAlpha(body, width: 6, l.username)
                SoupBinTCP._putAlpha(body + 6, width: 10, l.password)
                l.requestedSession._encode(unchecked: body + 16, 0)
                SoupBinTCP._putNumeric(body + 26, width: 20, l.requestedSequenceNumber)
            case .serverHeartbeat, .endOfSession, .clientHeartbeat, .logoutRequest:
                break
            }
            return n
        }
    }

    /// Decodes the packet at the start of `bytes`.
    ///
    /// Returns nil when `bytes` holds only part of a packet (read more from the socket),
    /// otherwise the packet and the number of bytes it took. Throws for an unknown type, a
    /// fixed-size packet with the wrong length, or a non-numeric sequence number.
    /// - Complexity: O(1) for data packets (no copy), O(46) for a login request.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> (packet: Packet, consumed: Int)? {
        guard bytes.count >= 2, let p = bytes.baseAddress else { return nil }
        let len = Int(_UnsafeBigEndian.u16(p, 0))
        guard len >= 1 else { throw .invalidField(offset: 0, field: "packet length", value: 0) }
        guard bytes.count >= 2 + len else { return nil }
        let type = _UnsafeBigEndian.u8(p, 2)
        let payload = UnsafeRawBufferPointer(start: p + 3, count: len - 1)
        func expect(_ n: Int) throws(WireError) {
            guard len - 1 == n else {
                throw .lengthMismatch(offset: 0, type: type, expected: n + 1, actual: len)
            }
        }
        let packet: Packet
        switch type {
        case PacketType.debug: packet = .debug(payload)
        case PacketType.sequencedData: packet = .sequencedData(payload)
        case PacketType.unsequencedData: packet = .unsequencedData(payload)
        case PacketType.loginAccepted:
            try expect(loginAcceptedPayload)
            let seq = try _numeric(p + 13, width: 20, offset: 13)
            packet = .loginAccepted(session: SessionID(_unchecked: p + 3, 0), sequenceNumber: seq)
        case PacketType.loginRejected:
            try expect(loginRejectedPayload)
            packet = .loginRejected(reason: _UnsafeBigEndian.u8(p, 3))
        case PacketType.loginRequest:
            try expect(loginRequestPayload)
            let seq = try _numeric(p + 29, width: 20, offset: 29)
            packet = .loginRequest(LoginRequest(
                username: _alpha(p + 3, width: 6), password: _alpha(p + 9, width: 10),
                requestedSession: SessionID(_unchecked: p + 19, 0), requestedSequenceNumber: seq))
        case PacketType.serverHeartbeat: try expect(0); packet = .serverHeartbeat
        case PacketType.endOfSession: try expect(0); packet = .endOfSession
        case PacketType.clientHeartbeat: try expect(0); packet = .clientHeartbeat
        case PacketType.logoutRequest: try expect(0); packet = .logoutRequest
        default: throw .unknownType(offset: 2, type: type)
        }
        return (packet, 2 + len)
    }

    static func _putAlpha(_ p: UnsafeMutableRawPointer, width: Int, _ text: String) {
        var i = 0
        for b in text.utf8.prefix(width) { p.storeBytes(of: b, toByteOffset: i, as: UInt8.self); i += 1 }
        while i < width { p.storeBytes(of: 0x20, toByteOffset: i, as: UInt8.self); i += 1 }
    }

    static func _alpha(_ p: UnsafeRawPointer, width: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(start: p, count: width), as: UTF8.self).trimmingSpaces()
    }

    /// Right-justified decimal, left-padded with spaces.
    static func _putNumeric(_ p: UnsafeMutableRawPointer, width: Int, _ value: UInt64) {
        var v = value
        var i = width - 1
        repeat {
            p.storeBytes(of: UInt8(ascii: "0") + UInt8(v % 10), toByteOffset: i, as: UInt8.self)
            v /= 10
            i -= 1
        } while v > 0 && i >= 0
        while i >= 0 { p.storeBytes(of: 0x20, toByteOffset: i, as: UInt8.self); i -= 1 }
    }

    static func _numeric(_ p: UnsafeRawPointer, width: Int, offset: Int) throws(WireError) -> UInt64 {
        var v: UInt64 = 0
        var digits = 0
        for i in 0..<width {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            if b == 0x20 { if digits == 0 { continue } else { break } }
            guard b >= 0x30 && b <= 0x39 else {
                throw .invalidField(offset: offset + i, field: "sequence number", value: UInt64(b))
            }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(b - 0x30))
            guard !o1 && !o2 else { throw .invalidField(offset: offset, field: "sequence number", value: v) }
            v = s
            digits += 1
        }
        return v
    }
}
