import Atomics
import QuorumBook
import QuorumRings
import QuorumWire

#if canImport(Glibc)
import Glibc
#endif

/// One best bid/offer change, as written by `quorum itch bbo` (little-endian, 48-byte stride): `seq u64 · timestamp u64 · bid qty u64 · ask qty u64 · locate u16 · pad u16 ·
/// bid px u32 · ask px u32` (`numpyDtype`). An empty side has price 0 and quantity 0.
@frozen public struct BBORow: Equatable, Sendable, BitwiseCopyable {
    public var sequence: UInt64
    public var timestamp: UInt64
    public var bidQty: UInt64
    public var askQty: UInt64
    public var locate: UInt16
    public var bidPrice: UInt32
    public var askPrice: UInt32

    /// The byte layout `quorum itch bbo` writes, as a numpy structured dtype.
    public static let numpyDtype =
        "[('seq','<u8'),('ts','<u8'),('bid_sz','<u8'),('ask_sz','<u8'),('locate','<u2'),('pad','<u2'),('bid_px','<u4'),('ask_px','<u4'),('pad2','<u4')]"
}

/// Appends a `BBORow` for every best bid/offer change; the caller sets `sequence` and either
/// `timestamp` or `message` before applying each message.
public struct BBORecorder: OrderBookEvents {
    public var rows: [BBORow] = []
    public var sequence: UInt64 = 0
    /// Used when `message` is nil.
    public var timestamp: UInt64 = 0
    /// The message being applied (at least its 11-byte header readable): its timestamp is
    /// read only when a row is written, which is about one message in eight, rather than
    /// decoded for every message.
    public var message: UnsafeRawPointer?

    /// Room for `capacity` rows, reserved at once (address space only: pages are faulted in
    /// as rows are written). Not advised as huge pages: on this project's test host, faulting
    /// in 2 MiB pages as the rows grew made one run in two of `itch bbo` twice as slow.
    public init(reserving capacity: Int) {
        rows = []
        rows.reserveCapacity(Swift.max(capacity, 1))
    }

    public mutating func bestChanged(_ locate: StockLocate, bid: BookQuote, ask: BookQuote) {
        let time = message.map { ITCH.Header(_unchecked: $0).timestamp.rawValue } ?? timestamp
        rows.append(BBORow(sequence: sequence, timestamp: time, bidQty: bid.qty, askQty: ask.qty,
                           locate: locate.rawValue, bidPrice: bid.price.rawValue, askPrice: ask.price.rawValue))
    }
}

extension ITCHFileTools {
    public struct BBOResult {
        public var rows: [BBORow]
        public var messages: Int
        public var decodeErrors: Int
        public var counters: FeedCounters
        /// Live orders at the end whose references overflowed the feed-wide table.
        public var overflowedOrders: Int
        /// Decode + book + recording, file already in memory.
        public var seconds: Double
    }

    /// Replays a day file to its sequence of best bid/offer changes. The file is mapped and
    /// paged in before the clock starts, so the time is decode + books + recording only.
    ///
    /// With `threads` > 1 the symbols are split over that many pinned threads
    /// (`LocateShards.balanced`, from the file's first million frames, inside the timed
    /// part); each thread walks every frame and applies those of its symbols to books of its
    /// own (made before the clock starts, as the single thread's), and the rows are merged
    /// back into feed order. Rows, message and error counts and feed counters are the
    /// single thread's; `overflowedOrders` is per thread's table, summed.
    public static func bboChanges(path: String, config: BookConfig = BookConfig(),
                                  threads: Int = 1) throws(MarketToolError) -> BBOResult {
        let file = try MappedFile(path: path)
        // Fault every page in first (untimed): compare processing, not disk.
        var touch: UInt8 = 0
        var i = 0
        while i < file.bytes.count {
            touch &+= file.bytes[i]
            i += 4096
        }
        var r = try bboChanges(bytes: file.bytes, name: path, config: config, threads: threads)
        r.messages += Int(touch & 0)
        return r
    }

