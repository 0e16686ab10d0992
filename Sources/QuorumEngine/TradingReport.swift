import Foundation
import QuorumAgents

/// The report a run (backtest, replay) ends with: trades, P&L per symbol, team and agent,
/// risk-adjusted figures from the P&L curve sampled in event time, and what the desk's
/// coordination mechanisms did. Every figure is a function of the coordinator's state, so a
/// replay of the journal reproduces it exactly.
public struct TradingReport: Sendable, Equatable, Codable {
    public struct SymbolLine: Sendable, Equatable, Codable {
        public var symbol: String
        public var team: String
        public var fills: Int
        public var bought: Int64
        public var sold: Int64
        public var position: Int64
        public var realised: Double
        public var unrealised: Double
        public var total: Double
        public var lastMid: Double
    }
    public struct TeamLine: Sendable, Equatable, Codable {
        public var team: String
        public var realised: Double
        public var unrealised: Double
        public var total: Double
    }
    public struct AgentLine: Sendable, Equatable, Codable {
        public var agent: String
        /// Realised P&L of the round trips its signals opened, split evenly among contributors.
        public var attributedPnL: Double
        public var roundTrips: Int
        public var quarantined: Bool
    }

    public var inputs: Int
    public var marketUpdates: Int
    public var fills: Int
    public var ordersSent: Int
    public var ordersRejected: Int
    public var unmatchedFills: Int
    public var realised: Double
    public var unrealised: Double
    public var total: Double
    /// Annualised from the per-sample P&L changes over `capital`
    /// (periods per year = 252 × 6.5 h / sample interval); 0 with fewer than 2 samples.
    public var sharpe: Double
    public var sortino: Double
    /// Largest fall of the P&L curve from a previous peak (currency, ≥ 0).
    public var maxDrawdown: Double
    public var samples: Int
    public var sampleSeconds: Double
    public var decisions: Int
    public var approvedDecisions: Int
    public var vetoedDecisions: Int
    public var riskVetoes: Int
    public var riskResizes: Int
    public var conflicts: Int
    public var quarantines: Int
    public var directives: Int
    public var outcomes: Int
    public var signals: Int
    public var invalidMessages: Int
    public var cancelAlls: Int
    /// Setups delegated to the execution agent, and how they ended (filled, expired, crossed,
    /// cancelled or vetoed); units filled through them.
    public var delegations: Int
    public var delegationsFilled: Int
    public var delegationsExpired: Int
    public var delegationsCrossed: Int
    public var delegationsStopped: Int
    public var delegatedUnits: Int64
    /// Desk counters: steps run, child orders emitted, updates for symbols it does not
    /// trade, inputs it refused, records lost to a full record buffer.
    public var deskSteps: Int
    public var childOrders: Int
    public var unknownSymbolUpdates: Int
    public var rejectedInputs: Int
    public var recordsDropped: Int
    public var mode: String
    public var stateHash: String
    public var symbols: [SymbolLine]
    public var teams: [TeamLine]
    public var agents: [AgentLine]
    public var journal: String?

    public init(coordinator c: Coordinator, setup: BacktestSetup) {
        let desk = c.desk
        let cnt = c.counters
        let dc = desk.counters
        inputs = cnt.inputs
        marketUpdates = cnt.marketInputs
        fills = cnt.fillInputs
        ordersSent = cnt.ordersSent
        ordersRejected = cnt.ordersRejected
        unmatchedFills = cnt.unmatchedFills
        let teamNames = desk.config.teams.map(\.name)
        var lines: [SymbolLine] = []
        var teamAcc = Array(repeating: (0.0, 0.0, 0.0), count: teamNames.count)
        for (i, b) in c.symbols.enumerated() {
            let t = desk.config.symbols[i].team
            lines.append(SymbolLine(symbol: i < setup.names.count ? setup.names[i] : "sym\(i)", team: teamNames[t],
                                    fills: b.fills, bought: b.boughtQty, sold: b.soldQty, position: b.position,
                                    realised: b.realisedPnL, unrealised: b.unrealisedPnL, total: b.totalPnL,
                                    lastMid: Double(b.midHalfTicks) / 20_000))
            teamAcc[t].0 += b.realisedPnL; teamAcc[t].1 += b.unrealisedPnL; teamAcc[t].2 += b.totalPnL
        }
        symbols = lines
        teams = teamNames.enumerated().map { TeamLine(team: $1, realised: teamAcc[$0].0, unrealised: teamAcc[$0].1, total: teamAcc[$0].2) }
        agents = desk.config.analysts.enumerated().map { i, a in
            AgentLine(agent: a.name, attributedPnL: c.agentPnL[i], roundTrips: c.agentTrips[i],
                      quarantined: desk.isolation.isQuarantined(AgentID(i)))
        }
        realised = lines.reduce(0) { $0 + $1.realised }
        total = c.totalPnL
        unrealised = total - realised

        let m = TradingReport.curveFigures(c.pnlSeries, capital: setup.capital, sampleNanos: c.sampleNanos)
        sharpe = m.sharpe; sortino = m.sortino; maxDrawdown = m.maxDrawdown
        samples = c.pnlSeries.count
        sampleSeconds = Double(c.sampleNanos) / 1e9
        decisions = cnt.records(.decision)
        approvedDecisions = cnt.approvedDecisions
        vetoedDecisions = cnt.vetoedDecisions
        riskVetoes = dc.vetoes
        riskResizes = dc.resizes
        conflicts = cnt.records(.conflict)
        quarantines = cnt.records(.quarantine)
        directives = dc.directives
        outcomes = dc.outcomes
        signals = dc.signals
        invalidMessages = dc.invalidMessages
        cancelAlls = dc.cancelAlls
        let dg = desk.delegations
        delegations = dg.delegated
        delegationsFilled = dg.outcomes(.filled)
        delegationsExpired = dg.outcomes(.expired)
        delegationsCrossed = dg.outcomes(.crossed)
        delegationsStopped = dg.outcomes(.cancelled) + dg.outcomes(.vetoed)
        delegatedUnits = dg.filledQuantity
        deskSteps = dc.steps
        childOrders = dc.childOrders
        unknownSymbolUpdates = dc.unknownSymbolUpdates
        rejectedInputs = dc.rejectedInputs
        recordsDropped = cnt.recordsDropped
        mode = "\(desk.mode)"
        stateHash = "0x" + String(c.stateHash(), radix: 16)
        journal = nil
    }

