import Atomics
import QuorumAgents
import QuorumBook
import QuorumJournal
import QuorumNet
import QuorumRings

/// The coordinator's journal in live mode. The journal loop may run on another thread
/// (Config's thread plan); when it runs on the coordinator's own thread, a full hand-off
/// ring is drained inline, otherwise the coordinator waits for the journal thread.
public final class LiveJournal: CoordinatorJournalSink {
    public let writer: JournalWriter
    /// The journal loop shares the coordinator's thread.
    public var drainsInline = true
    /// Appends that found the ring full (each waited for room).
    public private(set) var fullWaits = 0

    public init(writer: JournalWriter) { self.writer = writer }

    public func appendRecord(_ type: JournalRecordType, timestampNs: UInt64, payload: UnsafeRawBufferPointer) -> UInt64? {
        while true {
            if let seq = writer.append(type, timestampNs: timestampNs, payload: payload) { return seq }
            if writer.failure != nil || payload.count > writer.options.maxPayload { return nil }
            fullWaits &+= 1
            if drainsInline { _ = writer.loop.poll() } else { spinPause() }
        }
    }

    /// Opens a new journal in `directory` (which must hold none) and writes the session
    /// record that names the desk `setup` builds, so `quorum replay` rebuilds it.
    /// - Throws: `BacktestError.journal` naming the directory.
    public static func create(directory: String, setup: BacktestSetup,
                              fsync: JournalFsyncPolicy = .none) throws(BacktestError) -> LiveJournal {
        let w: JournalWriter
        do { w = try JournalWriter(directory: directory, options: writerOptions(fsync: fsync)) } catch {
            throw .journal("\(directory): \(error)")
        }
        guard w.nextSequence == 1 else {
            throw .journal("\(directory) already holds a journal (next sequence \(w.nextSequence)); "
                           + "choose a new directory (resuming a journal is recovery's job)")
        }
        let sink = LiveJournal(writer: w)
        let text = Array(setup.encoded.utf8)
        let seq = text.withUnsafeBytes { sink.appendRecord(.coordinatorSession, timestampNs: 0, payload: $0) }
        guard seq != nil else { throw .journal("\(directory): could not write the session record") }
        return sink
    }

    /// The writer options of a live journal, fresh or recovered.
    public static func writerOptions(fsync: JournalFsyncPolicy = .none) -> JournalWriterOptions {
        var options = JournalWriterOptions(fsync: fsync)
        options.maxPayload = 4096
        // Fewer, larger writes: the journal loop shares the desk's thread by default, and
        // each pwrite it saves is time the next market update does not wait.
        options.coalesceBytes = 64 << 10
        options.coalesceDelayNs = 2_000_000
        return options
    }

    /// Recovers the live journal in `directory` (`CoordinatorRecovery.recover`: replayed,
    /// every checkpoint verified) with a `LiveJournal` appending to it, for
    /// `LiveEngine.Start.resume`.
    /// - Throws: `RecoveryError` naming what failed (a checkpoint mismatch: its sequence).
    public static func recover(directory: String, fsync: JournalFsyncPolicy = .none)
        throws(RecoveryError) -> (coordinator: JournaledCoordinator, journal: LiveJournal) {
        var sink: LiveJournal?
        let jc = try CoordinatorRecovery.recover(directory: directory, options: writerOptions(fsync: fsync)) { w in
            let j = LiveJournal(writer: w)
            sink = j
            return j
        }
        return (jc, sink!)
    }
}

