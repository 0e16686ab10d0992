import Testing
import QuorumBook
import QuorumWire
@testable import QuorumMarketTools

/// Every event with every field, so two replays can be compared exactly.
struct FullEventLog: OrderBookEvents {
    enum Event: Equatable {
        case level(UInt16, Side, UInt32, UInt64, UInt32)
        case best(UInt16, BookQuote, BookQuote)
        case trade(UInt16, TradeEvent)
    }
    var events: [Event] = []
    mutating func levelChanged(_ locate: StockLocate, side: Side, price: Price, qty: UInt64, orderCount: UInt32) {
        events.append(.level(locate.rawValue, side, price.rawValue, qty, orderCount))
    }
    mutating func bestChanged(_ locate: StockLocate, bid: BookQuote, ask: BookQuote) {
        events.append(.best(locate.rawValue, bid, ask))
    }
    mutating func traded(_ locate: StockLocate, _ trade: TradeEvent) {
        events.append(.trade(locate.rawValue, trade))
    }
}

/// Frames of a day-file buffer, as arrays.
func frames(_ day: [UInt8]) -> [[UInt8]] {
    var out: [[UInt8]] = []
    day.withUnsafeBytes { raw in
        var reader = ITCHDayFile.Reader(raw)
        while let f = try? reader.next() { out.append(Array(f.bytes)) }
    }
    return out
}

/// Applies `messages` to two managers, one through `apply(bytes:)` and one through
/// `ITCHMessage.decode` + `apply(_:)`, and checks that they agree after every message.
func expectBytesPathMatchesDecodedPath(_ messages: [[UInt8]], _ config: BookConfig,
                                       sourceLocation: SourceLocation = #_sourceLocation) {
    var viaBytes = BookManager(config: config)
    var viaDecode = BookManager(config: config)
    var logBytes = FullEventLog()
    var logDecode = FullEventLog()
    var mismatches = 0
    for (i, m) in messages.enumerated() {
        var e1: WireError? = nil
        var e2: WireError? = nil
        m.withUnsafeBytes { b in
            do throws(WireError) { try viaBytes.apply(bytes: b, sequence: UInt64(i), &logBytes) } catch { e1 = error }
            do throws(WireError) { viaDecode.apply(try ITCHMessage.decode(b), sequence: UInt64(i), &logDecode) } catch { e2 = error }
        }
        if e1 != e2 {
            mismatches += 1
            Issue.record("message \(i) \(m): \(String(describing: e1)) vs \(String(describing: e2))", sourceLocation: sourceLocation)
        }
        if mismatches > 5 { return }
    }
    #expect(logBytes.events == logDecode.events, sourceLocation: sourceLocation)
    #expect(viaBytes.counters == viaDecode.counters, sourceLocation: sourceLocation)
    #expect(viaBytes.firstAnomaly == viaDecode.firstAnomaly, sourceLocation: sourceLocation)
    #expect(viaBytes.lastAnomaly == viaDecode.lastAnomaly, sourceLocation: sourceLocation)
    #expect(viaBytes.totalOrders == viaDecode.totalOrders, sourceLocation: sourceLocation)
    #expect(viaBytes.symbols == viaDecode.symbols, sourceLocation: sourceLocation)
    #expect(viaBytes.systemEvent == viaDecode.systemEvent, sourceLocation: sourceLocation)
    #expect(viaBytes.checkInvariants() == nil, sourceLocation: sourceLocation)
}

@Suite struct RawApplyTests {
    /// A clean generated day: every event, counter and book the same both ways.
    @Test func applyingBytesMatchesDecodeThenApplyOnAGeneratedDay() {
        let options = SyntheticDay.Options(symbols: 6, messages: 120_000, seed: 21)
        let messages = frames(SyntheticDay.bytes(options: options))
        #expect(messages.count == 120_000)
        expectBytesPathMatchesDecodedPath(messages, options.bookConfig)
    }

    /// Capacities far too small for the day: pool and level exhaustion, symbols refused,
    /// unknown locates and references (orders that never got in) — all counted alike.
    @Test func exhaustedCapacitiesAreCountedAlikeBothWays() {
        let messages = frames(SyntheticDay.bytes(options: .init(symbols: 5, messages: 30_000, seed: 4)))
        let config = BookConfig(ordersPerSymbol: 48, levelsPerSide: 6, maxSymbols: 3, feedRefSlots: 64)
        expectBytesPathMatchesDecodedPath(messages, config)
        var m = BookManager(config: config)
        var ev = IgnoreBookEvents()
        for (i, bytes) in messages.enumerated() {
            bytes.withUnsafeBytes { try? m.apply(bytes: $0, sequence: UInt64(i), &ev) }
        }
        #expect(m.counters.orderPoolExhausted > 0)
        #expect(m.counters.levelsExhausted > 0)
        #expect(m.counters.symbolsExhausted > 0)
        #expect(m.counters.unknownOrderRef > 0)
    }

