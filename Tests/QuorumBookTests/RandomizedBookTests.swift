import Testing
@testable import QuorumBook
import QuorumWire

/// The plainest possible book: dictionaries, recomputed answers. Same status semantics as
/// `OrderBook`, so any divergence is a bug in one of them.
struct ReferenceBook {
    struct Order { var side: Side; var price: UInt32; var qty: UInt32; var seq: UInt64 }
    struct Key: Hashable { var side: Side; var price: UInt32 }
    var orders: [UInt64: Order] = [:]
    var levels: [Key: (qty: UInt64, count: Int)] = [:]
    var levelsOnSide: [Side: Int] = [.buy: 0, .sell: 0]
    var seq: UInt64 = 0
    let capacity: Int
    let levelsPerSide: Int

    mutating func add(_ ref: UInt64, _ side: Side, _ price: UInt32, _ qty: UInt32) -> BookStatus {
        guard side.isValid else { return .invalidSide }
        guard qty > 0 else { return .zeroQuantity }
        guard orders[ref] == nil else { return .duplicateOrderRef }
        guard orders.count < capacity else { return .orderPoolExhausted }
        let key = Key(side: side, price: price)
        if levels[key] == nil {
            guard levelsOnSide[side]! < levelsPerSide else { return .levelsExhausted }
            levelsOnSide[side]! += 1
            levels[key] = (0, 0)
        }
        seq += 1
        orders[ref] = Order(side: side, price: price, qty: qty, seq: seq)
        levels[key]!.qty += UInt64(qty)
        levels[key]!.count += 1
        return .ok
    }

    mutating func reduce(_ ref: UInt64, _ q: UInt32) {
        var o = orders[ref]!
        let key = Key(side: o.side, price: o.price)
        o.qty -= q
        levels[key]!.qty -= UInt64(q)
        if o.qty == 0 {
            orders[ref] = nil
            levels[key]!.count -= 1
            if levels[key]!.count == 0 {
                levels[key] = nil
                levelsOnSide[o.side]! -= 1
            }
        } else {
            orders[ref] = o
        }
    }

    mutating func execute(_ ref: UInt64, _ q: UInt32) -> BookStatus {
        guard let o = orders[ref] else { return .unknownOrderRef }
        if q == 0 { return .zeroQuantity }
        reduce(ref, min(q, o.qty))
        return q > o.qty ? .executionExceedsOrder : .ok
    }

    mutating func cancel(_ ref: UInt64, _ q: UInt32) -> BookStatus {
        guard let o = orders[ref] else { return .unknownOrderRef }
        if q == 0 { return .zeroQuantity }
        reduce(ref, min(q, o.qty))
        return q > o.qty ? .cancelExceedsOrder : .ok
    }

    mutating func delete(_ ref: UInt64) -> BookStatus {
        guard let o = orders[ref] else { return .unknownOrderRef }
        reduce(ref, o.qty)
        return .ok
    }

    mutating func replace(_ old: UInt64, _ new: UInt64, _ price: UInt32, _ qty: UInt32) -> BookStatus {
        guard let o = orders[old] else { return .unknownOrderRef }
        if new != old && orders[new] != nil { return .duplicateOrderRef }
        reduce(old, o.qty)
        return add(new, o.side, price, qty)
    }

    func depth(_ side: Side) -> [DepthLevel] {
        levels.filter { $0.key.side == side }
            .map { DepthLevel(price: Price($0.key.price), qty: $0.value.qty, orderCount: UInt32($0.value.count)) }
            .sorted { side == .buy ? $0.price > $1.price : $0.price < $1.price }
    }

    func queue(_ side: Side, _ price: UInt32) -> [OrderRef] {
        orders.filter { $0.value.side == side && $0.value.price == price }
            .sorted { $0.value.seq < $1.value.seq }.map { OrderRef($0.key) }
    }
}

