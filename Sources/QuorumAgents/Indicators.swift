import QuorumBook

/// Exponential moving average with α = 2/(period + 1), seeded with the first value.
/// - Complexity: O(1) per update; no allocation.
@frozen public struct EMA: Sendable {
    public let period: Int
    public let alpha: Double
    public private(set) var value: Double = 0
    public internal(set) var count = 0

    public init(period: Int) {
        self.period = max(1, period)
        alpha = 2 / Double(max(1, period) + 1)
    }

    @discardableResult
    public mutating func update(_ x: Double) -> Double {
        value = count == 0 ? x : value + alpha * (x - value)
        count += 1
        return value
    }

    /// At least `period` values seen.
    public var isReady: Bool { count >= period }
}

/// MACD: line = EMA(fast) − EMA(slow), signal = EMA(line, signal), histogram = line − signal.
/// - Complexity: O(1) per update.
@frozen public struct MACD: Sendable {
    public private(set) var fast: EMA
    public private(set) var slow: EMA
    public private(set) var signal: EMA
    public init(fast: Int = 12, slow: Int = 26, signal: Int = 9) {
        self.fast = EMA(period: fast); self.slow = EMA(period: slow); self.signal = EMA(period: signal)
    }
    public var line: Double { fast.value - slow.value }
    public var histogram: Double { line - signal.value }
    /// Ready once the slow EMA and then the signal EMA have their periods.
    public var isReady: Bool { slow.isReady && signal.count >= signal.period }

    @discardableResult
    public mutating func update(_ x: Double) -> Double {
        fast.update(x)
        slow.update(x)
        if slow.isReady { signal.update(line) }
        return histogram
    }
}

/// Wilder's relative strength index over `period` price changes: the first average gain and
/// loss are simple means of the first `period` changes, then
/// avg ← (avg·(period − 1) + x)/period. RSI = 100 − 100/(1 + avgGain/avgLoss); 100 when there
/// were no losses, 50 when the price never moved.
/// - Complexity: O(1) per update.
@frozen public struct RSI: Sendable {
    public let period: Int
    public private(set) var averageGain = 0.0
    public private(set) var averageLoss = 0.0
    var previous = 0.0
    public private(set) var changes = 0
    var started = false

    public init(period: Int = 14) { self.period = max(1, period) }

    public var isReady: Bool { changes >= period }

    public var value: Double {
        if averageLoss == 0 { return averageGain == 0 ? 50 : 100 }
        return 100 - 100 / (1 + averageGain / averageLoss)
    }

    @discardableResult
    public mutating func update(_ x: Double) -> Double {
        guard started else { started = true; previous = x; return 50 }
        let d = x - previous
        previous = x
        let gain = max(d, 0), loss = max(-d, 0)
        changes += 1
        let n = Double(period)
        if changes <= period {
            // Running simple mean of the first `period` changes.
            averageGain += (gain - averageGain) / Double(changes)
            averageLoss += (loss - averageLoss) / Double(changes)
        } else {
            averageGain = (averageGain * (n - 1) + gain) / n
            averageLoss = (averageLoss * (n - 1) + loss) / n
        }
        return value
    }
}

/// Mean and population variance of the last `window` values (Bollinger bands), updated by
/// replacing the oldest value: mean' = mean + (x − old)/n and
/// M2' = M2 + (x − old)(x − mean' + old − mean) — stable, no running Σx² to cancel.
/// - Complexity: O(1) per update; the ring is allocated in `init`.
public struct RollingMoments: Sendable {
    public let window: Int
    var ring: [Double]
    var head = 0
    public internal(set) var count = 0
    public internal(set) var mean = 0.0
    var m2 = 0.0

    public init(window: Int) {
        self.window = max(1, window)
        ring = Array(repeating: 0, count: max(1, window))
    }

    public var isFull: Bool { count == window }
    public var variance: Double { count == 0 ? 0 : max(0, m2 / Double(count)) }
    public var standardDeviation: Double { variance.squareRoot() }

    public mutating func update(_ x: Double) {
        if count < window {
            count += 1
            let d = x - mean
            mean += d / Double(count)
            m2 += d * (x - mean)
        } else {
            let old = ring[head]
            let oldMean = mean
            mean += (x - old) / Double(window)
            m2 += (x - old) * (x - mean + old - oldMean)
        }
        ring[head] = x
        head = head + 1 == window ? 0 : head + 1
    }
}

/// Volume-weighted average price of the last `window` trades. Sums are exact integers
/// (ticks × quantity) kept with wrapping arithmetic: adding and later subtracting the same
/// value is exact modulo 2⁶⁴, so the sum is exact whenever the true window sum fits Int64
/// (window × price ticks × quantity < 9.2·10¹⁸).
/// - Complexity: O(1) per trade.
public struct RollingVWAP: Sendable {
    public let window: Int
    var notional: [Int64]
    var quantity: [Int64]
    var head = 0
    public internal(set) var count = 0
    var sumNotional: Int64 = 0
    var sumQuantity: Int64 = 0

