import Testing
@testable import QuorumBook
import QuorumWire

@Suite struct LevelIndexTests {
    /// The index at full load (as many live levels as the side allows) with keys from a range
    /// barely wider than the table: long clusters, wrap-around at the end, backward-shift
    /// deletion in the middle of clusters. Checked against a dictionary after every step.
    @Test func insertFindRemoveAgreeWithADictionaryAtFullLoad() {
        let levels = 16
        let index = _LevelIndex(levelCapacity: levels)  // 32 slots
        defer { index.deallocate() }
        #expect(index.capacity == 32)
        var reference: [UInt32: Int32] = [:]
        var rng = SplitMix(seed: 11)
        for step in 0..<40_000 {
            // Ticks of 100 and complements, as bid and ask keys are.
            let raw = UInt32(rng.next() % 40) * 100
            let key = rng.next() % 2 == 0 ? raw : ~raw
            if reference[key] != nil {
                index.remove(key)
                reference[key] = nil
            } else if reference.count < levels {
                let level = Int32(step % 1000)
                index.insert(key, level)
                reference[key] = level
            }
            for probe in reference.keys { #expect(index.find(probe) == reference[probe]) }
            #expect(index.find(key) == (reference[key] ?? _nil))
        }
        var held = 0
        for i in 0..<index.capacity where index.slots[i].handle != _nil { held += 1 }
        #expect(held == reference.count)
        // Removing an absent key changes nothing.
        index.remove(12_345)
        for (k, v) in reference { #expect(index.find(k) == v) }
    }

    /// Through the book: levels appear and vanish at many prices on both sides; the index
    /// keeps exactly the live levels (checkInvariants verifies it) and `level(_:price:)`
    /// answers from it.
    @Test func bookLevelsByPriceFollowAddsAndRemovals() {
        var book = OrderBook(locate: StockLocate(1), config: BookConfig(ordersPerSymbol: 256, levelsPerSide: 32))
        var ev = IgnoreBookEvents()
        var rng = SplitMix(seed: 5)
        var live: [UInt64: (Side, UInt32)] = [:]
        var ref: UInt64 = 1
        for _ in 0..<20_000 {
            if live.count < 200 && rng.next() % 3 != 0 {
                let side: Side = rng.next() % 2 == 0 ? .buy : .sell
                let price = side == .buy ? 10_000 - UInt32(rng.next() % 40) * 100 : 10_100 + UInt32(rng.next() % 40) * 100
                if book.add(OrderRef(ref), side: side, price: Price(price), qty: Qty(1 + UInt32(rng.next() % 9)), &ev) == .ok {
                    live[ref] = (side, price)
                }
                ref += 1
            } else if !live.isEmpty {
                let keys = live.keys.sorted()
                let r = keys[Int(rng.next() % UInt64(keys.count))]
                #expect(book.delete(OrderRef(r), &ev) == .ok)
                live[r] = nil
            }
        }
        #expect(book.checkInvariants() == nil)
        for side in [Side.buy, .sell] {
            for p in stride(from: UInt32(5_000), through: 15_000, by: 100) {
                let orders = live.values.filter { $0 == (side, p) }.count
                #expect(book.level(side, price: Price(p))?.orderCount == (orders == 0 ? nil : UInt32(orders)))
            }
        }
    }
}
