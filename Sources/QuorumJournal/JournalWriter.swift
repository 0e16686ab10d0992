// The writer: a hot-path `append` that is only a copy into a one-to-one byte ring, and the
// journal loop that drains the ring into preallocated segment files.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Atomics
import CURing

/// When the journal loop calls fdatasync.
public enum JournalFsyncPolicy: Sendable, Equatable, CustomStringConvertible {
    /// Never (the kernel writes back when it likes). "Durable" then means handed to the
    /// kernel: it survives the process dying, not the machine.
    case none
    /// At most every `milliseconds` while there is unsynced data.
    case interval(milliseconds: Int)
    /// Group commit: after every batch the loop writes, before its sequences are durable.
    case group

    public var description: String {
        switch self {
        case .none: return "none"
        case .interval(let ms): return "interval(\(ms)ms)"
        case .group: return "group"
        }
    }

    /// Parses `none`, `group`, `interval:N` or `N` (milliseconds).
    public init?(parsing text: String) {
        switch text {
        case "none": self = .none
        case "group": self = .group
        default:
            let digits = text.hasPrefix("interval:") ? String(text.dropFirst(9)) : text
            guard let ms = Int(digits), ms > 0 else { return nil }
            self = .interval(milliseconds: ms)
        }
    }
}

/// Sizes and policy of a journal writer. Everything is allocated when the writer opens.
public struct JournalWriterOptions: Sendable {
    /// Bytes per segment file, header included (preallocated with fallocate).
    public var segmentSize: Int = 64 << 20
    /// Bytes in the hand-off ring (a power of two).
    public var ringCapacity: Int = 4 << 20
    /// The most bytes the loop hands to one `pwrite` (written straight from the ring).
    public var batchCapacity: Int = 1 << 20
    /// Bytes one `poll()` writes at most before it syncs and returns (bounds one group commit).
    public var maxBytesPerPoll: Int = 16 << 20
    /// When > 0, the loop leaves fewer than this many bytes in the ring until they have
    /// waited `coalesceDelayNs`: it then reads the ring in larger, rarer bursts, so it
    /// touches the cache lines the producer is writing less often (fewer stalls on the hot
    /// path) at the cost of up to `coalesceDelayNs` more latency to durable.
    public var coalesceBytes: Int = 0
    public var coalesceDelayNs: UInt64 = 50_000
    /// Under `group`/`interval`, start writeback of each span right after its `pwrite`
    /// (sync_file_range), so the disk is busy while the loop copies the next one.
    public var startWritebackEarly: Bool = true
    /// The largest payload `append` accepts.
    public var maxPayload: Int = 64 << 10
    public var fsync: JournalFsyncPolicy = .group
    /// Open even when damage is found outside the torn tail: the journal is cut at the
    /// damage (later segments are renamed `*.qseg.damaged-<n>`), and the cut is reported.
    public var repair: Bool = false
    /// How often the loop checks that the journal directory still exists.
    public var directoryCheckIntervalNs: UInt64 = 100_000_000

    public init() {}
    /// The largest payload is capped so one record fits half the ring, a batch and a segment.
    public init(fsync: JournalFsyncPolicy, segmentSize: Int = 64 << 20, ringCapacity: Int = 4 << 20) {
        self.fsync = fsync
        self.segmentSize = segmentSize
        self.ringCapacity = ringCapacity
        let fits = min(ringCapacity / 2, batchCapacity, segmentSize - SegmentHeaderDescriptor.size) - RecordHeaderDescriptor.size
        self.maxPayload = max(0, min(maxPayload, fits & ~7))
    }
}

/// What opening for writing found and did.
public struct JournalRecoveryReport: Sendable {
    /// The scan before anything was changed.
    public var scan: JournalScanReport
    /// The torn tail that was cut off, if there was one.
    public var truncatedTail: JournalTornTail? { scan.tornTail }
    /// The damage that `repair` cut the journal at, if any.
    public var repairedDamage: JournalDamage?
    /// Files renamed aside by the repair.
    public var setAside: [String] = []
    /// The first sequence the writer will append.
    public var nextSequence: UInt64
}

/// State both sides of the writer read: the failure and the published sequences.
final class _JournalShared: @unchecked Sendable {
    let ring: OneToOneByteRing
    /// Highest sequence handed to the kernel (pwrite returned).
    let written = ManagedAtomic<UInt64>(0)
    /// Highest sequence durable under the policy.
    let durable = ManagedAtomic<UInt64>(0)
    /// Set once, by the loop, after `failureStorage` is written. Its own allocation, read
    /// through a plain pointer on every append (no object indirection on the hot path).
    let failed = UnsafeAtomic<Bool>.create(false)
    /// Written by the loop before `failed` is set (releasing); read only after `failed`
    /// reads true (acquiring). Never written again.
    nonisolated(unsafe) var failureStorage: JournalError? = nil