    public init(window: Int) {
        self.window = max(1, window)
        notional = Array(repeating: 0, count: max(1, window))
        quantity = Array(repeating: 0, count: max(1, window))
    }

    /// VWAP in currency (ticks / 10 000); 0 before any volume.
    public var value: Double {
        sumQuantity > 0 ? Double(sumNotional) / Double(sumQuantity) / 10_000 : 0
    }

    public mutating func update(priceTicks: Int64, quantity q: Int64) {
        guard q > 0, priceTicks > 0 else { return }
        if count == window {
            sumNotional &-= notional[head]
            sumQuantity &-= quantity[head]
        } else {
            count += 1
        }
        let n = priceTicks &* q
        notional[head] = n
        quantity[head] = q
        sumNotional &+= n
        sumQuantity &+= q
        head = head + 1 == window ? 0 : head + 1
    }
}

/// Highest and lowest of the last `window` values via two monotonic queues held in fixed
/// rings (a value leaves the max queue when a larger one arrives, so each value is pushed
/// and popped at most once: amortised O(1), worst case O(window) for one update).
public struct RollingExtremes: Sendable {
    public let window: Int
    /// One value in a queue and when it came (its index in the stream).
    struct Entry: Sendable, Equatable {
        var seq: Int
        var value: Double
    }
    /// Both queues in one ring store (one uniqueness check per update, not four): the
    /// candidates for the high at `0..<window`, those for the low at `window..<2·window`.
    var entries: [Entry]
    var maxHead = 0, maxCount = 0
    var minHead = 0, minCount = 0
    public internal(set) var seen = 0

    public init(window: Int) {
        self.window = max(1, window)
        entries = Array(repeating: Entry(seq: 0, value: 0), count: 2 * self.window)
    }

    public var isFull: Bool { seen >= window }
    /// Highest of the last `window` values (−∞ when empty).
    public var high: Double { maxCount > 0 ? entries[maxHead].value : -.infinity }
    /// Lowest of the last `window` values (+∞ when empty).
    public var low: Double { minCount > 0 ? entries[window + minHead].value : .infinity }

    /// (head + k) mod window for head < window and k ≤ window, without a division.
    @inline(__always) func slot(_ head: Int, _ k: Int) -> Int {
        let x = head + k
        return x >= window ? x - window : x
    }

    public mutating func update(_ x: Double) {
        let s = seen
        seen += 1
        let w = window
        var maxHead = self.maxHead, maxCount = self.maxCount, minHead = self.minHead, minCount = self.minCount
        // (head + k) mod w for head < w and k ≤ w, as `slot` (which would reach into self).
        @inline(__always) func slot(_ head: Int, _ k: Int) -> Int {
            let x = head + k
            return x >= w ? x - w : x
        }
        entries.withUnsafeMutableBufferPointer { e in
            let hi = e.baseAddress!, lo = hi + w
            // Expire the front entries that left the window.
            while maxCount > 0 && hi[maxHead].seq <= s - w { maxHead = slot(maxHead, 1); maxCount -= 1 }
            while minCount > 0 && lo[minHead].seq <= s - w { minHead = slot(minHead, 1); minCount -= 1 }
            // Drop dominated entries from the back.
            while maxCount > 0 && hi[slot(maxHead, maxCount - 1)].value <= x { maxCount -= 1 }
            while minCount > 0 && lo[slot(minHead, minCount - 1)].value >= x { minCount -= 1 }
            hi[slot(maxHead, maxCount)] = Entry(seq: s, value: x)
            maxCount += 1
            lo[slot(minHead, minCount)] = Entry(seq: s, value: x)
            minCount += 1
        }
        self.maxHead = maxHead; self.maxCount = maxCount; self.minHead = minHead; self.minCount = minCount
    }
}

/// Book-derived prices.
public enum Microprice {
    /// The size-weighted mid (bid·askQty + ask·bidQty)/(bidQty + askQty) in currency; the
    /// plain mid when both sizes are 0; 0 without a two-sided quote.
    public static func of(bid: BookQuote, ask: BookQuote) -> Double {
        guard !bid.isEmpty, !ask.isEmpty else { return 0 }
        let b = Double(bid.price.rawValue) / 10_000, a = Double(ask.price.rawValue) / 10_000
        let bq = Double(bid.qty), aq = Double(ask.qty)
        return (b * aq + a * bq) / (bq + aq)
    }

    /// (bid + ask)/2 in currency; 0 without a two-sided quote.
    public static func mid(bid: BookQuote, ask: BookQuote) -> Double {
        guard !bid.isEmpty, !ask.isEmpty else { return 0 }
        return (Double(bid.price.rawValue) + Double(ask.price.rawValue)) / 20_000
    }
}
