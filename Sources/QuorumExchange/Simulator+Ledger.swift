import QuorumWire

/// One client order as the simulator's FIX acceptor recorded it: what was asked, what
/// filled and at what total price. The other side of a reconciliation with an engine.
public struct SimulatorClientOrder: Sendable, Equatable {
    public var clOrdID: String
    public var symbol: String
    public var side: FIXSide
    public var orderQty: Int64
    public var cumQty: Int64
    /// Σ fill quantity × fill price (price units: 4 implied decimals).
    public var notional: UInt64
    /// Still resting on the book.
    public var live: Bool
}

extension Simulator {
    /// The client orders the acceptor remembers (the most recent 65 536), oldest first.
    /// Set-up/report time only: allocates. Call on the simulator's thread (or after it ended).
    public func clientOrderLedger() -> [SimulatorClientOrder] {
        var out: [SimulatorClientOrder] = []
        let first = _nextToken > UInt64(_clients.capacity) ? _nextToken - UInt64(_clients.capacity) : 1
        var token = first
        while token < _nextToken {
            if let e = _clients.entry(token) {
                out.append(SimulatorClientOrder(clOrdID: e.clOrdID.description, symbol: e.symbol.description, side: e.side,
                                                orderQty: Int64(e.orderQty.rawValue), cumQty: Int64(e.cumQty.rawValue),
                                                notional: e.notional, live: e.live))
            }
            token &+= 1
        }
        return out
    }
}