    /// Garbage: bytes flipped inside real messages (sides, sizes, references, type bytes),
    /// truncated and overlong copies of every order type, unknown types, empty messages.
    @Test func corruptedMessagesGiveTheSameErrorsAndTheSameBooks() {
        var messages = frames(SyntheticDay.bytes(options: .init(symbols: 4, messages: 20_000, seed: 9)))
        var rng = SplitMix64(seed: 77)
        for i in 60..<messages.count where rng.below(4) == 0 {
            let j = Int(rng.below(UInt64(messages[i].count)))
            messages[i][j] = UInt8(truncatingIfNeeded: rng.next())
        }
        // Every order type (and a few others) one byte short, one byte long, and at length 0 and 1.
        for type in [0x41, 0x46, 0x45, 0x43, 0x58, 0x44, 0x55, 0x50, 0x51, 0x53, 0x52] as [UInt8] {
            let n = ITCHMessage.specLength(ofType: type)!
            var m = [UInt8](repeating: 0, count: n + 1)
            m[0] = type
            m[2] = 1
            messages.append(Array(m[0..<(n - 1)]))
            messages.append(m)
            messages.append([type])
        }
        messages.append([])
        messages.append([UInt8(ascii: "Z")] + [UInt8](repeating: 1, count: 30))
        expectBytesPathMatchesDecodedPath(messages, SyntheticDay.Options(symbols: 4, messages: 0, seed: 9).bookConfig)
    }

    /// The prefetching reader returns exactly the frames and errors of the plain reader,
    /// whatever its distances, including a truncated tail.
    @Test func prefetchingReaderYieldsThePlainReadersFrames() {
        var day = SyntheticDay.bytes(options: .init(symbols: 3, messages: 3000, seed: 5))
        day.append(contentsOf: [0x00, 0x24, 0x41, 0x00])  // a frame cut short
        let manager = BookManager(config: BookConfig(ordersPerSymbol: 64, levelsPerSide: 8, maxSymbols: 4))
        day.withUnsafeBytes { raw in
            for (far, near, queue) in [(12, 6, 2), (0, 0, 0), (15, 15, 15), (40, 3, 9), (1, 1, 0)] {
                var plain = ITCHDayFile.Reader(raw)
                var ahead = PrefetchingDayFileReader(raw, far: far, near: near, queue: queue)
                var count = 0
                var lastError: WireError?
                while true {
                    var a: (offset: Int, bytes: UnsafeRawBufferPointer)?
                    var b: (offset: Int, bytes: UnsafeRawBufferPointer)?
                    var ea: WireError?
                    var eb: WireError?
                    do throws(WireError) { a = try plain.next() } catch { ea = error }
                    do throws(WireError) { b = try ahead.next(hinting: manager) } catch { eb = error }
                    #expect(ea == eb)
                    lastError = ea
                    if let x = a, let y = b {
                        #expect(x.offset == y.offset && x.bytes.baseAddress == y.bytes.baseAddress && x.bytes.count == y.bytes.count)
                        count += 1
                        continue
                    }
                    #expect(a == nil && b == nil, "readers differ after \(count) frames")
                    break
                }
                #expect(count == 3000, "distances \(far) \(near) \(queue)")
                #expect(lastError == .truncated(offset: raw.count - 4, needed: 2 + 0x24, available: 4))
                #expect(plain.position == ahead.position)
            }
        }
    }

    /// Hints read the table and nodes without checking what they hold (no branches on the
    /// data): references that were never live, that died, that belong to other books, or that
    /// are pure garbage must hint harmlessly, and a replay that hints ends in exactly the
    /// state and events of one that does not.
    @Test func hintingGarbageReferencesChangesNothing() {
        var day = SyntheticDay.bytes(options: .init(symbols: 5, messages: 20_000, seed: 11))
        // Order messages with random references and fields, on the day's books.
        var rng = SplitMix64(seed: 3)
        for type in [0x44, 0x45, 0x58, 0x55] as [UInt8] {
            for _ in 0..<50 {
                let n = ITCHMessage.specLength(ofType: type)!
                var m = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                m[0] = type
                m[1] = 0  // a live book's locate (1...5), so the garbage reaches the books
                m[2] = UInt8(1 + rng.next() % 5)
                day.append(contentsOf: [0, UInt8(n)] + m)
            }
        }
        let config = SyntheticDay.Options(symbols: 5, messages: 0, seed: 11).bookConfig
        var hinted = BookManager(config: config)
        var plain = BookManager(config: config)
        var hintedEvents = FullEventLog()
        var plainEvents = FullEventLog()
        day.withUnsafeBytes { raw in
            // A hint of every reference before any book exists must not read a book.
            var early = PrefetchingDayFileReader(raw)
            for _ in 0..<20 { _ = try? early.next(hinting: hinted) }
            var ahead = PrefetchingDayFileReader(raw, far: 15, near: 7, queue: 1)
            var reader = ITCHDayFile.Reader(raw)
            var sequence: UInt64 = 0
            while true {
                guard let a = try? ahead.next(hinting: hinted), let b = try? reader.next() else { break }
                // Also hint each message's own reference, stale or not, right before applying it.
                if let ref = BookManager.referencedOrder(a.bytes) {
                    hinted.prefetchReference(orderRef: ref)
                    hinted.prefetchOrder(orderRef: ref)
                    hinted.prefetchQueue(orderRef: ref)
                    hinted.prefetchQueue(orderRef: ref ^ 0xFFFF_FFFF)
                }
                try? hinted.apply(bytes: a.bytes, sequence: sequence, &hintedEvents)
                try? plain.apply(bytes: b.bytes, sequence: sequence, &plainEvents)
                sequence += 1
            }
        }
        #expect(hinted.counters == plain.counters)
        #expect(hinted.counters.unknownOrderRef > 0)  // the garbage was applied and refused
        #expect(hintedEvents.events == plainEvents.events)
        #expect(hinted.totalOrders == plain.totalOrders && hinted.totalOrders > 0)
        #expect(hinted.checkInvariants() == nil)
    }
}
