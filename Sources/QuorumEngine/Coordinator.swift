import QuorumAgents
import QuorumBook
import QuorumJournal

/// Where the coordinator's input records go. The backtest passes a `JournalWriter` and
/// polls its loop on the same thread (lockstep); replay passes none.
public protocol CoordinatorJournalSink: AnyObject {
    /// Appends one record; returns its sequence, or nil if the journal failed.
    func appendRecord(_ type: JournalRecordType, timestampNs: UInt64, payload: UnsafeRawBufferPointer) -> UInt64?
}

/// A `JournalWriter` drained by the caller's own thread: when the ring is full it polls the
/// writer's loop until the record fits.
public final class LockstepJournal: CoordinatorJournalSink {
    public let writer: JournalWriter
    public init(writer: JournalWriter) { self.writer = writer }

    public func appendRecord(_ type: JournalRecordType, timestampNs: UInt64, payload: UnsafeRawBufferPointer) -> UInt64? {
        while true {
            if let seq = writer.append(type, timestampNs: timestampNs, payload: payload) { return seq }
            if writer.failure != nil || payload.count > writer.options.maxPayload { return nil }
            _ = writer.loop.poll()
        }
    }

    /// Writes and fsyncs everything appended.
    public func finish() throws(JournalError) { try writer.loop.drainAndSync() }
}

/// Holds a coordinator's journal sink: a class of its own so the coordinator can reach the
/// sink through an unretained reference (`Unmanaged` needs a class; the sink is a protocol).
final class _SinkBox {
    let sink: CoordinatorJournalSink
    init(_ sink: CoordinatorJournalSink) { self.sink = sink }
}

/// A child order the order manager holds open.
public struct OpenOrder: Sendable, Equatable {
    public var order: ChildOrder
    public var filled: Int64
    /// Σ quantity × price over its fills (ticks × shares): with the venue's AvgPx and CumQty
    /// it gives the price of fills the coordinator missed (reconciliation).
    public var filledTicks: Int64 = 0
    public var remaining: Int64 { order.quantity - filled }
}

/// Per-symbol trading state and P&L. Money: `cashTicks` and mids are exact integers
/// (ticks × shares, half-ticks), so total P&L is exact; realised P&L uses average cost.
public struct SymbolBook: Sendable, Equatable {
    public var position: Int64 = 0
    /// Σ −side × qty × price over fills (ticks × shares).
    public var cashTicks: Int64 = 0
    /// Cost of the open position at average cost (ticks × shares, signed like the position).
    public var openCost: Double = 0
    /// Realised P&L at average cost (ticks × shares).
    public var realisedTicks: Double = 0
    /// Last two-sided mid × 2 (half-ticks); 0 before the first.
    public var midHalfTicks: Int64 = 0
    public var fills = 0
    public var boughtQty: Int64 = 0
    public var soldQty: Int64 = 0

    /// Total P&L in currency: cash + position at the last mid.
    public var totalPnL: Double { (Double(cashTicks) * 2 + Double(position) * Double(midHalfTicks)) / 20_000 }
    public var realisedPnL: Double { realisedTicks / 10_000 }
    public var unrealisedPnL: Double { totalPnL - realisedPnL }
}

/// Counters of what the coordinator saw (inputs, order manager events, desk records by kind).
public struct CoordinatorCounters: Sendable, Equatable {
    public var inputs = 0
    public var marketInputs = 0
    public var fillInputs = 0
    public var closeInputs = 0
    public var directiveInputs = 0
    public var overrunInputs = 0
    public var checkpoints = 0
    public var ordersSent = 0
    public var ordersRejected = 0
    /// Fills for orders the order manager does not hold, or beyond an order's quantity.
    public var unmatchedFills = 0
    public var journalFailures = 0
    /// Desk records by `DeskRecordKind` raw value.
    public var records = [Int](repeating: 0, count: 32)
    public var approvedDecisions = 0
    public var vetoedDecisions = 0
    public var recordsDropped = 0

    public func records(_ k: DeskRecordKind) -> Int { records[Int(k.rawValue)] }
}