/// The desk loop: market updates and venue events from the net loop's rings into the
/// coordinator (which journals each one as it consumes it and steps the whole team), and
/// the child orders it sends — plus cancel-all when the breakers ask — out to the net loop.
///
/// Events (fills, closures) are consumed before market updates in each turn, so the desk
/// acts on the newest positions. Draining (stopping): it halts longs and shorts desk-wide
/// (two directive inputs: no position may grow), sends no new child order from then on
/// (they stay open in the coordinator, "withheld"), asks once for every working order to be
/// cancelled, and stops consuming at the first moment every order the venue had is closed.
/// Stopping between inputs is what keeps the journal a complete record of the run: replay
/// ends in the same state, withheld orders included.
///
/// Not thread-safe: after `LoopRunner.start`, only its thread calls it.
public final class LiveDeskLoop: Loop {
    public let name = EngineLoop.coordinator.rawValue
    public let coordinator: Coordinator
    let market: SPSCRing<MarketUpdate>
    let events: SPSCRing<LiveVenueEvent>
    let orders: SPSCRing<LiveOrderCommand>
    let statusLock: SeqLock<LiveDeskStatus>
    let _draining = ManagedAtomic<Bool>(false)
    /// Set by the loop once draining found no open order; it consumes nothing after.
    let _frozen = ManagedAtomic<Bool>(false)
    var cancelAllSent = false
    /// While stopping, new child orders stay with the coordinator (open, never sent): a desk
    /// that re-sends after every closure would otherwise never reach a moment with nothing
    /// working at the venue.
    var withholding = false
    /// Orders withheld so; they are the coordinator's open orders once it froze.
    public private(set) var withheld = 0
    /// Commands the net loop's ring had no room for, oldest first.
    let pending: UnsafeMutableBufferPointer<LiveOrderCommand>
    var pendingHead = 0
    var pendingCount = 0
    public private(set) var commandsDropped = 0
    /// Conflation: the updates taken off the ring in one turn, newest per symbol, and the
    /// symbols that have one, in the order their newest arrived.
    let latest: UnsafeMutableBufferPointer<MarketUpdate>
    let queuedAt: UnsafeMutableBufferPointer<Int32>  // position in `queued`, or -1
    let queued: UnsafeMutableBufferPointer<Int32>
    /// Updates superseded by a newer one of the same symbol before the desk got to them.
    public private(set) var updatesConflated: UInt64 = 0
    var turns: UInt64 = 0
    var lastStatusAt: UInt64 = 0
    var status = LiveDeskStatus()
    /// A recovered run's reconciler: `.report` events go to it (on this thread, so what it
    /// makes of them are journaled inputs like any other).
    var reconciler: OrderReconciler?
    /// Set (releasing) once every status request was answered; `reconciledLine` is written
    /// before it and read only after it is seen set.
    let _reconciled = ManagedAtomic<Bool>(false)
    public private(set) var reconciledLine: String?
    /// Reconciles reports outside recovery: about orders whose cancel the venue rejected.
    let lateReports: OrderReconciler
    /// Timed analyst calls over budget in a row, per analyst (see `confirmOverruns`).
    var overrunStreak: [Int]
    /// Consecutive timed overruns that make one `.overrun` input.
    public var overrunConfirmations = 3
    /// `.overrun` inputs made from timings.
    public private(set) var overrunsReported = 0
    /// `.report` events that were not execution reports (none is expected).
    public private(set) var reportsIgnored = 0
    /// Where snapshots go (nil: none are made), and the inputs between them: in a turn that
    /// found no work once that many inputs were consumed since the last one (or in any turn
    /// once four times as many were), the coordinator's state image is made here and handed
    /// to the writer thread.
    var snapshots: SnapshotWriterThread?
    var snapshotEvery = 0
    var inputsAtSnapshot = 0
    /// The longest time a snapshot took to make (ns).
    public private(set) var snapshotMaxNanos: UInt64 = 0

