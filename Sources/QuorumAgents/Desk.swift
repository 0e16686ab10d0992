import QuorumBook
import QuorumRisk

/// Desk-wide counters for metrics and the exit report.
public struct DeskCounters: Sendable, Equatable {
    public var steps = 0
    public var marketUpdates = 0
    /// Updates for locates the desk does not trade.
    public var unknownSymbolUpdates = 0
    public var fills = 0
    public var signals = 0
    public var invalidMessages = 0
    public var decisions = 0
    public var childOrders = 0
    public var vetoes = 0
    public var resizes = 0
    public var directives = 0
    public var outcomes = 0
    public var cancelAlls = 0
    /// Inputs refused: fills or closures for unknown symbols, non-positive quantities.
    public var rejectedInputs = 0
}

/// The trading desk: every agent and coordination mechanism, assembled from a `DeskConfig`,
/// run one deterministic step per input event.
///
/// Inputs (each one step; the caller journals them): ``onMarket(_:)``, ``onFill(_:)``,
/// ``onOrderClosed(symbol:order:unfilled:)``, ``apply(_:)`` (operator directive),
/// ``reportOverrun(_:nanos:)``. After each, ``records`` holds everything the step emitted,
/// in order, and ``orderCount``/``order(_:)`` the child-order intents to send (also present
/// as `.childOrder` records); ``cancelAllRequested`` says whether working orders must be
/// cancelled.
///
/// A market update runs: locate → symbol; risk engine mid/clock; asks due (answers or
/// timeouts, from earlier steps); regime agent; the symbol's analysts (outputs validated,
/// invalid ones counted towards quarantine; valid signals scaled by collective memory,
/// parked behind an ask, or entered into the vote where conflicts are settled); scratchpad
/// delivery to every agent (the supervisor reads regimes and may issue directives); the
/// desk mode (breakers, quarantines, risk-off); consensus → portfolio target → degraded/
/// emergency rules → team lead (halts, cuts, balance) → execution schedule → risk gate
/// (approve / resize / veto) → order intents.
///
/// Not thread-safe: one owner (the coordinator loop).
public final class Desk {
    public let config: DeskConfig
    public let symbolCount: Int
    public let analystCount: Int
    /// Analysts, then regime, correlation, portfolio, execution, risk, supervisor, team leads.
    public let agentCount: Int

    /// The analysts, owned here for the desk's life (custom ones are called through this).
    let analystAgents: [any Agent]
    /// Unretained views of `analystAgents` for dispatch (see `AnalystSlot`).
    let analysts: [AnalystSlot]
    public let regime: RegimeAgent
    public let correlation: CorrelationAgent
    public let portfolio: PortfolioAgent
    public let execution: ExecutionAgent
    public let risk: RiskAgent
    public let supervisor: Supervisor
    public let teamLeads: [TeamLead]

    public let scratchpad: Scratchpad
    public let asks: AskBoard
    public let consensus: ConsensusBook
    public let conflicts: ConflictResolver
    public let memory: CollectiveMemory
    public let isolation: FailureIsolation
    /// Setups delegated to the execution agent (Desk+Delegation.swift).
    public let delegations: DelegationBoard

    public let records: DeskRecordBuffer
    @exclusivity(unchecked) var orders: [ChildOrder]
    @exclusivity(unchecked) public internal(set) var orderCount = 0  // internal(set): Desk+Delegation.swift sends too
    @exclusivity(unchecked) public internal(set) var cancelAllRequested = false
    @exclusivity(unchecked) public internal(set) var counters = DeskCounters()
    /// normal → degraded → emergency: the most severe of the risk breakers, the quarantine
    /// state and the supervisor's risk-off.
    @exclusivity(unchecked) public internal(set) var mode = EngineMode.normal
    @exclusivity(unchecked) public internal(set) var riskOff = false

    @usableFromInline let locateToSymbol: [Int16]
    let teamOfSymbol: [Int]
    let analystsOf: [[Int]]
    /// `analystsOf` flattened: symbol s's analysts are `coverList[coverStart[s]..<coverStart[s + 1]]`
    /// (one array read per step instead of a nested array's retain and release).
    let coverList: [Int]
    let coverStart: [Int]
    let covers: [Bool]
    let asksCorrelation: [Bool]
    @exclusivity(unchecked) var cursors: [Scratchpad.Cursor]
    /// The risk engine's covariance (a `let` all the way down), held directly: reaching it
    /// through `risk.engine.risk` retained and released three objects per evaluation.
    let covariance: EWMACovariance
    /// `scratchpad.published` when the last delivery pass started: while it is unchanged
    /// every reader has seen every entry, and a pass would do nothing.
    @exclusivity(unchecked) var deliveredFrom: UInt64 = 0
    let output: AgentOutput