    /// `bboChanges(path:…)` over a day file already in memory; `name` names it in errors.
    public static func bboChanges(bytes: UnsafeRawBufferPointer, name: String = "-", config: BookConfig = BookConfig(),
                                  threads: Int = 1) throws(MarketToolError) -> BBOResult {
        if threads > 1 { return try _shardedBBOChanges(bytes, path: name, config: config, threads: threads) }
        var manager = BookManager(config: config)
        var recorder = BBORecorder(reserving: bytes.count / 24)
        var reader = PrefetchingDayFileReader(bytes)
        var messages = 0
        var errors = 0
        let start = ProgressLine.now()
        while true {
            do {
                guard let frame = try reader.next(hinting: manager) else { break }
                recorder.sequence = UInt64(messages)
                // Every message that can change a book has its header at 1..<11, and a shorter
                // one is rejected by `apply(bytes:)` before anything is recorded, so the header
                // is only ever read from a message long enough to hold it.
                recorder.message = frame.bytes.baseAddress
                try manager.apply(bytes: frame.bytes, sequence: UInt64(frame.offset), &recorder)
            } catch {
                errors += 1
            }
            messages += 1
        }
        let seconds = ProgressLine.now() - start
        return BBOResult(rows: recorder.rows, messages: messages, decodeErrors: errors,
                         counters: manager.counters, overflowedOrders: manager.overflowedOrders, seconds: seconds)
    }
}

extension ITCHFileTools {
    /// One thread's share of a sharded replay.
    struct _ShardResult {
        var rows: [BBORow] = []
        var messages = 0
        /// Frames that could not be read (counted by shard 0 only: every shard sees them).
        var framingErrors = 0
        /// Messages of this shard that `apply(bytes:)` refused.
        var applyErrors = 0
        var counters = FeedCounters()
        var overflowedOrders = 0
    }

    static func _shardedBBOChanges(_ bytes: UnsafeRawBufferPointer, path: String, config: BookConfig,
                                   threads: Int) throws(MarketToolError) -> BBOResult {
        let n = Swift.max(1, Swift.min(threads, 255))
        let results = UnsafeMutablePointer<_ShardResult>.allocate(capacity: n)
        results.initialize(repeating: _ShardResult(), count: n)
        defer {
            results.deinitialize(count: n)
            results.deallocate()
        }
        let plan = _ShardPlan(threads: n)
        // Raw addresses cross into the threads; each writes only its own result, and the
        // joins order those writes before the reads below.
        let base = UInt(bitPattern: bytes.baseAddress)
        let count = bytes.count
        let out = UInt(bitPattern: results)
        let cpus = CPUSet.available.cpus
        var workers: [PinnedThread] = []
        for k in 1..<n {
            let pin = cpus.count >= n ? CPUSet([cpus[k]]) : nil
            do {
                workers.append(try PinnedThread.start(name: "bbo-\(k)", cpus: pin) {
                    let buffer = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: base), count: count)
                    let results = UnsafeMutablePointer<_ShardResult>(bitPattern: out)!
                    results[k] = _replayShard(buffer, config: config, plan: plan, shard: k)
                    if n == 2 { _mergeShare(results, plan: plan, part: k) }
                })
            } catch {
                plan.abandon()
                for w in workers { w.join() }
                throw MarketToolError(file: path, reason: "cannot start replay thread \(k) of \(n): \(error)")
            }
        }
        // This thread is shard 0: on a core of its own while it replays, as it was after.
        let before = CPUSet.currentThread
        if cpus.count >= n { _ = try? Affinity.pinCurrentThread(to: CPUSet([cpus[0]])) }
        var start = 0.0
        results[0] = _replayShard(bytes, config: config, plan: plan, shard: 0) {
            // Every shard's books exist (start of day, as the single thread's before its
            // clock); the split is part of the replay.
            start = ProgressLine.now()
            plan.shards = LocateShards.balanced(bytes, shards: n)
        }
        // Two shards merge their rows together, each writing half of the output; more shards
        // are merged pairwise by this thread once the others are done.
        let rows = n == 2 ? _mergeTwoShards(results, plan: plan) : nil
        for w in workers { w.join() }

        var counters = FeedCounters()
        var errors = results[0].framingErrors
        var overflowed = 0
        for k in 0..<n {
            counters.add(results[k].counters)
            errors += results[k].applyErrors
            overflowed += results[k].overflowedOrders
        }
        let merged = rows ?? _mergeBySequence((0..<n).map { results[$0].rows })
        let seconds = ProgressLine.now() - start
        if !before.isEmpty { _ = try? Affinity.pinCurrentThread(to: before) }
        return BBOResult(rows: merged, messages: results[0].messages, decodeErrors: errors, counters: counters,
                         overflowedOrders: overflowed, seconds: seconds)
    }

    /// Applies the frames the plan's split gives to `shard` (a message too short to name a
    /// stock locate belongs to shard 0) to books of its own; counts every frame. Meets the
    /// other shards twice before replaying: once its books exist, and once shard 0 has run
    /// `between` (which makes the split).
    static func _replayShard(_ bytes: UnsafeRawBufferPointer, config: BookConfig, plan: _ShardPlan, shard: Int,
                             between: () -> Void = {}) -> _ShardResult {
        var manager = BookManager(config: config)
        var recorder = BBORecorder(reserving: bytes.count / (24 * plan.threads))
        var r = _ShardResult()
        var meetings = 0
        guard plan.meet(&meetings) else { return r }
        if shard == 0 { between() }
        guard plan.meet(&meetings), let shards = plan.shards else { return r }
        var reader = PrefetchingDayFileReader(bytes, shards: shards, shard: shard)
        var framingErrors = 0
        while true {
            let frame: (offset: Int, bytes: UnsafeRawBufferPointer)
            do {
                guard let f = try reader.next(hinting: manager) else { break }
                frame = f
            } catch {
                framingErrors += 1
                continue
            }
            // A framing error ends the file, so the frame's index is also its message index.
            recorder.sequence = UInt64(reader.framesRead &- 1)
            recorder.message = frame.bytes.baseAddress
            do {
                try manager.apply(bytes: frame.bytes, sequence: UInt64(frame.offset), &recorder)
            } catch {
                r.applyErrors += 1
            }
        }
        r.rows = recorder.rows
        r.messages = reader.framesRead + framingErrors
        r.framingErrors = shard == 0 ? framingErrors : 0
        r.counters = manager.counters
        r.overflowedOrders = manager.overflowedOrders
        return r
    }

    /// The rows of every shard in feed order (each shard's are already in order; a message
    /// belongs to one shard, so no two rows share a sequence).
    static func _mergeBySequence(_ parts: [[BBORow]]) -> [BBORow] {
        // Pairwise: two parts (two cores) is one pass; more cost a pass per extra part.
        parts.dropFirst().reduce(parts.first ?? []) { _merge($0, $1) }
    }
}