    init(coordinator: Coordinator, market: SPSCRing<MarketUpdate>, events: SPSCRing<LiveVenueEvent>,
         orders: SPSCRing<LiveOrderCommand>, status: SeqLock<LiveDeskStatus>, pendingCapacity: Int) {
        self.coordinator = coordinator
        lateReports = OrderReconciler(coordinator: coordinator, symbolNames: [])
        overrunStreak = Array(repeating: 0, count: coordinator.desk.analystCount)
        self.market = market
        self.events = events
        self.orders = orders
        statusLock = status
        let symbols = Swift.max(1, coordinator.desk.symbolCount)
        latest = .allocate(capacity: symbols)
        queuedAt = .allocate(capacity: symbols)
        queuedAt.initialize(repeating: -1)
        queued = .allocate(capacity: symbols)
        queued.initialize(repeating: 0)
        pending = .allocate(capacity: Swift.max(16, pendingCapacity))
        pending.initialize(repeating: LiveOrderCommand(kind: .cancelAll, order: ChildOrder(
            id: 0, symbol: .none, direction: .flat, quantity: 0, limitTicks: 0, style: .immediate, time: 0), triggerReceiveNanos: 0))
    }

    deinit {
        pending.deallocate()
        latest.deallocate()
        queuedAt.deallocate()
        queued.deallocate()
    }

    public func poll() -> Int {
        if _frozen.load(ordering: .relaxed) { return 0 }
        var work = 0
        if pendingCount > 0 { work &+= flushPending() }
        let draining = _draining.load(ordering: .relaxed)
        if draining {
            if !cancelAllSent {
                cancelAllSent = true
                withholding = true
                // Halting both sides desk-wide (journaled inputs like any directive) lets no
                // position grow: plans that add are cut to the position, so orders dry up and
                // the desk reaches a moment with none open. Then every working order is cancelled.
                for kind in [DirectiveKind.haltLongs, .haltShorts] {
                    coordinator.consume(.directive(Directive(kind: kind, team: .all, time: coordinator.lastTime)))
                    emit(trigger: 0)
                }
                command(LiveOrderCommand(kind: .cancelAll, order: pending[0].order, triggerReceiveNanos: 0))
            }
            if freezeIfQuiet() { return 1 }
        }
        var n = 0
        while n < 64, let e = events.pop() {
            let t = coordinator.lastTime
            switch e.kind {
            case .fill:
                coordinator.consume(.fill(Fill(order: e.order, symbol: e.symbol, direction: e.direction, quantity: e.quantity,
                                               priceTicks: e.priceTicks, time: t)))
            case .closed:
                coordinator.consume(.orderClosed(symbol: e.symbol, order: e.order, unfilled: e.quantity, time: t))
            case .report:
                reconcile(e, time: t)
            }
            emit(trigger: 0)
            n &+= 1
            if draining && freezeIfQuiet() { return n }
        }
        // Updates keep coming while draining: orders still working are priced off a live
        // book, so they fill or close rather than chase a stale price.
        // When the desk fell behind, several updates of one symbol wait in the ring: only the
        // newest is worth a decision (it carries the book as it is now, and the changes of
        // the ones it supersedes), so the desk steps once per symbol per turn. A desk that
        // keeps up takes one update at a time and nothing changes.
        let count = takeUpdates(limit: 128)
        for k in 0..<count {
            let i = Int(queued[k])
            queuedAt[i] = -1
            let u = latest[i]
            let start = NetClock.now()
            // The step's orders go out before its input is journaled and its bookkeeping done
            // (`Coordinator.consume(market:ordersReady:)`; the same state and journal after).
            coordinator.consume(market: u) { emit(trigger: u.receiveTime, deskStart: start) }
            if !coordinator.desk.timedCalls.isEmpty { confirmOverruns() }
            n &+= 1
            if draining && freezeIfQuiet() {
                for j in (k + 1)..<count { queuedAt[Int(queued[j])] = -1 }
                return n
            }
        }
        work &+= n
        turns &+= 1
        // The status is due every 20 ms: a clock read on every idle turn (~100 ns) would be
        // most of a busy-spinning turn. A parked loop turns at least every millisecond, so its
        // status is at most ~64 ms old; `LiveEngine.stop` publishes the final one itself.
        if turns & 63 == 0 { maybePublish() }
        if snapshots != nil && !draining { maybeSnapshot(idle: work == 0) }
        return work
    }

