import Atomics
import Histogram
import QuorumAgents
import QuorumBook
import QuorumNet
import QuorumRings
import QuorumWire

/// What the net loop needs to know besides its rings.
public struct LiveNetSettings: Sendable {
    /// Where the MoldUDP64 feed is received (port 0: any free port).
    public var feed = SocketAddress.loopback()
    public var senderCompID: FIXString = "QUORUM"
    public var targetCompID: FIXString = "SIM"
    public var heartBtInt = 30
    /// A working order older than this gets an OrderCancelRequest (again, if the last one
    /// was not answered within it). Crossing orders are IOC and close at once; this bounds
    /// how long a passive order rests.
    public var orderTTLNanos: UInt64 = 250_000_000
    /// Wait between FIX connection attempts.
    public var reconnectNanos: UInt64 = 250_000_000
    /// Working orders tracked at once (a power of two; desk ids map to slots by their low bits).
    public var orderTableCapacity = 4096
    public var books = BookConfig(ordersPerSymbol: 1 << 16, levelsPerSide: 4096, maxSymbols: 64)
    /// Largest latency the tick-to-trade histogram tracks (ns).
    public var histogramMaxNanos: UInt64 = 10_000_000_000
    /// The FIX session's sequence file (nil: in memory, a new session every run). A
    /// journal's directory holds it, so a recovered run resumes the venue's session.
    public var sequenceFilePath: String?
    /// Ask the venue for sequence numbers 1/1 at every logon (ResetSeqNumFlag).
    public var resetSeqNumOnLogon = false
    /// While idle, encode the last order sent again (not sending it) at most this often, so
    /// the order path is still in the cache when the next order comes; 0: never.
    public var warmOrderPathNanos: UInt64 = 20_000
    public init() {}
}

/// One working order as the net loop tracks it (a slot of the order table).
struct _LiveWorkingOrder {
    /// `order.id == 0`: free slot.
    var order = ChildOrder(id: 0, symbol: .none, direction: .flat, quantity: 0, limitTicks: 0, style: .immediate, time: 0)
    var filled: Int64 = 0
    var locate: UInt16 = 0
    /// When it was sent, or parked (waiting for the session).
    var sentAt: UInt64 = 0
    var cancelSentAt: UInt64 = 0
    /// False while it waits for the session to be logged on.
    var sent = false
    /// Position in the dense list of working ids.
    var dense = 0
    /// Open when a recovered run started, or its cancel was rejected: cancelled like any
    /// working order, but every report about it goes to the desk's reconciler (which
    /// dedupes by CumQty).
    var adopted = false
    var id: UInt64 { order.id }
}

/// The live engine's net loop: the io_uring reactor, the MoldUDP64 feed into the books,
/// one `MarketUpdate` per book change of a traded symbol into the desk's ring; orders from
/// the desk's ring out as FIX NewOrderSingle / OrderCancelRequest over the initiator session;
/// execution reports back as fills and closures into the desk's event ring.
///
/// Tick-to-trade: for an order caused by a market update, the time from the datagram's
/// completion being reaped (the update's `receiveTime`) to the order's send being handed to
/// the kernel is recorded into an HdrHistogram — the whole team, the risk gate and two ring
/// hops included.
///
/// The reactor and the FIX session are made on the loop's own thread on its first `poll`
/// (an io_uring must be driven by the thread that made it). The FIX connection is retried
/// every `reconnectNanos` while the session is down; sequence numbers carry across
/// connections, so what was lost in a cut comes back through ResendRequest.
///
/// Not thread-safe: after `LoopRunner.start`, only its thread calls it; others read the
/// atomics and the status seqlock.
public final class LiveNetLoop: Loop, MoldFeedSink, FIXSessionDelegate {
    public let name = EngineLoop.net.rawValue
    public let settings: LiveNetSettings
    let market: SPSCRing<MarketUpdate>
    let events: SPSCRing<LiveVenueEvent>
    let orders: SPSCRing<LiveOrderCommand>
    let statusLock: SeqLock<LiveNetStatus>
    /// Feed locate of each desk symbol.
    let locateOfSymbol: [UInt16]
    let traded: UnsafeMutableBufferPointer<Bool>
    /// Called on this loop's thread after every FIX logon (order reconciliation goes here).
    public var onLogon: ((FIXSession) -> Void)?
    /// Execution reports about orders the loop does not track (or adopted) go to the desk as
    /// `.report` events — a recovered run reconciles there the orders open at the crash —
    /// instead of being counted as unknown and dropped. Set before the loop starts.
    public var forwardsUntrackedReports = false