    @exclusivity(unchecked) var position: [Int64]
    @exclusivity(unchecked) var target: [Int64]
    /// Per symbol, the latest mid and best quotes: written on every update, so kept in stores
    /// the desk owns rather than arrays (checked for uniqueness on every write).
    let mid: UnsafeMutablePointer<Double>
    let bid: UnsafeMutablePointer<BookQuote>
    let ask: UnsafeMutablePointer<BookQuote>
    @exclusivity(unchecked) var trip: [RoundTrip]
    @exclusivity(unchecked) var dirty: InlineArray<16, SymbolID> = InlineArray(repeating: .none)
    @exclusivity(unchecked) var dirtyCount = 0
    @exclusivity(unchecked) var step: UInt64 = 0
    @exclusivity(unchecked) var now: UInt64 = 0

    /// Live runs only: a clock (ns) that times each analyst's market call on every
    /// `timingEvery`-th market update; nil (backtest, replay) times nothing. The desk never
    /// acts on a timing: its owner reads `timedCalls` after the step and feeds the overruns
    /// it confirms back as `.overrun` inputs, which are journaled — so a replay quarantines
    /// at the same point without timing anything.
    public var stopwatch: (() -> UInt64)? {
        didSet { timedCalls.reserveCapacity(analystCount) }  // the hot path never grows it
    }
    /// One market update in this many is timed (at least 1).
    public var timingEvery: UInt64 = 16
    /// The analyst calls timed in the last market step: agent and nanoseconds.
    public private(set) var timedCalls: [(agent: AgentID, nanos: UInt64)] = []

    /// A position's life from flat to flat.
    struct RoundTrip {
        var direction = Direction.flat
        var openedAt: UInt64 = 0
        var regime = Regime.calm
        var entryQty: Int64 = 0
        var entryNotional = 0.0
        var exitQty: Int64 = 0
        var exitNotional = 0.0
        var contributors: InlineArray<8, AgentID> = InlineArray(repeating: .none)
        var patterns: InlineArray<8, PatternID> = InlineArray(repeating: .none)
        var contributorCount = 0
    }

    public var regimeID: AgentID { AgentID(analystCount) }
    public var correlationID: AgentID { AgentID(analystCount + 1) }
    public var portfolioID: AgentID { AgentID(analystCount + 2) }
    public var executionID: AgentID { AgentID(analystCount + 3) }
    public var riskID: AgentID { AgentID(analystCount + 4) }
    public var supervisorID: AgentID { AgentID(analystCount + 5) }
    public func teamLeadID(_ t: TeamID) -> AgentID { AgentID(analystCount + 6 + t.index) }