    /// Makes a snapshot when one is due and the writer is free (see `snapshots`).
    func maybeSnapshot(idle: Bool) {
        let since = coordinator.counters.inputs - inputsAtSnapshot
        guard since >= snapshotEvery && (idle || since >= 4 * snapshotEvery) else { return }
        _ = snapshot()
    }

    /// Hands the coordinator's state image to the writer thread now, if it is free.
    /// - Returns: whether one was handed over.
    @discardableResult
    func snapshot() -> Bool {
        guard let w = snapshots, w.isIdle else { return false }
        let start = NetClock.now()
        guard let blob = coordinator.stateImage(reusing: w.takeBuffer()) else {
            snapshots = nil  // a custom agent cannot write its state: no snapshots this run
            return false
        }
        w.offer(sequence: coordinator.lastSequence, stateHash: coordinator.stateHash(), blob: blob)
        inputsAtSnapshot = coordinator.counters.inputs
        snapshotMaxNanos = Swift.max(snapshotMaxNanos, NetClock.now() &- start)
        return true
    }

    /// Takes up to `limit` updates off the ring into `latest` (newest per symbol, with the
    /// superseded ones' change flags) and lists their symbols in `queued`, ordered by the
    /// arrival of each symbol's newest update. Returns how many symbols are listed.
    func takeUpdates(limit: Int) -> Int {
        // An empty ring costs no reference to the desk (an atomic retain and release).
        var next = market.pop()
        if next == nil { return 0 }
        var count = 0
        var taken = 0
        let desk = coordinator.desk
        while let u = next {
            taken &+= 1
            next = taken < limit ? market.pop() : nil
            guard let s = desk.symbol(locate: u.locate.rawValue) else { continue }  // the net loop sends traded ones only
            let i = s.index
            let at = Int(queuedAt[i])
            if at >= 0 {
                var merged = u
                merged.changes.formUnion(latest[i].changes)
                latest[i] = merged
                updatesConflated &+= 1
                // Its newest arrived last: move it to the end of the list.
                for j in at..<(count &- 1) {
                    queued[j] = queued[j &+ 1]
                    queuedAt[Int(queued[j])] = Int32(j)
                }
                queued[count &- 1] = Int32(i)
                queuedAt[i] = Int32(count &- 1)
            } else {
                latest[i] = u
                queued[count] = Int32(i)
                queuedAt[i] = Int32(count)
                count &+= 1
            }
        }
        return count
    }

    /// Reads the analyst calls the desk timed in the step just taken (after its orders went
    /// out). An analyst over its time budget in `overrunConfirmations` timed calls in a row
    /// is reported to the coordinator as an `.overrun` input — journaled, so replay
    /// quarantines at the same point; one slow call (a preemption on a shared core) is not.
    func confirmOverruns() {
        let desk = coordinator.desk
        for (agent, nanos) in desk.timedCalls {
            let a = agent.index
            guard a < overrunStreak.count else { continue }
            let budget = desk.timeBudget(agent)
            guard budget > 0, nanos > budget else {
                overrunStreak[a] = 0
                continue
            }
            overrunStreak[a] &+= 1
            if overrunStreak[a] >= overrunConfirmations {
                overrunStreak[a] = 0
                overrunsReported &+= 1
                coordinator.consume(.overrun(agent: agent, nanos: nanos, time: coordinator.lastTime))
                emit(trigger: 0)
            }
        }
    }

    /// A venue report about an order open at the crash, or whose cancel the venue rejected:
    /// the reconciler turns it into the fill and closure inputs the coordinator missed
    /// (deduplicated by CumQty).
    func reconcile(_ e: LiveVenueEvent, time: UInt64) {
        guard let report = e.executionReport else {
            reportsIgnored &+= 1
            return
        }
        (reconciler ?? lateReports).apply(report, possDup: e.possDup, time: time)
        markReconciledIfComplete()
    }

