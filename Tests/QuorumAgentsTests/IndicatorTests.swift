import Testing
@testable import QuorumAgents
import QuorumBook
import QuorumWire

/// A small deterministic generator for test series (xorshift64*).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

func randomWalk(_ n: Int, seed: UInt64, start: Double = 100) -> [Double] {
    var r = TestRandom(seed: seed)
    var p = start
    return (0..<n).map { _ in p *= 1 + (r.unit() - 0.5) * 0.01; return p }
}

func close(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool { abs(a - b) <= tol * max(1, abs(a), abs(b)) }

@Suite("Incremental indicators match straightforward recomputation")
struct IndicatorTests {
    /// EMA by its definition, recomputed from scratch over the prefix.
    func referenceEMA(_ xs: ArraySlice<Double>, period: Int) -> Double {
        let a = 2 / Double(period + 1)
        var v = xs.first!
        for x in xs.dropFirst() { v = a * x + (1 - a) * v }
        return v
    }

    @Test("EMA equals the recursive definition at every step")
    func ema() {
        let xs = randomWalk(300, seed: 1)
        var e = EMA(period: 10)
        for k in 0..<xs.count {
            e.update(xs[k])
            #expect(close(e.value, referenceEMA(xs[0...k], period: 10)))
        }
        #expect(e.isReady)
        #expect(e.count == 300)
    }

    @Test("MACD line, signal and histogram equal EMAs of the series and of the line")
    func macd() {
        let xs = randomWalk(200, seed: 2)
        var m = MACD(fast: 5, slow: 13, signal: 4)
        var lines: [Double] = []
        for k in 0..<xs.count {
            m.update(xs[k])
            let line = referenceEMA(xs[0...k], period: 5) - referenceEMA(xs[0...k], period: 13)
            #expect(close(m.line, line))
            if k + 1 >= 13 {
                lines.append(line)
                let sig = referenceEMA(lines[...], period: 4)
                #expect(close(m.histogram, line - sig))
            }
        }
        #expect(m.isReady)
    }

    /// Wilder's RSI from the whole prefix, as a textbook computes it.
    func referenceRSI(_ xs: [Double], period n: Int) -> Double? {
        guard xs.count > n else { return nil }
        var g = 0.0, l = 0.0
        for k in 1...n { let d = xs[k] - xs[k - 1]; g += max(d, 0); l += max(-d, 0) }
        g /= Double(n); l /= Double(n)
        if xs.count > n + 1 {
            for k in (n + 1)..<xs.count {
                let d = xs[k] - xs[k - 1]
                g = (g * Double(n - 1) + max(d, 0)) / Double(n)
                l = (l * Double(n - 1) + max(-d, 0)) / Double(n)
            }
        }
        if l == 0 { return g == 0 ? 50 : 100 }
        return 100 - 100 / (1 + g / l)
    }

    @Test("RSI equals Wilder's definition once ready; 100 on a rising series, 50 on a flat one")
    func rsi() {
        let xs = randomWalk(120, seed: 3)
        var r = RSI(period: 14)
        for k in 0..<xs.count {
            r.update(xs[k])
            if let ref = referenceRSI(Array(xs[0...k]), period: 14) {
                #expect(r.isReady)
                #expect(close(r.value, ref, 1e-9))
            } else {
                #expect(!r.isReady)
            }
        }
        var up = RSI(period: 3)
        for x in [1.0, 2, 3, 4, 5] { up.update(x) }
        #expect(up.value == 100)
        var flat = RSI(period: 3)
        for _ in 0..<6 { flat.update(7) }
        #expect(flat.value == 50)
    }

    @Test("rolling mean and variance equal the window's, for windows 1…7 through many wrap-arounds")
    func rollingMoments() {
        let xs = randomWalk(200, seed: 4, start: 1000)
        for w in 1...7 {
            var m = RollingMoments(window: w)
            for k in 0..<xs.count {
                m.update(xs[k])
                let win = xs[max(0, k - w + 1)...k]
                let mean = win.reduce(0, +) / Double(win.count)
                let v = win.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(win.count)
                #expect(close(m.mean, mean, 1e-10))
                #expect(abs(m.variance - v) <= 1e-7 * max(1, v))
                #expect(m.isFull == (k + 1 >= w))
            }
        }
    }

    @Test("rolling VWAP equals Σpq/Σq of the last trades exactly; zero or negative inputs are ignored")
    func rollingVWAP() {
        var r = TestRandom(seed: 5)
        var v = RollingVWAP(window: 4)
        var trades: [(Int64, Int64)] = []
        #expect(v.value == 0)
        for _ in 0..<50 {
            let p = Int64(1_000_000 + r.next() % 10_000), q = Int64(1 + r.next() % 500)
            v.update(priceTicks: p, quantity: q)
            trades.append((p, q))
            let win = trades.suffix(4)
            let ref = Double(win.reduce(0) { $0 + $1.0 * $1.1 }) / Double(win.reduce(0) { $0 + $1.1 }) / 10_000
            #expect(v.value == ref)
        }
        let before = v.value
        v.update(priceTicks: 5, quantity: 0)
        v.update(priceTicks: 0, quantity: 10)
        #expect(v.value == before)
    }

    @Test("rolling high and low equal the window's max and min for windows 1…6, including ties")
    func rollingExtremes() {
        var r = TestRandom(seed: 6)
        let xs = (0..<300).map { _ in Double(r.next() % 9) }  // small alphabet: many ties
        for w in 1...6 {
            var e = RollingExtremes(window: w)
            #expect(e.high == -.infinity && e.low == .infinity)
            for k in 0..<xs.count {
                e.update(xs[k])
                let win = xs[max(0, k - w + 1)...k]
                #expect(e.high == win.max()!)
                #expect(e.low == win.min()!)
            }
        }
    }

    @Test("microprice leans towards the side with less size; mid is the plain average")
    func microprice() {
        let bid = BookQuote(price: Price(1_000_000), qty: 300)
        let ask = BookQuote(price: Price(1_001_000), qty: 100)
        #expect(Microprice.mid(bid: bid, ask: ask) == 100.05)
        // (100·100 + 100.1·300)/400 = 100.075: heavy bids push the fair price up.
        #expect(close(Microprice.of(bid: bid, ask: ask), 100.075))
        #expect(Microprice.of(bid: .empty, ask: ask) == 0)
        #expect(Microprice.mid(bid: bid, ask: .empty) == 0)
    }
}