extension ITCHFileTools {
    /// Two shards' rows in feed order (the common case: two cores), on this thread.
    static func _merge(_ a: [BBORow], _ b: [BBORow]) -> [BBORow] {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                [BBORow](unsafeUninitializedCapacity: a.count + b.count) { out, written in
                    _mergeRows(a, b, from: 0, count: a.count + b.count, into: out)
                    written = a.count + b.count
                }
            }
        }
    }

    /// Shard 0's side of a two-shard merge: once both shards have replayed, makes the output,
    /// splits it in two halves, and merges the first while shard 1 merges the second
    /// (`_mergeShare`). Nil when the replay was abandoned.
    static func _mergeTwoShards(_ results: UnsafeMutablePointer<_ShardResult>, plan: _ShardPlan) -> [BBORow]? {
        var meetings = 2  // the replay's two
        guard plan.meet(&meetings) else { return nil }
        let total = results[0].rows.count + results[1].rows.count
        return [BBORow](unsafeUninitializedCapacity: total) { out, written in
            plan.mergeOutput = out.baseAddress
            // Meet once the output exists, and again when shard 1 has written its half.
            if plan.meet(&meetings) {
                _mergeShare(results, plan: plan, part: 0, meetings: &meetings)
                written = total
            }
        }
    }

    /// Merges one half of two shards' rows into the output shard 0 made: the first
    /// `total / 2` rows (part 0) or the rest (part 1), each found by a binary search on
    /// sequences, so the halves meet exactly. Part 1 waits for the output, part 0 for part 1.
    static func _mergeShare(_ results: UnsafeMutablePointer<_ShardResult>, plan: _ShardPlan, part: Int) {
        var meetings = 2
        guard plan.meet(&meetings), plan.meet(&meetings) else { return }
        _mergeShare(results, plan: plan, part: part, meetings: &meetings)
    }

    static func _mergeShare(_ results: UnsafeMutablePointer<_ShardResult>, plan: _ShardPlan, part: Int,
                            meetings: inout Int) {
        guard let out = plan.mergeOutput else { return }
        results[0].rows.withUnsafeBufferPointer { a in
            results[1].rows.withUnsafeBufferPointer { b in
                let total = a.count + b.count
                let half = total / 2
                let first = part == 0 ? 0 : half
                let count = part == 0 ? half : total - half
                _mergeRows(a, b, from: first, count: count,
                           into: UnsafeMutableBufferPointer(start: out + first, count: count))
            }
        }
        _ = plan.meet(&meetings)
    }

    /// Rows `first ..< first + count` of the merge of `a` and `b` (each in sequence order, no
    /// sequence in both) into `out`. Where the range starts in each is the merge path's
    /// split: the `i` rows of `a` and `first − i` of `b` that come before it.
    static func _mergeRows(_ a: UnsafeBufferPointer<BBORow>, _ b: UnsafeBufferPointer<BBORow>,
                           from first: Int, count: Int, into out: UnsafeMutableBufferPointer<BBORow>) {
        // Largest i such that the first i rows of a all precede row first − i of b.
        var lo = Swift.max(0, first - b.count), hi = Swift.min(first, a.count)
        while lo < hi {
            let i = (lo + hi + 1) / 2
            if a[i - 1].sequence < b[first - i].sequence { lo = i } else { hi = i - 1 }
        }
        var i = lo, j = first - lo, o = 0
        let dst = out.baseAddress!
        while o < count && i < a.count && j < b.count {
            if a[i].sequence < b[j].sequence {
                (dst + o).initialize(to: a[i])
                i += 1
            } else {
                (dst + o).initialize(to: b[j])
                j += 1
            }
            o += 1
        }
        while o < count && i < a.count { (dst + o).initialize(to: a[i]); i += 1; o += 1 }
        while o < count && j < b.count { (dst + o).initialize(to: b[j]); j += 1; o += 1 }
    }
}

