@testable import QuorumExchange
import Testing

@Suite struct RefMapTests {
    /// Random inserts, overwrites and removes against a dictionary, for key patterns that
    /// stress the probe runs: a sliding window, strides of the capacity, and random keys.
    @Test(arguments: ["window", "stride", "random"])
    func agreesWithADictionary(pattern: String) {
        let map = _UnsafeRefMap<Int32>(maxKeys: 64, missing: -1)  // 128 slots
        defer { map.deallocate() }
        var model: [UInt64: Int32] = [:]
        var rng = TestRandom(seed: 77)
        var next: UInt64 = 1
        func key() -> UInt64 {
            switch pattern {
            case "window": return next + UInt64(rng.below(60))
            case "stride": return UInt64(1 + rng.below(90)) * 128
            default: return rng.next() | 1
            }
        }
        var keys: [UInt64] = []
        for step in 0..<50_000 {
            if model.count < 60 && (rng.below(2) == 0 || model.isEmpty) {
                let k = key()
                let v = Int32(step & 0x7fff_ffff)
                map.insert(k, v)
                if model.updateValue(v, forKey: k) == nil { keys.append(k) }
            } else {
                let i = rng.below(keys.count)
                let k = keys[i]
                keys.swapAt(i, keys.count - 1)
                keys.removeLast()
                #expect(map.remove(k))
                model[k] = nil
                #expect(!map.remove(k))
            }
            next += UInt64(rng.below(2))
            if step % 97 == 0 {
                for (k, v) in model where map.find(k) != v { Issue.record("\(pattern): key \(k) lost at step \(step)") }
                #expect(map.find(0xDEAD_BEEF_0000) == -1)
            }
        }
        for (k, v) in model { #expect(map.find(k) == v) }
        map.removeAll()
        for k in model.keys { #expect(map.find(k) == -1) }
    }
}