/// The single-threaded, deterministic heart of a run: sequences every input, journals it,
/// steps the desk, runs the order manager (ids, open orders, fills), positions and P&L per
/// symbol, team and agent, samples the P&L curve in event time, and journals a checkpoint
/// (the state hash) every `checkpointEvery` inputs. Outputs (orders, records) are not
/// journaled: they follow from the inputs.
///
/// `consume(_:)` is the only mutator. After it, `nextOutgoing()` yields the child orders
/// the step sent (already open in the order manager) and `cancelAllRequested` says the
/// desk asked for every working order to be cancelled; whoever drives the coordinator
/// answers with fills and closures, which are inputs again.
///
/// Not thread-safe: one owner.
public final class Coordinator {
    public let desk: Desk
    public let checkpointEvery: Int
    /// Event-time nanoseconds between P&L samples.
    public let sampleNanos: UInt64
    /// The journal, if any. Records are appended through `sinkRef`.
    var sinkBox: _SinkBox? {
        didSet { sinkRef = sinkBox.map { Unmanaged.passUnretained($0) } }
    }
    /// `sinkBox` unretained: an append through it costs no retain and release of the sink (an
    /// atomic read-modify-write per record that also waits for the record's stores to drain:
    /// about 6% of a backtest's time).
    @exclusivity(unchecked) var sinkRef: Unmanaged<_SinkBox>?
    let scratch: UnsafeMutableRawPointer

    @exclusivity(unchecked) public internal(set) var symbols: [SymbolBook]
    @exclusivity(unchecked) public internal(set) var counters = CoordinatorCounters()
    /// Realised P&L attributed to agents (currency): a closed round trip's P&L split evenly
    /// between the analysts whose signals opened it.
    @exclusivity(unchecked) public internal(set) var agentPnL: [Double]
    @exclusivity(unchecked) public internal(set) var agentTrips: [Int]
    /// Total P&L (currency) at each sample time, in event order.
    @exclusivity(unchecked) public internal(set) var pnlSeries: [Double]
    @exclusivity(unchecked) public internal(set) var cancelAllRequested = false
    /// FNV-1a over every desk record emitted so far.
    @exclusivity(unchecked) public internal(set) var recordHash = DeskRecord.fnvOffset
    /// Sequence of the last record journaled (0 without a journal).
    @exclusivity(unchecked) public private(set) var lastSequence: UInt64 = 0
    @exclusivity(unchecked) public internal(set) var lastTime: UInt64 = 0
    /// The feed sequence of the last market update consumed (where a restart resumes the feed).
    @exclusivity(unchecked) public internal(set) var lastMarketSequence: UInt64 = 0
    /// The last directive consumed (a live run's clean stop journals its halts last).
    @exclusivity(unchecked) public internal(set) var lastDirective: Directive?

    @exclusivity(unchecked) var open: [OpenOrder]
    @exclusivity(unchecked) var outbox: [ChildOrder]
    @exclusivity(unchecked) var outHead = 0
    @exclusivity(unchecked) var outCount = 0
    @exclusivity(unchecked) var nextSample: UInt64 = 0
    @exclusivity(unchecked) var pendingOutcomePnL = 0.0
    @exclusivity(unchecked) var pendingOutcomeSymbol = SymbolID.none
    let teamOfSymbol: [Int]
    /// Whether `nextOutgoing()` is fed (false for replay, where nobody answers orders).
    @exclusivity(unchecked) var collectsOutgoing: Bool
    /// Orders dropped from a full outbox before the driver read them.
    @exclusivity(unchecked) public internal(set) var outboxOverflow = 0