    // Cross-thread: set by the loop as it comes up, or by the engine.
    let _feedAddress = ManagedAtomic<UInt64>(0)  // packed, bit 63 = bound
    let _venueOrders = ManagedAtomic<UInt64>(0)
    let _venueRetransmission = ManagedAtomic<UInt64>(0)
    let _setupState = ManagedAtomic<Int>(0)  // 0 not yet, 1 up, 2 failed
    let _logoutRequested = ManagedAtomic<Bool>(false)
    /// Written before `_setupState` becomes 2.
    var setupFailure: String?

    // The loop's thread only.
    var reactor: Reactor?
    var feed: MoldFeedClient?
    public private(set) var session: FIXSession?
    /// The reactor and the session without ownership, set once `setUp` made them (`reactor`
    /// and `session` keep them alive): the polling turns and the order path reach them through
    /// these, since binding the optionals costs an atomic retain and release every turn.
    var _reactorRef: Unmanaged<Reactor>?
    var _sessionRef: Unmanaged<FIXSession>?
    /// No working order's time to live runs out before this (`expire` need not look sooner).
    var expiryCheckAt = UInt64.max
    var tcp: FIXTCPHandler?
    var connection: TCPConnection?
    var venue: SocketAddress?
    var reconnectAt: UInt64 = 0
    var wallOffset: UInt64 = 0
    var warmAt: UInt64 = 0
    /// The last order sent, which `warmOrderPath` encodes again; id 0: none yet.
    var lastSent = _LiveWorkingOrder()
    var books: BookManager
    var tracker = BookChangeTracker()
    let table: UnsafeMutableBufferPointer<_LiveWorkingOrder>
    let mask: UInt64
    let workingIDs: UnsafeMutableBufferPointer<UInt64>
    var workingCount = 0
    /// Events the desk's ring had no room for, oldest first (never dropped: the coordinator
    /// must see every fill and closure).
    let pending: UnsafeMutableBufferPointer<LiveVenueEvent>
    var pendingHead = 0
    var pendingCount = 0
    var counters = LiveNetStatus()
    var cancelCounter: UInt64 = 0
    var turns: UInt64 = 0
    var lastStatusAt: UInt64 = 0
    /// Internal tick-to-trade latencies (ns). Read it after the loop stopped.
    public internal(set) var tickToTrade: Histogram<UInt64>
    /// The part of it after the desk took the update off its ring: the desk step, the order
    /// ring hop and the FIX encode and submit — without the wait for the desk's thread.
    public internal(set) var deskToTrade: Histogram<UInt64>
    /// Tick-to-trade stage by stage (ns), read after the loop stopped — see `LiveLatencyStage`.
    /// `pushed` counts every update published; the others every order with a trigger.
    public internal(set) var stagePushed: Histogram<UInt64>
    public internal(set) var stageDeskWait: Histogram<UInt64>
    public internal(set) var stageDeskStep: Histogram<UInt64>
    public internal(set) var stageOrderHop: Histogram<UInt64>
    public internal(set) var stageSubmit: Histogram<UInt64>

