// The simulator's publisher path as a plain program, for a quick figure and for
// `valgrind --tool=callgrind` (instruction counts do not depend on the machine's load):
//
//   swift build -c release --product ExchangeThroughput
//   .build/release/ExchangeThroughput [messages] [rounds]
//
// A synthetic day (20 symbols, seed 7) is generated first (not timed); each round replays it
// as background flow through the matching engines, ITCH encoding and MoldUDP64 packing into
// a counting sink, exactly as `Publisher.flowDay.1M` in ExchangeBenchmarks. Besides wall
// clock it prints the rate per second of this thread's CPU time, which is what one dedicated
// core would do when the machine is shared (as this one is, by several builds at once).

#if canImport(Glibc)
import Glibc
#endif
import QuorumExchange
import QuorumMarketTools
import QuorumWire

func threadCPUNanos() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

struct CountingPackets: MoldPacketSink {
    var packets = 0
    var bytes = 0
    mutating func send(_ packet: UnsafeRawBufferPointer) {
        packets &+= 1
        bytes &+= packet.count
    }
}

let arguments = CommandLine.arguments
let messages = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 3 : 3
let options = SyntheticDay.Options(symbols: 20, messages: messages, seed: 7, targetLiveOrdersPerSymbol: 1000)
var generator = SyntheticDay(options: options)
var day: [ITCHMessage] = []
day.reserveCapacity(messages)
while let m = generator.next() { day.append(m) }

let exchange = Exchange(config: MatchingConfig(maxOrders: 1 << 13, maxLevelsPerSide: 4096))
let flow = BackgroundFlow(exchange: exchange, maxLiveOrders: 1 << 16)
let publisher = MoldPublisher(MoldPublisherConfig(session: SessionID("QSIMTHRU01"), maxPacketBytes: 1400))
var feed = MoldFeed(publisher: publisher, orders: IgnoreMatchingEvents(), packets: CountingPackets())
for round in 0..<rounds {
    for e in exchange.engines { e.removeAll() }
    flow.removeAll()
    let before = publisher.nextSequence
    let start = ContinuousClock.now
    let cpuStart = threadCPUNanos()
    var now: UInt64 = 0
    for m in day {
        now &+= 1
        feed.now = now
        flow.apply(m, timestamp: Timestamp(now), &feed)
    }
    feed.flush()
    let cpu = Double(threadCPUNanos() - cpuStart) * 1e-9
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let published = Int(publisher.nextSequence - before)
    print("round \(round): \(day.count) source messages -> \(published) published, \(feed.packets.packets) packets so far, \(Int(seconds * 1000)) ms wall (\(Int(Double(published) / seconds)) msg/s), \(Int(cpu * 1000)) ms CPU (\(Int(Double(published) / cpu)) msg/s per CPU second)")
}