    init(ringCapacity: Int, start: UInt64) {
        ring = OneToOneByteRing(capacity: ringCapacity)
        written.store(start, ordering: .relaxed)  // relaxed: before any other thread exists
        durable.store(start, ordering: .relaxed)
    }

    var failure: JournalError? {
        // acquiring: pairs with the loop's releasing store, so failureStorage is complete.
        failed.load(ordering: .acquiring) ? failureStorage : nil
    }

    deinit { failed.destroy() }
}

/// The producer's own counters, in raw memory on their own cache line: the hot path updates
/// them through a pointer, without the exclusivity checks a class property would cost.
struct _ProducerState {
    var nextSequence: UInt64
    var fullCount: Int
    var oversizeCount: Int
}

/// The producer side of a journal: `append` copies one record into the hand-off ring.
/// Call `append` from one thread only (the sequencer); the records are written by `loop`
/// (`JournalLoop.poll()`), run by one other thread (or the same one, in turns).
/// Not thread-safe beyond that: one producer thread, one loop thread, any readers of
/// `durableSequence` / `failure`.
public final class JournalWriter: @unchecked Sendable {
    public let directory: String
    public let options: JournalWriterOptions
    public let recovery: JournalRecoveryReport
    /// The consumer side: run its `poll()` on the journal thread.
    public let loop: JournalLoop
    let shared: _JournalShared
    let ring: _UnsafeOneToOneByteRingHandle
    let maxPayload: Int
    let failedFlag: UnsafeAtomic<Bool>
    /// Producer-owned, on a cache line of its own (the loop never writes near it).
    let producer: UnsafeMutablePointer<_ProducerState>

    /// The sequence the next append gets.
    public var nextSequence: UInt64 { producer.pointee.nextSequence }
    /// Appends refused because the ring was full (the caller retries or backs off).
    public var fullCount: Int { producer.pointee.fullCount }
    /// Appends refused because the payload was larger than `maxPayload`.
    public var oversizeCount: Int { producer.pointee.oversizeCount }

    /// Opens (creating it if needed) the journal in `directory` for writing: scans and
    /// validates every segment, cuts a torn tail off the last one and reports it, and
    /// refuses damage anywhere else unless `options.repair` is set.
    public init(directory: String, options: JournalWriterOptions = JournalWriterOptions()) throws(JournalError) {
        guard options.ringCapacity >= 4096, options.ringCapacity & (options.ringCapacity - 1) == 0 else {
            throw .invalidOptions("ringCapacity \(options.ringCapacity) must be a power of two ≥ 4096")
        }
        let maxRecord = RecordHeaderDescriptor.recordSize(payloadLength: options.maxPayload)
        guard maxRecord <= options.ringCapacity / 2 else {
            throw .invalidOptions("maxPayload \(options.maxPayload) needs a ring of at least \(2 * maxRecord) bytes")
        }
        guard maxRecord <= options.batchCapacity else {
            throw .invalidOptions("maxPayload \(options.maxPayload) exceeds batchCapacity \(options.batchCapacity)")
        }
        guard options.segmentSize >= SegmentHeaderDescriptor.size + maxRecord else {
            throw .invalidOptions("segmentSize \(options.segmentSize) cannot hold a record of \(maxRecord) bytes")
        }
        try _makeDirectory(directory).journal("mkdir", directory)
        let (recovery, segment) = try _JournalOpen.openForWriting(directory: directory, options: options)
        self.directory = directory
        self.options = options
        self.recovery = recovery
        self.maxPayload = options.maxPayload
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        self.producer = raw.bindMemory(to: _ProducerState.self, capacity: 1)
        producer.initialize(to: _ProducerState(nextSequence: recovery.nextSequence, fullCount: 0, oversizeCount: 0))
        let shared = _JournalShared(ringCapacity: options.ringCapacity, start: recovery.nextSequence - 1)
        self.shared = shared
        self.ring = shared.ring.handle
        self.failedFlag = shared.failed
        self.loop = try JournalLoop(directory: directory, options: options, shared: shared, segment: segment,
                                    nextSequence: recovery.nextSequence)
    }