    init(settings: LiveNetSettings, locates: [UInt16], market: SPSCRing<MarketUpdate>, events: SPSCRing<LiveVenueEvent>,
         orders: SPSCRing<LiveOrderCommand>, status: SeqLock<LiveNetStatus>) {
        self.settings = settings
        self.market = market
        self.events = events
        self.orders = orders
        statusLock = status
        locateOfSymbol = locates
        traded = .allocate(capacity: Int(UInt16.max) + 1)
        traded.initialize(repeating: false)
        for l in locates { traded[Int(l)] = true }
        let capacity = Swift.max(16, settings.orderTableCapacity.nextPowerOfTwo)
        table = .allocate(capacity: capacity)
        table.initialize(repeating: _LiveWorkingOrder())
        mask = UInt64(capacity - 1)
        workingIDs = .allocate(capacity: capacity)
        workingIDs.initialize(repeating: 0)
        pending = .allocate(capacity: capacity * 4)
        pending.initialize(repeating: LiveVenueEvent(kind: .closed, order: 0, symbol: .none, direction: .flat, quantity: 0,
                                                     priceTicks: 0))
        books = BookManager(config: settings.books)
        // The traded symbols' book memory is made now, before the feed starts: made when the
        // stock directory names them, its allocation and first touch (milliseconds) held up
        // the first datagrams — and a recovered desk, warm at once, traded on those.
        books.prepareBooks(locates.count)
        tickToTrade = Histogram(highestTrackableValue: Swift.max(1_000, settings.histogramMaxNanos),
                                numberOfSignificantValueDigits: .three)
        deskToTrade = tickToTrade
        stagePushed = tickToTrade
        stageDeskWait = tickToTrade
        stageDeskStep = tickToTrade
        stageOrderHop = tickToTrade
        stageSubmit = tickToTrade
    }

    /// The stages of tick-to-trade, in order.
    public var stages: [LiveLatencyStage] {
        [LiveLatencyStage(name: "receive → update pushed (net: MoldUDP64, books; per update)", figures: TickToTradeFigures(stagePushed)),
         LiveLatencyStage(name: "receive → desk took it (net, ring, desk busy)", figures: TickToTradeFigures(stageDeskWait)),
         LiveLatencyStage(name: "desk step → order pushed (team, risk, journal)", figures: TickToTradeFigures(stageDeskStep)),
         LiveLatencyStage(name: "order pushed → net took it (ring hop)", figures: TickToTradeFigures(stageOrderHop)),
         LiveLatencyStage(name: "net took it → submitted (FIX encode, send)", figures: TickToTradeFigures(stageSubmit))]
    }

    deinit {
        traded.deallocate()
        table.deallocate()
        workingIDs.deallocate()
        pending.deallocate()
    }

    // MARK: Loop

    public func poll() -> Int {
        guard let reactor = _reactorRef else {
            if _failedIdle { return 0 }
            setUp()
            return 1
        }
        var work = reactor._withUnsafeGuaranteedRef { $0.poll() }
        if pendingCount > 0 { work &+= flushPending() }
        work &+= drainOrders()
        turns &+= 1
        // Timers and status between bursts, and at least every 64 busy turns (a busy turn may
        // apply a whole batch of datagrams, and an idle one may be followed by a yield or a
        // park, so counting turns alone is not a clock).
        if work == 0 || turns & 63 == 0 { housekeeping(idle: work == 0) }
        return work
    }

    /// Sends what the desk queued. Also called between feed messages, so an order does not
    /// wait for the rest of a batch of datagrams to be applied.
    @inline(__always)
    func drainOrders() -> Int {
        var n = 0
        while n < 64, let c = orders.pop() {
            handle(c)
            n &+= 1
        }
        return n
    }

    func setUp() {
        do {
            let r = try Reactor(.init(entries: 512, mode: .busyPoll))
            reactor = r
            let f = try MoldFeedClient(reactor: r, bind: settings.feed, retransmission: .loopback(port: 9), sink: self)
            feed = f
            session = try FIXSession(options: .init(role: .initiator, senderCompID: settings.senderCompID,
                                                    targetCompID: settings.targetCompID, heartBtInt: settings.heartBtInt,
                                                    resetSeqNumOnLogon: settings.resetSeqNumOnLogon,
                                                    sequenceFilePath: settings.sequenceFilePath))
            session?.delegate = self
            wallOffset = NetClock.realTimeOffset()
            _reactorRef = .passUnretained(r)
            _sessionRef = session.map { .passUnretained($0) }
            _feedAddress.store(_LiveAddress.pack(f.socket.localAddress), ordering: .releasing)
            _setupState.store(1, ordering: .releasing)
        } catch {
            setupFailure = "\(error)"
            reactor = nil
            _setupState.store(2, ordering: .releasing)
            // A failed loop idles rather than retrying: the engine reports the failure.
            _failedIdle = true
        }
    }
    var _failedIdle = false