    /// - Parameters:
    ///   - engine: the risk engine; the desk feeds it mids, clock ticks and fills (the
    ///     coordinator must not feed it the same events again). Instrument i = symbol i.
    ///   - custom: builds the analysts whose kind is `.custom`.
    /// - Throws: `DeskConfigError` naming the field.
    public init(config: DeskConfig, engine: RiskEngine,
                custom: (AgentID, AnalystConfig) -> (any Agent)? = { _, _ in nil }) throws(DeskConfigError) {
        try config.validate(instrumentCapacity: engine.config.instrumentCapacity)
        self.config = config
        let n = config.symbols.count
        symbolCount = n
        analystCount = config.analysts.count
        agentCount = analystCount + 6 + config.teams.count

        var built: [any Agent] = []
        var slots: [AnalystSlot] = []
        for (i, a) in config.analysts.enumerated() {
            let id = AgentID(i)
            let p = a.parameters
            switch a.kind {
            case .trend:
                let x = Analyst<TrendStrategy>(id: id, symbolCount: n, parameters: p)
                built.append(x); slots.append(.trend(.passUnretained(x)))
            case .rsi:
                let x = Analyst<RSIStrategy>(id: id, symbolCount: n, parameters: p)
                built.append(x); slots.append(.rsi(.passUnretained(x)))
            case .bollinger:
                let x = Analyst<BollingerStrategy>(id: id, symbolCount: n, parameters: p)
                built.append(x); slots.append(.bollinger(.passUnretained(x)))
            case .vwap:
                let x = Analyst<VWAPStrategy>(id: id, symbolCount: n, parameters: p)
                built.append(x); slots.append(.vwap(.passUnretained(x)))
            case .imbalance:
                let x = Analyst<ImbalanceStrategy>(id: id, symbolCount: n, parameters: p)
                built.append(x); slots.append(.imbalance(.passUnretained(x)))
            case .breakout:
                let x = Analyst<BreakoutStrategy>(id: id, symbolCount: n, parameters: p)
                built.append(x); slots.append(.breakout(.passUnretained(x)))
            case .custom:
                guard let agent = custom(id, a), agent.id == id else {
                    throw .invalid(field: "desk.analysts[\(i)].kind", value: "custom", reason: "no custom agent with id \(i) supplied")
                }
                built.append(agent); slots.append(.custom)
            }
        }
        analystAgents = built
        analysts = slots
        let na = analystCount
        regime = RegimeAgent(id: AgentID(na), symbolCount: n, parameters: config.regime)
        correlation = CorrelationAgent(id: AgentID(na + 1), risk: engine.risk, answersPerStep: config.correlationAnswersPerStep)
        portfolio = PortfolioAgent(id: AgentID(na + 2), parameters: config.portfolio)
        execution = ExecutionAgent(id: AgentID(na + 3), symbolCount: n, parameters: config.execution)
        risk = RiskAgent(id: AgentID(na + 4), engine: engine, clockNanos: config.riskClockNanos)
        supervisor = Supervisor(id: AgentID(na + 5), symbolCount: n, parameters: config.supervisor)
        var leads: [TeamLead] = []
        for (t, team) in config.teams.enumerated() {
            let members = config.symbols.filter { $0.team == t }.count
            leads.append(TeamLead(id: AgentID(na + 6 + t), team: TeamID(t), grossBudget: team.grossBudget, symbolCount: members))
        }
        teamLeads = leads

        scratchpad = Scratchpad(capacity: config.scratchpadCapacity)
        asks = AskBoard(capacity: config.askCapacity)
        consensus = ConsensusBook(symbolCount: n, agentCount: na, parameters: config.consensus)
        for (i, a) in config.analysts.enumerated() { consensus.performance[i] = a.weight }
        conflicts = ConflictResolver(policy: config.conflictPolicy, overrideMargin: config.overrideMargin)
        memory = CollectiveMemory(minTrades: config.memoryMinTrades)
        isolation = FailureIsolation(agentCount: agentCount, backupOf: config.analysts.map(\.backupFor) + Array(repeating: nil, count: agentCount - na),
                                     strikeLimit: config.strikeLimit)
        records = DeskRecordBuffer(capacity: config.recordCapacity)
        delegations = DelegationBoard(capacity: config.delegationCapacity, agentCount: agentCount, symbolCount: n,
                                      policies: config.analysts.map(\.delegation))
        orders = Array(repeating: ChildOrder(id: 0, symbol: .none, direction: .flat, quantity: 0, limitTicks: 0, style: .immediate, time: 0),
                       count: config.orderCapacity)

        var map = [Int16](repeating: -1, count: 65_536)
        for (i, s) in config.symbols.enumerated() { map[Int(s.locate)] = Int16(i) }
        locateToSymbol = map
        teamOfSymbol = config.symbols.map(\.team)
        var cov = [Bool](repeating: false, count: max(1, na * n))
        var of = [[Int]](repeating: [], count: n)
        for (i, a) in config.analysts.enumerated() {
            for s in (a.symbols.isEmpty ? Array(0..<n) : a.symbols) where !cov[i * n + s] {
                cov[i * n + s] = true
                of[s].append(i)
            }
        }
        covers = cov
        analystsOf = of
        coverList = of.flatMap { $0 }
        var start = [0]
        for list in of { start.append(start[start.count - 1] + list.count) }
        coverStart = start
        asksCorrelation = config.analysts.map(\.asksCorrelation)
        cursors = Array(repeating: Scratchpad.Cursor(), count: agentCount)
        covariance = engine.risk.covariance
        output = AgentOutput(capacity: 16)
        position = Array(repeating: 0, count: n)
        target = Array(repeating: 0, count: n)
        mid = .allocate(capacity: n)
        mid.initialize(repeating: 0, count: n)
        bid = .allocate(capacity: n)
        bid.initialize(repeating: .empty, count: n)
        ask = .allocate(capacity: n)
        ask.initialize(repeating: .empty, count: n)
        trip = Array(repeating: RoundTrip(), count: n)
    }

    deinit {
        mid.deallocate()
        bid.deallocate()
        ask.deallocate()
    }

    // MARK: - Read-only views

    public func position(_ s: SymbolID) -> Int64 { position[s.index] }
    public func target(_ s: SymbolID) -> Int64 { target[s.index] }
    @inlinable public func symbol(locate: UInt16) -> SymbolID? {
        let v = locateToSymbol[Int(locate)]
        return v < 0 ? nil : SymbolID(Int(v))
    }
    public func order(_ i: Int) -> ChildOrder {
        precondition(i >= 0 && i < orderCount)
        return orders[i]
    }
    /// The analyst agent with id `a` (for inspection).
    public func analyst(_ a: AgentID) -> any Agent { analystAgents[a.index] }

    // MARK: - Inputs

    func beginStep(_ t: UInt64) {
        step &+= 1
        counters.steps &+= 1
        now = t
        records.removeAll()
        orderCount = 0
        cancelAllRequested = false
        dirtyCount = 0
    }

