import CURing
import Glibc
import Testing
@testable import QuorumNet

/// Echoes every byte it receives back to the sender, consuming only what fits.
final class EchoServer: TCPListenerHandler, TCPHandler {
    var connections: [TCPConnection] = []
    var closedErrors: [NetError?] = []

    func accepted(_ connection: TCPConnection) -> (any TCPHandler)? {
        connections.append(connection)
        return self
    }
    func connected(_ connection: TCPConnection) {}
    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int {
        let n = Swift.min(bytes.count, connection.sendSpace)
        guard n > 0 else { return 0 }
        #expect(connection.send(UnsafeRawBufferPointer(rebasing: bytes[0..<n])))
        return n
    }
    func closed(_ connection: TCPConnection, error: NetError?) { closedErrors.append(error) }
}

/// Sends numbered, length-prefixed messages of varying size and checks the echo byte by byte.
final class EchoClient: TCPHandler {
    let total: Int
    let window: Int
    var sentMessages = 0
    var sentBytes = 0
    var echoedBytes = 0
    var checkedMessages = 0
    var mismatches = 0
    var isConnected = false
    var closedError: NetError?? = .none
    var scratch = [UInt8](repeating: 0, count: 512)

    init(total: Int, window: Int) {
        self.total = total
        self.window = window
    }

    static func size(of i: Int) -> Int { 12 + (i &* 37) % 300 }
    static func byte(_ i: Int, _ k: Int) -> UInt8 { UInt8(truncatingIfNeeded: i &* 31 &+ k &* 7) }

