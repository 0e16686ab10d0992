import QuorumBook
import QuorumWire

/// LOBSTER (lobsterdata.com) files: a message file (time, type, order id, size, price,
/// direction) and an orderbook file (per level: ask price, ask size, bid price, bid size).
public enum Lobster {
    /// LOBSTER event types.
    public enum EventType: Int, Sendable {
        case add = 1, partialCancel = 2, delete = 3, visibleExecution = 4, hiddenExecution = 5, cross = 6,
             halt = 7
    }

    /// One row of a message file.
    public struct Message: Equatable, Sendable {
        public var time: Timestamp
        public var type: EventType
        public var orderID: UInt64
        public var size: UInt32
        /// Dollars × 10 000, as ITCH. For halts (type 7) LOBSTER puts −1/0/1 here; kept in `haltCode`.
        public var price: Price
        public var side: Side
        /// −1 halt, 0 quote-only, 1 resume; only for `.halt`.
        public var haltCode: Int

        public init(time: Timestamp, type: EventType, orderID: UInt64, size: UInt32, price: Price, side: Side,
                    haltCode: Int = 0) {
            self.time = time
            self.type = type
            self.orderID = orderID
            self.size = size
            self.price = price
            self.side = side
            self.haltCode = haltCode
        }
    }

    /// One level of one side; `size == 0` means the level is empty.
    public struct Level: Equatable, Sendable, CustomStringConvertible {
        public var price: Int64
        public var size: Int64
        public init(price: Int64, size: Int64) {
            self.price = price
            self.size = size
        }
        public var description: String { size == 0 ? "empty" : "\(size)@\(price)" }
    }

    /// One row of an orderbook file: `asks[i]`, `bids[i]` for level i+1.
    public struct BookRow: Equatable, Sendable {
        public var asks: [Level]
        public var bids: [Level]
        public init(asks: [Level], bids: [Level]) {
            self.asks = asks
            self.bids = bids
        }
    }

    /// LOBSTER's placeholders for an empty level.
    public static let emptyAskPrice: Int64 = 9_999_999_999
    public static let emptyBidPrice: Int64 = -9_999_999_999

    // MARK: - Reading

    /// Splits a text file into lines of comma-separated fields (as byte slices), calling
    /// `body` with the 1-based line number. Blank lines are skipped.
    static func forEachRow(_ file: MappedFile, _ body: (Int, [Substring]) throws(MarketToolError) -> Void)
        throws(MarketToolError)
    {
        let text = String(decoding: file.bytes, as: UTF8.self)
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.isEmpty { continue }
            try body(lineNumber, trimmed.split(separator: ",", omittingEmptySubsequences: false).map { Substring($0) })
        }
    }

    /// Reads a message file.
    public static func readMessages(path: String) throws(MarketToolError) -> [Message] {
        let file = try MappedFile(path: path)
        var out: [Message] = []
        try forEachRow(file) { (line, f) throws(MarketToolError) in
            func bad(_ field: String, _ value: Substring, _ why: String) -> MarketToolError {
                MarketToolError(file: path, line: line, field: field, value: String(value), reason: why)
            }
            guard f.count == 6 else {
                throw MarketToolError(file: path, line: line, value: "\(f.count) fields",
                                      reason: "a message row has 6 fields: time,type,order id,size,price,direction")
            }
            guard let time = parseSeconds(f[0]) else { throw bad("time", f[0], "expected seconds after midnight") }
            guard let t = Int(f[1]), let type = EventType(rawValue: t) else {
                throw bad("type", f[1], "expected 1…7")
            }
            guard let id = UInt64(f[2]) else { throw bad("order id", f[2], "expected a non-negative integer") }
            guard let size = UInt32(f[3]) else { throw bad("size", f[3], "expected a non-negative integer") }
            guard let rawPrice = Int64(f[4]) else { throw bad("price", f[4], "expected an integer (dollars × 10000)") }
            guard let dir = Int(f[5]), dir == 1 || dir == -1 else { throw bad("direction", f[5], "expected 1 or -1") }
            var haltCode = 0
            var price = Price(0)
            if type == .halt {
                haltCode = Int(rawPrice)
            } else {
                guard rawPrice >= 0, rawPrice <= Int64(UInt32.max) else {
                    throw bad("price", f[4], "out of range for a 4-byte ITCH price")
                }
                price = Price(UInt32(rawPrice))
            }
            out.append(Message(time: time, type: type, orderID: id, size: size, price: price,
                               side: dir == 1 ? .buy : .sell, haltCode: haltCode))
        }
        return out
    }

    /// Reads an orderbook file; every row must have 4 × levels columns.
    public static func readBook(path: String, levels: Int) throws(MarketToolError) -> [BookRow] {
        let file = try MappedFile(path: path)
        var out: [BookRow] = []
        try forEachRow(file) { (line, f) throws(MarketToolError) in
            guard f.count == 4 * levels else {
                throw MarketToolError(file: path, line: line, value: "\(f.count) columns",
                                      reason: "expected \(4 * levels) columns for --levels \(levels)")
            }
            var asks: [Level] = []
            var bids: [Level] = []
            asks.reserveCapacity(levels)
            bids.reserveCapacity(levels)
            for i in 0..<levels {
                var v: [Int64] = []
                for j in 0..<4 {
                    guard let x = Int64(f[4 * i + j]) else {
                        let names = ["AskPrice", "AskSize", "BidPrice", "BidSize"]
                        throw MarketToolError(file: path, line: line, field: "\(names[j])\(i + 1)",
                                              value: String(f[4 * i + j]), reason: "expected an integer")
                    }
                    v.append(x)
                }
                asks.append(v[1] == 0 ? Level(price: emptyAskPrice, size: 0) : Level(price: v[0], size: v[1]))
                bids.append(v[3] == 0 ? Level(price: emptyBidPrice, size: 0) : Level(price: v[2], size: v[3]))
            }
            out.append(BookRow(asks: asks, bids: bids))
        }
        return out
    }

    /// "34200.004241176" → ns since midnight.
    static func parseSeconds(_ s: Substring) -> Timestamp? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = UInt64(parts[0]) else { return nil }
        var ns: UInt64 = 0
        if parts.count == 2 {
            let frac = parts[1]
            guard frac.count <= 9, frac.allSatisfy(\.isASCII), let f = UInt64(frac.isEmpty ? "0" : frac) else {
                return nil
            }
            ns = f
            for _ in frac.count..<9 { ns *= 10 }
        }
        return Timestamp(whole * 1_000_000_000 + ns)
    }

    /// Formats a row as LOBSTER does.
    public static func format(_ row: BookRow) -> String {
        var parts: [String] = []
        for i in 0..<row.asks.count {
            parts.append(String(row.asks[i].price))
            parts.append(String(row.asks[i].size))
            parts.append(String(row.bids[i].price))
            parts.append(String(row.bids[i].size))
        }
        return parts.joined(separator: ",")
    }
}
