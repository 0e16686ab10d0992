// The consumer side of the writer: the journal loop. One `poll()` is one step: fill in the
// CRC of each record waiting in the ring, `pwrite` contiguous runs of them straight from the
// ring into the current preallocated segment, roll segments, fsync per policy, publish
// sequences.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Atomics

/// An open segment the loop appends to.
struct _OpenSegment {
    var fd: FileDescriptor
    var index: UInt64
    var path: String
    var capacity: Int
    /// Where the next record goes.
    var end: Int
}

/// The journal loop. Run `poll()` from exactly one thread (the lead's Loop protocol has the
/// same shape). Not thread-safe.
public final class JournalLoop: @unchecked Sendable {
    let directory: String
    let options: JournalWriterOptions
    let shared: _JournalShared
    let ring: _UnsafeOneToOneByteRingHandle
    /// The most bytes one `pwrite` takes from the ring.
    let batchCapacity: Int
    var segment: _OpenSegment?
    var directoryFD: FileDescriptor?
    var writtenSequence: UInt64
    var durableSequence: UInt64
    var lastSyncNs: UInt64
    var lastDirectoryCheckNs: UInt64
    var failedLocally = false
    /// When the loop first saw a short run waiting in the ring (coalescing), or 0.
    var pendingSinceNs: UInt64 = 0
    /// Polls that found records still waiting to coalesce, and polls that wrote nothing: the
    /// clock is read on every 16th of the first and every 64th of the second, not on each (a
    /// busy-spinning loop polls every ~100 ns; the delays these clocks measure are milliseconds).
    /// A loop that parks between polls (at least one a millisecond) can so write a coalescing
    /// run up to ~16 ms after `coalesceDelayNs`, and see a removed directory ~64 ms later.
    var _coalescePolls: UInt32 = 0
    var _idlePolls: UInt32 = 0
    /// Called once, on the loop thread, when the journal fails. Set it before the loop runs.
    public var onFailure: (@Sendable (JournalError) -> Void)?
    /// Batches written and fdatasyncs done (for tests and benchmarks).
    public private(set) var writeCount = 0
    public private(set) var syncCount = 0
    public private(set) var segmentsCreated = 0

    init(directory: String, options: JournalWriterOptions, shared: _JournalShared, segment: _OpenSegment,
         nextSequence: UInt64) throws(JournalError) {
        self.directory = directory
        self.options = options
        self.shared = shared
        self.ring = shared.ring.handle
        self.batchCapacity = options.batchCapacity
        self.segment = segment
        self.writtenSequence = nextSequence - 1
        self.durableSequence = nextSequence - 1
        let now = system_monotonicNanoseconds()
        self.lastSyncNs = now
        self.lastDirectoryCheckNs = now
        self.directoryFD = try? FileDescriptor._open(directory, O_RDONLY | O_DIRECTORY).get()
    }

    deinit {
        if let segment { _ = segment.fd._close() }
        if let directoryFD { _ = directoryFD._close() }
    }

    /// One step: drains what the ring holds (in batches, up to `maxBytesPerPoll`), writes
    /// it, syncs per policy.
    /// Returns the number of records written plus syncs done; 0 when idle or failed.
    /// - Complexity: O(bytes drained); one `pwrite` per batch and at most one `fdatasync`, plus a
    ///   segment roll when the current segment is full.
    public func poll() -> Int {
        if failedLocally { return 0 }
        var work = 0
        do throws(JournalError) {
            // Write everything that gathered (up to maxBytesPerPoll) before one sync: under
            // `group`, what arrived during the previous fdatasync shares the next one.
            var bytes = 0
            while bytes < options.maxBytesPerPoll {
                let written = try writeSpan()
                if written.bytes == 0 { break }
                work += written.records
                bytes += written.bytes
            }
            work += try syncPerPolicy()
            if work > 0 {
                _idlePolls = 0
                try checkDirectory()
            } else {
                _idlePolls &+= 1
                if _idlePolls & 63 == 0 { try checkDirectory() }
            }
        } catch {
            fail(error)
            return work
        }
        return work
    }

