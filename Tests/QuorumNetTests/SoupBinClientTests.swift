import QuorumWire
import Testing
@testable import QuorumNet

/// A small SoupBinTCP server on the reactor: accepts password "secret", then sends
/// `messages` sequenced packets (and End of Session when `endAfter`); or stays silent.
final class SoupBinTestServer: TCPListenerHandler, TCPHandler {
    let messages: Int
    let endAfter: Bool
    let silentAfterLogin: Bool
    var loginsSeen: [SoupBinTCP.LoginRequest] = []
    var clientHeartbeats = 0
    var logoutSeen = false
    var closedSeen = false
    let session = SessionID("SOUP000001")

    init(messages: Int, endAfter: Bool = true, silentAfterLogin: Bool = false) {
        self.messages = messages
        self.endAfter = endAfter
        self.silentAfterLogin = silentAfterLogin
    }

    func accepted(_ c: TCPConnection) -> (any TCPHandler)? { self }
    func connected(_ c: TCPConnection) {}
    func closed(_ c: TCPConnection, error: NetError?) { closedSeen = true }

    func send(_ packet: SoupBinTCP.Packet, _ c: TCPConnection) {
        let ok = c.withSendBuffer(maximum: packet.encodedLength) { try! packet.encode(into: $0) }
        #expect(ok)
    }

    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on c: TCPConnection) -> Int {
        var at = 0
        while let (packet, consumed) = try! SoupBinTCP.decode(UnsafeRawBufferPointer(rebasing: bytes[at...])) {
            at += consumed
            switch packet {
            case .loginRequest(let login):
                loginsSeen.append(login)
                guard login.password == "secret" else {
                    send(.loginRejected(reason: SoupBinTCP.RejectReason.notAuthorized), c)
                    continue
                }
                let first = login.requestedSequenceNumber == 0 ? 1 : login.requestedSequenceNumber
                send(.loginAccepted(session: session, sequenceNumber: first), c)
                if silentAfterLogin { continue }
                send(.serverHeartbeat, c)
                for i in 0..<messages {
                    let payload = soupMessage(first + UInt64(i))
                    payload.withUnsafeBytes { send(.sequencedData($0), c) }
                }
                if endAfter { send(.endOfSession, c) }
            case .clientHeartbeat: clientHeartbeats += 1
            case .logoutRequest: logoutSeen = true
            default: break
            }
        }
        return at
    }
}

func soupMessage(_ sequence: UInt64) -> [UInt8] { (0..<(3 + Int(sequence % 7))).map { UInt8(truncatingIfNeeded: sequence &+ UInt64($0)) } }

@Suite struct SoupBinClientTests {
    func setUp(_ server: SoupBinTestServer, password: String = "secret", sequence: UInt64 = 0,
               options: SoupBinClient.Options = .init()) throws -> (Reactor, SoupBinClient, RecordingSink) {
        var reactorOptions = Reactor.Options()
        reactorOptions.tcpSendBufferCapacity = 1 << 20
        let reactor = try Reactor(reactorOptions)
        let listener = try reactor.listen(on: .loopback(), handler: server)
        let sink = RecordingSink()
        let login = SoupBinTCP.LoginRequest(username: "quorum", password: password, requestedSession: .blank,
                                            requestedSequenceNumber: sequence)
        let client = SoupBinClient(reactor: reactor, server: listener.localAddress, login: login, sink: sink, options: options)
        try client.start()
        return (reactor, client, sink)
    }

    @Test func loginDataAndEndOfSession() throws {
        let server = SoupBinTestServer(messages: 5000)
        let (reactor, client, sink) = try setUp(server, sequence: 100)
        #expect(reactor.run { client.state == .ended })
        #expect(server.loginsSeen.first?.username == "quorum")
        #expect(client.session == server.session)
        #expect(sink.sequences == Array(100..<5100))
        #expect(sink.messages.allSatisfy { $0.1 == soupMessage($0.0) })
        #expect(sink.ended == 5100)
        #expect(client.serverHeartbeats == 1)
        #expect(reactor.run { server.closedSeen })
    }

    @Test func rejectedLoginEndsTheSession() throws {
        let server = SoupBinTestServer(messages: 1)
        let (reactor, client, sink) = try setUp(server, password: "wrong")
        #expect(reactor.run { client.state == .rejected(reason: SoupBinTCP.RejectReason.notAuthorized) && client.connection == nil })
        #expect(sink.messages.isEmpty)
    }

    @Test func clientSendsHeartbeatsWhileLoggedIn() throws {
        var options = SoupBinClient.Options()
        options.heartbeatIntervalNanos = 2_000_000
        let server = SoupBinTestServer(messages: 3, endAfter: false)
        let (reactor, client, sink) = try setUp(server, options: options)
        #expect(reactor.run { server.clientHeartbeats >= 3 })
        #expect(client.state == .loggedIn)
        #expect(client.heartbeatsSent >= 3)
        #expect(sink.sequences == [1, 2, 3])
    }

    @Test func silentServerIsDetected() throws {
        var options = SoupBinClient.Options()
        options.heartbeatIntervalNanos = 2_000_000
        options.serverSilenceNanos = 10_000_000
        let server = SoupBinTestServer(messages: 0, endAfter: false, silentAfterLogin: true)
        let (reactor, client, _) = try setUp(server, options: options)
        #expect(reactor.run { client.state == .serverSilent })
        #expect(reactor.run { server.closedSeen })
    }

    @Test func logoutIsSentBeforeClosing() throws {
        let server = SoupBinTestServer(messages: 2, endAfter: false)
        let (reactor, client, _) = try setUp(server)
        #expect(reactor.run { client.state == .loggedIn && client.messagesDelivered == 2 })
        client.logout()
        #expect(reactor.run { server.logoutSeen && server.closedSeen && client.connection == nil })
        #expect(client.state == .loggedOut)
    }

    @Test func refusedConnectionIsReported() throws {
        let reactor = try Reactor()
        let probe = try reactor.listen(on: .loopback(), handler: SoupBinTestServer(messages: 0))
        let port = probe.localAddress.port
        probe.close()
        reactor.runFor(nanoseconds: 1_000_000)
        let client = SoupBinClient(reactor: reactor, server: .loopback(port: port),
                                   login: .init(username: "q", password: "p", requestedSequenceNumber: 0),
                                   sink: RecordingSink())
        try client.start()
        #expect(reactor.run { client.connection == nil })
        #expect(client.state == .disconnected(.connectFailed(address: .loopback(port: port), errno: 111)))  // ECONNREFUSED
    }
}
