// Book and codec benchmarks for issue 3.
//
//   cd Benchmarks && swift package --disable-sandbox benchmark --target BookBenchmarks
//
// The throughput benchmarks replay the synthetic day `quorum itch generate --symbols 50
// --messages 10000000 --seed 7` (generated in memory here, same bytes; set QUORUM_BENCH_DAY to
// a file to use that instead). One iteration = the whole day, so messages/s = 10M / wall clock.
// Books are created (allocated) before the measurement starts: that is start of day; what is
// measured is the steady state, which must not allocate (mallocCountTotal = 0).

import Benchmark
import QuorumBook
import QuorumMarketTools
import QuorumWire

#if canImport(Glibc)
import Glibc
#endif

/// The synthetic day, built once per process.
enum Fixture {
    static let options = SyntheticDay.Options(symbols: 50, messages: 10_000_000, seed: 7)
    static let day: [UInt8] = {
        if let path = getenv("QUORUM_BENCH_DAY").map({ String(cString: $0) }), let file = try? MappedFile(path: path) {
            return Array(file.bytes)
        }
        return SyntheticDay.bytes(options: options)
    }()
    /// Frames before the first order message: S O, one R per symbol, S S, S Q.
    static let headerMessages = 1 + options.symbols + 2
}

/// Pulls the fields a feed handler needs from each decoded message so decode cannot be elided.
@inline(__always)
func digest(_ m: ITCHMessage) -> UInt64 {
    switch m {
    case .addOrder(let a): return a.orderRef.rawValue &+ UInt64(a.price.rawValue) &+ UInt64(a.shares.rawValue)
    case .addOrderMPID(let a): return a.orderRef.rawValue &+ UInt64(a.price.rawValue) &+ UInt64(a.shares.rawValue)
    case .orderExecuted(let e): return e.orderRef.rawValue &+ UInt64(e.executedShares.rawValue)
    case .orderExecutedWithPrice(let e): return e.orderRef.rawValue &+ UInt64(e.executionPrice.rawValue)
    case .orderCancel(let x): return x.orderRef.rawValue &+ UInt64(x.cancelledShares.rawValue)
    case .orderDelete(let d): return d.orderRef.rawValue
    case .orderReplace(let u): return u.newOrderRef.rawValue &+ UInt64(u.price.rawValue)
    case .trade(let p): return UInt64(p.price.rawValue)
    default: return UInt64(m.messageType)
    }
}

/// A book plus counters that survive across the iterations of a latency benchmark.
final class LatencyFixture: @unchecked Sendable {
    var book: OrderBook
    var next: UInt64 = 0
    init(capacity: Int) {
        book = OrderBook(locate: StockLocate(1), config: BookConfig(ordersPerSymbol: capacity, levelsPerSide: 1024))
    }
}

let mid: UInt32 = 1_000_000
let tick: UInt32 = 100