/// What the threads of a sharded replay share: where they meet, and the split, written by
/// shard 0 between two meetings and read by the others after the second.
final class _ShardPlan: @unchecked Sendable {
    let threads: Int
    var shards: LocateShards?
    /// Where a two-shard merge writes, set by shard 0 before the meeting that follows the replay's.
    var mergeOutput: UnsafeMutablePointer<BBORow>?
    /// Arrivals at meetings so far; meeting m is complete at m × threads.
    let arrivals = ManagedAtomic<Int>(0)
    /// Set when a thread could not be started: the waiting ones give up.
    let abandoned = ManagedAtomic<Bool>(false)

    init(threads: Int) { self.threads = threads }

    /// Waits (yielding) until every thread of the replay has arrived at this meeting; false
    /// when the replay was abandoned. A thread's meetings are counted in `meetings`.
    func meet(_ meetings: inout Int) -> Bool {
        meetings += 1
        arrivals.wrappingIncrement(ordering: .acquiringAndReleasing)
        while arrivals.load(ordering: .acquiring) < meetings * threads {
            if abandoned.load(ordering: .acquiring) { return false }
            sched_yield()
        }
        return true
    }

    func abandon() { abandoned.store(true, ordering: .releasing) }
}

/// Stock locates split over shards, so several threads can each keep the books of some
/// symbols from one feed. Every message names its symbol's locate at bytes 1..<3 and an
/// order's messages all carry the locate of its add, so the books of one shard never need
/// a message of another. Locate 0 (system events) belongs to shard 0.
///
/// Immutable once made; shared by the threads of a replay.
public final class LocateShards: @unchecked Sendable {
    /// Shards made.
    public let count: Int
    /// The shard of every locate, 65 536 entries.
    public let shardOfLocate: UnsafeMutablePointer<UInt8>

    /// Every locate in shard 0.
    public init(count: Int) {
        self.count = Swift.max(1, Swift.min(count, 255))
        shardOfLocate = .allocate(capacity: 1 << 16)
        shardOfLocate.initialize(repeating: 0, count: 1 << 16)
    }

    deinit { shardOfLocate.deallocate() }

    public func shard(of locate: UInt16) -> Int { Int(shardOfLocate[Int(locate)]) }

    /// Splits the symbols of a day file so each shard has about as many messages: the
    /// first `sample` messages are counted per locate (framing only), then the busiest
    /// locates go, one by one, to the shard with the fewest so far; locates not seen in the
    /// sample go round the shards in turn.
    /// - Complexity: O(sample) plus O(locates log locates).
    public static func balanced(_ bytes: UnsafeRawBufferPointer, shards: Int, sample: Int = 1_000_000) -> LocateShards {
        let s = LocateShards(count: shards)
        guard s.count > 1 else { return s }
        for locate in 1..<(1 << 16) { s.shardOfLocate[locate] = UInt8(locate % s.count) }
        var perLocate = [Int](repeating: 0, count: 1 << 16)
        var reader = ITCHDayFile.Reader(bytes)
        var counted = 0
        while counted < sample, let frame = try? reader.next() {
            counted += 1
            // Every message's stock locate is at 1..<3 (big-endian).
            if frame.bytes.count >= 3 { perLocate[Int(frame.bytes[1]) << 8 | Int(frame.bytes[2])] += 1 }
        }
        var load = [Int](repeating: 0, count: s.count)
        load[0] = perLocate[0]
        let busiest = (1..<(1 << 16)).filter { perLocate[$0] > 0 }.sorted {
            perLocate[$0] != perLocate[$1] ? perLocate[$0] > perLocate[$1] : $0 < $1
        }
        for locate in busiest {
            var least = 0
            for k in 1..<s.count where load[k] < load[least] { least = k }
            s.shardOfLocate[locate] = UInt8(least)
            load[least] += perLocate[locate]
        }
        return s
    }
}
