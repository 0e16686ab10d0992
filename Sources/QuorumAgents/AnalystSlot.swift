import QuorumBook

/// An analyst as the desk dispatches to it: the built-in strategies as concrete cases, so
/// each call is a switch into specialised code; only `.custom` goes through the `Agent`
/// existential. (Through `any Agent`, a generic `Analyst<S>` runs unspecialised and looks
/// up its array metadata on every call — measured at ~2% of a desk step, plus the lost
/// inlining.)
///
/// The cases hold *unretained* references: the desk owns every analyst through its
/// `analystAgents` array for its whole life, so a slot is plain data (copying one out of the
/// array costs no retain/release — with strong payloads the copy and destroy of the enum
/// were ~5% of a replay's instructions, callgrind) and a call borrows the object.
enum AnalystSlot {
    case trend(Unmanaged<Analyst<TrendStrategy>>)
    case rsi(Unmanaged<Analyst<RSIStrategy>>)
    case bollinger(Unmanaged<Analyst<BollingerStrategy>>)
    case vwap(Unmanaged<Analyst<VWAPStrategy>>)
    case imbalance(Unmanaged<Analyst<ImbalanceStrategy>>)
    case breakout(Unmanaged<Analyst<BreakoutStrategy>>)
    /// Dispatched through the owner's `any Agent`.
    case custom

    /// Calls a built-in analyst; `.custom` does nothing (the desk calls its `any Agent`).
    @inline(__always)
    func onMarket(_ u: MarketUpdate, _ c: AgentContext, into out: AgentOutput) {
        switch self {
        case .trend(let a): a._withUnsafeGuaranteedRef { $0.onMarket(u, c, into: out) }
        case .rsi(let a): a._withUnsafeGuaranteedRef { $0.onMarket(u, c, into: out) }
        case .bollinger(let a): a._withUnsafeGuaranteedRef { $0.onMarket(u, c, into: out) }
        case .vwap(let a): a._withUnsafeGuaranteedRef { $0.onMarket(u, c, into: out) }
        case .imbalance(let a): a._withUnsafeGuaranteedRef { $0.onMarket(u, c, into: out) }
        case .breakout(let a): a._withUnsafeGuaranteedRef { $0.onMarket(u, c, into: out) }
        case .custom: break
        }
    }

    var isCustom: Bool { if case .custom = self { return true } else { return false } }
}