    // MARK: Housekeeping (idle turns, and every 64 busy ones)

    func housekeeping(idle: Bool) {
        guard let reactor = _reactorRef, let session = _sessionRef else { return }
        reactor._withUnsafeGuaranteedRef { r in
            session._withUnsafeGuaranteedRef { s in housekeeping(idle: idle, reactor: r, session: s) }
        }
    }

    @inline(__always)
    func housekeeping(idle: Bool, reactor: Reactor, session: FIXSession) {
        let now = NetClock.now()
        if venue == nil {
            let o = _venueOrders.load(ordering: .acquiring)
            if o != 0 {
                venue = _LiveAddress.unpack(o)
                let r = _venueRetransmission.load(ordering: .acquiring)
                if r != 0 { feed?.retransmission = _LiveAddress.unpack(r) }
            }
        }
        if let venue, session.state == .disconnected, connection == nil || connection?.state == .closed,
           now >= reconnectAt, !_logoutRequested.load(ordering: .relaxed) {
            reconnectAt = now &+ settings.reconnectNanos
            let handler = FIXTCPHandler(session: session)  // a new handler per connection: a late close of the old one is ignored
            tcp = handler
            connection = try? reactor.connect(to: venue, handler: handler)  // a failure is retried after reconnectNanos
        }
        if _logoutRequested.load(ordering: .relaxed) && session.state == .active {
            session.logout(now: now &+ wallOffset)
        }
        session.tick(now: now &+ wallOffset)
        if now >= expiryCheckAt { expire(now) }
        if now &- lastStatusAt >= 20_000_000 {
            lastStatusAt = now
            publishStatus()
        }
        if idle && now >= warmAt && settings.warmOrderPathNanos > 0 {
            warmAt = now &+ settings.warmOrderPathNanos
            warmOrderPath(session, now)
        }
    }

    /// Encodes the last order sent once more without sending it (`FIXSession.warmNewOrder`):
    /// an order goes out a few times a second, and between two the feed and the venue's
    /// thread push its code and buffers out of the cache.
    func warmOrderPath(_ session: FIXSession, _ now: UInt64) {
        guard lastSent.id != 0, let single = newOrderSingle(lastSent, wallNow: now &+ wallOffset) else { return }
        session.warmNewOrder(single, now: now &+ wallOffset)
    }

    /// The NewOrderSingle of a working order; nil when its symbol has no book.
    @inline(__always)
    func newOrderSingle(_ w: _LiveWorkingOrder, wallNow: UInt64) -> FIXNewOrderSingle? {
        guard let stock = books.symbol(StockLocate(w.locate))?.stock else { return nil }
        let o = w.order
        let limited = o.limitTicks > 0 && o.limitTicks <= Int64(UInt32.max)
        return FIXNewOrderSingle(
            clOrdID: FIXString(decimal: o.id), symbol: ReflexTrader.symbol(stock), side: o.direction == .long ? .buy : .sell,
            transactTime: wallNow, orderQty: Qty(UInt32(o.quantity)), ordType: limited ? .limit : .market,
            price: limited ? Price(UInt32(o.limitTicks)) : nil,
            timeInForce: o.style == .passive ? .day : .immediateOrCancel)
    }