let benchmarks: @Sendable () -> Void = {
    let dayConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(60),
        maxIterations: 5,
        thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])]
    )

    Benchmark("Decode: synthetic day, 10M ITCH messages", configuration: dayConfiguration) { benchmark in
        Fixture.day.withUnsafeBytes { raw in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                var reader = ITCHDayFile.Reader(raw)
                var sum: UInt64 = 0
                var errors = 0
                while true {
                    do {
                        guard let frame = try reader.next() else { break }
                        sum &+= digest(try ITCHMessage.decode(frame.bytes))
                    } catch {
                        errors += 1
                    }
                }
                blackHole(sum)
                blackHole(errors)
            }
            benchmark.stopMeasurement()
        }
    }

    // The same work without the `ITCHMessage` enum: dispatch on the type byte and read the
    // per-type struct straight from the bytes (`ITCH.AddOrder.decode(_:)` still checks the
    // type and the spec length). Shows what a feed handler that switches on the type pays.
    Benchmark("Decode: synthetic day, 10M ITCH messages, per-type views", configuration: dayConfiguration) { benchmark in
        Fixture.day.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            let n = raw.count
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                var position = 0
                var sum: UInt64 = 0
                var errors = 0
                while n - position >= 2 {
                    let len = Int(UInt16(bigEndian: base.loadUnaligned(fromByteOffset: position, as: UInt16.self)))
                    guard n - position - 2 >= len, len > 0 else { errors += 1; break }
                    let bytes = UnsafeRawBufferPointer(start: base + position + 2, count: len)
                    do {
                        switch bytes[0] {
                        case ITCH.AddOrder.messageType:
                            let a = try ITCH.AddOrder.decode(bytes)
                            sum &+= a.orderRef.rawValue &+ UInt64(a.price.rawValue) &+ UInt64(a.shares.rawValue)
                        case ITCH.AddOrderMPID.messageType:
                            let a = try ITCH.AddOrderMPID.decode(bytes)
                            sum &+= a.orderRef.rawValue &+ UInt64(a.price.rawValue) &+ UInt64(a.shares.rawValue)
                        case ITCH.OrderExecuted.messageType:
                            let e = try ITCH.OrderExecuted.decode(bytes)
                            sum &+= e.orderRef.rawValue &+ UInt64(e.executedShares.rawValue)
                        case ITCH.OrderExecutedWithPrice.messageType:
                            let e = try ITCH.OrderExecutedWithPrice.decode(bytes)
                            sum &+= e.orderRef.rawValue &+ UInt64(e.executionPrice.rawValue)
                        case ITCH.OrderCancel.messageType:
                            let x = try ITCH.OrderCancel.decode(bytes)
                            sum &+= x.orderRef.rawValue &+ UInt64(x.cancelledShares.rawValue)
                        case ITCH.OrderDelete.messageType:
                            sum &+= try ITCH.OrderDelete.decode(bytes).orderRef.rawValue
                        case ITCH.OrderReplace.messageType:
                            let u = try ITCH.OrderReplace.decode(bytes)
                            sum &+= u.newOrderRef.rawValue &+ UInt64(u.price.rawValue)
                        case ITCH.Trade.messageType:
                            sum &+= UInt64(try ITCH.Trade.decode(bytes).price.rawValue)
                        default:
                            sum &+= UInt64(bytes[0])
                        }
                    } catch {
                        errors += 1
                    }
                    position += 2 + len
                }
                blackHole(sum)
                blackHole(errors)
            }
            benchmark.stopMeasurement()
        }
    }

    // Decoding as a zero-copy reader does it: framing (`ITCHDayFile.Reader.nextView()`), the
    // type/spec-length check, a view over the bytes (`ITCHMessageView`), and then exactly the
    // fields the reader asks for — here the type byte and the stock locate of every message,
    // two loads, so nothing can be elided. Every malformed message would be counted.
    Benchmark("Decode.syntheticDay.views", configuration: dayConfiguration) { benchmark in
        Fixture.day.withUnsafeBytes { raw in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                var reader = ITCHDayFile.Reader(raw)
                var sum: UInt64 = 0
                var messages = 0
                var errors = 0
                while true {
                    do {
                        guard let (_, view) = try reader.nextView() else { break }
                        sum &+= UInt64(view.type) &+ UInt64(view.stockLocate.rawValue)
                        messages &+= 1
                    } catch {
                        errors += 1
                    }
                }
                blackHole(sum)
                precondition(errors == 0 && messages == Fixture.options.messages, "the synthetic day must be clean")
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark("Book: synthetic day, 10M messages, 50 symbols (decode + apply)", configuration: dayConfiguration) { benchmark in
        var manager = BookManager(config: Fixture.options.bookConfig)
        var events = IgnoreBookEvents()
        Fixture.day.withUnsafeBytes { raw in
            var reader = ITCHDayFile.Reader(raw)
            // Start of day, not measured: the directory creates (allocates) the books.
            for i in 0..<Fixture.headerMessages {
                let frame = try! reader.next()!
                manager.apply(try! ITCHMessage.decode(frame.bytes), sequence: UInt64(i), &events)
            }
            // Same frames, read ahead to hint the caches (BookManager+Prefetch.swift).
            var ahead = PrefetchingDayFileReader(UnsafeRawBufferPointer(rebasing: raw[reader.position...]))
            benchmark.startMeasurement()
            var sequence = UInt64(Fixture.headerMessages)
            while true {
                do {
                    guard let frame = try ahead.next(hinting: manager) else { break }
                    manager.apply(try ITCHMessage.decode(frame.bytes), sequence: sequence, &events)
                } catch {}
                sequence &+= 1
            }
            benchmark.stopMeasurement()
        }
        blackHole(manager.totalOrders)
        precondition(manager.counters.anomalies == 0, "the synthetic day must be clean")
    }

    // The same day applied from the raw bytes (`BookManager.apply(bytes:…)`): one switch on
    // the type byte, only the fields the book reads, no `ITCHMessage` in between.
    Benchmark("Book.syntheticDay.applyBytes", configuration: dayConfiguration) { benchmark in
        var manager = BookManager(config: Fixture.options.bookConfig)
        var events = IgnoreBookEvents()
        Fixture.day.withUnsafeBytes { raw in
            var reader = ITCHDayFile.Reader(raw)
            for i in 0..<Fixture.headerMessages {
                let frame = try! reader.next()!
                try! manager.apply(bytes: frame.bytes, sequence: UInt64(i), &events)
            }
            var ahead = PrefetchingDayFileReader(UnsafeRawBufferPointer(rebasing: raw[reader.position...]))
            benchmark.startMeasurement()
            var sequence = UInt64(Fixture.headerMessages)
            while true {
                do {
                    guard let frame = try ahead.next(hinting: manager) else { break }
                    try manager.apply(bytes: frame.bytes, sequence: sequence, &events)
                } catch {}
                sequence &+= 1
            }
            benchmark.stopMeasurement()
        }
        blackHole(manager.totalOrders)
        precondition(manager.counters.anomalies == 0, "the synthetic day must be clean")
    }

    // `quorum itch bbo` on the same day, one thread and two (`--threads 2`: symbols split over
    // two pinned threads, rows merged back into feed order), in the same run: the ratio of
    // the two is the figure. Each iteration is the whole call — books made, replay, rows —
    // so it allocates (the rows, the second thread); what it replays does not.
    let bboConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .milliseconds,
        warmupIterations: 1,
        maxDuration: .seconds(60),
        maxIterations: 7
    )
    for threads in [1, 2] {
        Benchmark("Book.syntheticDay.bbo.threads\(threads)", configuration: bboConfiguration) { benchmark in
            let r = Fixture.day.withUnsafeBytes { raw in
                try! ITCHFileTools.bboChanges(bytes: raw, config: Fixture.options.bookConfig, threads: threads)
            }
            precondition(r.counters.anomalies == 0 && r.decodeErrors == 0, "the synthetic day must be clean")
            blackHole(r.rows.count)
        }
    }

    Benchmark("Book: synthetic day with MarketUpdate per change", configuration: dayConfiguration) { benchmark in
        var manager = BookManager(config: Fixture.options.bookConfig)
        var tracker = BookChangeTracker()
        Fixture.day.withUnsafeBytes { raw in
            var reader = ITCHDayFile.Reader(raw)
            for i in 0..<Fixture.headerMessages {
                let frame = try! reader.next()!
                manager.apply(try! ITCHMessage.decode(frame.bytes), sequence: UInt64(i), &tracker)
            }
            benchmark.startMeasurement()
            var sequence = UInt64(Fixture.headerMessages)
            var published: UInt64 = 0
            while true {
                do {
                    guard let frame = try reader.next() else { break }
                    let m = try ITCHMessage.decode(frame.bytes)
                    tracker.reset()
                    manager.apply(m, sequence: sequence, &tracker)
                    if !tracker.changes.isEmpty,
                       let u = manager.marketUpdate(tracker.locate, sequence: sequence, exchangeTime: m.header.timestamp,
                                                    receiveTime: 0, changes: tracker.changes) {
                        published &+= UInt64(truncatingIfNeeded: Int64(u.imbalanceBasisPoints) &+ 1)
                    }
                } catch {}
                sequence &+= 1
            }
            benchmark.stopMeasurement()
            blackHole(published)
        }
    }

    // Per-operation latency: one operation per iteration on a book holding thousands of orders
    // over ~100 levels per side. Includes the harness's per-iteration overhead (two clock reads).
    let opConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 1000,
        maxDuration: .seconds(10),
        maxIterations: 100_000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])]
    )

    let addFixture = LatencyFixture(capacity: 1 << 18)
    Benchmark("Op latency: add (near the touch, existing level)", configuration: opConfiguration) { benchmark in
        let f = addFixture
        var ev = IgnoreBookEvents()
        for _ in benchmark.scaledIterations {
            let i = f.next
            f.next &+= 1
            let side: Side = i & 1 == 0 ? .buy : .sell
            let d = UInt32(i % 100) * tick
            let price = side == .buy ? mid - d : mid + tick + d
            blackHole(f.book.add(OrderRef(i), side: side, price: Price(price), qty: Qty(100), &ev))
        }
    }

    let cancelFixture: LatencyFixture = {
        let f = LatencyFixture(capacity: 1 << 13)
        var ev = IgnoreBookEvents()
        for i in 0..<4000 as Range<UInt64> {
            let side: Side = i & 1 == 0 ? .buy : .sell
            let d = UInt32(i % 100) * tick
            _ = f.book.add(OrderRef(i), side: side, price: Price(side == .buy ? mid - d : mid + tick + d),
                           qty: Qty(1_000_000_000), &ev)
        }
        return f
    }()
    Benchmark("Op latency: cancel (partial)", configuration: opConfiguration) { benchmark in
        let f = cancelFixture
        var ev = IgnoreBookEvents()
        for _ in benchmark.scaledIterations {
            let i = f.next % 4000
            f.next &+= 7  // stride through the orders, not just the last-touched one
            blackHole(f.book.cancel(OrderRef(i), qty: Qty(1), &ev))
        }
    }

    func filled(_ count: UInt64) -> LatencyFixture {
        let f = LatencyFixture(capacity: Int(count) + 1024)
        var ev = IgnoreBookEvents()
        for i in 0..<count {
            let side: Side = i & 1 == 0 ? .buy : .sell
            let d = UInt32((i / 2) % 100) * tick
            _ = f.book.add(OrderRef(i), side: side, price: Price(side == .buy ? mid - d : mid + tick + d),
                           qty: Qty(100), &ev)
        }
        return f
    }

    let executeFixture = filled(240_000)
    Benchmark("Op latency: execute (full, front of the best level)", configuration: opConfiguration) { benchmark in
        let f = executeFixture
        var ev = IgnoreBookEvents()
        for _ in benchmark.scaledIterations {
            let side: Side = f.next & 1 == 0 ? .buy : .sell
            f.next &+= 1
            guard let ref = f.book.frontOrder(side) else { continue }
            blackHole(f.book.execute(ref, qty: Qty(100), matchNumber: MatchNumber(f.next), &ev))
        }
    }

    let deleteFixture = filled(240_000)
    Benchmark("Op latency: delete (oldest first, across levels)", configuration: opConfiguration) { benchmark in
        let f = deleteFixture
        var ev = IgnoreBookEvents()
        for _ in benchmark.scaledIterations {
            let i = f.next
            f.next &+= 1
            blackHole(f.book.delete(OrderRef(i), &ev))
        }
    }
}