    /// Writes everything appended so far and fdatasyncs it (whatever the policy): a clean
    /// stop. Call from the loop thread after the producer stopped appending.
    public func drainAndSync() throws(JournalError) {
        if let failure = shared.failure { throw failure }
        while true {
            _ = poll()
            if let failure = shared.failure { throw failure }
            if ring.readable().count == 0 { break }
        }
        do throws(JournalError) { try sync() } catch { fail(error); throw error }
    }

    // MARK: steps

    /// Writes one contiguous run of records straight from the ring, at most `batchCapacity`
    /// bytes: each CRC is filled in place (the consumer owns the bytes between head and tail
    /// until it releases them, so the producer cannot be writing there), then one `pwrite`,
    /// then the bytes go back to the producer. Rolls the segment when the next record does
    /// not fit. Returns the records and bytes written; (0, 0) when the ring is empty.
    /// On an error nothing is released: the records stay in the ring, unwritten, accounted for.
    private func writeSpan() throws(JournalError) -> (records: Int, bytes: Int) {
        typealias R = RecordHeaderDescriptor
        while true {
            let region = ring.readable()
            guard region.count > 0 else { return (0, 0) }
            if options.coalesceBytes > 0 && region.count < options.coalesceBytes {
                if pendingSinceNs == 0 {
                    pendingSinceNs = system_monotonicNanoseconds()
                    _coalescePolls = 0
                    if options.coalesceDelayNs > 0 { return (0, 0) }
                } else {
                    _coalescePolls &+= 1
                    if _coalescePolls & 15 != 0 { return (0, 0) }
                    let now = system_monotonicNanoseconds()
                    if now &- pendingSinceNs < options.coalesceDelayNs { return (0, 0) }  // &: monotonic
                }
            }
            guard var seg = segment else { return (0, 0) }
            pendingSinceNs = 0
            let base = UnsafeMutableRawPointer(mutating: region.baseAddress!)
            var used = 0
            var records = 0
            var paddingFollows = false
            var segmentFull = false
            var lastSequence: UInt64 = 0
            while used < region.count && used < batchCapacity {
                let p = base + used
                let word = p.load(as: UInt32.self)
                if word == _ByteRingControlDescriptor.paddingMarker {
                    paddingFollows = true
                    break
                }
                let length = Int(UInt32(littleEndian: word))
                let size = R.recordSize(payloadLength: length)
                if seg.end + used + size > seg.capacity {
                    segmentFull = true
                    break
                }
                let crc = R.checksum(UnsafeRawPointer(p), payloadLength: length)
                p.storeBytes(of: crc.littleEndian, toByteOffset: R.crcOffset, as: UInt32.self)
                lastSequence = UInt64(littleEndian: p.load(fromByteOffset: R.sequenceOffset, as: UInt64.self))
                used += size
                records += 1
            }
            if used > 0 {
                try seg.fd._pwriteAll(UnsafeRawBufferPointer(start: base, count: used), at: Int64(seg.end))
                    .journal("pwrite", seg.path, offset: Int64(seg.end))
                // Under group/interval the bytes are synced soon anyway: start their writeback
                // now so the disk works while the next span is copied, not only inside fdatasync.
                if options.fsync != .none && options.startWritebackEarly { seg.fd._startWriteback(Int64(seg.end), Int64(used)) }
                seg.end += used
                segment = seg
                writeCount += 1
                writtenSequence = lastSequence
                // releasing: readers of `written` act on the bytes being in the kernel.
                shared.written.store(writtenSequence, ordering: .releasing)
                if options.fsync == .none { publishDurable(writtenSequence) }
            }
            // A padding marker runs to the end of storage, which is where this region ends.
            ring.release(paddingFollows ? region.count : used)
            if segmentFull {
                try roll()
                if used == 0 { continue }
            }
            if used == 0 && paddingFollows { continue }
            return (records, used)
        }
    }