    /// Sharpe, Sortino (annualised) and max drawdown of a P&L curve.
    public static func curveFigures(_ series: [Double], capital: Double, sampleNanos: UInt64)
        -> (sharpe: Double, sortino: Double, maxDrawdown: Double)
    {
        var peak = 0.0, dd = 0.0
        for v in series {
            peak = max(peak, v)
            dd = max(dd, peak - v)
        }
        guard series.count >= 2, capital > 0 else { return (0, 0, dd) }
        var returns: [Double] = []
        returns.reserveCapacity(series.count)
        var prev = 0.0
        for v in series { returns.append((v - prev) / capital); prev = v }
        let n = Double(returns.count)
        let mean = returns.reduce(0, +) / n
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let downside = returns.reduce(0) { $0 + min($1, 0) * min($1, 0) } / n
        let periods = 252 * 6.5 * 3600 / (Double(sampleNanos) / 1e9)
        let scale = periods.squareRoot()
        let sharpe = variance > 0 ? mean / variance.squareRoot() * scale : 0
        let sortino = downside > 0 ? mean / downside.squareRoot() * scale : 0
        return (sharpe, sortino, dd)
    }

    /// Pretty-printed JSON with sorted keys.
    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let d = try? e.encode(self) else { return "{}" }
        return String(decoding: d, as: UTF8.self)
    }

    /// The readable tables.
    public func render() -> String {
        func money(_ x: Double) -> String { String(format: "%.2f", x) }
        func pad(_ s: String, _ w: Int, right: Bool = true) -> String {
            s.count >= w ? s : right ? String(repeating: " ", count: w - s.count) + s : s + String(repeating: " ", count: w - s.count)
        }
        var o = ""
        o += "P&L          total \(money(total))  realised \(money(realised))  unrealised \(money(unrealised))\n"
        o += "curve        sharpe \(String(format: "%.2f", sharpe))  sortino \(String(format: "%.2f", sortino))"
        o += "  max drawdown \(money(maxDrawdown))  (\(samples) samples of \(String(format: "%g", sampleSeconds)) s)\n"
        o += "activity     inputs \(inputs)  market updates \(marketUpdates)  orders \(ordersSent)"
        o += "  fills \(fills)  refused orders \(ordersRejected)  unmatched fills \(unmatchedFills)\n"
        o += "consensus    decisions \(decisions)  approved \(approvedDecisions)  vetoed \(vetoedDecisions)"
        o += "  risk vetoes \(riskVetoes)  resizes \(riskResizes)\n"
        o += "coordination signals \(signals)  conflicts \(conflicts)  quarantines \(quarantines)"
        o += "  invalid outputs \(invalidMessages)  directives \(directives)  round trips \(outcomes)"
        o += "  cancel-alls \(cancelAlls)  mode \(mode)\n"
        o += "delegation   setups \(delegations)  filled \(delegationsFilled)  expired \(delegationsExpired)"
        o += "  crossed \(delegationsCrossed)  stopped \(delegationsStopped)  units filled \(delegatedUnits)\n"
        o += "desk         steps \(deskSteps)  child orders \(childOrders)  refused inputs \(rejectedInputs)"
        o += "  untraded updates \(unknownSymbolUpdates)  records dropped \(recordsDropped)\n\n"
        o += pad("symbol", 8, right: false) + pad("team", 7, right: false) + pad("fills", 7) + pad("bought", 9)
            + pad("sold", 9) + pad("position", 9) + pad("last mid", 11) + pad("realised", 12) + pad("unrealised", 12)
            + pad("total", 12) + "\n"
        for s in symbols {
            o += pad(s.symbol, 8, right: false) + pad(s.team, 7, right: false) + pad("\(s.fills)", 7) + pad("\(s.bought)", 9)
                + pad("\(s.sold)", 9) + pad("\(s.position)", 9) + pad(String(format: "%.4f", s.lastMid), 11)
                + pad(money(s.realised), 12) + pad(money(s.unrealised), 12) + pad(money(s.total), 12) + "\n"
        }
        o += "\n" + pad("team", 8, right: false) + pad("realised", 12) + pad("unrealised", 12) + pad("total", 12) + "\n"
        for t in teams {
            o += pad(t.team, 8, right: false) + pad(money(t.realised), 12) + pad(money(t.unrealised), 12) + pad(money(t.total), 12) + "\n"
        }
        o += "\n" + pad("agent", 11, right: false) + pad("attributed", 12) + pad("trips", 7) + "  status\n"
        for a in agents {
            o += pad(a.agent, 11, right: false) + pad(money(a.attributedPnL), 12) + pad("\(a.roundTrips)", 7)
                + (a.quarantined ? "  quarantined" : "  active") + "\n"
        }
        o += "\nstate hash \(stateHash)"
        if let journal { o += "  journal \(journal)" }
        o += "\n"
        return o
    }
}
