import QuorumBook
import QuorumWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic synthetic NASDAQ day in ITCH 5.0: system events, a stock directory, then
/// adds, deletes, partial cancels, partial and full executions (some at another price),
/// replaces and hidden trades over many symbols, stamped 09:30–16:00.
///
/// Realism where it matters to a book:
/// - Prices: each add is placed a heavy-tailed number of ticks away from the opposite best
///   (discrete Pareto, tail exponent 1.1, scale 10 ticks, capped at 1 000), so most flow is
///   within a few ticks of the touch and a thin tail sits hundreds of ticks away; the spread
///   is often one tick and occasionally wider.
/// - Sizes: a mixture shaped like the LOBSTER AAPL sample — round lots of 100 most common,
///   many odd lots below 100, non-round sizes in the hundreds, and a heavy tail of large
///   orders.
/// - Executions hit the oldest order at the best price (time priority), so the price moves
///   when the best level is consumed; deletes pick uniformly among live orders.
/// - Activity per symbol follows a Zipf law (exponent 0.8): a few symbols are busy.
///
/// The same options give the same bytes, always. The generator applies its own output to a
/// `BookManager`, so every execution, cancel and replace refers to a live order and never
/// exceeds it.
///
/// Not thread-safe.
public struct SyntheticDay: ~Copyable {
    public struct Options: Sendable, Equatable {
        public var symbols: Int
        /// Total messages in the file, system and directory messages included.
        public var messages: Int
        public var seed: UInt64
        /// Live orders per symbol the flow hovers around (adds outpace deletes below it and
        /// trail them above it); never more than twice this.
        public var targetLiveOrdersPerSymbol: Int

        public init(symbols: Int = 50, messages: Int = 10_000_000, seed: UInt64 = 7, targetLiveOrdersPerSymbol: Int = 1000) {
            self.symbols = symbols
            self.messages = messages
            self.seed = seed
            self.targetLiveOrdersPerSymbol = targetLiveOrdersPerSymbol
        }

        /// A book configuration that holds what this day can produce.
        public var bookConfig: BookConfig {
            BookConfig(ordersPerSymbol: 2 * targetLiveOrdersPerSymbol + 64, levelsPerSide: 2048, maxSymbols: symbols)
        }
    }

    public let options: Options
    var rng: SplitMix64
    var manager: BookManager
    var stocks: [Stock] = []
    var referencePrice: [UInt32] = []
    /// Live order references per symbol (for uniform picks) and each one's index there.
    var live: [[UInt64]]
    var index: [UInt64: Int32] = [:]
    var zipfCumulative: [Double] = []
    var produced = 0
    var nextRef: UInt64 = 1
    var nextMatch: UInt64 = 1
    var clock: UInt64
    let meanGap: Double
    var pending: [ITCHMessage] = []
    let headerCount: Int
    let trailerCount = 3

    static let tick: UInt32 = 100  // one cent in ITCH's 4 implied decimals
    static let open: UInt64 = 34_200_000_000_000  // 09:30
    static let close: UInt64 = 57_600_000_000_000  // 16:00

    public init(options: Options) {
        precondition(options.symbols >= 1 && options.symbols < 65_535)
        self.options = options
        rng = SplitMix64(seed: options.seed)
        manager = BookManager(config: options.bookConfig)
        live = Array(repeating: [], count: options.symbols)
        headerCount = 1 + options.symbols + 2
        let body = max(1, options.messages - headerCount - trailerCount)
        meanGap = Double(SyntheticDay.close - SyntheticDay.open) / Double(body)
        clock = SyntheticDay.open - 1_000_000_000
        // Symbols: unique 3–4 letter tickers and log-uniform prices from $5 to $500.
        var seen = Set<UInt64>()
        var total = 0.0
        for i in 0..<options.symbols {
            var stock: Stock
            repeat {
                let len = 3 + Int(rng.below(2))
                let name = String((0..<len).map { _ in Character(Unicode.Scalar(UInt8(65 + rng.below(26)))) })
                stock = Stock(name)
            } while !seen.insert(stock.rawValue).inserted
            stocks.append(stock)
            let dollars = 5.0 * pow(100.0, rng.unit())
            referencePrice.append(UInt32(dollars * 100) * SyntheticDay.tick)
            total += 1.0 / pow(Double(i + 1), 0.8)
            zipfCumulative.append(total)
        }
        for i in 0..<zipfCumulative.count { zipfCumulative[i] /= total }
    }

