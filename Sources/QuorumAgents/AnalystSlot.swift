import QuorumBook

/// An analyst as the desk holds it: the built-in strategies as concrete cases, so each call
/// is a switch into specialised code; only `.custom` goes through the `Agent` existential.
/// (Through `any Agent`, a generic `Analyst<S>` runs unspecialised and looks up its array
/// metadata on every call — measured at ~2% of a desk step, plus the lost inlining.)
enum AnalystSlot {
    case trend(Analyst<TrendStrategy>)
    case rsi(Analyst<RSIStrategy>)
    case bollinger(Analyst<BollingerStrategy>)
    case vwap(Analyst<VWAPStrategy>)
    case imbalance(Analyst<ImbalanceStrategy>)
    case breakout(Analyst<BreakoutStrategy>)
    case custom(any Agent)

    var agent: any Agent {
        switch self {
        case .trend(let a): return a
        case .rsi(let a): return a
        case .bollinger(let a): return a
        case .vwap(let a): return a
        case .imbalance(let a): return a
        case .breakout(let a): return a
        case .custom(let a): return a
        }
    }

    @inline(__always)
    func onMarket(_ u: MarketUpdate, _ c: AgentContext, into out: AgentOutput) {
        switch self {
        case .trend(let a): a.onMarket(u, c, into: out)
        case .rsi(let a): a.onMarket(u, c, into: out)
        case .bollinger(let a): a.onMarket(u, c, into: out)
        case .vwap(let a): a.onMarket(u, c, into: out)
        case .imbalance(let a): a.onMarket(u, c, into: out)
        case .breakout(let a): a.onMarket(u, c, into: out)
        case .custom(let a): a.onMarket(u, c, into: out)
        }
    }

    /// Built-in analysts ignore fills and the scratchpad; only custom agents are called.
    @inline(__always)
    func onFill(_ f: Fill, _ c: AgentContext, into out: AgentOutput) {
        if case .custom(let a) = self { a.onFill(f, c, into: out) }
    }

    @inline(__always)
    func onScratchpad(_ e: ScratchpadEntry, into out: AgentOutput) {
        if case .custom(let a) = self { a.onScratchpad(e, into: out) }
    }

    var isCustom: Bool { if case .custom = self { return true } else { return false } }
}
