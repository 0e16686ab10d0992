import QuorumBook
import QuorumJournal

/// Analyst tuning; each strategy reads the fields it needs. Defaults are the textbook values.
public struct AnalystParameters: Sendable, Equatable {
    /// MACD periods.
    public var fast = 12, slow = 26, signal = 9
    /// RSI period.
    public var period = 14
    /// Window (updates or trades) of Bollinger, VWAP and breakout.
    public var window = 20
    /// Bollinger band width in standard deviations.
    public var bandWidth = 2.0
    /// Relative threshold: MACD histogram / price, VWAP deviation, breakout margin (fractions).
    public var threshold = 0.0005
    /// RSI levels.
    public var oversold = 30.0, overbought = 70.0
    /// Book-imbalance level (0…1) for the imbalance analyst.
    public var imbalance = 0.3
    /// How long a view holds (event-time ns); re-emitted at half of it while unchanged.
    public var horizonNanos: UInt64 = 60_000_000_000
    public init() {}
}

/// What a strategy thinks after one update.
@frozen public struct AnalystView: Sendable, Equatable {
    public var direction: Direction
    public var confidence: Double
    /// Signed like `direction`.
    public var expectedReturn: Double
    public static let flat = AnalystView(direction: .flat, confidence: 0, expectedReturn: 0)
    @inlinable public init(direction: Direction, confidence: Double, expectedReturn: Double) {
        self.direction = direction; self.confidence = confidence; self.expectedReturn = expectedReturn
    }
}

/// One symbol's indicator state and the rule that turns it into a view.
public protocol AnalystStrategy {
    static var pattern: PatternID { get }
    init(_ parameters: AnalystParameters)
    /// Called for every update with a two-sided quote; `mid` > 0.
    /// - Complexity: O(1) (amortised for the breakout queue).
    mutating func update(_ update: MarketUpdate, mid: Double, _ p: AnalystParameters) -> AnalystView
    /// Writes the indicator state to a snapshot's image, or reads it back into a strategy
    /// made with the same parameters.
    mutating func image(_ image: inout StateImage) throws(StateImageError)
}

extension AnalystStrategy {
    // A strategy made only of plain values (EMAs, counters) is imaged whole; one holding a
    // window (an array) lists its fields itself, or the image traps on it.
    public mutating func image(_ image: inout StateImage) throws(StateImageError) { try image.value(&self) }
}

@inline(__always) func clamp01(_ x: Double) -> Double { min(1, max(0, x)) }

/// EMA/MACD trend: the MACD line (fast EMA − slow EMA, an EMA cross) gives the direction
/// when it is at least `threshold`·price; confidence is ½ at the threshold, rising with the
/// line, plus ¼ when the histogram (line − signal) agrees (the trend is accelerating).
public struct TrendStrategy: AnalystStrategy {
    public static var pattern: PatternID { .trend }
    var macd: MACD
    public init(_ p: AnalystParameters) { macd = MACD(fast: p.fast, slow: p.slow, signal: p.signal) }
    public mutating func update(_ u: MarketUpdate, mid: Double, _ p: AnalystParameters) -> AnalystView {
        let h = macd.update(mid)
        guard macd.isReady else { return .flat }
        let rel = macd.line / mid
        guard abs(rel) >= p.threshold else { return .flat }
        let agree = Direction.of(h) == Direction.of(rel) ? 0.25 : 0
        return AnalystView(direction: .of(rel), confidence: clamp01(0.25 * abs(rel) / p.threshold + agree),
                           expectedReturn: rel)
    }
}

/// RSI mean reversion: long when oversold, short when overbought, flat in between.
public struct RSIStrategy: AnalystStrategy {
    public static var pattern: PatternID { .rsi }
    var rsi: RSI
    public init(_ p: AnalystParameters) { rsi = RSI(period: p.period) }
    public mutating func update(_ u: MarketUpdate, mid: Double, _ p: AnalystParameters) -> AnalystView {
        let r = rsi.update(mid)
        guard rsi.isReady else { return .flat }
        if r < p.oversold {
            return AnalystView(direction: .long, confidence: clamp01(0.5 + (p.oversold - r) / p.oversold),
                               expectedReturn: p.threshold)
        }
        if r > p.overbought {
            return AnalystView(direction: .short, confidence: clamp01(0.5 + (r - p.overbought) / (100 - p.overbought)),
                               expectedReturn: -p.threshold)
        }
        return .flat
    }
}

/// Bollinger mean reversion: long below mean − k·σ, short above mean + k·σ, held until the
/// price crosses back over the mean.
public struct BollingerStrategy: AnalystStrategy {
    public static var pattern: PatternID { .bollinger }
    var moments: RollingMoments
    var held = Direction.flat
    public init(_ p: AnalystParameters) { moments = RollingMoments(window: p.window) }
    public mutating func update(_ u: MarketUpdate, mid: Double, _ p: AnalystParameters) -> AnalystView {
        // Score against the band of the previous window, then add the price.
        let full = moments.isFull
        let mean = moments.mean, sd = moments.standardDeviation
        moments.update(mid)
        guard full, sd > 0 else { return .flat }
        let z = (mid - mean) / sd
        if z <= -p.bandWidth { held = .long } else if z >= p.bandWidth { held = .short }
        else if (held == .long && z >= 0) || (held == .short && z <= 0) { held = .flat }
        guard held != .flat else { return .flat }
        let er = Double(held.rawValue) * abs(mean - mid) / mid
        return AnalystView(direction: held, confidence: clamp01(0.5 * abs(z) / p.bandWidth), expectedReturn: er)
    }
}