    /// Messages still to come.
    public var remaining: Int { options.messages - produced }

    /// The next message, or nil once `options.messages` were produced.
    public mutating func next() -> ITCHMessage? {
        guard produced < options.messages else { return nil }
        let m: ITCHMessage
        if produced < headerCount {
            m = headerMessage(produced)
        } else if produced >= options.messages - trailerCount {
            let codes: [Character] = ["M", "E", "C"]
            let i = produced - (options.messages - trailerCount)
            clock = max(clock, SyntheticDay.close) + UInt64(i) * 1_000_000
            m = .systemEvent(.init(header: header(0), eventCode: UInt8(ascii: codes[i].unicodeScalars.first!)))
        } else {
            m = bodyMessage()
        }
        var ev = IgnoreBookEvents()
        manager.apply(m, sequence: UInt64(produced), &ev)
        produced += 1
        return m
    }

    func header(_ locate: Int) -> ITCH.Header {
        ITCH.Header(stockLocate: StockLocate(UInt16(locate)), trackingNumber: 0, timestamp: Timestamp(clock))
    }

    mutating func headerMessage(_ i: Int) -> ITCHMessage {
        if i == 0 { return .systemEvent(.init(header: header(0), eventCode: UInt8(ascii: "O"))) }
        if i <= options.symbols {
            return .stockDirectory(.init(
                header: header(i), stock: stocks[i - 1], marketCategory: UInt8(ascii: "Q"),
                financialStatusIndicator: UInt8(ascii: "N"), roundLotSize: 100, roundLotsOnly: UInt8(ascii: "N"),
                issueClassification: UInt8(ascii: "C"), issueSubType: 0x5A20, authenticity: UInt8(ascii: "P"),
                shortSaleThresholdIndicator: UInt8(ascii: "N"), ipoFlag: UInt8(ascii: " "),
                luldReferencePriceTier: UInt8(ascii: "1"), etpFlag: UInt8(ascii: "N"), etpLeverageFactor: 0,
                inverseIndicator: UInt8(ascii: "N")))
        }
        clock = i == options.symbols + 1 ? clock : SyntheticDay.open
        return .systemEvent(.init(header: header(0), eventCode: UInt8(ascii: i == options.symbols + 1 ? "S" : "Q")))
    }