    /// One market update: the whole pipeline for its symbol (see the type's doc).
    /// - Complexity: O(agents covering the symbol + pending asks + scratchpad entries ×
    ///   agents + n for a risk clock tick's re-marking); no allocation.
    public func onMarket(_ u: MarketUpdate) {
        beginStep(u.exchangeTime.rawValue)
        let raw = locateToSymbol[Int(u.locate.rawValue)]
        guard raw >= 0 else { counters.unknownSymbolUpdates &+= 1; return }
        counters.marketUpdates &+= 1
        let s = SymbolID(Int(raw))
        let i = s.index
        bid[i] = u.bestBid
        ask[i] = u.bestAsk
        let m = Microprice.mid(bid: u.bestBid, ask: u.bestAsk)
        if m > 0 { mid[i] = m }
        let midTicks = u.bestBid.isEmpty || u.bestAsk.isEmpty
            ? 0 : (Int64(u.bestBid.price.rawValue) + Int64(u.bestAsk.price.rawValue)) / 2
        risk.onMid(s, ticks: midTicks, time: now)
        execution.onMarket(u, s)
        resolveAsks()

        let ctx = AgentContext(time: now, symbol: s, mid: m, regime: regime.regime(s), position: position[i])
        output.reset()
        regime.onMarket(u, ctx, into: output)
        collect(from: regime.id)
        // The regime agent may have moved the symbol's regime; nothing in the loop below
        // changes it or the position, so one context serves every analyst.
        let actx = AgentContext(time: now, symbol: s, mid: m, regime: regime.regime(s), position: position[i])
        var k = coverStart[i]
        let end = coverStart[i + 1]
        // Live runs time one update in `timingEvery` (see `stopwatch`); the branch is the same
        // way for every analyst of the step.
        let timing = stopwatch != nil && UInt64(counters.marketUpdates) % Swift.max(timingEvery, 1) == 0
        if timing || !timedCalls.isEmpty { timedCalls.removeAll(keepingCapacity: true) }
        while k < end {
            let a = coverList[k]
            k += 1
            guard isolation.isActive(AgentID(a)) else { continue }
            output.reset()
            let started = timing ? stopwatch.unsafelyUnwrapped() : 0
            if analysts[a].isCustom {
                analystAgents[a].onMarket(u, actx, into: output)
            } else {
                analysts[a].onMarket(u, actx, into: output)
            }
            if timing {
                let stopped = stopwatch.unsafelyUnwrapped()
                timedCalls.append((AgentID(a), stopped >= started ? stopped - started : 0))
            }
            collect(from: AgentID(a))
        }
        workDelegations(s)
        deliverScratchpad()
        updateMode()
        markDirty(s)
        evaluateDirty()
    }

    /// A fill of one of the desk's child orders.
    public func onFill(_ f: Fill) {
        beginStep(f.time)
        guard f.symbol.index < symbolCount, f.quantity > 0, f.direction != .flat, f.priceTicks > 0 else {
            counters.rejectedInputs &+= 1
            return
        }
        counters.fills &+= 1
        if routeDelegatedFill(f) { return }
        let s = f.symbol
        risk.onFill(f)
        let shortfall = execution.onFill(f)
        records.append(DeskRecord(.fill, time: now, agent: execution.id, symbol: s, direction: f.direction, id: f.order,
                                  quantity: f.quantity, value: Double(f.priceTicks), value2: shortfall))
        applyToPosition(f)
        let ctx = AgentContext(time: now, symbol: s, mid: mid[s.index], regime: regime.regime(s), position: position[s.index])
        for a in analystsOf[s.index] where isolation.isActive(AgentID(a)) {
            output.reset()
            // Built-in analysts ignore fills; only custom agents are called.
            if analysts[a].isCustom { analystAgents[a].onFill(f, ctx, into: output) }
            collect(from: AgentID(a))
        }
        deliverScratchpad()
        updateMode()
        markDirty(s)
        evaluateDirty()
    }

    /// The coordinator closed child order `order` (cancelled, rejected, expired) with
    /// `unfilled` units never filled; the execution schedule will re-send what is due.
    public func onOrderClosed(symbol s: SymbolID, order: UInt64, unfilled: Int64, time: UInt64) {
        beginStep(time)
        guard s.index < symbolCount else { counters.rejectedInputs &+= 1; return }
        if routeDelegatedClose(s, order: order) { return }
        execution.onOrderClosed(s, id: order, unfilled: unfilled)
        markDirty(s)
        evaluateDirty()
    }

    /// An operator (or Config) directive; takes effect from the next evaluation — at the
    /// latest the next market event of each symbol.
    public func apply(_ d: Directive) {
        beginStep(d.time)
        applyDirective(d)
        updateMode()
    }

    /// The coordinator measured agent `a` over its time budget on one call. Overruns are
    /// inputs (journaled), so replay quarantines at the same point.
    public func reportOverrun(_ a: AgentID, nanos: UInt64, time: UInt64) {
        beginStep(time)
        guard a.index < agentCount else { counters.rejectedInputs &+= 1; return }
        let strikes = isolation.overrunStrikes(a) + 1
        let q = isolation.reportOverrun(a)
        records.append(DeskRecord(.overrun, time: now, agent: a, quantity: Int64(strikes), value: Double(nanos)))
        if let b = q { quarantined(a, backup: b) }
        updateMode()
    }

    /// Time budget of agent `a` (ns); specialists have none (0).
    public func timeBudget(_ a: AgentID) -> UInt64 {
        a.index < analystCount ? config.analysts[a.index].timeBudgetNanos : 0
    }

    // MARK: - Pipeline stages

    /// Validates and routes what the agent that just ran put into `output`.
    @inline(__always)
    func collect(from a: AgentID) {
        // Most calls find nothing: that test is made where the agent was called, without a call.
        let o = output
        guard o.observationCount | o.signalCount | o.setupCount != 0 else { return }
        collectOutput(from: a)
    }

