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

    /// Adds another manager's counts (books of other symbols from the same feed).
    public mutating func add(_ other: FeedCounters) {
        messages += other.messages
        duplicateOrderRef += other.duplicateOrderRef
        unknownOrderRef += other.unknownOrderRef
        executionExceedsOrder += other.executionExceedsOrder
        cancelExceedsOrder += other.cancelExceedsOrder
        orderPoolExhausted += other.orderPoolExhausted
        levelsExhausted += other.levelsExhausted
        invalidSide += other.invalidSide
        zeroQuantity += other.zeroQuantity
        unknownLocate += other.unknownLocate
        symbolsExhausted += other.symbolsExhausted
        booksCreatedWithoutDirectory += other.booksCreatedWithoutDirectory
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
    /// Order reference → (book, order) for the whole feed; see `_FeedOrderRefTable`.
    @usableFromInline let _table: _FeedOrderRefTable
    /// Per book slot: the references that overflowed into the book's own map.
    @usableFromInline let _overflow: UnsafeMutablePointer<_BookOverflow>
    /// The latest system event code (S): `O`, `S`, `Q`, `M`, `E`, `C`; 0 before any.
    public var systemEvent: UInt8
    public var counters: FeedCounters
    public var firstAnomaly: FeedAnomaly?
    public var lastAnomaly: FeedAnomaly?
    /// Book memory made ahead by `prepareBooks`, taken by the next books opened.
    var _prepared: [_PreparedBookMemory] = []

    public init(config: BookConfig = BookConfig()) {
        self.config = config
        _books = .allocate(capacity: Swift.max(config.maxSymbols, 1))
        _symbols = .allocate(capacity: Swift.max(config.maxSymbols, 1))
        _slotOfLocate = .allocate(capacity: 1 << 16)
        _slotOfLocate.initialize(repeating: -1, count: 1 << 16)
        _bookCount = 0
        _table = _FeedOrderRefTable(capacity: config.feedRefSlots, books: Swift.max(config.maxSymbols, 1),
                                    orderCapacity: config.ordersPerSymbol.nextPowerOfTwoAtLeast(2))
        _overflow = .allocate(capacity: Swift.max(config.maxSymbols, 1))
        _overflow.initialize(repeating: _BookOverflow(), count: Swift.max(config.maxSymbols, 1))
        systemEvent = 0
        counters = FeedCounters()
    }

    deinit {
        for m in _prepared { m.deallocate() }
        _books.deinitialize(count: _bookCount)
        _books.deallocate()
        _symbols.deallocate()
        _slotOfLocate.deallocate()
        _table.deallocate()
        _overflow.deallocate()
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

    /// Mutates a book directly (tests, tools). Reference-addressed calls on the book
    /// (`order(_:)`, `add`, `cancel`, `delete`, …) use only the book's own map, which for a
    /// managed book holds just the references that overflowed the feed-wide table: change
    /// orders through `apply` and look them up with `order(_:_:)`. - Complexity: O(1) + body.
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

    /// Allocates and touches the memory of up to `count` more books now (no more than
    /// `config.maxSymbols` in all), for the next books the feed opens — by its stock
    /// directory or a symbol's first add, as always — to take instead of allocating. A caller
    /// that knows how many symbols are coming calls this before the feed starts, so the first
    /// messages are not held up by the allocation and page faults of each book (milliseconds).
    /// - Complexity: O(count × bytes per book).
    public mutating func prepareBooks(_ count: Int) {
        let room = config.maxSymbols - _bookCount - _prepared.count
        for _ in 0..<Swift.max(0, Swift.min(count, room)) { _prepared.append(_PreparedBookMemory(config: config)) }
    }

    /// Book memory made ahead and not yet taken (`prepareBooks`). - Complexity: O(1).
    public var preparedBooks: Int { _prepared.count }

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
        if let memory = _prepared.popLast() {
            (_books + slot).initialize(to: OrderBook(locate: locate, memory: memory, refsInFeedTable: true))
        } else {
            (_books + slot).initialize(to: OrderBook(locate: locate, config: config, refsInFeedTable: true))
        }
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
            _addOrder(m.header.stockLocate, m.orderRef, m.side, m.shares, m.stock, m.price, sequence, 0x41, &events)
        case .addOrderMPID(let m):
            _addOrder(m.header.stockLocate, m.orderRef, m.side, m.shares, m.stock, m.price, sequence, 0x46, &events)
        case .orderExecuted(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x45, m.orderRef)
            if slot >= 0 {
                _note(_execute(slot, m.orderRef, m.executedShares, m.matchNumber, price: nil, printable: true, &events),
                      sequence, 0x45, m.header.stockLocate, m.orderRef)
            }
        case .orderExecutedWithPrice(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x43, m.orderRef)
            if slot >= 0 {
                _note(_execute(slot, m.orderRef, m.executedShares, m.matchNumber, price: m.executionPrice,
                               printable: m.printable == 0x59, &events),
                      sequence, 0x43, m.header.stockLocate, m.orderRef)
            }
        case .orderCancel(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x58, m.orderRef)
            if slot >= 0 {
                _note(_cancel(slot, m.orderRef.rawValue, m.cancelledShares.rawValue, &events),
                      sequence, 0x58, m.header.stockLocate, m.orderRef)
            }
        case .orderDelete(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x44, m.orderRef)
            if slot >= 0 {
                _note(_delete(slot, m.orderRef.rawValue, &events), sequence, 0x44, m.header.stockLocate, m.orderRef)
            }
        case .orderReplace(let m):
            let slot = _slot(m.header.stockLocate, sequence, 0x55, m.originalOrderRef)
            if slot >= 0 {
                _note(_replace(slot, m.originalOrderRef.rawValue, m.newOrderRef.rawValue, m.shares.rawValue,
                               m.price.rawValue, &events),
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
        _ locate: StockLocate, _ ref: OrderRef, _ side: Side, _ shares: Qty, _ stock: Stock, _ price: Price,
        _ sequence: UInt64, _ type: UInt8, _ events: inout H
    ) {
        var slot = Int(_slotOfLocate[Int(locate.rawValue)])
        if slot < 0 {
            // No directory entry: open the book from the add's own symbol rather than drop
            // the order (replays of partial days start mid-stream).
            slot = _openBook(locate, stock)
            if slot < 0 {
                _record(.symbolsExhausted, sequence, type, locate, ref)
                return
            }
            counters.booksCreatedWithoutDirectory += 1
        }
        _note(_add(slot, ref.rawValue, side, price.rawValue, shares.rawValue, &events), sequence, type, locate, ref)
    }

    // MARK: - Order operations through the feed-wide reference table

    /// The handle of the live order `ref` in book `b`, or `_nil`.
    /// - Complexity: O(1): one table slot and the order node; the book's map only for a
    ///   reference that overflowed the table (never above the book's highest such reference).
    @inlinable @inline(__always)
    func _find(_ b: Int, _ ref: UInt64) -> Int32 {
        let orders = _books[b]._s.orders
        let s = _table.slot(ref)
        if s.handle != _nil && s.tag == UInt32(truncatingIfNeeded: ref) && Int(s.handle &>> _table.orderShift) == b {
            let h = s.handle & _table.orderMask
            let o = orders + Int(h)
            if o.pointee.ref == ref && o.pointee.level != _nil { return h }
        }
        let overflow = _overflow[b]
        if overflow.count > 0 && ref <= overflow.maxRef { return _books[b]._map.find(ref, orders) }
        return _nil
    }

    /// Records the new order `h` of book `b`: in its table slot if that is free, else in the
    /// book's map.
    @inlinable @inline(__always)
    mutating func _insert(_ b: Int, _ ref: UInt64, _ h: Int32) {
        if _table.isEnabled {
            let s = _table.slot(ref)
            if s.handle == _nil || !_isLive(s) {
                _table.store(ref, _table.handle(book: b, order: h))
                return
            }
        }
        _books[b]._map.insert(ref, h)
        _overflow[b].count &+= 1  // &+= : at most the pool's capacity
        if ref > _overflow[b].maxRef { _overflow[b].maxRef = ref }
    }

    /// Whether an occupied slot still names a live order with its tag (a slot goes stale only
    /// if `OrderBook.removeAll()` was called on a managed book). Off the common path: a new
    /// reference's slot is normally empty.
    @usableFromInline
    func _isLive(_ s: _MapSlot) -> Bool {
        let b = Int(s.handle &>> _table.orderShift)  // &>> : orderShift < 31
        guard b < _bookCount else { return false }
        let o = _books[b]._s.orders[Int(s.handle & _table.orderMask)]
        return o.level != _nil && UInt32(truncatingIfNeeded: o.ref) == s.tag
    }

    /// Forgets the freed order `h` (reference `ref`) of book `b`.
    @inlinable @inline(__always)
    mutating func _remove(_ b: Int, _ ref: UInt64, _ h: Int32) {
        if _table.remove(ref, _table.handle(book: b, order: h)) { return }
        _books[b]._map.remove(ref, h)
        _overflow[b].count &-= 1  // &-= : the entry was counted when it overflowed
        if _overflow[b].count == 0 { _overflow[b].maxRef = 0 }
    }

    @inlinable @inline(__always)
    mutating func _add<H: OrderBookEvents>(
        _ b: Int, _ ref: UInt64, _ side: Side, _ price: UInt32, _ qty: UInt32, _ events: inout H
    ) -> BookStatus {
        guard _find(b, ref) == _nil else { return .duplicateOrderRef }
        var h = _nil
        let status = _books[b]._addNode(ref, side, price, qty, &h, &events)
        if h != _nil { _insert(b, ref, h) }
        if status == .ok { _books[b]._refreshBest(side == .buy ? 0 : 1, &events) }
        return status
    }

    @inlinable @inline(__always)
    mutating func _execute<H: OrderBookEvents>(
        _ b: Int, _ ref: OrderRef, _ qty: Qty, _ match: MatchNumber, price: Price?, printable: Bool, _ events: inout H
    ) -> BookStatus {
        let h = _find(b, ref.rawValue)
        guard h != _nil else { return .unknownOrderRef }
        let (status, freed) = _books[b]._execute(h, ref, qty, match, price: price, printable: printable, &events)
        if freed { _remove(b, ref.rawValue, h) }
        return status
    }

    @inlinable @inline(__always)
    mutating func _cancel<H: OrderBookEvents>(_ b: Int, _ ref: UInt64, _ qty: UInt32, _ events: inout H) -> BookStatus {
        let h = _find(b, ref)
        guard h != _nil else { return .unknownOrderRef }
        let (status, freed) = _books[b]._cancel(h, qty, &events)
        if freed { _remove(b, ref, h) }
        return status
    }

    @inlinable @inline(__always)
    mutating func _delete<H: OrderBookEvents>(_ b: Int, _ ref: UInt64, _ events: inout H) -> BookStatus {
        let h = _find(b, ref)
        guard h != _nil else { return .unknownOrderRef }
        _books[b]._delete(h, &events)
        _remove(b, ref, h)
        return .ok
    }

    /// As `OrderBook.replace`: best bid/offer is reported once, for the final state.
    @inlinable @inline(__always)
    mutating func _replace<H: OrderBookEvents>(
        _ b: Int, _ ref: UInt64, _ newRef: UInt64, _ qty: UInt32, _ price: UInt32, _ events: inout H
    ) -> BookStatus {
        let h = _find(b, ref)
        guard h != _nil else { return .unknownOrderRef }
        if newRef != ref && _find(b, newRef) != _nil { return .duplicateOrderRef }
        let s = Int(_books[b]._s.orders[Int(h)].side)
        _books[b]._reduce(h, _books[b]._s.orders[Int(h)].qty, &events)
        _remove(b, ref, h)
        var nh = _nil
        let status = _books[b]._addNode(newRef, OrderBook._side(s), price, qty, &nh, &events)
        if nh != _nil { _insert(b, newRef, nh) }
        _books[b]._refreshBest(s, &events)
        return status
    }

    /// The live order with this reference in the book of `locate`.
    /// - Complexity: O(1) expected.
    public func order(_ locate: StockLocate, _ ref: OrderRef) -> (side: Side, price: Price, qty: Qty)? {
        let b = Int(_slotOfLocate[Int(locate.rawValue)])
        guard b >= 0 else { return nil }
        let h = _find(b, ref.rawValue)
        guard h != _nil else { return nil }
        let o = _books[b]._s.orders[Int(h)]
        return (o.side == 0 ? .buy : .sell, Price(o.price), Qty(o.qty))
    }

    /// Every book's invariants (`OrderBook.checkInvariants`), plus: every live order is found
    /// by its reference through the feed-wide table or its book's map, and the table and maps
    /// hold exactly one entry per live order. Returns the first broken one, or nil.
    /// - Complexity: O(capacity). For tests and diagnostics.
    public func checkInvariants() -> String? {
        var entries = 0
        for b in 0..<_bookCount {
            if let e = _books[b].checkInvariants() { return "book \(_symbols[b].stock): \(e)" }
            let orders = _books[b]._s.orders
            for h in 0..<_books[b].orderCapacity where orders[h].level != _nil {
                if _find(b, orders[h].ref) != Int32(h) { return "book \(_symbols[b].stock): order \(orders[h].ref) not found" }
            }
            var mapped = 0
            for i in 0...(_books[b]._map.mask) where _books[b]._map.slots[i].handle != _nil { mapped += 1 }
            if mapped != _overflow[b].count { return "book \(_symbols[b].stock): map holds \(mapped), counted \(_overflow[b].count)" }
            entries += mapped
        }
        for i in 0...(_table.mask) where _table.slots[i].handle != _nil && _isLive(_table.slots[i]) { entries += 1 }
        if entries != totalOrders { return "reference tables hold \(entries) entries for \(totalOrders) orders" }
        return nil
    }

    /// Orders whose references overflowed the feed-wide table into their book's map.
    /// - Complexity: O(books).
    public var overflowedOrders: Int {
        var n = 0
        for b in 0..<_bookCount { n += _overflow[b].count }
        return n
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

/// Per book: how many of its references overflowed into its own map, and the highest of them
/// (a lookup above it skips the map).
@usableFromInline
struct _BookOverflow {
    @usableFromInline var count: Int = 0
    @usableFromInline var maxRef: UInt64 = 0

    @inlinable
    init() {}
}
