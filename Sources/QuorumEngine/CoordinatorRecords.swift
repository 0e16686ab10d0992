import QuorumAgents
import QuorumBook
import QuorumJournal
import QuorumWire

// The coordinator's journal records: one record type per input kind, each payload the
// input's fields in a fixed little-endian layout (written field by field, so no padding
// byte of the in-memory struct ever reaches the file and the bytes are a pure function of
// the input), plus a `session` record that names the desk a journal was made with.
//
// The numbers live in 0x0200…0x02FF; their constants and schemas (for `quorum journal
// dump/export`) are in QuorumJournal's `JournalRecordType`/`JournalRecordRegistry`:
// coordinatorSession (UTF-8 `key=value` setup, first record), coordinatorMarket (a
// `MarketUpdate`, `CoordinatorCodec.marketSize` bytes), coordinatorFill, coordinatorOrderClosed
// (unfilled remainder), coordinatorDirective, coordinatorOverrun (agent time budget).

/// A journal input that could not be decoded: names the sequence, type and what was wrong.
public struct CoordinatorDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var sequence: UInt64
    public var type: UInt16
    public var reason: String
    public var description: String { "journal record \(sequence) (type 0x\(String(type, radix: 16))): \(reason)" }
}

/// Writes and reads the fixed payloads of the coordinator's input records.
public enum CoordinatorCodec {
    public static let marketSize = 254
    public static let fillSize = 35
    public static let orderClosedSize = 26
    public static let directiveSize = 20
    public static let overrunSize = 18
    /// The largest payload (the scratch buffer's size).
    public static let maxSize = 256

    /// Encodes `input` into `buffer` (at least `maxSize` bytes); returns its record type and length.
    /// - Complexity: O(1); no allocation.
    public static func encode(_ input: DeskInput, into buffer: UnsafeMutableRawPointer) -> (JournalRecordType, Int) {
        var w = _PayloadCursor(buffer)
        switch input {
        case .market(let u):
            return (.coordinatorMarket, encode(market: u, into: buffer))
        case .fill(let f):
            w.u64(f.order); w.u16(f.symbol.rawValue); w.u8(UInt8(bitPattern: f.direction.rawValue))
            w.u64(UInt64(bitPattern: f.quantity)); w.u64(UInt64(bitPattern: f.priceTicks)); w.u64(f.time)
            return (.coordinatorFill, w.offset)
        case let .orderClosed(s, id, unfilled, t):
            w.u16(s.rawValue); w.u64(id); w.u64(UInt64(bitPattern: unfilled)); w.u64(t)
            return (.coordinatorOrderClosed, w.offset)
        case .directive(let d):
            w.u8(d.kind.rawValue); w.u8(d.team.rawValue); w.u16(d.issuer.rawValue); w.u64(d.fraction.bitPattern); w.u64(d.time)
            return (.coordinatorDirective, w.offset)
        case let .overrun(a, nanos, t):
            w.u16(a.rawValue); w.u64(nanos); w.u64(t)
            return (.coordinatorOverrun, w.offset)
        }
    }

    /// The `coordinatorMarket` payload of `u` into `buffer` (at least `marketSize` bytes);
    /// returns its length (`marketSize`).
    /// - Complexity: O(1); no allocation.
    public static func encode(market u: MarketUpdate, into buffer: UnsafeMutableRawPointer) -> Int {
        var w = _PayloadCursor(buffer)
        w.u16(u.locate.rawValue); w.u64(u.stock.rawValue); w.u64(u.sequence); w.u64(u.exchangeTime.rawValue)
        w.u64(u.receiveTime); w.u8(u.changes.rawValue)
        w.u32(u.bestBid.price.rawValue); w.u64(u.bestBid.qty)
        w.u32(u.bestAsk.price.rawValue); w.u64(u.bestAsk.qty)
        for i in 0..<MarketUpdate.depth { w.u32(u.bids[i].price.rawValue); w.u64(u.bids[i].qty); w.u32(u.bids[i].orderCount) }
        for i in 0..<MarketUpdate.depth { w.u32(u.asks[i].price.rawValue); w.u64(u.asks[i].qty); w.u32(u.asks[i].orderCount) }
        w.u8(u.bidCount); w.u8(u.askCount)
        let t = u.lastTrade
        w.u32(t.price.rawValue); w.u64(t.qty); w.u8(t.restingSide.rawValue); w.u8(t.kind.rawValue)
        w.u64(t.matchNumber.rawValue); w.u64(t.orderRef.rawValue); w.u8(t.printable ? 1 : 0)
        w.u16(UInt16(bitPattern: u.imbalanceBasisPoints))
        return w.offset
    }

    /// The input a record holds; nil for a record that is not an input (session, checkpoint,
    /// other modules' types).
    /// - Throws: `CoordinatorDecodeError` for an input record of the wrong length or with a
    ///   field out of range.
    public static func decode(_ record: JournalRecord) throws(CoordinatorDecodeError) -> DeskInput? {
        try decode(type: record.type, sequence: record.sequence, payload: record.payload)
    }

