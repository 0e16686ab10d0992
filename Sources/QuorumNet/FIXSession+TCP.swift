import QuorumWire

#if canImport(Glibc)
import Glibc
#endif

/// Binds a `FIXSession` to one reactor `TCPConnection`: the connection's events drive the
/// session and the session's bytes go out through the connection's send buffer.
///
/// Receive stamps are CLOCK_MONOTONIC; the session wants UTC (for SendingTime), so the
/// handler adds an offset to the real-time clock taken once when it is made.
/// For an initiator, pass it to `Reactor.connect(to:handler:)`; for an acceptor, return one
/// from `TCPListenerHandler.accepted` (a new handler per connection may reuse one session,
/// which then resumes its sequence numbers). Not thread-safe: the reactor's thread only.
public final class FIXTCPHandler: TCPHandler, FIXSessionTransport {
    public let session: FIXSession
    public private(set) var connection: TCPConnection?
    /// The receive stamp of the bytes being processed (delegate callbacks read it).
    public private(set) var lastReceiveNanos: UInt64 = 0
    /// Real-time minus monotonic nanoseconds, taken at init.
    public let wallClockOffset: UInt64

    public init(session: FIXSession) {
        self.session = session
        wallClockOffset = NetClock.realTimeOffset()
        session.transport = self
    }

    /// UTC nanoseconds since the epoch, from the monotonic clock (no system call).
    @inline(__always) public func wallNow() -> UInt64 { NetClock.now() &+ wallClockOffset }

    public func connected(_ connection: TCPConnection) {
        self.connection = connection
        session.transport = self
        session.connected(now: wallNow())
    }

    public func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int {
        lastReceiveNanos = receiveNanos
        return session.received(bytes, now: receiveNanos &+ wallClockOffset)
    }

    public func closed(_ connection: TCPConnection, error: NetError?) {
        if self.connection === connection { self.connection = nil }
        // A late close of an old connection must not end the session a newer one carries.
        if session.transport === self { session.transportClosed(now: wallNow()) }
    }

    // FIXSessionTransport

    public func send(_ bytes: UnsafeRawBufferPointer) -> Bool { connection?.send(bytes) ?? false }

    public func disconnect() { connection?.close() }

    public func warmSend(byteCount: Int) { connection?.warmSend(byteCount: byteCount) }
}