    mutating func pickSymbol() -> Int {
        let u = rng.unit()
        var lo = 0
        var hi = zipfCumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if zipfCumulative[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Ticks away from the touch: discrete Pareto, mostly 0–5, rarely hundreds.
    mutating func distance() -> UInt32 {
        let d = 10.0 * (pow(rng.unit(), -1.0 / 1.1) - 1.0)
        return UInt32(min(1000.0, d))
    }

    mutating func size() -> UInt32 {
        let r = rng.below(100)
        switch r {
        case 0..<30: return 100
        case 30..<38: return 200
        case 38..<44: return UInt32(3 + rng.below(8)) * 100
        case 44..<74: return UInt32(1 + rng.below(99))
        case 74..<90: return UInt32(101 + rng.below(899))
        default: return UInt32(min(100_000.0, 100.0 * pow(rng.unit(), -1.0 / 1.5)))
        }
    }

    mutating func bodyMessage() -> ITCHMessage {
        clock += UInt64(-log(rng.unit()) * meanGap)
        let s = pickSymbol()
        let locate = s + 1
        let (bid, ask) = manager.withBook(StockLocate(UInt16(locate))) { ($0.bestBid, $0.bestAsk) }!
        if !bid.isEmpty && !ask.isEmpty { referencePrice[s] = (bid.price.rawValue / 2 + ask.price.rawValue / 2) / SyntheticDay.tick * SyntheticDay.tick }
        let n = live[s].count
        let target = options.targetLiveOrdersPerSymbol
        // Below the target adds outpace removals, above it they trail: the book breathes
        // around the target instead of growing all day.
        let addCut: UInt64 = n < target ? 50 : 42
        var r = n < 40 ? 0 : rng.below(100)
        if n >= 2 * target && r < addCut { r = addCut }
        switch r {
        case 0..<addCut:  // add (a tenth of them attributed)
            let side: Side = rng.below(2) == 0 ? .buy : .sell
            let price = addPrice(side, bid, ask, s)
            let ref = newRef(s)
            if rng.below(10) == 0 {
                return .addOrderMPID(.init(header: header(locate), orderRef: OrderRef(ref), side: side, shares: Qty(size()),
                                           stock: stocks[s], price: Price(price), attribution: MPID("SYNT")))
            }
            return .addOrder(.init(header: header(locate), orderRef: OrderRef(ref), side: side, shares: Qty(size()),
                                   stock: stocks[s], price: Price(price)))
        case addCut..<80:  // delete
            let ref = takeRandom(s)
            return .orderDelete(.init(header: header(locate), orderRef: OrderRef(ref)))
        case 80..<84:  // partial cancel
            let ref = live[s][Int(rng.below(UInt64(n)))]
            let have = order(locate, ref).qty.rawValue
            if have <= 1 {
                forget(s, ref)
                return .orderDelete(.init(header: header(locate), orderRef: OrderRef(ref)))
            }
            return .orderCancel(.init(header: header(locate), orderRef: OrderRef(ref),
                                      cancelledShares: Qty(1 + UInt32(rng.below(UInt64(have - 1))))))
        case 84..<91:  // execution at the front of the best level
            let side: Side = (rng.below(2) == 0 && !bid.isEmpty) || ask.isEmpty ? .buy : .sell
            let ref = manager.withBook(StockLocate(UInt16(locate))) { $0.frontOrder(side) }!!.rawValue
            let o = order(locate, ref)
            let full = rng.below(10) < 6 || o.qty.rawValue == 1
            let q = full ? o.qty.rawValue : 1 + UInt32(rng.below(UInt64(o.qty.rawValue - 1)))
            if full { forget(s, ref) }
            let match = MatchNumber(nextMatch)
            nextMatch += 1
            if rng.below(20) == 0 {
                return .orderExecutedWithPrice(.init(header: header(locate), orderRef: OrderRef(ref), executedShares: Qty(q),
                                                     matchNumber: match, printable: UInt8(ascii: "Y"),
                                                     executionPrice: o.price))
            }
            return .orderExecuted(.init(header: header(locate), orderRef: OrderRef(ref), executedShares: Qty(q),
                                        matchNumber: match))
        case 91..<97:  // replace: new reference, nearby price, new size
            let old = takeRandom(s)
            let o = order(locate, old)
            var price = o.price.rawValue
            let step = (1 + UInt32(rng.below(3))) * SyntheticDay.tick
            if o.side == .buy {
                price = rng.below(2) == 0 ? price + step : (price > step ? price - step : price)
                if !ask.isEmpty && price >= ask.price.rawValue { price = ask.price.rawValue - SyntheticDay.tick }
            } else {
                price = rng.below(2) == 0 ? price - min(step, price - SyntheticDay.tick) : price + step
                if !bid.isEmpty && price <= bid.price.rawValue { price = bid.price.rawValue + SyntheticDay.tick }
            }
            let ref = newRef(s)
            return .orderReplace(.init(header: header(locate), originalOrderRef: OrderRef(old), newOrderRef: OrderRef(ref),
                                       shares: Qty(size()), price: Price(max(price, SyntheticDay.tick))))
        default:  // a hidden (non-displayed) order trades inside the spread
            let match = MatchNumber(nextMatch)
            nextMatch += 1
            let price = bid.isEmpty || ask.isEmpty ? referencePrice[s] : (bid.price.rawValue / 2 + ask.price.rawValue / 2)
            return .trade(.init(header: header(locate), orderRef: OrderRef(0), side: rng.below(2) == 0 ? .buy : .sell,
                                shares: Qty(size()), stock: stocks[s], price: Price(price), matchNumber: match))
        }
    }

    mutating func addPrice(_ side: Side, _ bid: BookQuote, _ ask: BookQuote, _ s: Int) -> UInt32 {
        let d = distance() * SyntheticDay.tick
        let tick = SyntheticDay.tick
        if side == .buy {
            // Below the best ask (never crossing); without an ask, below the reference.
            let anchor = ask.isEmpty ? (bid.isEmpty ? referencePrice[s] : bid.price.rawValue + tick) : ask.price.rawValue
            return anchor > d + tick ? anchor - tick - d : tick
        } else {
            let anchor = bid.isEmpty ? (ask.isEmpty ? referencePrice[s] : ask.price.rawValue - tick) : bid.price.rawValue
            return anchor + tick + d
        }
    }

    func order(_ locate: Int, _ ref: UInt64) -> (side: Side, price: Price, qty: Qty) {
        manager.order(StockLocate(UInt16(locate)), OrderRef(ref))!
    }

    mutating func newRef(_ s: Int) -> UInt64 {
        let ref = nextRef
        nextRef += 1
        index[ref] = Int32(live[s].count)
        live[s].append(ref)
        return ref
    }

    mutating func takeRandom(_ s: Int) -> UInt64 {
        let ref = live[s][Int(rng.below(UInt64(live[s].count)))]
        forget(s, ref)
        return ref
    }

    mutating func forget(_ s: Int, _ ref: UInt64) {
        let i = Int(index.removeValue(forKey: ref)!)
        let last = live[s].removeLast()
        if last != ref {
            live[s][i] = last
            index[last] = Int32(i)
        }
    }

    /// Writes a whole day to `path`; returns the bytes written.
    @discardableResult
    public static func write(options: Options, to path: String, progress: Bool? = nil) throws(MarketToolError) -> Int {
        let out = try OutputFile(path: path)
        var day = SyntheticDay(options: options)
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { raw.deallocate() }
        var meter = ProgressLine("generating \(path)", total: options.messages, enabled: progress)
        var total = 0
        var done = 0
        var finished = false
        while !finished {
            var w = ITCHDayFile.Writer(raw)
            while w.available >= 2 + ITCH.maxMessageLength {
                guard let m = day.next() else {
                    finished = true
                    break
                }
                try! w.append(m)  // cannot fail: room for the largest message was checked
                done += 1
                meter.advance(to: done)
            }
            try out.write(UnsafeRawBufferPointer(rebasing: raw[0..<w.position]))
            total += w.position
        }
        meter.finish()
        try out.close()
        return total
    }

    /// A whole day as day-file bytes in memory (tests and benchmarks).
    public static func bytes(options: Options) -> [UInt8] {
        var day = SyntheticDay(options: options)
        var out: [UInt8] = []
        out.reserveCapacity(options.messages * 34)
        var scratch = [UInt8](repeating: 0, count: 2 + ITCH.maxMessageLength)
        while let m = day.next() {
            let n = scratch.withUnsafeMutableBytes { raw -> Int in
                var w = ITCHDayFile.Writer(raw)
                try! w.append(m)  // the scratch buffer fits the largest message
                return w.position
            }
            out.append(contentsOf: scratch[0..<n])
        }
        return out
    }
}