    func publishStatus() {
        counters.workingOrders = UInt64(workingCount)
        if let feed {
            let c = feed.receiver.counters
            counters.messagesLost = c.messagesLost
            counters.feedGaps = c.gapsDetected
            counters.feedRequests = c.requestsSent
        }
        switch session?.state ?? .disconnected {
        case .disconnected: counters.sessionState = 0
        case .awaitingLogon: counters.sessionState = 1
        case .active: counters.sessionState = 2
        case .awaitingLogout: counters.sessionState = 3
        }
        statusLock.write(counters)
    }

    /// Cancels working orders past their time to live (and re-asks unanswered cancels);
    /// closes parked orders the session did not come back for in time.
    func expire(_ now: UInt64) {
        let ttl = settings.orderTTLNanos
        var next = UInt64.max
        var k = 0
        while k < workingCount {
            let slot = Int(workingIDs[k] & mask)
            let o = table[slot]
            let since = o.cancelSentAt != 0 ? o.cancelSentAt : o.sentAt
            if now &- since >= ttl {
                if !o.sent {
                    refuse(o.order)
                    release(slot)
                    continue  // the last working id moved into position k
                }
                sendCancel(slot, now)
                // A cancel sent is asked again a time to live later; one the session could not
                // send yet (not logged on) is tried again next turn.
                next = Swift.min(next, table[slot].cancelSentAt == now ? now &+ ttl : now)
            } else {
                next = Swift.min(next, since &+ ttl)
            }
            k &+= 1
        }
        expiryCheckAt = next
    }

    /// An order's clock (sent, parked or cancel sent) started at `now`: `expire` looks again
    /// by `now` plus the time to live. Clocks start in time order, so an earlier check stays.
    @inline(__always)
    func armExpiry(_ now: UInt64) {
        let at = now &+ settings.orderTTLNanos
        if at < expiryCheckAt { expiryCheckAt = at }
    }

    // MARK: Orders out

    @inline(__always)
    func handle(_ c: LiveOrderCommand) {
        switch c.kind {
        case .new: send(c.order, trigger: c.triggerReceiveNanos, deskStart: c.deskStartNanos, deskEnd: c.deskEndNanos)
        case .cancelAll:
            let now = NetClock.now()
            var k = 0
            while k < workingCount {
                let slot = Int(workingIDs[k] & mask)
                if !table[slot].sent {
                    refuse(table[slot].order)
                    release(slot)
                    continue
                }
                if table[slot].cancelSentAt == 0 { sendCancel(slot, now) }
                k &+= 1
            }
        }
    }

    /// Closes `o` unfilled without it having reached the venue.
    func refuse(_ o: ChildOrder) {
        counters.ordersRefused &+= 1
        emit(LiveVenueEvent(kind: .closed, order: o.id, symbol: o.symbol, direction: o.direction, quantity: o.quantity,
                            priceTicks: 0))
    }

    /// Takes a child order into the table and sends it; while the session is not logged on
    /// it is parked instead (sent at the next logon, closed unfilled after the time to live).
    @inline(__always)
    func send(_ o: ChildOrder, trigger: UInt64, deskStart: UInt64, deskEnd: UInt64 = 0) {
        let slot = Int(o.id & mask)
        let idx = o.symbol.index
        guard table[slot].id == 0, idx >= 0, idx < locateOfSymbol.count, o.quantity > 0, o.quantity <= Int64(UInt32.max),
              o.direction != .flat
        else {
            refuse(o)
            return
        }
        let now = NetClock.now()
        table[slot] = _LiveWorkingOrder(order: o, filled: 0, locate: locateOfSymbol[idx], sentAt: now, cancelSentAt: 0,
                                        sent: false, dense: workingCount)
        workingIDs[workingCount] = o.id
        workingCount &+= 1
        armExpiry(now)
        guard let session = _sessionRef, session._withUnsafeGuaranteedRef({ $0.state == .active }) else {
            counters.ordersParked &+= 1
            return
        }
        transmit(slot, trigger: trigger, deskStart: deskStart, deskEnd: deskEnd, now: now)
    }