    /// `collect(from:)` once the output holds something.
    @inline(never)
    func collectOutput(from a: AgentID) {
        var bad = 0
        var reason = InvalidOutput.wrongAgent
        for k in 0..<output.observationCount {
            let o = output.observation(k)
            if let r = OutputValidator.check(o, from: a, symbolCount: symbolCount) { bad += 1; reason = r; continue }
            records.append(DeskRecord(.observation, time: now, agent: a, symbol: o.symbol, detail: o.regime.rawValue,
                                      value: o.value, value2: o.value2))
            scratchpad.publish(ScratchpadEntry(kind: o.kind == .regime ? .observation : .warning, agent: a,
                                               symbol: o.symbol, regime: o.regime, value: o.value, value2: o.value2, time: now))
        }
        for k in 0..<output.signalCount {
            let sig = output.signal(k)
            let n = symbolCount
            let covered = a.index < analystCount
            if let r = OutputValidator.check(sig, from: a, symbolCount: n, covers: { covered && covers[a.index * n + $0] }) {
                bad += 1; reason = r; continue
            }
            counters.signals &+= 1
            handle(sig)
        }
        collectSetups(from: a)
        guard bad > 0 else { return }
        counters.invalidMessages &+= bad
        let q = isolation.reportInvalid(a, messages: bad)
        records.append(DeskRecord(.invalidOutput, time: now, agent: a, detail: reason.rawValue,
                                  quantity: Int64(isolation.invalidStrikes(a))))
        if let b = q { quarantined(a, backup: b) }
    }

    func quarantined(_ a: AgentID, backup: AgentID) {
        records.append(DeskRecord(.quarantine, time: now, agent: a, other: backup))
        // A backup starts reading the scratchpad from now, not from its idle past.
        if backup != .none { cursors[backup.index].next = scratchpad.published }
        scratchpad.publish(ScratchpadEntry(kind: .warning, agent: a, symbol: .none, value: 1, time: now))
        // A quarantined analyst's standing votes no longer count.
        if a.index < analystCount {
            for s in 0..<symbolCount where consensus.vote(SymbolID(s), a).direction != .flat {
                withdraw(SymbolID(s), a)
            }
        }
    }

    /// A valid signal: memory scaling, then either parked behind an ask or entered.
    func handle(_ raw: Signal) {
        var sig = raw
        let s = sig.symbol
        if sig.direction != .flat {
            let scale = memory.confidenceScale(pattern: sig.pattern, regime: regime.regime(s))
            sig.confidence = min(1, sig.confidence * scale)
        }
        records.append(DeskRecord(.signal, time: now, agent: sig.agent, symbol: s, direction: sig.direction,
                                  detail: UInt8(truncatingIfNeeded: sig.pattern.rawValue), value: sig.confidence,
                                  value2: sig.expectedReturn))
        if sig.direction != .flat && asksCorrelation[sig.agent.index] {
            let deadline = now &+ config.askDeadlineNanos
            if let id = asks.ask(.netExposure, from: sig.agent, to: correlation.id, symbol: s, parked: sig, now: now,
                                 step: step, deadline: deadline) {
                records.append(DeskRecord(.question, time: deadline, agent: sig.agent, other: correlation.id, symbol: s, id: id))
                return
            }
        }
        intake(sig)
    }

    /// Resolves asks due at this step: answers adjust and release parked signals, timeouts drop them.
    func resolveAsks() {
        guard asks.pendingCount > 0 else { return }
        correlation.beginStep()
        let answering = isolation.isActive(correlation.id)
        asks.resolve(now: now, step: step, answer: { q in answering ? correlation.answer(q) : nil }) { q, r in
            switch r {
            case .answered(let v):
                records.append(DeskRecord(.answer, time: now, agent: q.asker, other: q.asked, symbol: q.symbol, id: q.id, value: v))
                var sig = q.parked
                if Direction.of(v) == sig.direction && abs(v) >= config.correlatedExposureLimit { sig.confidence *= 0.5 }
                if isolation.isActive(sig.agent) { intake(sig) }
            case .timedOut:
                records.append(DeskRecord(.timeout, time: now, agent: q.asker, other: q.asked, symbol: q.symbol, id: q.id))
            }
        }
    }

