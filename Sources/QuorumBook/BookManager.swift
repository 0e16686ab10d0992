import QuorumWire

/// Why a message could not be applied as sent. Book statuses plus the manager's own cases.
@frozen public enum FeedAnomalyKind: Equatable, Sendable, CustomStringConvertible {
    case book(BookStatus)
    /// An order message for a stock locate with no book (no R, no add seen).
    case unknownLocate
    /// A new symbol arrived when `maxSymbols` books already exist.
    case symbolsExhausted

    public var description: String {
        switch self {
        case .book(let s): return s.description
        case .unknownLocate: return "unknown stock locate"
        case .symbolsExhausted: return "symbol capacity exhausted"
        }
    }
}

/// One anomaly and where it happened.
@frozen public struct FeedAnomaly: Equatable, Sendable, CustomStringConvertible {
    public var kind: FeedAnomalyKind
    /// The caller's sequence number for the message (MoldUDP64 sequence, or message index).
    public var sequence: UInt64
    public var messageType: UInt8
    public var locate: StockLocate
    public var orderRef: OrderRef

    public var description: String {
        "message \(sequence) ('\(Character(Unicode.Scalar(messageType)))', locate \(locate), order \(orderRef)): \(kind)"
    }
}

/// Counts of anomalies by kind. The hot path counts; it never throws or logs.
@frozen public struct FeedCounters: Equatable, Sendable {
    /// Messages applied (any type).
    public var messages: UInt64 = 0
    public var duplicateOrderRef: UInt64 = 0
    public var unknownOrderRef: UInt64 = 0
    public var executionExceedsOrder: UInt64 = 0
    public var cancelExceedsOrder: UInt64 = 0
    public var orderPoolExhausted: UInt64 = 0
    public var levelsExhausted: UInt64 = 0
    public var invalidSide: UInt64 = 0
    public var zeroQuantity: UInt64 = 0
    public var unknownLocate: UInt64 = 0
    public var symbolsExhausted: UInt64 = 0
    /// Books created by an add for a locate the stock directory never announced.
    public var booksCreatedWithoutDirectory: UInt64 = 0

    public init() {}

    @inlinable
    public mutating func count(_ kind: FeedAnomalyKind) {
        switch kind {
        case .book(.ok): break
        case .book(.duplicateOrderRef): duplicateOrderRef += 1
        case .book(.unknownOrderRef): unknownOrderRef += 1
        case .book(.executionExceedsOrder): executionExceedsOrder += 1
        case .book(.cancelExceedsOrder): cancelExceedsOrder += 1
        case .book(.orderPoolExhausted): orderPoolExhausted += 1
        case .book(.levelsExhausted): levelsExhausted += 1
        case .book(.invalidSide): invalidSide += 1
        case .book(.zeroQuantity): zeroQuantity += 1
        case .unknownLocate: unknownLocate += 1
        case .symbolsExhausted: symbolsExhausted += 1
        }
    }

    /// All anomalies together.
    public var anomalies: UInt64 {
        duplicateOrderRef + unknownOrderRef + executionExceedsOrder + cancelExceedsOrder + orderPoolExhausted
            + levelsExhausted + invalidSide + zeroQuantity + unknownLocate + symbolsExhausted
    }
}

/// What the manager knows about one symbol besides its book.
@frozen public struct SymbolState: Equatable, Sendable, BitwiseCopyable {
    public var locate: StockLocate
    public var stock: Stock
    public var roundLotSize: UInt32
    public var marketCategory: UInt8
    /// From the latest H: `H` halted, `P` paused, `Q` quotation only, `T` trading. `T` until told.
    public var tradingState: UInt8
    /// The H message's 4-character reason, as its big-endian integer.
    public var tradingReason: UInt32
    /// True once an R announced the symbol.
    public var inDirectory: Bool
}

/// The books of a whole ITCH feed, keyed by stock locate.
///
/// Fed decoded `ITCHMessage`s in sequence. R (stock directory) creates a symbol's book, H
/// (trading action) and S (system event) update state, order messages change books, P and Q
/// record trades. Anything that cannot be applied as sent is counted in `counters` and
/// remembered in `firstAnomaly`/`lastAnomaly`; books stay consistent.
///
/// Books are created when a symbol first appears (start of day): that allocates
/// `config.bytesPerBook`. Applying order messages never allocates.
///
/// Not thread-safe: the net loop owns it.
public struct BookManager: ~Copyable {
    public let config: BookConfig
    @usableFromInline let _books: UnsafeMutablePointer<OrderBook>
    @usableFromInline let _symbols: UnsafeMutablePointer<SymbolState>
    /// Stock locate → book slot, `-1` for none: a direct 64 Ki-entry table, one load per message.
    @usableFromInline let _slotOfLocate: UnsafeMutablePointer<Int32>
    @usableFromInline var _bookCount: Int
    /// The latest system event code (S): `O`, `S`, `Q`, `M`, `E`, `C`; 0 before any.
    public var systemEvent: UInt8
    public var counters: FeedCounters
    public var firstAnomaly: FeedAnomaly?
    public var lastAnomaly: FeedAnomaly?