    @inline(__always)
    func transmit(_ slot: Int, trigger: UInt64, deskStart: UInt64, deskEnd: UInt64 = 0, now: UInt64) {
        let wallNow = now &+ wallOffset
        guard let session = _sessionRef, let reactor = _reactorRef,
              let single = newOrderSingle(table[slot], wallNow: wallNow) else { return }
        // Active, so a false return means the connection's buffer was full: the session
        // stored the order and it goes out on the venue's ResendRequest. It is working.
        _ = session._withUnsafeGuaranteedRef { $0.sendNewOrder(single, now: wallNow) }
        // Stamped as the send is handed to the kernel (as ReflexTrader does): the submit
        // itself runs the loopback TCP send inline, which belongs to the wire.
        let submitted = NetClock.now()
        reactor._withUnsafeGuaranteedRef { $0.submitPending() }
        table[slot].sent = true
        table[slot].sentAt = now
        armExpiry(now)
        lastSent = table[slot]
        counters.ordersSent &+= 1
        if trigger != 0 && submitted > trigger { _ = tickToTrade.record(submitted &- trigger) }
        if deskStart != 0 && submitted > deskStart { _ = deskToTrade.record(submitted &- deskStart) }
        if trigger != 0 && deskStart >= trigger && deskEnd >= deskStart && now >= deskEnd && submitted >= now {
            _ = stageDeskWait.record(deskStart &- trigger)
            _ = stageDeskStep.record(deskEnd &- deskStart)
            _ = stageOrderHop.record(now &- deskEnd)
            _ = stageSubmit.record(submitted &- now)
        }
    }

    /// Sends what waited for the session (after a logon).
    func sendParked() {
        let now = NetClock.now()
        var k = 0
        while k < workingCount {
            let slot = Int(workingIDs[k] & mask)
            if !table[slot].sent { transmit(slot, trigger: 0, deskStart: 0, now: now) }
            k &+= 1
        }
    }

    func sendCancel(_ slot: Int, _ now: UInt64) {
        guard let session, session.state == .active else { return }
        let o = table[slot]
        guard let stock = books.symbol(StockLocate(o.locate))?.stock else { return }
        cancelCounter &+= 1
        // ClOrdIDs of cancels are "X<n>": never a desk id, so a report naming one is told apart.
        let id = Self.cancelID(cancelCounter)
        let cancel = FIXOrderCancelRequest(origClOrdID: FIXString(decimal: o.id), clOrdID: id,
                                           symbol: ReflexTrader.symbol(stock), side: o.order.direction == .long ? .buy : .sell,
                                           transactTime: now &+ wallOffset, orderQty: Qty(UInt32(clamping: o.order.quantity)))
        // Active, so even a full buffer only delays it (stored, resent on request).
        _ = session.sendCancel(cancel, now: now &+ wallOffset)
        table[slot].cancelSentAt = now
        armExpiry(now)
        counters.cancelsSent &+= 1
    }

