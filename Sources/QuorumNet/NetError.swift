import Glibc

/// What went wrong at the net layer's edges: set-up, addresses, connections.
///
/// The hot path never throws; it counts (see the counters on `TCPConnection` and
/// `UDPSocket`). These errors come from `Reactor.init`, from opening sockets, and as the
/// reason handed to `TCPHandler.closed(_:error:)`.
public enum NetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kernel's io_uring does not support an operation the reactor needs.
    case unsupportedOperation(name: String)
    /// A system call failed: which one and its errno.
    case systemCall(name: String, errno: Int32)
    /// An address string could not be parsed.
    case invalidAddress(text: String, reason: String)
    /// An outgoing connection failed (refused, unreachable, timed out).
    case connectFailed(address: SocketAddress, errno: Int32)
    /// The peer closed the connection (recv returned 0).
    case peerClosed
    /// A socket operation completed with an error (reset, broken pipe …).
    case io(operation: String, errno: Int32)
    /// The handler left the receive buffer full without consuming a byte.
    case receiveBufferFull(capacity: Int)
    /// A fixed-capacity table of the reactor is full.
    case capacityExhausted(what: String, limit: Int)
    /// An argument was out of range.
    case invalidArgument(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedOperation(let name):
            return "io_uring on this kernel does not support \(name), which the reactor needs"
        case .systemCall(let name, let e):
            return "\(name) failed: \(NetError.errnoText(e)) (errno \(e))"
        case .invalidAddress(let text, let reason):
            return "invalid address \"\(text)\": \(reason) (expected IPv4 host:port, e.g. 127.0.0.1:9000)"
        case .connectFailed(let address, let e):
            return "connect to \(address) failed: \(NetError.errnoText(e)) (errno \(e))"
        case .peerClosed:
            return "peer closed the connection"
        case .io(let op, let e):
            return "\(op) failed: \(NetError.errnoText(e)) (errno \(e))"
        case .receiveBufferFull(let capacity):
            return "receive buffer full (\(capacity) bytes) and the handler consumed nothing"
        case .capacityExhausted(let what, let limit):
            return "no room for another \(what) (limit \(limit); raise it in Reactor.Options)"
        case .invalidArgument(let name, let value, let reason):
            return "\(name) = \(value): \(reason)"
        }
    }

    static func errnoText(_ e: Int32) -> String {
        guard let s = strerror(e) else { return "errno \(e)" }
        return String(cString: s)
    }
}