/// VWAP reversion over the last `window` printable trades: long when the mid is
/// `threshold` below VWAP, short above, held until the deviation halves.
public struct VWAPStrategy: AnalystStrategy {
    public static var pattern: PatternID { .vwap }
    var vwap: RollingVWAP
    var held = Direction.flat
    public init(_ p: AnalystParameters) { vwap = RollingVWAP(window: p.window) }
    public mutating func update(_ u: MarketUpdate, mid: Double, _ p: AnalystParameters) -> AnalystView {
        if u.changes.contains(.trade) && u.lastTrade.printable {
            vwap.update(priceTicks: Int64(u.lastTrade.price.rawValue), quantity: Int64(u.lastTrade.qty))
        }
        let v = vwap.value
        guard vwap.count >= min(vwap.window, 5), v > 0 else { return .flat }
        let dev = (mid - v) / v
        if dev <= -p.threshold { held = .long } else if dev >= p.threshold { held = .short }
        else if abs(dev) < p.threshold / 2 { held = .flat }
        guard held != .flat else { return .flat }
        return AnalystView(direction: held, confidence: clamp01(0.5 * abs(dev) / p.threshold),
                           expectedReturn: Double(held.rawValue) * abs(dev))
    }
}

/// Order-book imbalance confirmed by the microprice: long when the top-5 imbalance is at
/// least `imbalance` and the microprice sits above the mid, short for the mirror image.
public struct ImbalanceStrategy: AnalystStrategy {
    public static var pattern: PatternID { .imbalance }
    public init(_ p: AnalystParameters) {}
    public mutating func update(_ u: MarketUpdate, mid: Double, _ p: AnalystParameters) -> AnalystView {
        let imb = Double(u.imbalanceBasisPoints) / 10_000
        let edge = (Microprice.of(bid: u.bestBid, ask: u.bestAsk) - mid) / mid
        if imb >= p.imbalance && edge > 0 {
            return AnalystView(direction: .long, confidence: clamp01(imb), expectedReturn: edge)
        }
        if imb <= -p.imbalance && edge < 0 {
            return AnalystView(direction: .short, confidence: clamp01(-imb), expectedReturn: edge)
        }
        return .flat
    }
}

/// Breakout: long when the mid clears the previous `window` high by `threshold`, short below
/// the low; the view holds until the opposite break.
public struct BreakoutStrategy: AnalystStrategy {
    public static var pattern: PatternID { .breakout }
    var extremes: RollingExtremes
    var held = Direction.flat
    public init(_ p: AnalystParameters) { extremes = RollingExtremes(window: p.window) }
    public mutating func update(_ u: MarketUpdate, mid: Double, _ p: AnalystParameters) -> AnalystView {
        let full = extremes.isFull
        let hi = extremes.high, lo = extremes.low
        extremes.update(mid)
        guard full else { return .flat }
        if mid > hi * (1 + p.threshold) { held = .long } else if mid < lo * (1 - p.threshold) { held = .short }
        guard held != .flat else { return .flat }
        let range = (hi - lo) / mid
        return AnalystView(direction: held, confidence: clamp01(0.5 + range / max(p.threshold, 1e-12) / 20),
                           expectedReturn: Double(held.rawValue) * max(range, p.threshold))
    }
}

/// An analyst: one strategy instance per covered symbol, emitting a `Signal` when its view
/// of a symbol changes direction, and re-emitting an unchanged view at half its horizon so
/// that its consensus vote does not expire while the view holds.
///
/// Not thread-safe; owned by a desk.
public final class Analyst<Strategy: AnalystStrategy>: Agent {
    public let id: AgentID
    public var role: Role { .analyst }
    public let parameters: AnalystParameters
    /// Per symbol: the strategy's state, the direction last emitted and when. Fixed stores
    /// the analyst owns (an array in a class would be checked for uniqueness on every write).
    let symbolCount: Int
    let states: UnsafeMutablePointer<Strategy>
    let last: UnsafeMutablePointer<Direction>
    let lastEmit: UnsafeMutablePointer<UInt64>
    /// Updates seen, signals emitted (since init).
    @exclusivity(unchecked) public internal(set) var updates = 0
    @exclusivity(unchecked) public internal(set) var emitted = 0

    /// - Parameter symbolCount: the desk's symbols; state is kept for each.
    public init(id: AgentID, symbolCount: Int, parameters: AnalystParameters = AnalystParameters()) {
        self.id = id
        self.parameters = parameters
        let n = max(1, symbolCount)
        self.symbolCount = n
        states = .allocate(capacity: n)
        for i in 0..<n { (states + i).initialize(to: Strategy(parameters)) }
        last = .allocate(capacity: n)
        last.initialize(repeating: .flat, count: n)
        lastEmit = .allocate(capacity: n)
        lastEmit.initialize(repeating: 0, count: n)
    }

    deinit {
        states.deinitialize(count: symbolCount)
        states.deallocate()
        last.deallocate()
        lastEmit.deallocate()
    }

    public func onMarket(_ update: MarketUpdate, _ c: AgentContext, into out: AgentOutput) {
        let i = c.symbol.index
        guard c.mid > 0, i < symbolCount else { return }
        updates &+= 1
        let v = states[i].update(update, mid: c.mid, parameters)
        let refresh = v.direction != .flat && c.time >= lastEmit[i] &+ parameters.horizonNanos / 2
        guard v.direction != last[i] || refresh else { return }
        last[i] = v.direction
        lastEmit[i] = c.time
        emitted &+= 1
        out.emit(Signal(symbol: c.symbol, direction: v.direction, confidence: v.confidence,
                        expectedReturn: v.direction == .flat ? 0 : v.expectedReturn,
                        horizonNanos: parameters.horizonNanos, pattern: Strategy.pattern, agent: id, time: c.time))
    }
}
