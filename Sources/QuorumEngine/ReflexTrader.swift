import QuorumBook
import QuorumNet
import QuorumWire

/// The trivial decision the net loop runs until the agents exist: when a symbol's spread
/// narrows to `maxSpreadTicks` or less, cross it — buy `quantity` at the best ask,
/// immediate-or-cancel. It fires on the transition into the narrow state only, so a spread
/// that stays narrow does not send an order per message.
@frozen public struct SpreadCrossRule: Sendable, Equatable {
    /// Ticks are `tickSize` price units (ITCH prices carry 4 implied decimals: 100 = $0.01).
    public var maxSpreadTicks: UInt32
    public var tickSize: UInt32
    public var quantity: Qty

    public init(maxSpreadTicks: UInt32 = 1, tickSize: UInt32 = 100, quantity: Qty = Qty(100)) {
        self.maxSpreadTicks = maxSpreadTicks
        self.tickSize = tickSize
        self.quantity = quantity
    }

    /// Whether a book with this best bid and offer is "narrow".
    @inlinable
    public func isNarrow(bid: BookQuote, ask: BookQuote) -> Bool {
        guard !bid.isEmpty, !ask.isEmpty, ask.price.rawValue >= bid.price.rawValue else { return false }
        return UInt64(ask.price.rawValue - bid.price.rawValue) <= UInt64(maxSpreadTicks) * UInt64(tickSize)
    }
}

/// The engine side of tick-to-trade before the agents: MoldUDP64 feed → books → one rule →
/// a FIX NewOrderSingle, all on the net loop's thread.
///
/// For every order it records the internal tick-to-trade latency — from the moment the
/// datagram's completion was reaped (`receiveNanos`) to the moment the order's send is
/// submitted to the kernel — into a preallocated sample buffer. Nothing on this path
/// allocates: the books are preallocated, the order is encoded straight into the
/// connection's send buffer, ClOrdIDs are decimal counters.
///
/// Not thread-safe: one net loop owns it, its reactor and its FIX session.
public final class ReflexTrader: MoldFeedSink, FIXSessionDelegate {
    // State is touched only on the owning net loop's thread; the run-time exclusivity checks
    // Swift would put on every access to a class's stored property cost more than the book
    // update they guard (callgrind: ~10 swift_beginAccess calls per trigger).
    @exclusivity(unchecked) public var books: BookManager
    public let rule: SpreadCrossRule
    public let session: FIXSession
    let reactor: Reactor
    /// Adds to `NetClock.now()` to give nanoseconds since the Unix epoch (TransactTime).
    let wallClockOffset: UInt64

    @exclusivity(unchecked) public private(set) var messages: UInt64 = 0
    @exclusivity(unchecked) public private(set) var undecodable: UInt64 = 0
    @exclusivity(unchecked) public private(set) var lostMessages: UInt64 = 0
    @exclusivity(unchecked) public private(set) var ordersSent: UInt64 = 0
    /// Orders the rule wanted while the session could not take them (not logged on, full).
    @exclusivity(unchecked) public private(set) var ordersRefused: UInt64 = 0
    @exclusivity(unchecked) public private(set) var executionReports: UInt64 = 0
    @exclusivity(unchecked) public private(set) var fills: UInt64 = 0
    @exclusivity(unchecked) public private(set) var sessionEnded = false

    /// Internal latencies in nanoseconds, the most recent `sampleCapacity` of them.
    let _samples: UnsafeMutableBufferPointer<UInt64>
    @exclusivity(unchecked) public private(set) var sampleCount: Int = 0
    /// Whether each stock locate's book was narrow after its last change.
    let _narrow: UnsafeMutableBufferPointer<Bool>
    @exclusivity(unchecked) var _tracker = BookChangeTracker()
    @exclusivity(unchecked) var _nextClOrdID: UInt64 = 1
    /// The book the last order came from: what `warm()` rehearses.
    @exclusivity(unchecked) var _lastLocate = StockLocate(rawValue: 0)
    @exclusivity(unchecked) var _lastWallNow: UInt64 = 0
    /// Bytes `warm()` encoded (so the rehearsal has an effect the optimiser must keep).
    @exclusivity(unchecked) public private(set) var warmBytes: UInt64 = 0

    public init(books: consuming BookManager, rule: SpreadCrossRule, session: FIXSession, reactor: Reactor,
                wallClockOffset: UInt64, sampleCapacity: Int = 1 << 20) {
        self.books = books
        self.rule = rule
        self.session = session
        self.reactor = reactor
        self.wallClockOffset = wallClockOffset
        _samples = .allocate(capacity: Swift.max(1, sampleCapacity))
        _samples.initialize(repeating: 0)
        _narrow = .allocate(capacity: Int(UInt16.max) + 1)
        _narrow.initialize(repeating: false)
        session.delegate = self
    }