    private func syncPerPolicy() throws(JournalError) -> Int {
        guard writtenSequence > durableSequence else { return 0 }
        switch options.fsync {
        case .none:
            return 0
        case .group:
            try sync()
            return 1
        case .interval(let ms):
            let now = system_monotonicNanoseconds()
            guard now &- lastSyncNs >= UInt64(ms) &* 1_000_000 else { return 0 }  // &: monotonic, small
            try sync()
            return 1
        }
    }

    private func sync() throws(JournalError) {
        guard let seg = segment else { return }
        let target = writtenSequence
        try seg.fd._fdatasync().journal("fdatasync", seg.path)
        // A segment whose name was removed (the directory deleted under us) syncs fine but
        // will not be found again: its records must not be reported durable.
        if case .success(let links) = seg.fd._linkCount(), links == 0 { throw .directoryVanished(path: directory) }
        syncCount += 1
        lastSyncNs = system_monotonicNanoseconds()
        publishDurable(target)
    }

    private func publishDurable(_ sequence: UInt64) {
        durableSequence = sequence
        // releasing: a waiter that sees `sequence` may rely on every record up to it being durable.
        shared.durable.store(sequence, ordering: .releasing)
    }

    /// Closes the full segment (synced first unless the policy is `none`, so every segment
    /// but the last is complete on disk) and creates the next.
    private func roll() throws(JournalError) {
        guard let seg = segment else { return }
        if options.fsync != .none { try sync() }
        _ = seg.fd._close()
        segment = nil
        let next = try _JournalOpen.createSegment(directory: directory, index: seg.index + 1,
                                                  firstSequence: writtenSequence + 1,
                                                  capacity: options.segmentSize, sync: options.fsync != .none)
        segment = next
        segmentsCreated += 1
    }

    private func checkDirectory() throws(JournalError) {
        let now = system_monotonicNanoseconds()
        guard now &- lastDirectoryCheckNs >= options.directoryCheckIntervalNs else { return }  // &: monotonic
        lastDirectoryCheckNs = now
        guard let dfd = directoryFD else { return }
        // A removed directory keeps working through open descriptors; its link count says it is gone.
        if case .success(let links) = dfd._linkCount(), links == 0 {
            throw .directoryVanished(path: directory)
        }
    }

    private func fail(_ error: JournalError) {
        failedLocally = true
        shared.failureStorage = error
        // releasing: failureStorage is complete before anyone sees `failed`.
        shared.failed.store(true, ordering: .releasing)
        onFailure?(error)
    }
}