    public init(config: BookConfig = BookConfig()) {
        self.config = config
        _books = .allocate(capacity: Swift.max(config.maxSymbols, 1))
        _symbols = .allocate(capacity: Swift.max(config.maxSymbols, 1))
        _slotOfLocate = .allocate(capacity: 1 << 16)
        _slotOfLocate.initialize(repeating: -1, count: 1 << 16)
        _bookCount = 0
        systemEvent = 0
        counters = FeedCounters()
    }

    deinit {
        _books.deinitialize(count: _bookCount)
        _books.deallocate()
        _symbols.deallocate()
        _slotOfLocate.deallocate()
    }

    /// Number of books. - Complexity: O(1).
    public var bookCount: Int { _bookCount }

    /// The symbols known, in order of appearance. Allocates: for tools.
    public var symbols: [SymbolState] { (0..<_bookCount).map { _symbols[$0] } }

    /// The state of a symbol by locate. - Complexity: O(1).
    public func symbol(_ locate: StockLocate) -> SymbolState? {
        let slot = _slotOfLocate[Int(locate.rawValue)]
        return slot < 0 ? nil : _symbols[Int(slot)]
    }

    /// The locate of a symbol by name. - Complexity: O(symbols).
    public func locate(of stock: Stock) -> StockLocate? {
        for i in 0..<_bookCount where _symbols[i].stock == stock { return _symbols[i].locate }
        return nil
    }

    /// Reads a book. - Complexity: O(1) + body.
    public func withBook<R>(_ locate: StockLocate, _ body: (borrowing OrderBook) throws -> R) rethrows -> R? {
        let slot = _slotOfLocate[Int(locate.rawValue)]
        guard slot >= 0 else { return nil }
        return try body(_books[Int(slot)])
    }

    /// Mutates a book directly (tests, tools). - Complexity: O(1) + body.
    public mutating func withMutableBook<R>(_ locate: StockLocate, _ body: (inout OrderBook) throws -> R) rethrows -> R? {
        let slot = _slotOfLocate[Int(locate.rawValue)]
        guard slot >= 0 else { return nil }
        return try body(&_books[Int(slot)])
    }

    /// Live orders over all books. - Complexity: O(books).
    public var totalOrders: Int {
        var n = 0
        for i in 0..<_bookCount { n += _books[i].orderCount }
        return n
    }

    /// Creates (or returns) the book for a locate. Allocates the book on first sight.
    @discardableResult
    public mutating func openBook(_ locate: StockLocate, stock: Stock) -> Bool {
        _openBook(locate, stock) >= 0
    }

    @usableFromInline
    mutating func _openBook(_ locate: StockLocate, _ stock: Stock) -> Int {
        let existing = _slotOfLocate[Int(locate.rawValue)]
        if existing >= 0 { return Int(existing) }
        guard _bookCount < config.maxSymbols else { return -1 }
        let slot = _bookCount
        (_books + slot).initialize(to: OrderBook(locate: locate, config: config))
        _symbols[slot] = SymbolState(locate: locate, stock: stock, roundLotSize: 100, marketCategory: 0,
                                     tradingState: UInt8(ascii: "T"), tradingReason: 0, inDirectory: false)
        _slotOfLocate[Int(locate.rawValue)] = Int32(slot)
        _bookCount += 1
        return slot
    }