    /// Enters a signal into the symbol's vote, settling a conflict with the stance if it opposes it.
    func intake(_ sig: Signal) {
        let s = sig.symbol, a = sig.agent
        markDirty(s)
        guard sig.direction != .flat else { withdraw(s, a); return }
        var v = StandingVote()
        v.direction = sig.direction; v.confidence = sig.confidence; v.expectedReturn = sig.expectedReturn
        v.expiry = now &+ sig.horizonNanos; v.pattern = sig.pattern
        var st = consensus.stance(s)
        let stanceLive = st.direction != .flat && hasSupport(s, st.direction, excluding: .none)
        if !stanceLive {
            st.direction = sig.direction; st.owner = a; st.confidence = sig.confidence; st.since = now
            consensus.setStance(s, st)
            consensus.setVote(s, a, v)
            return
        }
        if st.direction == sig.direction {
            consensus.setVote(s, a, v)
            if st.owner == a { st.confidence = sig.confidence; consensus.setStance(s, st) }
            return
        }
        let inc = Contender(agent: st.owner, direction: st.direction, confidence: st.confidence,
                            performance: st.owner.index < analystCount ? consensus.performance(st.owner) : 1)
        let ch = Contender(agent: a, direction: sig.direction, confidence: sig.confidence, performance: consensus.performance(a))
        let wins = conflicts.challengerWins(incumbent: inc, challenger: ch, position: position[s.index], riskOff: riskOff)
        records.append(DeskRecord(.conflict, time: now, agent: st.owner, other: a, symbol: s,
                                  direction: wins ? sig.direction : st.direction, detail: conflicts.policy.rawValue,
                                  quantity: wins ? 1 : 0, value: st.confidence, value2: sig.confidence))
        if wins {
            for b in 0..<analystCount where consensus.vote(s, AgentID(b)).direction == st.direction {
                consensus.setOverruled(s, AgentID(b), true)
            }
            st.direction = sig.direction; st.owner = a; st.confidence = sig.confidence; st.since = now
            consensus.setStance(s, st)
            consensus.setVote(s, a, v)
        } else {
            v.overruled = true
            consensus.setVote(s, a, v)
            records.append(DeskRecord(.refused, time: now, agent: a, symbol: s, direction: sig.direction, detail: 3))
        }
    }

    func hasSupport(_ s: SymbolID, _ d: Direction, excluding x: AgentID) -> Bool {
        for b in 0..<analystCount where AgentID(b) != x {
            let v = consensus.vote(s, AgentID(b))
            if v.direction == d && !v.overruled && v.expiry >= now { return true }
        }
        return false
    }

    /// Withdraws `a`'s vote on `s`; the stance passes to the strongest remaining supporter or
    /// goes flat.
    func withdraw(_ s: SymbolID, _ a: AgentID) {
        consensus.setVote(s, a, StandingVote())
        markDirty(s)
        var st = consensus.stance(s)
        guard st.direction != .flat, st.owner == a || !hasSupport(s, st.direction, excluding: .none) else { return }
        var best = AgentID.none, bestConf = -1.0
        for b in 0..<analystCount {
            let v = consensus.vote(s, AgentID(b))
            if v.direction == st.direction && !v.overruled && v.expiry >= now && v.confidence > bestConf {
                best = AgentID(b); bestConf = v.confidence
            }
        }
        if best == .none { st = Stance() } else { st.owner = best; st.confidence = bestConf }
        consensus.setStance(s, st)
    }

    /// Every agent reads the scratchpad entries it has not seen; the supervisor's directives
    /// take effect.
    func deliverScratchpad() {
        guard scratchpad.published > 0, scratchpad.published != deliveredFrom else { return }
        deliveredFrom = scratchpad.published
        while let e = scratchpad.read(&cursors[supervisor.id.index]) {
            output.reset()
            supervisor.onScratchpad(e, into: output)
        }
        supervisor.drain { d in applyDirective(d) }
        while let e = scratchpad.read(&cursors[regime.id.index]) {
            output.reset()
            regime.onScratchpad(e, into: output)
        }
        for a in 0..<analystCount where isolation.isActive(AgentID(a)) {
            guard analysts[a].isCustom else { cursors[a].next = scratchpad.published; continue }
            while let e = scratchpad.read(&cursors[a]) {
                output.reset()
                analystAgents[a].onScratchpad(e, into: output)
                collect(from: AgentID(a))
            }
        }
    }

    func applyDirective(_ d: Directive) {
        counters.directives &+= 1
        records.append(DeskRecord(.directive, time: now, agent: d.issuer, detail: d.kind.rawValue,
                                  quantity: Int64(d.team.rawValue), value: d.fraction))
        switch d.kind {
        case .riskOff: riskOff = true
        case .riskOn: riskOff = false
        default:
            if d.team == .all {
                for l in teamLeads { l.apply(d) }
            } else if d.team.index < teamLeads.count {
                teamLeads[d.team.index].apply(d)
            }
        }
        for s in 0..<symbolCount where target[s] != 0 || position[s] != 0 { markDirty(SymbolID(s)) }
    }

    func updateMode() {
        var quarantinedAnalysts = 0
        for a in 0..<(isolation.quarantinedCount > 0 ? analystCount : 0)
        where isolation.isQuarantined(AgentID(a)) && !isolation.isActive(AgentID(a)) {
            // A quarantined primary with an active backup still has coverage.
            if !hasActiveBackup(a) { quarantinedAnalysts += 1 }
        }
        var m = max(risk.engine.breakers.mode, isolation.mode(analysts: analystCount, quarantinedAnalysts: quarantinedAnalysts))
        if riskOff { m = max(m, .degraded) }
        guard m != mode else { return }
        records.append(DeskRecord(.modeChange, time: now, detail: m.rawValue, quantity: Int64(mode.rawValue)))
        scratchpad.publish(ScratchpadEntry(kind: .warning, agent: risk.id, symbol: .none, value: Double(m.rawValue), time: now))
        if m == .emergency {
            cancelAllRequested = true
            counters.cancelAlls &+= 1
            execution.clearWorking()
            records.append(DeskRecord(.cancelAll, time: now, agent: risk.id))
        }
        mode = m
        for s in 0..<symbolCount where target[s] != 0 || position[s] != 0 { markDirty(SymbolID(s)) }
    }

