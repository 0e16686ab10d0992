import Glibc

/// An IPv4 address and port, in host byte order.
@frozen public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address, host byte order (127.0.0.1 is 0x7F00_0001).
    public var host: UInt32
    public var port: UInt16

    @inlinable public init(host: UInt32, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `a.b.c.d` and a port.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        self.init(host: UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d), port: port)
    }

    /// 127.0.0.1 with `port` (0: let the kernel pick when binding).
    public static func loopback(port: UInt16 = 0) -> SocketAddress { SocketAddress(127, 0, 0, 1, port: port) }

    /// 0.0.0.0 with `port`.
    public static func any(port: UInt16 = 0) -> SocketAddress { SocketAddress(host: 0, port: port) }

    /// Parses `"a.b.c.d:port"` (also `"localhost:port"`).
    public init(parsing text: String) throws(NetError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalidAddress(text: text, reason: "expected exactly one ':' between host and port")
        }
        guard let port = UInt16(parts[1]) else {
            throw .invalidAddress(text: text, reason: "port \"\(parts[1])\" is not a number in 0...65535")
        }
        if parts[0] == "localhost" {
            self = .loopback(port: port)
            return
        }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else {
            throw .invalidAddress(text: text, reason: "host \"\(parts[0])\" is not four dotted numbers")
        }
        var host: UInt32 = 0
        for octet in octets {
            guard let v = UInt8(octet) else {
                throw .invalidAddress(text: text, reason: "\"\(octet)\" is not a number in 0...255")
            }
            host = host << 8 | UInt32(v)
        }
        self.init(host: host, port: port)
    }

    public var description: String {
        "\(host >> 24).\(host >> 16 & 0xFF).\(host >> 8 & 0xFF).\(host & 0xFF):\(port)"
    }

    @inlinable
    var _sockaddr: sockaddr_in {
        var s = sockaddr_in()
        s.sin_family = sa_family_t(AF_INET)
        s.sin_port = port.bigEndian
        s.sin_addr = in_addr(s_addr: host.bigEndian)
        return s
    }

    @inlinable
    init(_sockaddr s: sockaddr_in) {
        self.init(host: UInt32(bigEndian: s.sin_addr.s_addr), port: UInt16(bigEndian: s.sin_port))
    }
}