/// Opening for writing: recovery, repair, and segment creation.
enum _JournalOpen {
    static func openForWriting(directory: String, options: JournalWriterOptions) throws(JournalError)
        -> (JournalRecoveryReport, _OpenSegment) {
        let scan = try JournalReader(directory: directory).scan()
        var report = JournalRecoveryReport(scan: scan, nextSequence: scan.nextSequence)
        var segments = scan.segments
        if let damage = scan.damage {
            guard options.repair else { throw .corrupt(damage) }
            report.repairedDamage = damage
            // Everything from the damaged segment on (or, for a bad header / a missing
            // segment, that whole segment) is set aside; a damaged record cuts its segment.
            let cutWithin: Bool
            switch damage.reason {
            case .badSegmentHeader, .segmentOutOfOrder, .missingSegment: cutWithin = false
            default: cutWithin = true
            }
            // A record-level damage keeps its segment up to the damage; a whole-segment
            // damage (bad header, out of order, missing) keeps only the segments before it.
            let setAside: (UInt64) -> Bool = { cutWithin ? $0 > damage.segmentIndex : $0 >= damage.segmentIndex }
            let stamp = String(system_realtimeNanoseconds())
            for index in try _segmentIndexes(in: directory) where setAside(index) {
                let name = JournalFileNames.segment(index)
                let aside = name + ".damaged-" + stamp
                try _renameDurably(directory: directory, from: name, to: aside, sync: true).journal("rename", directory + "/" + name)
                report.setAside.append(aside)
            }
            segments.removeAll { setAside($0.index) }
            if cutWithin, let i = segments.lastIndex(where: { $0.index == damage.segmentIndex }) {
                segments[i].validEnd = damage.offset
            }
            report.nextSequence = damage.sequence
        }
        guard let last = segments.last, let header = last.header else {
            // An empty journal (or everything set aside): start segment 0 — or the one after
            // the last kept — at the next sequence.
            let index = report.repairedDamage.map { $0.segmentIndex } ?? 0
            let seg = try createSegment(directory: directory, index: index, firstSequence: report.nextSequence,
                                        capacity: options.segmentSize, sync: options.fsync != .none)
            return (report, seg)
        }
        // Continue in the last segment after its valid records. Cut it there and extend it
        // again, so the bytes after the end are zeros: a torn tail (or stale bytes of a
        // write that never became durable) must not be read as records later.
        let fd = try FileDescriptor._open(last.path, O_RDWR).journal("open", last.path)
        let capacity = Int(header.capacity)
        let end = max(Int(last.validEnd), SegmentHeaderDescriptor.size)
        do throws(JournalError) {
            if scan.tornTail != nil || report.repairedDamage != nil || last.fileSize != Int64(capacity) {
                try fd._truncate(Int64(end)).journal("ftruncate", last.path, offset: Int64(end))
                try fd._preallocate(Int64(end), Int64(capacity - end)).journal("fallocate", last.path, offset: Int64(end))
                if options.fsync != .none { try fd._fdatasync().journal("fdatasync", last.path) }
            }
        } catch {
            _ = fd._close()
            throw error
        }
        if report.repairedDamage == nil { report.nextSequence = scan.nextSequence }
        return (report, _OpenSegment(fd: fd, index: last.index, path: last.path, capacity: capacity, end: end))
    }

    /// Creates segment `index` whole before it becomes visible: a temporary file is
    /// preallocated, gets its header, and is renamed into place (synced first when `sync`).
    static func createSegment(directory: String, index: UInt64, firstSequence: UInt64, capacity: Int,
                              sync: Bool) throws(JournalError) -> _OpenSegment {
        let name = JournalFileNames.segment(index)
        let path = directory + "/" + name
        let tmpName = name + ".tmp"
        let tmpPath = directory + "/" + tmpName
        let fd = try FileDescriptor._open(tmpPath, O_RDWR | O_CREAT | O_TRUNC).journal("create", tmpPath)
        do throws(JournalError) {
            try fd._preallocate(0, Int64(capacity)).journal("fallocate", tmpPath, offset: 0)
            var headerBytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            let header = SegmentHeader(segmentIndex: index, firstSequence: firstSequence,
                                       createdNs: system_realtimeNanoseconds(), capacity: UInt64(capacity))
            try withUnsafeMutableBytes(of: &headerBytes) { (raw) throws(JournalError) in
                header.encode(to: raw.baseAddress!)
                try fd._pwriteAll(UnsafeRawBufferPointer(raw), at: 0).journal("pwrite", tmpPath, offset: 0)
            }
            if sync { try fd._fdatasync().journal("fdatasync", tmpPath) }
            try _renameDurably(directory: directory, from: tmpName, to: name, sync: sync).journal("rename", tmpPath)
        } catch {
            _ = fd._close()
            _ = system_unlinkat(AT_FDCWD, tmpPath, 0)
            throw error
        }
        return _OpenSegment(fd: fd, index: index, path: path, capacity: capacity, end: SegmentHeaderDescriptor.size)
    }
}

extension JournalLoop {
    /// The descriptor of the segment being written (tests aim injected faults at it).
    var _currentSegmentFD: Int32? { segment?.fd.rawValue }
}