    func hasActiveBackup(_ a: Int) -> Bool {
        for (b, cfg) in config.analysts.enumerated() where cfg.backupFor == a && isolation.isActive(AgentID(b)) { return true }
        return false
    }

    func markDirty(_ s: SymbolID) {
        for k in 0..<dirtyCount where dirty[k] == s { return }
        guard dirtyCount < 16 else { return }  // the rest are evaluated on their next update
        dirty[dirtyCount] = s
        dirtyCount += 1
    }

    func evaluateDirty() {
        var k = 0
        while k < dirtyCount {
            evaluate(dirty[k])
            k += 1
        }
        dirtyCount = 0
    }

    /// Consensus → target → order intent for one symbol.
    func evaluate(_ s: SymbolID) {
        let i = s.index
        let m = mid[i]
        guard m > 0 else { return }
        let pos = position[i]
        let vol = volatility(s)
        let rv = risk.vote(mode: mode)
        let (dec, changed) = consensus.tally(s, now: now, risk: rv.support, portfolio: portfolio.vote(volatility: vol),
                                             execution: execution.vote(bid: bid[i], ask: ask[i]), veto: rv.veto)
        if changed {
            counters.decisions &+= 1
            records.append(DeskRecord(.decision, time: now, agent: consensus.stance(s).owner, symbol: s,
                                      direction: dec.direction, detail: dec.vetoed ? 2 : dec.approved ? 1 : 0, id: dec.id,
                                      quantity: Int64(dec.supporters), value: dec.score))
            scratchpad.publish(ScratchpadEntry(kind: .decision, agent: consensus.stance(s).owner, symbol: s,
                                               direction: dec.approved ? dec.direction : .flat, value: dec.score, time: now))
        }
        var t: Int64 = 0
        if dec.approved {
            let er = consensus.vote(s, consensus.stance(s).owner).expectedReturn
            let hedge = portfolio.parameters.sizing == .meanVariance ? correlatedNotional(i) : 0
            t = portfolio.target(direction: dec.direction, score: dec.score, expectedReturn: er, mid: m, volatility: vol,
                                 correlated: hedge)
        }
        switch mode {
        case .normal: break
        case .degraded:
            t = Int64(Double(t) * config.degradedScale)  // truncates towards zero
            // No new positions and no growth: only towards zero on the held side.
            if pos == 0 || t.signum() != pos.signum() { t = 0 } else if abs(t) > abs(pos) { t = pos }
        case .emergency:
            t = config.flattenOnEmergency ? 0 : pos
        }
        t = teamLeads[teamOfSymbol[i]].adjust(t, position: pos, mid: m)
        let old = target[i]
        let move = t != old && (t == 0 || t.signum() != old.signum()
            || Double(abs(t - old)) > config.rebalanceThreshold * Double(max(abs(t), abs(old))))
        if move {
            target[i] = t
            records.append(DeskRecord(.target, time: now, agent: portfolio.id, symbol: s, id: dec.id, quantity: t))
            let style = t == 0 || mode == .emergency || abs(t) < abs(pos) && t.signum() == pos.signum()
                ? ExecutionStyle.immediate : config.execution.style
            execution.replan(s, target: t, position: pos, mid: m, time: now, style: style)
        }
        if mode == .emergency && !config.flattenOnEmergency { return }
        guard var c = execution.nextChild(s, bid: bid[i], ask: ask[i], time: now) else { return }
        switch risk.check(c) {
        case .approve:
            break
        case .resize(let q, let reason):
            counters.resizes &+= 1
            records.append(DeskRecord(.resize, time: now, agent: risk.id, symbol: s, direction: c.direction,
                                      detail: reason.rawValue, quantity: q, value: Double(c.quantity)))
            c.quantity = q
        case .reject(let reason):
            counters.vetoes &+= 1
            records.append(DeskRecord(.veto, time: now, agent: risk.id, symbol: s, direction: c.direction,
                                      detail: reason.rawValue, quantity: c.quantity))
            scratchpad.publish(ScratchpadEntry(kind: .warning, agent: risk.id, symbol: s, direction: c.direction,
                                               value: Double(reason.rawValue), time: now))
            execution.pause(s)
            return
        }
        guard orderCount < orders.count else { return }
        execution.sent(c)
        orders[orderCount] = c
        orderCount += 1
        counters.childOrders &+= 1
        records.append(DeskRecord(.childOrder, time: now, agent: execution.id, symbol: s, direction: c.direction,
                                  detail: c.style.rawValue, id: c.id, quantity: c.quantity, value: Double(c.limitTicks)))
    }