    func pump(_ c: TCPConnection) {
        while sentMessages < total && sentBytes - echoedBytes < window {
            let size = EchoClient.size(of: sentMessages)
            scratch[0] = UInt8(size >> 8)
            scratch[1] = UInt8(size & 0xFF)
            withUnsafeBytes(of: UInt64(sentMessages).littleEndian) { for k in 0..<8 { scratch[2 + k] = $0[k] } }
            for k in 10..<size { scratch[k] = EchoClient.byte(sentMessages, k) }
            let ok = scratch.withUnsafeBytes { c.send(UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
            guard ok else { return }
            sentMessages += 1
            sentBytes += size
        }
    }

    func connected(_ connection: TCPConnection) {
        isConnected = true
        pump(connection)
    }

    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int {
        var at = 0
        while bytes.count - at >= 2 {
            let size = Int(bytes[at]) << 8 | Int(bytes[at + 1])
            guard bytes.count - at >= size else { break }
            var seq: UInt64 = 0
            for k in 0..<8 { seq |= UInt64(bytes[at + 2 + k]) << (8 * k) }
            var ok = seq == UInt64(checkedMessages) && size == EchoClient.size(of: checkedMessages)
            if ok { for k in 10..<size where bytes[at + k] != EchoClient.byte(checkedMessages, k) { ok = false } }
            if !ok { mismatches += 1 }
            checkedMessages += 1
            at += size
        }
        echoedBytes += at
        pump(connection)
        return at
    }

    func closed(_ connection: TCPConnection, error: NetError?) { closedError = .some(error) }
    func sendBufferDrained(_ connection: TCPConnection) { pump(connection) }
}

final class ConnectWatcher: TCPHandler {
    var connected = false
    var closedError: NetError?? = .none
    var received: [UInt8] = []
    func connected(_ connection: TCPConnection) { connected = true }
    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int {
        received.append(contentsOf: bytes)
        return bytes.count
    }
    func closed(_ connection: TCPConnection, error: NetError?) { closedError = .some(error) }
}

final class ClosingServer: TCPListenerHandler, TCPHandler {
    var closedError: NetError?? = .none
    func accepted(_ connection: TCPConnection) -> (any TCPHandler)? { self }
    func connected(_ connection: TCPConnection) {
        let hello: [UInt8] = Array("bye".utf8)
        hello.withUnsafeBytes { _ = connection.send($0) }
        connection.close()
    }
    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int { bytes.count }
    func closed(_ connection: TCPConnection, error: NetError?) { closedError = .some(error) }
}

@Suite struct ReactorTCPTests {
    @Test func echoes100kMessagesThroughBackPressure() throws {
        var options = Reactor.Options()
        // A small kernel send buffer and small reactor buffers force partial sends and refusals.
        options.tcpSocketSendBufferBytes = 4096
        options.tcpSendBufferCapacity = 8192
        options.tcpReceiveBufferCapacity = 4096
        let reactor = try Reactor(options)
        let server = EchoServer()
        let listener = try reactor.listen(on: .loopback(), handler: server)
        let client = EchoClient(total: 100_000, window: 64 * 1024)
        let c = try reactor.connect(to: listener.localAddress, handler: client)
        let done = reactor.run(timeoutNanoseconds: 120_000_000_000) { client.checkedMessages == client.total }
        #expect(done)
        #expect(client.isConnected)
        #expect(client.checkedMessages == 100_000)
        #expect(client.mismatches == 0)
        #expect(c.bytesSent == UInt64(client.sentBytes))
        #expect(c.bytesReceived == UInt64(client.sentBytes))
        let s = try #require(server.connections.first)
        #expect(s.bytesSent == UInt64(client.sentBytes))
        // The client's window (64 KiB) is larger than its 8 KiB send buffer: refusals happen.
        #expect(c.sendsRefused > 0)
        c.close()
        #expect(reactor.run { client.closedError != nil && server.closedErrors.count == 1 })
        #expect(client.closedError == .some(nil))
        #expect(server.closedErrors == [.peerClosed])
        #expect(reactor.connectionCount == 0)
    }

    @Test func sendsDrainInOrderWhileThePeerIsSlowToRead() throws {
        let reactor = try Reactor()
        // A plain socket peer with a small receive buffer that reads only between polls, so the
        // kernel accepts a fraction of each send and the reactor sends the rest later.
        let lfd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(lfd) }
        var small: Int32 = 4096
        setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(4))
        var sa = SocketAddress.loopback()._sockaddr
        let bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(lfd, $0, 16) } }
        #expect(bound == 0)
        #expect(Glibc.listen(lfd, 4) == 0)
        let port = _Sockets.localAddress(lfd).port
        let watcher = ConnectWatcher()
        let c = try reactor.connect(to: .loopback(port: port), handler: watcher)
        #expect(reactor.run { watcher.connected })
        let peer = accept(lfd, nil, nil)
        #expect(peer >= 0)
        defer { close(peer) }
        let total = 1 << 20
        var queued = 0
        var got: [UInt8] = []
        got.reserveCapacity(total)
        var chunk = [UInt8](repeating: 0, count: 65536)
        var readBuffer = [UInt8](repeating: 0, count: 8192)
        while got.count < total {
            while queued < total {
                let n = Swift.min(total - queued, Swift.min(c.sendSpace, chunk.count))
                if n == 0 { break }
                for k in 0..<n { chunk[k] = UInt8(truncatingIfNeeded: (queued + k) % 251) }
                #expect(chunk.withUnsafeBytes { c.send(UnsafeRawBufferPointer(rebasing: $0[0..<n])) })
                queued += n
            }
            reactor.poll()
            let r = readBuffer.withUnsafeMutableBytes { recv(peer, $0.baseAddress, 8192, Int32(MSG_DONTWAIT)) }
            if r > 0 { got.append(contentsOf: readBuffer[0..<r]) }
        }
        #expect(got.count == total)
        #expect(got.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: $0.offset % 251) })
        #expect(c.bytesSent == UInt64(total))
        // This kernel (6.18) finishes a stream send inside io_uring even when the peer reads
        // slowly, so a short send completion is not provoked here; the bytes all arrive in order
        // whichever way the sends complete, and each completion covered at most one buffer.
        #expect(c.sendCompletions >= UInt64(total / c.sendCapacity))
    }

    @Test func peerCloseIsReportedAfterItsLastBytes() throws {
        let reactor = try Reactor()
        let server = ClosingServer()
        let listener = try reactor.listen(on: .loopback(), handler: server)
        let watcher = ConnectWatcher()
        _ = try reactor.connect(to: listener.localAddress, handler: watcher)
        #expect(reactor.run { watcher.closedError != nil && server.closedError != nil })
        #expect(watcher.connected)
        #expect(watcher.received == Array("bye".utf8))
        #expect(watcher.closedError == .some(.peerClosed))
        #expect(server.closedError == .some(nil))
    }

    @Test func connectRefusedIsReportedToTheHandler() throws {
        let reactor = try Reactor()
        // Find a port nobody listens on: bind a listener, note its port, close it.
        let server = ClosingServer()
        let listener = try reactor.listen(on: .loopback(), handler: server)
        let port = listener.localAddress.port
        listener.close()
        reactor.runFor(nanoseconds: 1_000_000)
        let watcher = ConnectWatcher()
        let c = try reactor.connect(to: .loopback(port: port), handler: watcher)
        #expect(reactor.run { watcher.closedError != nil })
        #expect(!watcher.connected)
        #expect(watcher.closedError == .some(.connectFailed(address: .loopback(port: port), errno: ECONNREFUSED)))
        #expect(c.state == .closed)
        let one: [UInt8] = [1]
        #expect(!one.withUnsafeBytes { c.send($0) })
        #expect(reactor.connectionCount == 0)
    }

    @Test func sendBufferHoldsBytesUntilConnectThenRefusesWhenFull() throws {
        var options = Reactor.Options()
        options.tcpSendBufferCapacity = 100
        let reactor = try Reactor(options)
        let server = EchoServer()
        let listener = try reactor.listen(on: .loopback(), handler: server)
        let watcher = ConnectWatcher()
        let c = try reactor.connect(to: listener.localAddress, handler: watcher)
        let bytes = [UInt8](0..<60)
        #expect(bytes.withUnsafeBytes { c.send($0) })
        #expect(!bytes.withUnsafeBytes { c.send($0) })  // 120 > 100
        #expect(c.sendsRefused == 1)
        #expect(c.withSendBuffer(maximum: 40) { buffer in
            for i in 0..<40 { buffer[i] = UInt8(100 + i) }
            return 40
        })
        #expect(reactor.run { watcher.received.count == 100 })
        #expect(watcher.received == Array(0..<60) + Array(100..<140))
    }

    @Test func addressParsingNamesWhatIsWrong() throws {
        #expect(try SocketAddress(parsing: "127.0.0.1:9000") == SocketAddress(127, 0, 0, 1, port: 9000))
        #expect(try SocketAddress(parsing: "localhost:1") == .loopback(port: 1))
        #expect(SocketAddress(10, 1, 2, 3, port: 7).description == "10.1.2.3:7")
        #expect(throws: NetError.invalidAddress(text: "127.0.0.1", reason: "expected exactly one ':' between host and port")) {
            try SocketAddress(parsing: "127.0.0.1")
        }
        #expect(throws: NetError.invalidAddress(text: "1.2.3.4:70000", reason: "port \"70000\" is not a number in 0...65535")) {
            try SocketAddress(parsing: "1.2.3.4:70000")
        }
        #expect(throws: NetError.invalidAddress(text: "1.2.300.4:1", reason: "\"300\" is not a number in 0...255")) {
            try SocketAddress(parsing: "1.2.300.4:1")
        }
        #expect(throws: NetError.invalidAddress(text: "1.2.3:1", reason: "host \"1.2.3\" is not four dotted numbers")) {
            try SocketAddress(parsing: "1.2.3:1")
        }
    }
}
