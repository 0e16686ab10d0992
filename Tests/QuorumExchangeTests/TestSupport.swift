import QuorumBook
@testable import QuorumExchange
import QuorumWire

/// Records everything an engine reports, in order (allocates: tests only).
struct RecordingSink: MatchingEvents {
    enum Event: Equatable {
        case accepted(OrderAccepted)
        case rejected(OrderRejected)
        case filled(Fill)
        case cancelled(OrderCancelled)
        case replaced(OrderReplaced)
        case published(ITCHMessage)
    }

    var events: [Event] = []

    mutating func accepted(_ event: OrderAccepted) { events.append(.accepted(event)) }
    mutating func rejected(_ event: OrderRejected) { events.append(.rejected(event)) }
    mutating func filled(_ event: Fill) { events.append(.filled(event)) }
    mutating func cancelled(_ event: OrderCancelled) { events.append(.cancelled(event)) }
    mutating func replaced(_ event: OrderReplaced) { events.append(.replaced(event)) }
    mutating func published(_ message: ITCHMessage) { events.append(.published(message)) }

    var fills: [Fill] { events.compactMap { if case .filled(let f) = $0 { f } else { nil } } }
    var cancels: [OrderCancelled] { events.compactMap { if case .cancelled(let c) = $0 { c } else { nil } } }
    var rejects: [OrderRejected] { events.compactMap { if case .rejected(let r) = $0 { r } else { nil } } }
    var replaces: [OrderReplaced] { events.compactMap { if case .replaced(let r) = $0 { r } else { nil } } }
    var messages: [ITCHMessage] { events.compactMap { if case .published(let m) = $0 { m } else { nil } } }
    /// The published messages' type bytes as a string, e.g. "EEA".
    var itchTypes: String { String(decoding: messages.map(\.messageType), as: UTF8.self) }

    mutating func reset() { events.removeAll(keepingCapacity: true) }
}

/// A small deterministic generator for tests.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

let testLocate = StockLocate(7)
let testStock = Stock("QRM")
let t0 = Timestamp(34_200_000_000_000)

func makeEngine(maxOrders: Int = 1024, maxLevels: Int = 256) -> MatchingEngine {
    MatchingEngine(locate: testLocate, stock: testStock,
                   config: MatchingConfig(maxOrders: maxOrders, maxLevelsPerSide: maxLevels))
}

func buy(_ price: UInt32, _ qty: UInt32, _ type: OrderType = .limit, owner: UInt32 = 0, token: UInt64 = 0) -> NewOrder {
    NewOrder(side: .buy, type: type, price: Price(price), qty: Qty(qty), owner: Owner(owner), token: ClientToken(token))
}

func sell(_ price: UInt32, _ qty: UInt32, _ type: OrderType = .limit, owner: UInt32 = 0, token: UInt64 = 0) -> NewOrder {
    NewOrder(side: .sell, type: type, price: Price(price), qty: Qty(qty), owner: Owner(owner), token: ClientToken(token))
}

/// All levels of a side of the engine's book, best first.
func levels(_ e: MatchingEngine, _ side: Side) -> [DepthLevel] {
    (0..<e.levelCount(side)).map { e.level(side, $0)! }
}