    /// `decode(_:)` for a payload held anywhere; `sequence` only names it in errors.
    public static func decode(type: JournalRecordType, sequence: UInt64,
                              payload p: UnsafeRawBufferPointer) throws(CoordinatorDecodeError) -> DeskInput? {
        func bad(_ why: String) -> CoordinatorDecodeError {
            CoordinatorDecodeError(sequence: sequence, type: type.rawValue, reason: why)
        }
        func need(_ n: Int) throws(CoordinatorDecodeError) -> _PayloadReader {
            guard p.count == n, let base = p.baseAddress else { throw bad("payload is \(p.count) bytes, expected \(n)") }
            return _PayloadReader(base)
        }
        func direction(_ raw: UInt8) throws(CoordinatorDecodeError) -> Direction {
            guard let d = Direction(rawValue: Int8(bitPattern: raw)) else { throw bad("direction \(Int8(bitPattern: raw))") }
            return d
        }
        switch type {
        case .coordinatorMarket:
            return .market(try decodeMarket(sequence: sequence, payload: p))
        case .coordinatorFill:
            var r = try need(fillSize)
            let order = r.u64(), s = SymbolID(rawValue: r.u16()), d = try direction(r.u8())
            let q = Int64(bitPattern: r.u64()), px = Int64(bitPattern: r.u64()), t = r.u64()
            return .fill(Fill(order: order, symbol: s, direction: d, quantity: q, priceTicks: px, time: t))
        case .coordinatorOrderClosed:
            var r = try need(orderClosedSize)
            let s = SymbolID(rawValue: r.u16()), id = r.u64(), unfilled = Int64(bitPattern: r.u64()), t = r.u64()
            return .orderClosed(symbol: s, order: id, unfilled: unfilled, time: t)
        case .coordinatorDirective:
            var r = try need(directiveSize)
            guard let kind = DirectiveKind(rawValue: r.u8()) else { throw bad("directive kind out of range") }
            let team = TeamID(rawValue: r.u8()), issuer = AgentID(rawValue: r.u16())
            let fraction = Double(bitPattern: r.u64()), t = r.u64()
            return .directive(Directive(kind: kind, team: team, fraction: fraction, issuer: issuer, time: t))
        case .coordinatorOverrun:
            var r = try need(overrunSize)
            let a = AgentID(rawValue: r.u16()), nanos = r.u64(), t = r.u64()
            return .overrun(agent: a, nanos: nanos, time: t)
        default:
            return nil
        }
    }

    /// The `MarketUpdate` of a `coordinatorMarket` payload (replay's common record, decoded
    /// without the `DeskInput` wrapper).
    /// - Throws: `CoordinatorDecodeError` for a wrong length or trade kind.
    /// - Complexity: O(1); no allocation.
    public static func decodeMarket(sequence: UInt64, payload p: UnsafeRawBufferPointer) throws(CoordinatorDecodeError) -> MarketUpdate {
        guard p.count == marketSize, let base = p.baseAddress else {
            throw CoordinatorDecodeError(sequence: sequence, type: JournalRecordType.coordinatorMarket.rawValue,
                                         reason: "payload is \(p.count) bytes, expected \(marketSize)")
        }
        var r = _PayloadReader(base)
        var u = MarketUpdate()
        u.locate = StockLocate(r.u16()); u.stock = Stock(rawValue: r.u64()); u.sequence = r.u64()
        u.exchangeTime = Timestamp(r.u64()); u.receiveTime = r.u64(); u.changes = BookChanges(rawValue: r.u8())
        u.bestBid = BookQuote(price: Price(r.u32()), qty: r.u64())
        u.bestAsk = BookQuote(price: Price(r.u32()), qty: r.u64())
        for i in 0..<MarketUpdate.depth { u.bids[i] = DepthLevel(price: Price(r.u32()), qty: r.u64(), orderCount: r.u32()) }
        for i in 0..<MarketUpdate.depth { u.asks[i] = DepthLevel(price: Price(r.u32()), qty: r.u64(), orderCount: r.u32()) }
        u.bidCount = r.u8(); u.askCount = r.u8()
        let price = Price(r.u32()), qty = r.u64(), side = Side(rawValue: r.u8())
        guard let kind = TradeKind(rawValue: r.u8()) else {
            throw CoordinatorDecodeError(sequence: sequence, type: JournalRecordType.coordinatorMarket.rawValue,
                                         reason: "trade kind out of range")
        }
        let match = MatchNumber(rawValue: r.u64()), ref = OrderRef(rawValue: r.u64()), printable = r.u8() != 0
        u.lastTrade = TradeEvent(price: price, qty: qty, restingSide: side, kind: kind, matchNumber: match,
                                 orderRef: ref, printable: printable)
        u.imbalanceBasisPoints = Int16(bitPattern: r.u16())
        return u
    }

    /// The event time an input carries (the record header's timestamp).
    public static func time(of input: DeskInput) -> UInt64 {
        switch input {
        case .market(let u): return u.exchangeTime.rawValue
        case .fill(let f): return f.time
        case .orderClosed(_, _, _, let t): return t
        case .directive(let d): return d.time
        case .overrun(_, _, let t): return t
        }
    }
}

/// Sequential little-endian stores into a caller-owned buffer.
struct _PayloadCursor {
    let base: UnsafeMutableRawPointer
    var offset = 0
    init(_ base: UnsafeMutableRawPointer) { self.base = base }
    mutating func u8(_ v: UInt8) { base.storeBytes(of: v, toByteOffset: offset, as: UInt8.self); offset += 1 }
    mutating func u16(_ v: UInt16) { base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self); offset += 2 }
    mutating func u32(_ v: UInt32) { base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self); offset += 4 }
    mutating func u64(_ v: UInt64) { base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt64.self); offset += 8 }
}

/// Sequential little-endian loads; the caller checked the length.
struct _PayloadReader {
    let base: UnsafeRawPointer
    var offset = 0
    init(_ base: UnsafeRawPointer) { self.base = base }
    mutating func u8() -> UInt8 { defer { offset += 1 }; return base.load(fromByteOffset: offset, as: UInt8.self) }
    mutating func u16() -> UInt16 {
        defer { offset += 2 }; return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    mutating func u32() -> UInt32 {
        defer { offset += 4 }; return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    mutating func u64() -> UInt64 {
        defer { offset += 8 }; return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