    /// Applies one message.
    /// - Parameters:
    ///   - sequence: the message's sequence number (MoldUDP64) or index in a file, used only to
    ///     say where an anomaly happened.
    ///   - events: receives level, best bid/offer and trade events.
    /// - Complexity: O(1) expected for order messages (see `OrderBook`); never allocates except
    ///   when a new symbol's book is created.
    @inlinable
    public mutating func apply<H: OrderBookEvents>(_ message: ITCHMessage, sequence: UInt64, _ events: inout H) {
        counters.messages &+= 1  // &+= : a 64-bit message count cannot wrap in practice
        switch message {
        case .addOrder(let m):
            _addOrder(m.header, m.orderRef, m.side, m.shares, m.stock, m.price, sequence, 0x41, &events)
        case .addOrderMPID(let m):
            _addOrder(m.header, m.orderRef, m.side, m.shares, m.stock, m.price, sequence, 0x46, &events)
        case .orderExecuted(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x45, m.orderRef)
            if slot >= 0 {
                _note(_books[slot].execute(m.orderRef, qty: m.executedShares, matchNumber: m.matchNumber, &events),
                      sequence, 0x45, m.header.stockLocate, m.orderRef)
            }
        case .orderExecutedWithPrice(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x43, m.orderRef)
            if slot >= 0 {
                _note(_books[slot].execute(m.orderRef, qty: m.executedShares, matchNumber: m.matchNumber,
                                           price: m.executionPrice, printable: m.printable == 0x59, &events),
                      sequence, 0x43, m.header.stockLocate, m.orderRef)
            }
        case .orderCancel(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x58, m.orderRef)
            if slot >= 0 {
                _note(_books[slot].cancel(m.orderRef, qty: m.cancelledShares, &events),
                      sequence, 0x58, m.header.stockLocate, m.orderRef)
            }
        case .orderDelete(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x44, m.orderRef)
            if slot >= 0 {
                _note(_books[slot].delete(m.orderRef, &events), sequence, 0x44, m.header.stockLocate, m.orderRef)
            }
        case .orderReplace(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x55, m.originalOrderRef)
            if slot >= 0 {
                _note(_books[slot].replace(m.originalOrderRef, with: m.newOrderRef, qty: m.shares, price: m.price,
                                           &events),
                      sequence, 0x55, m.header.stockLocate, m.originalOrderRef)
            }
        case .trade(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x50, m.orderRef)
            if slot >= 0 {
                _books[slot].recordTrade(
                    TradeEvent(price: m.price, qty: UInt64(m.shares.rawValue), restingSide: m.side, kind: .hidden,
                               matchNumber: m.matchNumber, orderRef: m.orderRef), &events)
            }
        case .crossTrade(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x51, OrderRef(0))
            if slot >= 0 {
                _books[slot].recordTrade(
                    TradeEvent(price: m.crossPrice, qty: m.shares, restingSide: .buy, kind: .cross,
                               matchNumber: m.matchNumber, orderRef: OrderRef(0)), &events)
            }
        case .stockDirectory(let m):
            let slot = _openBook(m.header.stockLocate, m.stock)
            if slot < 0 {
                _record(.symbolsExhausted, sequence, 0x52, m.header.stockLocate, OrderRef(0))
            } else {
                _symbols[slot].stock = m.stock
                _symbols[slot].roundLotSize = m.roundLotSize
                _symbols[slot].marketCategory = m.marketCategory
                _symbols[slot].inDirectory = true
            }
        case .stockTradingAction(let m):
            let slot = _slotOfLocate[Int(m.header.stockLocate.rawValue)]
            if slot >= 0 {
                _symbols[Int(slot)].tradingState = m.tradingState
                _symbols[Int(slot)].tradingReason = m.reason
            }
        case .systemEvent(let m):
            systemEvent = m.eventCode
        default:
            // Reg SHO, participant positions, MWCB, IPO, LULD, operational halts, NOII, RPII,
            // direct listings and broken trades do not change the displayed book.
            break
        }
    }

    @inlinable @inline(__always)
    mutating func _slot(_ locate: StockLocate, _ sequence: UInt64, _ type: UInt8, _ ref: OrderRef) -> Int {
        let slot = Int(_slotOfLocate[Int(locate.rawValue)])
        if slot < 0 { _record(.unknownLocate, sequence, type, locate, ref) }
        return slot
    }

    @inlinable @inline(__always)
    mutating func _addOrder<H: OrderBookEvents>(
        _ header: ITCH.Header, _ ref: OrderRef, _ side: Side, _ shares: Qty, _ stock: Stock, _ price: Price,
        _ sequence: UInt64, _ type: UInt8, _ events: inout H
    ) {
        var slot = Int(_slotOfLocate[Int(header.stockLocate.rawValue)])
        if slot < 0 {
            // No directory entry: open the book from the add's own symbol rather than drop
            // the order (replays of partial days start mid-stream).
            slot = _openBook(header.stockLocate, stock)
            if slot < 0 {
                _record(.symbolsExhausted, sequence, type, header.stockLocate, ref)
                return
            }
            counters.booksCreatedWithoutDirectory += 1
        }
        _note(_books[slot].add(ref, side: side, price: price, qty: shares, &events), sequence, type,
              header.stockLocate, ref)
    }

    @inlinable @inline(__always)
    mutating func _note(_ status: BookStatus, _ sequence: UInt64, _ type: UInt8, _ locate: StockLocate, _ ref: OrderRef) {
        if status != .ok { _record(.book(status), sequence, type, locate, ref) }
    }

    /// Out of line: anomalies are rare, keep them off the hot path's instruction stream.
    @usableFromInline @inline(never)
    mutating func _record(_ kind: FeedAnomalyKind, _ sequence: UInt64, _ type: UInt8, _ locate: StockLocate,
                          _ ref: OrderRef) {
        counters.count(kind)
        let a = FeedAnomaly(kind: kind, sequence: sequence, messageType: type, locate: locate, orderRef: ref)
        if firstAnomaly == nil { firstAnomaly = a }
        lastAnomaly = a
    }
}
