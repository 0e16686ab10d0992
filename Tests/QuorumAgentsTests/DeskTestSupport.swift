@testable import QuorumAgents
import QuorumBook
import QuorumRisk
import QuorumWire

/// A real `Agent` whose emissions the test decides: it emits what is queued on its next
/// market call (or a NaN-confidence signal when `emitNaN`), and counts its calls.
final class ScriptedAnalyst: Agent {
    let id: AgentID
    var role: Role { .analyst }
    var queued: [(Direction, Double)] = []
    var emitNaN = false
    var pattern = PatternID.trend
    var calls = 0
    var entries: [ScratchpadEntry] = []
    init(id: AgentID) { self.id = id }
    func onScratchpad(_ entry: ScratchpadEntry, into output: AgentOutput) { entries.append(entry) }
    func onMarket(_ update: MarketUpdate, _ c: AgentContext, into out: AgentOutput) {
        calls += 1
        if emitNaN {
            out.emit(Signal(symbol: c.symbol, direction: .long, confidence: .nan, expectedReturn: 0.001,
                            horizonNanos: 1_000_000_000, pattern: pattern, agent: id, time: c.time))
        }
        for (d, conf) in queued {
            out.emit(Signal(symbol: c.symbol, direction: d, confidence: conf, expectedReturn: d == .flat ? 0 : Double(d.rawValue) * 0.001,
                            horizonNanos: 1_000_000_000_000, pattern: pattern, agent: id, time: c.time))
        }
        queued.removeAll()
    }
}

struct TestDesk {
    let desk: Desk
    let scripted: [ScriptedAnalyst]
}

/// A desk of `analysts` scripted agents (or configured ones) on `symbols` symbols, locate i+1.
func makeDesk(symbols: Int = 1, analysts: [AnalystConfig], limits: RiskLimits? = nil,
              _ tweak: (inout DeskConfig) -> Void = { _ in }) throws -> TestDesk {
    let rc = try RiskConfig(instrumentCapacity: symbols)
    let engine = try RiskEngine(config: rc, capital: 1_000_000, sectors: Array(repeating: 0, count: symbols),
                                teams: Array(repeating: 0, count: symbols),
                                limits: limits ?? .unlimited(instruments: symbols))
    var cfg = DeskConfig(symbols: (0..<symbols).map { DeskSymbol(locate: UInt16($0 + 1)) }, analysts: analysts)
    tweak(&cfg)
    var made: [ScriptedAnalyst] = []
    let desk = try Desk(config: cfg, engine: engine) { id, _ in
        let a = ScriptedAnalyst(id: id)
        made.append(a)
        return a
    }
    return TestDesk(desk: desk, scripted: made)
}

func scripted(_ name: String, weight: Double = 1, backupFor: Int? = nil, asks: Bool = false) -> AnalystConfig {
    AnalystConfig(name: name, kind: .custom, weight: weight, backupFor: backupFor, asksCorrelation: asks)
}

/// A two-sided quote update for locate `locate` at time `t` (ns); prices in ticks.
func quote(_ locate: UInt16 = 1, t: UInt64, bid: UInt32 = 1_000_000, ask: UInt32 = 1_000_100,
           bidQty: UInt64 = 500, askQty: UInt64 = 500) -> MarketUpdate {
    var u = MarketUpdate()
    u.locate = StockLocate(locate)
    u.exchangeTime = Timestamp(t)
    u.changes = [.bestBidOffer]
    u.bestBid = BookQuote(price: Price(bid), qty: bidQty)
    u.bestAsk = BookQuote(price: Price(ask), qty: askQty)
    u.bids[0] = DepthLevel(price: Price(bid), qty: bidQty, orderCount: 1)
    u.asks[0] = DepthLevel(price: Price(ask), qty: askQty, orderCount: 1)
    u.bidCount = 1
    u.askCount = 1
    let total = Int64(bidQty + askQty)
    u.imbalanceBasisPoints = total == 0 ? 0 : Int16((Int64(bidQty) - Int64(askQty)) * 10_000 / total)
    return u
}

extension Desk {
    func recorded(_ k: DeskRecordKind) -> [DeskRecord] { records.records.filter { $0.kind == k } }
    var stepOrders: [ChildOrder] { (0..<orderCount).map { order($0) } }
    /// Fills every order of the step in full at its limit and returns the fills' records.
    func fillAll(at t: UInt64, priceTicks: Int64? = nil) -> [DeskRecord] {
        var out: [DeskRecord] = []
        for o in stepOrders {
            onFill(Fill(order: o.id, symbol: o.symbol, direction: o.direction, quantity: o.quantity,
                        priceTicks: priceTicks ?? o.limitTicks, time: t))
            out += records.records
        }
        return out
    }
}
