/// A rolling window of portfolio P&L observations for historical-simulation VaR and ES.
///
/// Fixed capacity, allocated once; the oldest observation is overwritten when full.
/// Non-finite P&L values are counted in ``rejected`` and not recorded.
///
/// Definitions (losses ℓ = −P&L, N observations, confidence α):
/// k = ⌈N·(1−α)⌉ (at least 1); VaR = the k-th largest loss; ES = the mean of the k largest
/// losses. E.g. N = 250, α = 0.99 → k = 3.
///
/// Not thread-safe: one owner.
public final class PnLWindow {
    public let capacity: Int
    let ring: UnsafeMutablePointer<Double>
    /// Sorting scratch so that the measures allocate nothing.
    let sorted: UnsafeMutablePointer<Double>
    var head = 0
    public internal(set) var count = 0
    public internal(set) var rejected = 0

    public init(capacity: Int) throws(RiskError) {
        guard capacity >= 2 && capacity <= 1_000_000 else {
            throw .invalidConfig(field: "risk.pnl_window", value: "\(capacity)", reason: "must be in 2...1000000")
        }
        self.capacity = capacity
        ring = .allocate(capacity: capacity); ring.initialize(repeating: 0, count: capacity)
        sorted = .allocate(capacity: capacity); sorted.initialize(repeating: 0, count: capacity)
    }

    deinit {
        ring.deallocate()
        sorted.deallocate()
    }

    /// Records one period's P&L.
    /// - Complexity: O(1).
    @discardableResult
    public func record(_ pnl: Double) -> Bool {
        guard pnl.isFinite else { rejected &+= 1; return false }
        ring[head] = pnl
        head = head + 1 == capacity ? 0 : head + 1
        if count < capacity { count += 1 }
        return true
    }

    /// The i-th oldest observation still in the window.
    public func observation(_ i: Int) -> Double {
        precondition(i >= 0 && i < count)
        let start = count < capacity ? 0 : head
        return ring[(start + i) % capacity]
    }

    /// Number of tail observations used at confidence α: ⌈N(1−α)⌉ ≥ 1. The small
    /// subtraction stops 1 − 0.99 = 0.010000000000000009 from turning 1.0 into 2.
    public static func tailCount(observations n: Int, confidence: Double) -> Int {
        max(1, min(n, Int((Double(n) * (1 - confidence) - 1e-9).rounded(.up))))
    }

    /// Historical VaR and ES as positive loss amounts; (0, 0) when empty.
    /// - Complexity: O(N log N) (in-place heapsort of a scratch copy); no allocation.
    public func measures(confidence: Double) -> (valueAtRisk: Double, expectedShortfall: Double) {
        guard count > 0 else { return (0, 0) }
        for i in 0..<count { sorted[i] = -ring[i] }  // losses
        Self.heapSortDescending(sorted, count)
        let k = Self.tailCount(observations: count, confidence: confidence)
        var sum = 0.0
        for i in 0..<k { sum += sorted[i] }
        return (sorted[k - 1], sum / Double(k))
    }

    public func clear() { head = 0; count = 0 }

    /// Heapsort into descending order (min-heap, then repeatedly move the minimum to the
    /// end). Chosen over the standard library sort because it needs no buffer.
    static func heapSortDescending(_ a: UnsafeMutablePointer<Double>, _ n: Int) {
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while true {
                let child = 2 * root + 1
                if child >= end { return }
                var smallest = root
                if a[child] < a[smallest] { smallest = child }
                if child + 1 < end && a[child + 1] < a[smallest] { smallest = child + 1 }
                if smallest == root { return }
                a.swapAt(root, smallest)
                root = smallest
            }
        }
        if n < 2 { return }
        var start = n / 2 - 1
        while start >= 0 { siftDown(start, n); start -= 1 }
        var end = n - 1
        while end > 0 {
            a.swapAt(0, end)
            siftDown(0, end)
            end -= 1
        }
    }
}

extension UnsafeMutablePointer where Pointee == Double {
    @inline(__always)
    fileprivate func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]; self[i] = self[j]; self[j] = t
    }
}