    deinit {
        _samples.deallocate()
        _narrow.deallocate()
    }

    /// The recorded internal latencies, oldest first (set-up/report time only: allocates).
    public var samples: [UInt64] {
        let n = Swift.min(sampleCount, _samples.count)
        let start = sampleCount > _samples.count ? sampleCount % _samples.count : 0
        return (0..<n).map { _samples[(start + $0) % _samples.count] }
    }

    /// Forgets the recorded latencies (after a warm-up).
    public func resetSamples() { sampleCount = 0 }

    // MARK: MoldFeedSink

    public func message(_ bytes: UnsafeRawBufferPointer, sequence: UInt64, receiveNanos: UInt64) {
        messages &+= 1
        _tracker.reset()
        do {
            // Order messages straight from their bytes, no decoded enum in between.
            try books.apply(bytes: bytes, sequence: sequence, &_tracker)
        } catch {
            undecodable &+= 1
            return
        }
        guard _tracker.changes.contains(.bestBidOffer) else { return }
        let locate = _tracker.locate
        guard let (bid, ask) = books.withBook(locate, { ($0.bestBid, $0.bestAsk) }) else { return }
        let narrow = rule.isNarrow(bid: bid, ask: ask)
        let slot = Int(locate.rawValue)
        let wasNarrow = _narrow[slot]
        _narrow[slot] = narrow
        guard narrow && !wasNarrow else { return }
        send(buyAt: ask.price, locate: locate, receiveNanos: receiveNanos)
    }

    public func lost(from sequence: UInt64, count: UInt64) { lostMessages &+= count }
    public func endOfSession(nextSequence: UInt64) { sessionEnded = true }

    @inline(__always)
    func send(buyAt price: Price, locate: StockLocate, receiveNanos: UInt64) {
        guard let stock = books.symbol(locate)?.stock else { return }
        // TransactTime and SendingTime come from the datagram's receive stamp rather than a
        // fresh clock read (~50 ns here): FIX carries them to the millisecond, and the
        // decision is under a microsecond old when the order leaves.
        let wallNow = receiveNanos &+ wallClockOffset
        _lastLocate = locate
        _lastWallNow = wallNow
        let order = FIXNewOrderSingle(
            clOrdID: FIXString(decimal: _nextClOrdID), symbol: Self.symbol(stock), side: .buy,
            transactTime: wallNow, orderQty: rule.quantity, ordType: .limit,
            price: price, timeInForce: .immediateOrCancel)
        guard session.sendNewOrder(order, now: wallNow) else {
            ordersRefused &+= 1
            return
        }
        // Stamped as the send is handed to the kernel: the submit system call itself runs the
        // loopback TCP send inline, which belongs to the wire, not to the engine.
        let submitted = NetClock.now()
        reactor.submitPending()
        _nextClOrdID &+= 1
        ordersSent &+= 1
        _samples[sampleCount % _samples.count] = submitted &- receiveNanos
        sampleCount &+= 1
    }

    /// Rehearses the order path without sending: reads the last ordered symbol's book top,
    /// runs the rule on it and has the session go through sending the order it would send,
    /// short of numbering, storing and sending it (`FIXSession.warmNewOrder`). For an idle
    /// busy-poll loop, so that the caches and branch predictors hold the path when the next
    /// trigger arrives. No system call, no allocation, no clock read; nothing anyone else
    /// reads changes.
    public func warm() {
        let locate = _lastLocate
        guard let stock = books.symbol(locate)?.stock,
              let (bid, ask) = books.withBook(locate, { ($0.bestBid, $0.bestAsk) }) else { return }
        let narrow = rule.isNarrow(bid: bid, ask: ask)
        let order = FIXNewOrderSingle(
            clOrdID: FIXString(decimal: _nextClOrdID), symbol: Self.symbol(stock), side: .buy,
            transactTime: _lastWallNow, orderQty: rule.quantity, ordType: .limit,
            price: narrow ? ask.price : bid.price, timeInForce: .immediateOrCancel)
        warmBytes &+= UInt64(session.warmNewOrder(order, now: _lastWallNow))
    }

    /// The ticker without ITCH's space padding, as FIX wants it.
    @inlinable
    static func symbol(_ stock: Stock) -> FIXString {
        var bytes: (UInt64) = stock.rawValue.bigEndian
        return withUnsafeBytes(of: &bytes) { raw in
            var n = 8
            while n > 0 && raw[n - 1] == 0x20 { n -= 1 }
            return FIXString(UnsafeRawBufferPointer(rebasing: raw[0..<n])) ?? FIXString()
        }
    }

    // MARK: FIXSessionDelegate

    public func fixSession(_ session: FIXSession, didReceive report: FIXExecutionReport, message: FIXMessageView) {
        executionReports &+= 1
        if report.execType == .trade { fills &+= 1 }
    }
}
