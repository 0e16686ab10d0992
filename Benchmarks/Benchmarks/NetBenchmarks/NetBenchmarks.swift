// The net loop's steady-state paths on loopback, through a busy-polling io_uring reactor:
// one UDP datagram sent and received (the market-data receive path, stamps included), one
// 64-byte TCP echo round trip, and the MoldUDP64 receive state machine on an in-order packet.
//
// Every benchmark is a steady-state hot path, so mallocCountTotal is held at 0 by the
// committed thresholds in Benchmarks/Thresholds (checked with
// `swift package --disable-sandbox benchmark thresholds check --target NetBenchmarks`).
// Wall-clock figures here include the kernel's loopback path and are noisy on a shared machine.

import Benchmark
import QuorumNet
import QuorumWire

final class DatagramCounter: UDPHandler {
    var count = 0
    var lastStamp: UInt64 = 0
    func received(_ datagram: UnsafeRawBufferPointer, from source: SocketAddress?, at receiveNanos: UInt64, on socket: UDPSocket) {
        count &+= 1
        lastStamp = receiveNanos
    }
}

/// One reactor with a UDP sender/receiver pair on loopback. The harness runs benchmarks one
/// at a time on one thread, the reactor's single-owner discipline; `@unchecked Sendable`
/// only satisfies the closure's signature.
final class UDPFixture: @unchecked Sendable {
    let reactor: Reactor
    let counter = DatagramCounter()
    let receiver: UDPSocket
    let sender: UDPSocket
    let payload = [UInt8](repeating: 0x5A, count: 64)

    init() {
        reactor = try! Reactor(.init(mode: .busyPoll))
        receiver = try! reactor.udpReceiver(bind: .loopback(), handler: counter, bufferCount: 64, bufferSize: 2048)
        sender = try! reactor.udpSender(bind: .loopback(), connect: receiver.localAddress)
    }

    @inline(__always)
    func roundTrip() {
        let target = counter.count &+ 1
        payload.withUnsafeBytes { _ = sender.send($0) }
        while counter.count != target { reactor.poll() }
    }
}

final class Echo: TCPListenerHandler, TCPHandler {
    func accepted(_ connection: TCPConnection) -> (any TCPHandler)? { self }
    func connected(_ connection: TCPConnection) {}
    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int {
        connection.send(bytes) ? bytes.count : 0
    }
    func closed(_ connection: TCPConnection, error: NetError?) {}
}

final class EchoCounter: TCPHandler {
    var bytes = 0
    var isConnected = false
    func connected(_ connection: TCPConnection) { isConnected = true }
    func received(_ bytes: UnsafeRawBufferPointer, at receiveNanos: UInt64, on connection: TCPConnection) -> Int {
        self.bytes &+= bytes.count
        return bytes.count
    }
    func closed(_ connection: TCPConnection, error: NetError?) {}
}

final class TCPFixture: @unchecked Sendable {
    let reactor: Reactor
    let echo = Echo()
    let counter = EchoCounter()
    let listener: TCPListener
    let client: TCPConnection
    let payload = [UInt8](repeating: 0x33, count: 64)

    init() {
        reactor = try! Reactor(.init(mode: .busyPoll))
        listener = try! reactor.listen(on: .loopback(), handler: echo)
        client = try! reactor.connect(to: listener.localAddress, handler: counter)
        while !counter.isConnected { reactor.poll() }
    }

    @inline(__always)
    func roundTrip() {
        let target = counter.bytes &+ payload.count
        payload.withUnsafeBytes { _ = client.send($0) }
        while counter.bytes != target { reactor.poll() }
    }
}

final class CountingSink: MoldFeedSink {
    var messages = 0
    func message(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, receiveNanos: UInt64) { messages &+= 1 }
}

/// A 10-message packet whose sequence number is rewritten in place before each receive.
final class MoldFixture: @unchecked Sendable {
    let sink = CountingSink()
    let receiver: MoldFeedReceiver
    let packet: UnsafeMutableRawBufferPointer
    let length: Int
    var next: UInt64 = 1

    init() {
        receiver = MoldFeedReceiver(sink: sink)
        packet = .allocate(byteCount: MoldUDP64.maxPacketLength, alignment: 8)
        var writer = try! MoldUDP64.PacketWriter(packet, session: SessionID("BENCH00001"), sequenceNumber: 1)
        let message = [UInt8](repeating: 0x41, count: 36)  // an AddOrder's size
        for _ in 0..<10 { message.withUnsafeBytes { try! writer.append(bytes: $0) } }
        length = writer.finish()
    }

    @inline(__always)
    func receiveOne() {
        withUnsafeBytes(of: next.bigEndian) { packet.baseAddress!.advanced(by: 10).copyMemory(from: $0.baseAddress!, byteCount: 8) }
        next &+= 10
        receiver.receive(UnsafeRawBufferPointer(rebasing: packet[0..<length]), at: 0)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 1000,
        maxDuration: .seconds(2),
        maxIterations: 100_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p25: 0, .p50: 0, .p75: 0, .p90: 0, .p99: 0, .p100: 0])]
    )

    Benchmark("NetClock.now") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(NetClock.now()) }
    }

    let udp = UDPFixture()
    Benchmark("Reactor.udpLoopback.64B") { benchmark in
        for _ in benchmark.scaledIterations { udp.roundTrip() }
    }

    let tcp = TCPFixture()
    Benchmark("Reactor.tcpEchoRoundTrip.64B") { benchmark in
        for _ in benchmark.scaledIterations { tcp.roundTrip() }
    }

    let mold = MoldFixture()
    Benchmark("MoldFeedReceiver.inOrder.10msgs") { benchmark in
        for _ in benchmark.scaledIterations { mold.receiveOne() }
        blackHole(mold.sink.messages)
    }
}