    /// "X" and the decimal counter, built on the stack.
    static func cancelID(_ n: UInt64) -> FIXString {
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &words) { raw -> FIXString in
            raw[0] = 0x58  // "X"
            let count = FIXString(decimal: n).withBytes { d -> Int in
                for (i, c) in d.enumerated() { raw[1 + i] = c }
                return d.count + 1
            }
            return FIXString(UnsafeRawBufferPointer(rebasing: raw[0..<count])) ?? "X"
        }
    }

    // MARK: Events back

    @inline(__always)
    func emit(_ e: LiveVenueEvent) {
        if pendingCount == 0 && events.push(e) { return }
        // Full: keep it, in order, behind whatever already waits.
        if pendingCount < pending.count {
            pending[(pendingHead &+ pendingCount) % pending.count] = e
            pendingCount &+= 1
        }
    }

    func flushPending() -> Int {
        var n = 0
        while pendingCount > 0 && events.push(pending[pendingHead]) {
            pendingHead = (pendingHead &+ 1) % pending.count
            pendingCount &-= 1
            n &+= 1
        }
        return n
    }

    func release(_ slot: Int) {
        let k = table[slot].dense
        let last = workingCount &- 1
        if k != last {
            let moved = workingIDs[last]
            workingIDs[k] = moved
            table[Int(moved & mask)].dense = k
        }
        workingCount = last
        table[slot] = _LiveWorkingOrder()
    }

    /// The desk id a ClOrdID names, if it is one of ours (decimal digits only).
    @inline(__always)
    static func deskID(_ s: FIXString?) -> UInt64? {
        guard let s else { return nil }
        return s.withBytes { b -> UInt64? in
            guard !b.isEmpty, b.count <= 19 else { return nil }
            var v: UInt64 = 0
            for c in b {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v &* 10 &+ UInt64(c &- 0x30)
            }
            return v
        }
    }

    // MARK: MoldFeedSink

    public func message(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, receiveNanos: UInt64) {
        counters.feedMessages &+= 1
        tracker.reset()
        // An order the desk pushed meanwhile goes out before this message is applied: a
        // datagram can hold dozens of messages, and most change nothing the desk trades.
        _ = drainOrders()
        do {
            try books.apply(bytes: bytes, sequence: sequence, &tracker)
        } catch {
            return
        }
        guard traded[Int(tracker.locate.rawValue)], !tracker.changes.intersection([.bestBidOffer, .trade]).isEmpty,
              bytes.count >= 11
        else { return }
        // Every ITCH message carries its timestamp at offset 5 (48 bits, ns since midnight).
        var stamp: UInt64 = 0
        for i in 5..<11 { stamp = stamp << 8 | UInt64(bytes[i]) }
        guard let u = books.marketUpdate(tracker.locate, sequence: sequence, exchangeTime: Timestamp(stamp),
                                         receiveTime: receiveNanos, changes: tracker.changes)
        else { return }
        if market.push(u) {
            counters.updatesPublished &+= 1
            let pushed = NetClock.now()
            if pushed >= receiveNanos { _ = stagePushed.record(pushed &- receiveNanos) }
        } else {
            counters.updatesDropped &+= 1
        }
    }

    public func lost(from sequence: UInt64, count: UInt64) {}
    public func endOfSession(nextSequence: UInt64) { counters.feedEnded = true }

    // MARK: FIXSessionDelegate

    public func fixSessionDidLogOn(_ session: FIXSession) {
        counters.logons &+= 1
        onLogon?(session)
        sendParked()
    }

    public func fixSessionDidDisconnect(_ session: FIXSession, reason: FIXSession.DisconnectReason) {
        counters.disconnects &+= 1
        reconnectAt = NetClock.now() &+ settings.reconnectNanos
    }

    public func fixSession(_ session: FIXSession, didReceive report: FIXExecutionReport, message: FIXMessageView) {
        counters.executionReports &+= 1
        if forwardUntracked(report, message: message) { return }
        let closing: Bool
        switch report.execType {
        case .trade: closing = false
        case .canceled, .rejected, .expired, .doneForDay: closing = true
        default: return  // new, pending, replaced, status: nothing changes for the desk
        }
        // A cancel's report names the cancel request's ClOrdID and the order's as OrigClOrdID.
        guard let id = Self.deskID(report.origClOrdID) ?? Self.deskID(report.clOrdID), table[Int(id & mask)].id == id else {
            counters.unknownReports &+= 1
            return
        }
        let slot = Int(id & mask)
        let o = table[slot]
        if closing {
            counters.closures &+= 1
            emit(LiveVenueEvent(kind: .closed, order: id, symbol: o.order.symbol, direction: o.order.direction,
                                quantity: o.order.quantity - o.filled, priceTicks: 0))
            release(slot)
            return
        }
        guard let q = report.lastQty, let px = report.lastPx, q.rawValue > 0 else {
            counters.unknownReports &+= 1
            return
        }
        counters.fills &+= 1
        let qty = Swift.min(Int64(q.rawValue), o.order.quantity - o.filled)
        emit(LiveVenueEvent(kind: .fill, order: id, symbol: o.order.symbol, direction: o.order.direction, quantity: qty,
                            priceTicks: Int64(px.rawValue)))
        table[slot].filled += qty
        if table[slot].filled >= o.order.quantity { release(slot) }
    }
}