    /// - Parameters:
    ///   - desk: a fresh desk (the coordinator owns its inputs from now on).
    ///   - journal: where inputs and checkpoints go; nil for replay.
    ///   - checkpointEvery: inputs between checkpoint records (≥ 1).
    ///   - openOrderCapacity: most orders open at once; more are refused and counted.
    public init(desk: Desk, journal: CoordinatorJournalSink?, checkpointEvery: Int = 10_000,
                sampleNanos: UInt64 = 1_000_000_000, openOrderCapacity: Int = 1024, sampleCapacity: Int = 1 << 16) {
        self.desk = desk
        sinkBox = journal.map(_SinkBox.init)
        sinkRef = sinkBox.map { Unmanaged.passUnretained($0) }  // observers do not run in init
        collectsOutgoing = journal != nil
        self.checkpointEvery = max(1, checkpointEvery)
        self.sampleNanos = max(1, sampleNanos)
        scratch = .allocate(byteCount: CoordinatorCodec.maxSize, alignment: 8)
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: CoordinatorCodec.maxSize)
        symbols = Array(repeating: SymbolBook(), count: desk.symbolCount)
        agentPnL = Array(repeating: 0, count: desk.agentCount)
        agentTrips = Array(repeating: 0, count: desk.agentCount)
        pnlSeries = []
        pnlSeries.reserveCapacity(sampleCapacity)
        open = []
        open.reserveCapacity(max(1, openOrderCapacity))
        outbox = Array(repeating: ChildOrder(id: 0, symbol: .none, direction: .flat, quantity: 0, limitTicks: 0,
                                             style: .immediate, time: 0),
                       count: max(16, desk.config.orderCapacity * 4))
        teamOfSymbol = desk.config.symbols.map(\.team)
        openCapacity = max(1, openOrderCapacity)
    }
    let openCapacity: Int

    deinit { scratch.deallocate() }

    // MARK: - Views

    public var openOrderCount: Int { open.count }
    public func openOrder(_ i: Int) -> OpenOrder { open[i] }
    /// The open order with desk id `id`.
    public func openOrder(id: UInt64) -> OpenOrder? { open.first { $0.order.id == id } }

    /// Whether `nextOutgoing()` has an order.
    public var hasOutgoing: Bool { outCount > 0 }

    /// The next child order sent since the last call, oldest first (only with a journal:
    /// replay answers nothing).
    public func nextOutgoing() -> ChildOrder? {
        guard outCount > 0 else { return nil }
        let o = outbox[outHead]
        outHead = (outHead + 1) % outbox.count
        outCount -= 1
        return o
    }

    public var totalPnL: Double { symbols.reduce(0) { $0 + $1.totalPnL } }
    public var realisedPnL: Double { symbols.reduce(0) { $0 + $1.realisedPnL } }

    /// The state hash a checkpoint records: every desk record so far, the input count, and
    /// each symbol's position, cash, realised P&L and mid, and the open orders.
    /// - Complexity: O(symbols + open orders).
    public func stateHash() -> UInt64 {
        var h = recordHash
        func mix(_ x: UInt64) {
            var x = x
            for _ in 0..<8 {
                h = (h ^ (x & 0xff)) &* 0x0000_0100_0000_01b3  // FNV-1a: wrapping by definition
                x >>= 8
            }
        }
        mix(UInt64(counters.inputs))
        for s in symbols {
            mix(UInt64(bitPattern: s.position)); mix(UInt64(bitPattern: s.cashTicks))
            mix(s.realisedTicks.bitPattern); mix(UInt64(bitPattern: s.midHalfTicks))
        }
        for o in open { mix(o.order.id); mix(UInt64(bitPattern: o.filled)) }
        return h
    }

    // MARK: - Input

    /// Sequences, journals and applies one input; then runs the order manager over what the
    /// desk emitted, and writes a checkpoint when one is due.
    /// - Complexity: that of the desk step plus O(records + orders); no allocation once
    ///   warm (the P&L series grows past its reserved capacity only on very long runs).
    public func consume(_ input: DeskInput) {
        if case .market(let u) = input { consume(market: u); return }
        let t = CoordinatorCodec.time(of: input)
        lastTime = t
        if sinkRef != nil {
            let (type, n) = CoordinatorCodec.encode(input, into: scratch)
            append(type, timestampNs: t, payload: UnsafeRawBufferPointer(start: scratch, count: n))
        }
        counters.inputs &+= 1
        switch input {
        case .market(let u):
            counters.marketInputs &+= 1
            lastMarketSequence = u.sequence
            if let s = desk.symbol(locate: u.locate.rawValue), !u.bestBid.isEmpty, !u.bestAsk.isEmpty {
                symbols[s.index].midHalfTicks = Int64(u.bestBid.price.rawValue) + Int64(u.bestAsk.price.rawValue)
            }
        case .fill(let f): counters.fillInputs &+= 1; applyFill(f)
        case let .orderClosed(_, id, _, _): counters.closeInputs &+= 1; close(id)
        case .directive(let d): counters.directiveInputs &+= 1; lastDirective = d
        case .overrun: counters.overrunInputs &+= 1
        }
        desk.step(input)
        absorbRecords()
        takeOrders()
        if desk.cancelAllRequested { cancelAllRequested = true }
        if counters.inputs % checkpointEvery == 0 { checkpoint() }
    }

    /// `consume(.market(u))` without wrapping the update in a `DeskInput` and unwrapping it
    /// again (each a copy of a 300-byte value): the backtest's and replay's common input.
    /// - Complexity: as `consume(_:)`; no allocation.
    public func consume(market u: MarketUpdate) { _consume(market: u, ordersReady: {}) }

    /// `consume(market:)` for a live driver: calls `ordersReady` as soon as the step's
    /// orders are in `nextOutgoing()` (and a cancel-all request is flagged), before the work
    /// no order waits for — journaling the input, the records' hash and counts, the P&L
    /// sample, a due checkpoint — so the driver sends them first. The state after the call,
    /// and the journal, are those of `consume(market:)`. (The journal loop writes to disk
    /// after the step either way, so a crash loses the same inputs; recovery reconciles the
    /// orders the venue holds.)
    /// - Complexity: as `consume(_:)`; no allocation.
    public func consume(market u: MarketUpdate, ordersReady: () -> Void) { _consume(market: u, ordersReady: ordersReady) }

    @inline(__always)
    func _consume(market u: MarketUpdate, ordersReady: () -> Void) {
        let t = u.exchangeTime.rawValue
        lastTime = t
        counters.inputs &+= 1
        counters.marketInputs &+= 1
        lastMarketSequence = u.sequence
        if let s = desk.symbol(locate: u.locate.rawValue), !u.bestBid.isEmpty, !u.bestAsk.isEmpty {
            symbols[s.index].midHalfTicks = Int64(u.bestBid.price.rawValue) + Int64(u.bestAsk.price.rawValue)
        }
        desk.onMarket(u)
        // Neither the desk step nor the order manager appends to the journal or reads what
        // the records' bookkeeping writes, so the orders can go first and the journal still
        // reads: the input, then its checkpoint when one is due.
        if desk.orderCount > 0 { takeOrders() }
        if desk.cancelAllRequested { cancelAllRequested = true }
        ordersReady()
        if sinkRef != nil {
            let n = CoordinatorCodec.encode(market: u, into: scratch)
            append(.coordinatorMarket, timestampNs: t, payload: UnsafeRawBufferPointer(start: scratch, count: n))
        }
        if desk.records.count > 0 { absorbRecords() } else { counters.recordsDropped = desk.records.dropped }
        sample(t)
        if counters.inputs % checkpointEvery == 0 { checkpoint() }
    }

    /// Turns a replayed coordinator (made without a journal) into a live one: from now on
    /// inputs go to `journal`, whose next sequence follows `lastSequence`, and sent orders
    /// reach `nextOutgoing()`. Recovery calls this once replay has verified the state; the
    /// orders open at that point are the driver's to reconcile (they never pass the outbox).
    ///
    /// Replay latches every cancel-all request and nobody acknowledged them (acknowledging is
    /// not an input), so the flag is recomputed: pending only if the last input's step asked
    /// for it and orders are still open.
    public func attachJournal(_ journal: CoordinatorJournalSink, lastSequence: UInt64) {
        sinkBox = _SinkBox(journal)
        collectsOutgoing = true
        self.lastSequence = lastSequence
        cancelAllRequested = desk.cancelAllRequested && !open.isEmpty
        outHead = 0
        outCount = 0
    }

    /// The driver has closed every open order after a cancel-all request.
    public func acknowledgeCancelAll() { cancelAllRequested = false }

    /// Writes a checkpoint record now (the backtest also writes one at the end).
    public func checkpoint() {
        counters.checkpoints &+= 1
        writeCheckpointRecord()
    }

    /// Journals the state hash (recovery writes the checkpoint a crash cut off, already counted).
    func writeCheckpointRecord() {
        guard sinkRef != nil else { return }
        var h = stateHash().littleEndian
        withUnsafeBytes(of: &h) { append(.checkpoint, timestampNs: lastTime, payload: $0) }
    }

    /// Appends a record to the journal (there is one): its sequence becomes `lastSequence`, or
    /// a failure is counted.
    @inline(__always)
    func append(_ type: JournalRecordType, timestampNs t: UInt64, payload: UnsafeRawBufferPointer) {
        let seq = sinkRef.unsafelyUnwrapped._withUnsafeGuaranteedRef {
            $0.sink.appendRecord(type, timestampNs: t, payload: payload)
        }
        if let seq { lastSequence = seq } else { counters.journalFailures &+= 1 }
    }

    // MARK: - Order manager, positions, P&L

    func applyFill(_ f: Fill) {
        if let k = open.firstIndex(where: { $0.order.id == f.order }), open[k].order.symbol == f.symbol,
           open[k].order.direction == f.direction, f.quantity > 0, f.quantity <= open[k].remaining {
            open[k].filled += f.quantity
            open[k].filledTicks += f.quantity * f.priceTicks
            if open[k].remaining == 0 { open.remove(at: k) }
        } else {
            counters.unmatchedFills &+= 1
        }
        guard f.symbol.index < symbols.count, f.quantity > 0, f.direction != .flat, f.priceTicks > 0 else { return }
        var b = symbols[f.symbol.index]
        let sign = f.direction.sign
        let px = Double(f.priceTicks)
        b.fills += 1
        if sign > 0 { b.boughtQty += f.quantity } else { b.soldQty += f.quantity }
        b.cashTicks -= sign * f.quantity * f.priceTicks
        var q = f.quantity
        while q > 0 {
            if b.position == 0 || b.position.signum() == sign {
                b.openCost += Double(sign * q) * px
                b.position += sign * q
                q = 0
            } else {
                let closing = min(q, abs(b.position))
                let avg = b.openCost / Double(b.position)
                // Closing a long at px gains (px − avg) per share; closing a short gains (avg − px).
                b.realisedTicks += Double(-sign * closing) * (px - avg)
                b.openCost -= Double(-sign * closing) * avg
                b.position += sign * closing
                if b.position == 0 { b.openCost = 0 }
                q -= closing
            }
        }
        symbols[f.symbol.index] = b
    }

    func close(_ id: UInt64) {
        if let k = open.firstIndex(where: { $0.order.id == id }) { open.remove(at: k) }
    }

    func absorbRecords() {
        let r = desk.records
        counters.recordsDropped = r.dropped
        for k in 0..<r.count {
            let rec = r[k]
            rec.fnv1a(&recordHash)
            counters.records[Int(rec.kind.rawValue) & 31] &+= 1
            switch rec.kind {
            case .decision:
                if rec.detail == 1 { counters.approvedDecisions &+= 1 } else if rec.detail == 2 { counters.vetoedDecisions &+= 1 }
            case .outcome:
                // The `.weight` records that follow name its contributors, one each.
                pendingOutcomeSymbol = rec.symbol
                pendingOutcomePnL = rec.quantity > 0 ? rec.value2 / Double(rec.quantity) : 0
            case .weight:
                if rec.symbol == pendingOutcomeSymbol && rec.agent.index < agentPnL.count {
                    agentPnL[rec.agent.index] += pendingOutcomePnL
                    agentTrips[rec.agent.index] += 1
                }
            default: break
            }
        }
    }

    func takeOrders() {
        for i in 0..<desk.orderCount {
            let c = desk.order(i)
            guard open.count < openCapacity else { counters.ordersRejected &+= 1; continue }
            open.append(OpenOrder(order: c, filled: 0))
            counters.ordersSent &+= 1
            // The outbox is the driver's view, not state: replay never drains it, so a full
            // outbox only drops the oldest unread order (counted), never refuses one.
            guard collectsOutgoing else { continue }
            if outCount == outbox.count {
                outHead = (outHead + 1) % outbox.count
                outCount -= 1
                outboxOverflow &+= 1
            }
            outbox[(outHead + outCount) % outbox.count] = c
            outCount += 1
        }
    }

    func sample(_ t: UInt64) {
        if nextSample == 0 { nextSample = t + sampleNanos; return }
        guard t >= nextSample else { return }
        let pnl = totalPnL
        pnlSeries.append(pnl)
        // The daily-loss and drawdown breakers watch equity; the coordinator is what knows
        // it (cash and positions marked at the mids), once per sampling period of event time.
        let engine = desk.risk.engine
        engine.onEquity(engine.portfolio.capital + pnl, atNanos: t)
        nextSample = t - t % sampleNanos + sampleNanos
    }
}