    /// σ for sizing: the risk engine's EWMA volatility when it has data, else the regime agent's.
    func volatility(_ s: SymbolID) -> Double {
        let v = covariance.volatility(s.index)
        return v > 0 ? v : regime.volatility(s)
    }

    /// Σ_{j≠i} (Σ_ij/Σ_ii)·w_j, with w_j = position × mid: how much of symbol i's risk the other
    /// positions already carry, in currency of i (0 before the covariance has data for i).
    /// - Complexity: O(symbols).
    func correlatedNotional(_ i: Int) -> Double {
        let vii = covariance.covariance(i, i)
        guard vii > 0 else { return 0 }
        var sum = 0.0
        for j in 0..<symbolCount where j != i && position[j] != 0 {
            sum += covariance.covariance(i, j) * Double(position[j]) * mid[j]
        }
        return sum / vii
    }

    /// Position and round-trip accounting; a return to flat is an outcome.
    func applyToPosition(_ f: Fill) {
        let i = f.symbol.index
        let px = Double(f.priceTicks) / 10_000
        var q = f.quantity
        var rt = trip[i]
        let signed = f.direction.sign
        while q > 0 {
            let pos = position[i]
            if pos == 0 || pos.signum() == signed {
                if pos == 0 { open(&rt, f.symbol, direction: f.direction) }
                rt.entryQty += q
                rt.entryNotional += Double(q) * px
                position[i] = pos + signed * q
                q = 0
            } else {
                let closing = min(q, abs(pos))
                rt.exitQty += closing
                rt.exitNotional += Double(closing) * px
                position[i] = pos + signed * closing
                q -= closing
                if position[i] == 0 { close(&rt, f.symbol) }
            }
        }
        trip[i] = rt
    }

    func open(_ rt: inout RoundTrip, _ s: SymbolID, direction: Direction) {
        rt = RoundTrip()
        rt.direction = direction
        rt.openedAt = now
        rt.regime = regime.regime(s)
        // The signals that opened it: the stance's current supporters, by agent order.
        var who: InlineArray<8, AgentID> = InlineArray(repeating: .none)
        let n = consensus.supporters(s, now: now, into: &who)
        for k in 0..<n {
            rt.contributors[k] = who[k]
            rt.patterns[k] = consensus.vote(s, who[k]).pattern
        }
        rt.contributorCount = n
    }

    func close(_ rt: inout RoundTrip, _ s: SymbolID) {
        guard rt.entryQty > 0, rt.exitQty > 0 else { rt = RoundTrip(); return }
        let entry = rt.entryNotional / Double(rt.entryQty)
        let exit = rt.exitNotional / Double(rt.exitQty)
        let r = Double(rt.direction.rawValue) * (exit / entry - 1)
        let pnl = Double(rt.direction.rawValue) * (rt.exitNotional - entry * Double(rt.exitQty))
        counters.outcomes &+= 1
        records.append(DeskRecord(.outcome, time: now, symbol: s, direction: rt.direction, detail: rt.regime.rawValue,
                                  quantity: Int64(rt.contributorCount), value: r, value2: pnl))
        scratchpad.publish(ScratchpadEntry(kind: .outcome, agent: .none, symbol: s, regime: rt.regime,
                                           direction: rt.direction, value: r, value2: pnl, time: now))
        for k in 0..<rt.contributorCount {
            let a = rt.contributors[k]
            memory.record(pattern: rt.patterns[k], regime: rt.regime, returnFraction: r, agent: a, time: now)
            let (old, new) = consensus.learn(a, returnFraction: r)
            records.append(DeskRecord(.weight, time: now, agent: a, symbol: s, value: new, value2: old))
        }
        rt = RoundTrip()
    }
}

/// Every input a desk step consumes, as one value: what the coordinator journals and
/// replays. Plain data.
@frozen public enum DeskInput: Sendable, BitwiseCopyable {
    case market(MarketUpdate)
    case fill(Fill)
    case orderClosed(symbol: SymbolID, order: UInt64, unfilled: Int64, time: UInt64)
    case directive(Directive)
    case overrun(agent: AgentID, nanos: UInt64, time: UInt64)
}

extension Desk {
    /// Runs one step for `input`; afterwards ``records``, ``orderCount``/``order(_:)`` and
    /// ``cancelAllRequested`` describe what it emitted.
    /// - Complexity: that of the input's method; no allocation.
    public func step(_ input: DeskInput) {
        switch input {
        case .market(let u): onMarket(u)
        case .fill(let f): onFill(f)
        case let .orderClosed(s, id, unfilled, t): onOrderClosed(symbol: s, order: id, unfilled: unfilled, time: t)
        case .directive(let d): apply(d)
        case let .overrun(a, nanos, t): reportOverrun(a, nanos: nanos, time: t)
        }
    }

    /// FNV-1a of this step's records folded into `hash` (start from `DeskRecord.fnvOffset`).
    public func foldRecords(into hash: inout UInt64) {
        for k in 0..<records.count { records[k].fnv1a(&hash) }
    }
}
