import QuorumWire

/// The multi-symbol front of the simulator: a matching engine per symbol, found by stock
/// locate (one table load) or ticker, sharing one `ExchangeSequence` so order references and
/// match numbers are unique over the day. It also writes the session's framing messages:
/// system events (S) and the stock directory (R).
///
/// Symbols are added before the session (each allocates its engine); requests never allocate.
/// Not thread-safe: one loop owns it.
public final class Exchange {
    public let config: MatchingConfig
    public let sequence: ExchangeSequence
    /// Engines in the order symbols were added.
    public private(set) var engines: [MatchingEngine]
    /// Engine by locate: a direct 64 Ki-entry table behind a pointer (one load, no run-time
    /// exclusivity check as a stored array `var` would have).
    @usableFromInline let _engineOfLocate: UnsafeMutablePointer<MatchingEngine?>
    @usableFromInline var _locateOfStock: [Stock: StockLocate]

    public init(config: MatchingConfig = MatchingConfig(), sequence: ExchangeSequence = ExchangeSequence()) {
        self.config = config
        self.sequence = sequence
        engines = []
        _engineOfLocate = .allocate(capacity: 1 << 16)
        _engineOfLocate.initialize(repeating: nil, count: 1 << 16)
        _locateOfStock = [:]
    }

    deinit {
        _engineOfLocate.deinitialize(count: 1 << 16)
        _engineOfLocate.deallocate()
    }

    /// Adds a symbol under `locate` (default: the next unused locate from 1). Returns its
    /// engine, the existing one if `stock` is already listed under that locate, or nil when
    /// the locate is 0 or taken by another stock, or the stock is listed under another locate.
    /// Allocates the engine: call before the session.
    @discardableResult
    public func addSymbol(_ stock: Stock, locate: StockLocate? = nil) -> MatchingEngine? {
        var l = locate ?? StockLocate(1)
        if locate == nil {
            while l.rawValue != 0 && _engineOfLocate[Int(l.rawValue)] != nil { l = StockLocate(l.rawValue &+ 1) }
        }
        if let existing = _locateOfStock[stock] {
            return existing == l ? _engineOfLocate[Int(l.rawValue)] : nil
        }
        guard l.rawValue != 0, _engineOfLocate[Int(l.rawValue)] == nil else { return nil }
        let engine = MatchingEngine(locate: l, stock: stock, config: config, sequence: sequence)
        _engineOfLocate[Int(l.rawValue)] = engine
        _locateOfStock[stock] = l
        engines.append(engine)
        return engine
    }

    /// - Complexity: O(1).
    @inlinable
    public func engine(_ locate: StockLocate) -> MatchingEngine? {
        _engineOfLocate[Int(locate.rawValue)]
    }

    /// - Complexity: O(1) expected (a hash of the 8-byte symbol).
    public func locate(of stock: Stock) -> StockLocate? { _locateOfStock[stock] }

    // MARK: - Session

    /// Start of day: S `O` (start of messages), an R per symbol, S `S` (start of system
    /// hours), S `Q` (start of market hours), all stamped `timestamp`.
    public func startSession<S: MatchingEvents>(timestamp: Timestamp, _ sink: inout S) {
        sink.published(Self.systemEvent(0x4F, timestamp))
        for e in engines {
            sink.published(.stockDirectory(ITCH.StockDirectory(
                header: ITCH.Header(stockLocate: e.locate, trackingNumber: e.trackingNumber, timestamp: timestamp),
                stock: e.stock, marketCategory: 0x51, financialStatusIndicator: 0x4E, roundLotSize: 100,
                roundLotsOnly: 0x4E, issueClassification: 0x43, issueSubType: 0x5A20, authenticity: 0x50,
                shortSaleThresholdIndicator: 0x4E, ipoFlag: 0x4E, luldReferencePriceTier: 0x31, etpFlag: 0x4E,
                etpLeverageFactor: 0, inverseIndicator: 0x4E)))
        }
        sink.published(Self.systemEvent(0x53, timestamp))
        sink.published(Self.systemEvent(0x51, timestamp))
    }

    /// End of day: S `M` (end of market hours), S `E` (end of system hours), S `C` (end of
    /// messages).
    public func endSession<S: MatchingEvents>(timestamp: Timestamp, _ sink: inout S) {
        sink.published(Self.systemEvent(0x4D, timestamp))
        sink.published(Self.systemEvent(0x45, timestamp))
        sink.published(Self.systemEvent(0x43, timestamp))
    }

    static func systemEvent(_ code: UInt8, _ timestamp: Timestamp) -> ITCHMessage {
        .systemEvent(ITCH.SystemEvent(header: ITCH.Header(stockLocate: StockLocate(0), timestamp: timestamp),
                                      eventCode: code))
    }

    // MARK: - Requests (see `MatchingEngine` for the semantics)

    /// Enters an order for the symbol `locate`; `.unknownSymbol` when there is none.
    @inlinable
    @discardableResult
    public func submit<S: MatchingEvents>(_ order: NewOrder, locate: StockLocate, timestamp: Timestamp,
                                          _ sink: inout S) -> SubmitResult {
        guard let e = engine(locate) else {
            sink.rejected(OrderRejected(locate: locate, request: .new, reason: .unknownSymbol, ref: OrderRef(0),
                                        owner: order.owner, token: order.token, timestamp: timestamp))
            return SubmitResult(ref: OrderRef(0), rejection: .unknownSymbol, filled: .zero, resting: .zero,
                                cancelled: .zero)
        }
        return e.submit(order, timestamp: timestamp, &sink)
    }

    /// Cancels a live order of symbol `locate`; nil when rejected.
    @inlinable
    @discardableResult
    public func cancel<S: MatchingEvents>(_ ref: OrderRef, locate: StockLocate, owner: Owner, token: ClientToken,
                                          timestamp: Timestamp, _ sink: inout S) -> Qty? {
        guard let e = engine(locate) else {
            sink.rejected(OrderRejected(locate: locate, request: .cancel, reason: .unknownSymbol, ref: ref,
                                        owner: owner, token: token, timestamp: timestamp))
            return nil
        }
        return e.cancel(ref, owner: owner, token: token, timestamp: timestamp, &sink)
    }

    /// Replaces a live order of symbol `locate`.
    @inlinable
    @discardableResult
    public func replace<S: MatchingEvents>(_ ref: OrderRef, locate: StockLocate, price: Price, qty: Qty,
                                           owner: Owner, token: ClientToken, timestamp: Timestamp,
                                           _ sink: inout S) -> SubmitResult {
        guard let e = engine(locate) else {
            sink.rejected(OrderRejected(locate: locate, request: .replace, reason: .unknownSymbol, ref: ref,
                                        owner: owner, token: token, timestamp: timestamp))
            return SubmitResult(ref: OrderRef(0), rejection: .unknownSymbol, filled: .zero, resting: .zero,
                                cancelled: .zero)
        }
        return e.replace(ref, price: price, qty: qty, owner: owner, token: token, timestamp: timestamp, &sink)
    }
}