    deinit {
        producer.deinitialize(count: 1)
        UnsafeMutableRawPointer(producer).deallocate()
    }

    /// Copies one record into the ring and returns its sequence; nil when the ring is full
    /// (`fullCount`), the payload is too large (`oversizeCount`) or the journal has failed
    /// (`failure`). No allocation, no lock, no system call.
    /// - Complexity: O(payload.count).
    @inline(__always)
    public func append(_ type: JournalRecordType, flags: UInt16 = 0, version: UInt16 = 1,
                       timestampNs: UInt64, payload: UnsafeRawBufferPointer) -> UInt64? {
        typealias R = RecordHeaderDescriptor
        let length = payload.count
        guard length <= maxPayload else { producer.pointee.oversizeCount &+= 1; return nil }  // &: a counter
        // relaxed: a hint; once the loop has failed nothing more is written either way.
        if failedFlag.load(ordering: .relaxed) { return nil }
        let size = R.recordSize(payloadLength: length)
        guard let p = ring.claim(size) else { producer.pointee.fullCount &+= 1; return nil }  // &: a counter
        let seq = producer.pointee.nextSequence
        // The padding after the payload must be zero (the format says so); write the last
        // word first and let the payload copy overwrite its start.
        if size > R.size { p.storeBytes(of: UInt64(0), toByteOffset: size - 8, as: UInt64.self) }
        p.storeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian, toByteOffset: R.lengthOffset, as: UInt32.self)
        p.storeBytes(of: UInt32(0), toByteOffset: R.crcOffset, as: UInt32.self)  // the loop computes it
        p.storeBytes(of: seq.littleEndian, toByteOffset: R.sequenceOffset, as: UInt64.self)
        p.storeBytes(of: timestampNs.littleEndian, toByteOffset: R.timestampOffset, as: UInt64.self)
        p.storeBytes(of: type.rawValue.littleEndian, toByteOffset: R.typeOffset, as: UInt16.self)
        p.storeBytes(of: flags.littleEndian, toByteOffset: R.flagsOffset, as: UInt16.self)
        p.storeBytes(of: version.littleEndian, toByteOffset: R.versionOffset, as: UInt16.self)
        p.storeBytes(of: UInt16(0), toByteOffset: R.reservedOffset, as: UInt16.self)
        if length > 0 { (p + R.size).copyMemory(from: payload.baseAddress!, byteCount: length) }
        ring.commit(size)
        producer.pointee.nextSequence = seq &+ 1  // &: sequences stay far below 2^64
        return seq
    }

    /// `append` that waits (spinning, then yielding) while the ring is full; nil only when
    /// the journal has failed or the payload is too large. For tools and tests, not the hot path.
    public func appendWaiting(_ type: JournalRecordType, flags: UInt16 = 0, version: UInt16 = 1,
                              timestampNs: UInt64, payload: UnsafeRawBufferPointer) -> UInt64? {
        var spins = 0
        while true {
            if let seq = append(type, flags: flags, version: version, timestampNs: timestampNs, payload: payload) {
                return seq
            }
            if payload.count > maxPayload || failure != nil { return nil }
            spins += 1
            if spins < 64 { curing_cpu_relax() } else { sched_yield() }
        }
    }

    /// The highest sequence durable under the fsync policy (group and interval: after
    /// fdatasync; none: handed to the kernel). Stops advancing when the journal fails.
    public var durableSequence: UInt64 {
        // acquiring: a caller that sees sequence n may act on n being on disk.
        shared.durable.load(ordering: .acquiring)
    }

    /// The highest sequence handed to the kernel (survives the process, maybe not the machine).
    public var writtenSequence: UInt64 {
        shared.written.load(ordering: .acquiring)  // acquiring: as for durableSequence
    }

    /// Set once when the loop hits an error; from then on nothing more is written.
    public var failure: JournalError? { shared.failure }

    /// Waits until `sequence` is durable, the journal fails, or `timeoutNs` passes.
    /// Spins briefly, then sleeps in short steps. Not for the hot path.
    public func waitUntilDurable(_ sequence: UInt64, timeoutNs: UInt64 = 5_000_000_000) -> Bool {
        let deadline = system_monotonicNanoseconds() &+ timeoutNs  // &: uptime + timeout stays below 2^64
        var spins = 0
        while durableSequence < sequence {
            if failure != nil { return false }
            spins += 1
            if spins < 128 { curing_cpu_relax(); continue }
            if system_monotonicNanoseconds() > deadline { return false }
            system_nanosleep(20_000)
        }
        return true
    }
}