@Suite struct RandomizedBookTests {
    /// One million random operations — adds (some crossed, duplicate, zero-sized or with a bad
    /// side), partial and over-sized cancels and executions, deletes, replaces (some into live
    /// references), unknown references, and bursts that exhaust the order pool and the level
    /// ladder — applied to `OrderBook` and to `ReferenceBook`.
    ///
    /// Every operation: statuses agree, order counts agree, the touched levels agree, and the
    /// best bid/ask agree with the reference's level at that price. Every 2 000 operations
    /// (debug builds are slow; the full walk is O(capacity)): `checkInvariants()` (sorted
    /// ladders, totals = sum of orders, FIFO links, map, pool accounting, cached best), full
    /// depth of both sides equals the reference, best bid < best ask unless the reference is
    /// crossed, and the FIFO queues of the top three levels equal the reference's time order.
    @Test func millionRandomOperationsAgreeWithAReferenceBook() {
        let config = BookConfig(ordersPerSymbol: 2048, levelsPerSide: 64)
        var book = OrderBook(locate: StockLocate(9), config: config)
        var ref = ReferenceBook(capacity: 2048, levelsPerSide: 64)
        var ev = IgnoreBookEvents()
        var rng = SplitMix(seed: 20_260_613)
        var live: [UInt64] = []
        var position: [UInt64: Int] = [:]
        var nextRef: UInt64 = 1
        var mid: UInt32 = 1_000_000
        var statusSeen: [BookStatus: Int] = [:]
        var crossedSeen = 0

        func pickLive() -> UInt64? { live.isEmpty ? nil : live[Int(rng.below(UInt64(live.count)))] }
        func track() {
            // Re-sync the live list lazily: cheap, and keeps picks uniform over live orders.
            var i = 0
            while i < live.count {
                if ref.orders[live[i]] == nil {
                    position[live[i]] = nil
                    live.swapAt(i, live.count - 1)
                    live.removeLast()
                    if i < live.count { position[live[i]] = i }
                } else { i += 1 }
            }
        }
        func distance() -> UInt32 {
            // Heavy-tailed: mostly within a few ticks, sometimes hundreds (exhausts the ladder).
            let u = Double(rng.below(1 << 30) + 1) / Double(1 << 30)
            return UInt32(min(2000.0, pow(u, -1.0 / 1.3) - 1.0)) * 100
        }

        let operations = 1_000_000
        var burst = 0
        for step in 0..<operations {
            if step % 100_000 == 50_000 { burst = 400 }
            let roll = burst > 0 ? 0 : rng.below(100)
            if burst > 0 { burst -= 1 }
            var touched: [(Side, UInt32)] = []
            let expected: BookStatus
            let got: BookStatus
            switch roll {
            case 0..<42:  // add
                var side: Side = rng.below(2) == 0 ? .buy : .sell
                var r = nextRef
                var qty = UInt32(rng.below(500) + 1)
                let special = rng.below(200)
                if special == 0, let l = pickLive() { r = l }  // duplicate
                else if special == 1 { qty = 0 }
                else if special == 2 { side = Side(rawValue: UInt8(ascii: "X")) }
                else { nextRef += 1 }
                let crossing = rng.below(100) == 0
                let d = distance()
                let price = side == .buy ? (crossing ? mid + 200 : mid - d) : (crossing ? mid - 200 : mid + 100 + d)
                expected = ref.add(r, side, price, qty)
                got = book.add(OrderRef(r), side: side, price: Price(price), qty: Qty(qty), &ev)
                if expected == .ok {
                    position[r] = live.count
                    live.append(r)
                }
                if side.isValid { touched.append((side, price)) }
            case 42..<62:  // delete
                let r = rng.below(50) == 0 ? nextRef + 1_000_000 : (pickLive() ?? 0)
                if let o = ref.orders[r] { touched.append((o.side, o.price)) }
                expected = ref.delete(r)
                got = book.delete(OrderRef(r), &ev)
            case 62..<74:  // partial cancel
                let r = pickLive() ?? 0
                let have = ref.orders[r]?.qty ?? 1
                let qty = rng.below(50) == 0 ? have + 1 : UInt32(rng.below(UInt64(have)) + 1)
                if let o = ref.orders[r] { touched.append((o.side, o.price)) }
                expected = ref.cancel(r, qty)
                got = book.cancel(OrderRef(r), qty: Qty(qty), &ev)
            case 74..<90:  // execution, mostly at the front of the best level
                let side: Side = rng.below(2) == 0 ? .buy : .sell
                let r = rng.below(4) != 0 ? (book.frontOrder(side)?.rawValue ?? 0) : (pickLive() ?? 0)
                let have = ref.orders[r]?.qty ?? 1
                let qty = rng.below(50) == 0 ? have + 7 : (rng.below(2) == 0 ? have : UInt32(rng.below(UInt64(have)) + 1))
                if let o = ref.orders[r] { touched.append((o.side, o.price)) }
                expected = ref.execute(r, qty)
                if rng.below(3) == 0 {
                    got = book.execute(OrderRef(r), qty: Qty(qty), matchNumber: MatchNumber(UInt64(step)),
                                       price: Price(mid), printable: true, &ev)
                } else {
                    got = book.execute(OrderRef(r), qty: Qty(qty), matchNumber: MatchNumber(UInt64(step)), &ev)
                }
            case 90..<98:  // replace
                let r = pickLive() ?? 0
                let into = rng.below(50) == 0 ? (pickLive() ?? nextRef) : nextRef
                if into == nextRef { nextRef += 1 }
                let o = ref.orders[r]
                let price = o.map { $0.side == .buy ? mid - distance() : mid + 100 + distance() } ?? mid
                let qty = UInt32(rng.below(300) + 1)
                if let o { touched.append((o.side, o.price)); touched.append((o.side, price)) }
                expected = ref.replace(r, into, price, qty)
                got = book.replace(OrderRef(r), with: OrderRef(into), qty: Qty(qty), price: Price(price), &ev)
                if expected == .ok {
                    position[into] = live.count
                    live.append(into)
                }
            default:  // the mid wanders
                mid = rng.below(2) == 0 ? mid + 100 : mid - 100
                continue
            }
            statusSeen[got, default: 0] += 1
            if got != expected || book.orderCount != ref.orders.count {
                Issue.record("step \(step): status \(got) expected \(expected); orders \(book.orderCount) vs \(ref.orders.count)")
                return
            }
            for (side, price) in touched {
                let mine = book.level(side, price: Price(price))
                let theirs = ref.levels[.init(side: side, price: price)]
                if mine?.qty != theirs?.qty || mine.map({ Int($0.orderCount) }) != theirs?.count {
                    Issue.record("step \(step): level \(side) \(price): \(String(describing: mine)) vs \(String(describing: theirs))")
                    return
                }
            }
            for (side, best) in [(Side.buy, book.bestBid), (Side.sell, book.bestAsk)] where !best.isEmpty {
                if ref.levels[.init(side: side, price: best.price.rawValue)]?.qty != best.qty {
                    Issue.record("step \(step): best \(side) \(best) not a reference level")
                    return
                }
            }
            if step % 2_000 == 0 || step == operations - 1 {
                track()
                if let broken = book.checkInvariants() {
                    Issue.record("step \(step): \(broken)")
                    return
                }
                let bids = ref.depth(.buy)
                let asks = ref.depth(.sell)
                for (side, levels) in [(Side.buy, bids), (Side.sell, asks)] {
                    if book.levelCount(side) != levels.count {
                        Issue.record("step \(step): \(side) has \(book.levelCount(side)) levels, reference \(levels.count)")
                        return
                    }
                    for (d, l) in levels.enumerated() where book.level(side, d) != l {
                        Issue.record("step \(step): \(side) depth \(d): \(String(describing: book.level(side, d))) vs \(l)")
                        return
                    }
                    for d in 0..<min(3, levels.count) where book.queue(side, d) != ref.queue(side, levels[d].price.rawValue) {
                        Issue.record("step \(step): \(side) depth \(d) FIFO order differs")
                        return
                    }
                }
                if let b = bids.first, let a = asks.first {
                    if b.price >= a.price { crossedSeen += 1; let c = book.isCrossed; #expect(c) }
                    else { let c = book.isCrossed; #expect(!c) }
                }
            }
        }
        // The run must actually have exercised the adversarial paths.
        for s in BookStatus.allCases {
            #expect(statusSeen[s, default: 0] > 0, "never saw \(s)")
        }
        #expect(book.checkInvariants() == nil)
    }
}

import Foundation