    /// Publishes the reconciler's line the first time every status request is answered.
    func markReconciledIfComplete() {
        guard let reconciler, reconciler.isComplete, !_reconciled.load(ordering: .relaxed) else { return }
        reconciledLine = reconciler.counters.description
        _reconciled.store(true, ordering: .releasing)
    }

    /// While draining: the first moment the coordinator holds no open order (so the venue
    /// holds none of ours either) the desk stops consuming — the run's final state.
    @inline(__always)
    func freezeIfQuiet() -> Bool {
        guard coordinator.openOrderCount == withheld && pendingCount == 0 else { return false }
        publishStatus()
        _frozen.store(true, ordering: .releasing)
        return true
    }

    /// Everything the last input made the coordinator send.
    @inline(__always)
    func emit(trigger: UInt64, deskStart: UInt64 = 0) {
        while let o = coordinator.nextOutgoing() {
            if withholding {
                withheld &+= 1
                continue
            }
            command(LiveOrderCommand(kind: .new, order: o, triggerReceiveNanos: trigger, deskStartNanos: deskStart))
        }
        if coordinator.cancelAllRequested {
            command(LiveOrderCommand(kind: .cancelAll, order: pending[0].order, triggerReceiveNanos: 0))
            coordinator.acknowledgeCancelAll()
        }
    }

    @inline(__always)
    func command(_ c: LiveOrderCommand) {
        var c = c
        if c.deskStartNanos != 0 { c.deskEndNanos = NetClock.now() }
        if pendingCount == 0 && orders.push(c) { return }
        if pendingCount < pending.count {
            pending[(pendingHead &+ pendingCount) % pending.count] = c
            pendingCount &+= 1
        } else {
            commandsDropped &+= 1
        }
    }

    func flushPending() -> Int {
        var n = 0
        while pendingCount > 0 && orders.push(pending[pendingHead]) {
            pendingHead = (pendingHead &+ 1) % pending.count
            pendingCount &-= 1
            n &+= 1
        }
        return n
    }

    func maybePublish() {
        let now = NetClock.now()
        guard now &- lastStatusAt >= 20_000_000 else { return }
        lastStatusAt = now
        publishStatus()
    }

    func publishStatus() {
        let c = coordinator
        status.inputs = UInt64(c.counters.inputs)
        status.marketInputs = UInt64(c.counters.marketInputs)
        status.fills = UInt64(c.counters.fillInputs)
        status.ordersSent = UInt64(c.counters.ordersSent)
        status.openOrders = UInt64(c.openOrderCount)
        status.totalPnL = c.totalPnL
        status.realisedPnL = c.realisedPnL
        status.valueAtRisk = c.desk.risk.engine.risk.valueAtRisk
        status.mode = c.desk.mode.rawValue
        status.lastSequence = c.lastSequence
        status.journalFailures = UInt64(c.counters.journalFailures)
        status.updatesConflated = updatesConflated
        for i in 0..<Swift.min(LiveDeskStatus.symbolSlots, c.symbols.count) { status.positions[i] = c.symbols[i].position }
        statusLock.write(status)
    }
}

/// The journal loop as a `Loop` (pwrite, fsync per the writer's policy).
final class LiveJournalLoop: Loop {
    let name = EngineLoop.journal.rawValue
    let writer: JournalWriter
    /// `writer.loop` without ownership (`writer` holds it): a poll then costs no retain and
    /// release, which on an idle turn was a good part of it.
    let _loop: Unmanaged<JournalLoop>
    init(writer: JournalWriter) {
        self.writer = writer
        _loop = .passUnretained(writer.loop)
    }
    func poll() -> Int { _loop._withUnsafeGuaranteedRef { $0.poll() } }
}

/// The agents' loop name in Config. The agents step inside the coordinator's desk step (the
/// desk is one deterministic state machine, which is what makes the journal replayable), so
/// this loop has no work of its own; it exists so a thread plan stays valid.
final class LiveAgentsLoop: Loop {
    let name = EngineLoop.agents.rawValue
    func poll() -> Int { 0 }
}