extension LiveNetLoop {
    /// Hands `report` to the desk as a `.report` event when it is about an adopted order or
    /// is a status answer, or (`forwardsUntrackedReports`) names one of our ids the table
    /// does not hold: the reconciler decides what it means.
    /// - Returns: whether it was forwarded.
    func forwardUntracked(_ report: FIXExecutionReport, message: FIXMessageView) -> Bool {
        guard let id = Self.deskID(report.origClOrdID) ?? Self.deskID(report.clOrdID) else { return false }
        let slot = Int(id & mask)
        let tracked = table[slot].id == id
        if !tracked && !forwardsUntrackedReports { return false }
        if tracked && !table[slot].adopted && report.execType != .orderStatus { return false }
        counters.forwardedReports &+= 1
        emit(LiveVenueEvent(report: report, order: id, possDup: message.possDupFlag))
        if tracked && table[slot].adopted {
            switch report.ordStatus {
            case .filled, .canceled, .rejected, .expired, .doneForDay: release(slot)
            default: break
            }
        }
        return true
    }

    /// The venue refused to cancel one of our orders. It refuses when it no longer holds the
    /// order live — filled, cancelled, or never known — so the report that finished it is
    /// missing here (lost while the connection was down, or still on its way). The order is
    /// adopted and its status asked for: the answer, and any report after it, goes to the
    /// desk's reconciler, which adds the fills it missed by CumQty and closes what the venue
    /// finished; the table lets the order go on a final status.
    public func fixSession(_ session: FIXSession, didReceive reject: FIXOrderCancelReject, message: FIXMessageView) {
        counters.cancelRejects &+= 1
        guard let id = Self.deskID(reject.origClOrdID) else { return }
        let slot = Int(id & mask)
        guard table[slot].id == id, let stock = books.symbol(StockLocate(table[slot].locate))?.stock else { return }
        table[slot].adopted = true
        let o = table[slot].order
        let request = FIXOrderStatusRequest(clOrdID: FIXString(decimal: id), symbol: ReflexTrader.symbol(stock),
                                            side: o.direction == .long ? .buy : .sell)
        if session.sendOrderStatusRequest(request, now: NetClock.now() &+ wallOffset) { counters.statusRequestsSent &+= 1 }
    }

    /// Takes the orders a recovered coordinator holds open into the table as sent, so
    /// time-to-live and cancel-all cancel them at the venue. Call before the loop starts.
    /// - Returns: how many were taken (an order whose slot is busy is left out).
    @discardableResult
    func adopt(_ open: [OpenOrder]) -> Int {
        let now = NetClock.now()
        var n = 0
        for o in open {
            let slot = Int(o.order.id & mask)
            let idx = o.order.symbol.index
            guard table[slot].id == 0, idx >= 0, idx < locateOfSymbol.count else { continue }
            table[slot] = _LiveWorkingOrder(order: o.order, filled: o.filled, locate: locateOfSymbol[idx], sentAt: now,
                                            cancelSentAt: 0, sent: true, dense: workingCount, adopted: true)
            workingIDs[workingCount] = o.order.id
            workingCount &+= 1
            n &+= 1
            armExpiry(now)
        }
        return n
    }
}

/// Socket addresses through one atomic word: bit 63 set, host << 16, port.
enum _LiveAddress {
    static func pack(_ a: SocketAddress) -> UInt64 { 1 << 63 | UInt64(a.host) << 16 | UInt64(a.port) }
    static func unpack(_ v: UInt64) -> SocketAddress {
        SocketAddress(host: UInt32(truncatingIfNeeded: v >> 16), port: UInt16(truncatingIfNeeded: v))
    }
}

extension Int {
    /// The smallest power of two ≥ self (≥ 1).
    var nextPowerOfTwo: Int {
        var p = 1
        while p < self { p <<= 1 }
        return p
    }
}
