// Reading: segments are mapped read-only and records are handed out as views into the
// mapping (no copy). The same walk serves replay, recovery, verify and the tools.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CQuorumCRC

/// One record as a view into a mapped segment. `payload` is valid only while the call that
/// handed the record out runs; copy it to keep it.
public struct JournalRecord {
    public var sequence: UInt64
    public var timestampNs: UInt64
    public var type: JournalRecordType
    public var flags: UInt16
    public var version: UInt16
    public var payload: UnsafeRawBufferPointer
    /// Where the record starts: segment index and byte offset in that segment file.
    public var segmentIndex: UInt64
    public var offset: Int
}

/// A segment file mapped read-only for its whole size. Unmapped on deinit.
final class _MappedSegment {
    let index: UInt64
    let path: String
    let size: Int
    let base: UnsafeRawPointer?
    let header: Result<SegmentHeader, SegmentHeader.DecodeProblem>

    init(directory: String, index: UInt64) throws(JournalError) {
        self.index = index
        self.path = directory + "/" + JournalFileNames.segment(index)
        let fd = try FileDescriptor._open(path, O_RDONLY).journal("open", path)
        defer { _ = fd._close() }
        let size = Int(try fd._size().journal("fstat", path))
        self.size = size
        if size > 0 {
            guard let p = system_mmap(size, PROT_READ, MAP_SHARED, fd.rawValue, 0) else {
                throw .io(operation: "mmap", path: path, offset: 0, errno: .current)
            }
            _ = system_madvise(p, size, MADV_SEQUENTIAL)  // replay reads front to back
            base = UnsafeRawPointer(p)
            header = SegmentHeader.decode(UnsafeRawBufferPointer(start: p, count: size))
        } else {
            base = nil
            header = .failure(.tooShort)
        }
    }

    deinit {
        if let base { _ = system_munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }
}

/// Segment indexes present in `directory`, ascending.
func _segmentIndexes(in directory: String) throws(JournalError) -> [UInt64] {
    guard let names = system_listDirectory(directory) else {
        throw .io(operation: "opendir", path: directory, offset: nil, errno: .current)
    }
    return names.compactMap(JournalFileNames.segmentIndex(of:)).sorted()
}

/// Why a record walk stopped.
enum _WalkStop: Equatable {
    /// A zero record header, or the end of the file with only zeros left.
    case end
    /// The visitor asked to stop.
    case stopped
    case damage(JournalDamage.Reason)
}

/// Walks the records of one mapped segment from `offset`, expecting `expectedSequence`
/// first, and hands each valid record with sequence ≥ `from` to `visit`.
/// - Complexity: O(bytes walked); records before `from` are skipped on their length alone
///   when `checkBeforeFrom` is false.
@inline(__always)
func _walkRecords(_ seg: UnsafeRawBufferPointer, segmentIndex: UInt64, offset start: Int,
                  expectedSequence: UInt64, capacity: Int, from: UInt64 = 0, checkBeforeFrom: Bool = true,
                  visit: (JournalRecord) -> Bool) -> (stop: _WalkStop, offset: Int, nextSequence: UInt64) {
    typealias R = RecordHeaderDescriptor
    var offset = start
    var expected = expectedSequence
    let limit = seg.count
    guard let base = seg.baseAddress else { return (.end, offset, expected) }
    while true {
        let remaining = limit - offset
        if remaining < R.size {
            if remaining <= 0 || cquorum_first_nonzero(base + offset, remaining) == remaining { return (.end, offset, expected) }
            return (.damage(.shortRecord), offset, expected)
        }
        let p = base + offset
        let length = UInt32(littleEndian: p.load(fromByteOffset: R.lengthOffset, as: UInt32.self))
        let stored = UInt32(littleEndian: p.load(fromByteOffset: R.crcOffset, as: UInt32.self))
        let seq = UInt64(littleEndian: p.load(fromByteOffset: R.sequenceOffset, as: UInt64.self))
        if length == 0 && stored == 0 && seq == 0 { return (.end, offset, expected) }
        guard Int(length) <= remaining - R.size else {
            // Past the end of the file: a record cut short (the file was truncated) when it would
            // fit the segment's capacity, else a length no writer could have written.
            let fits = capacity > 0 && offset + R.size + Int(length) <= capacity
            return (.damage(fits ? .shortRecord : .lengthOutOfRange(length)), offset, expected)
        }
        let size = R.recordSize(payloadLength: Int(length))
        if seq < from && !checkBeforeFrom {
            guard seq == expected else { return (.damage(.sequenceGap(found: seq)), offset, expected) }
            expected &+= 1  // &: sequences stay far below 2^64
            offset &+= size
            continue
        }
        let computed = R.checksum(p, payloadLength: Int(length))
        guard computed == stored else { return (.damage(.badChecksum(stored: stored, computed: computed)), offset, expected) }
        guard seq == expected else { return (.damage(.sequenceGap(found: seq)), offset, expected) }
        if seq >= from {
            let record = JournalRecord(
                sequence: seq,
                timestampNs: UInt64(littleEndian: p.load(fromByteOffset: R.timestampOffset, as: UInt64.self)),
                type: JournalRecordType(UInt16(littleEndian: p.load(fromByteOffset: R.typeOffset, as: UInt16.self))),
                flags: UInt16(littleEndian: p.load(fromByteOffset: R.flagsOffset, as: UInt16.self)),
                version: UInt16(littleEndian: p.load(fromByteOffset: R.versionOffset, as: UInt16.self)),
                payload: UnsafeRawBufferPointer(start: p + R.size, count: Int(length)),
                segmentIndex: segmentIndex, offset: offset)
            if !visit(record) { return (.stopped, offset &+ size, expected &+ 1) }
        }
        expected &+= 1  // &: sequences stay far below 2^64
        offset &+= size
    }
}

/// Whether a valid record with a sequence at or after `expected` starts at an 8-aligned
/// offset after `after` — the difference between a torn tail (nothing valid follows)
/// and damage in the middle (valid records follow the bad spot).
func _validRecordFollows(_ seg: UnsafeRawBufferPointer, after: Int, expected: UInt64) -> Int? {
    typealias R = RecordHeaderDescriptor
    guard let base = seg.baseAddress else { return nil }
    var q = (after + 8) & ~7
    while q + R.size <= seg.count {
        let nz = cquorum_first_nonzero(base + q, seg.count - q)
        if nz == seg.count - q { return nil }
        q = (q + nz) & ~7
        if q + R.size > seg.count { return nil }
        let p = base + q
        let seq = UInt64(littleEndian: p.load(fromByteOffset: R.sequenceOffset, as: UInt64.self))
        let length = Int(UInt32(littleEndian: p.load(fromByteOffset: R.lengthOffset, as: UInt32.self)))
        if seq >= expected, seq - expected < 1 << 32, q + R.size + length <= seg.count {
            let stored = UInt32(littleEndian: p.load(fromByteOffset: R.crcOffset, as: UInt32.self))
            if R.checksum(p, payloadLength: length) == stored { return q }
        }
        q += 8
    }
    return nil
}

/// A tail of the last segment that was being written when the writer stopped: it is cut off
/// on open for writing, and reported.
public struct JournalTornTail: Sendable, Equatable, CustomStringConvertible {
    public var segmentIndex: UInt64
    public var path: String
    /// Where the valid data ends (the file is cut here).
    public var offset: Int64
    /// The sequence the torn record would have had.
    public var sequence: UInt64
    public var reason: JournalDamage.Reason
    /// Non-zero bytes discarded after `offset`.
    public var discardedBytes: Int64

    public var description: String {
        "torn tail in \(path) (segment \(segmentIndex)) at byte offset \(offset), sequence \(sequence): \(reason); \(discardedBytes) bytes discarded"
    }
}

/// One segment as found by a scan.
public struct JournalSegmentSummary: Sendable {
    public var index: UInt64
    public var path: String
    public var header: SegmentHeader?
    public var fileSize: Int64
    /// End of the valid records (the header counts): the writer continues here.
    public var validEnd: Int64
    public var recordCount: Int
    public var firstSequence: UInt64?
    public var lastSequence: UInt64?
}

/// What a full scan of a journal found.
public struct JournalScanReport: Sendable {
    public var directory: String
    public var segments: [JournalSegmentSummary] = []
    public var tornTail: JournalTornTail?
    public var damage: JournalDamage?
    /// The sequence the next append gets (1 for an empty journal).
    public var nextSequence: UInt64 = 1
    public var recordCount: Int = 0
    public var firstSequence: UInt64? { segments.lazy.compactMap(\.firstSequence).first }
    public var lastSequence: UInt64? { segments.reversed().lazy.compactMap(\.lastSequence).first }
    public var isClean: Bool { tornTail == nil && damage == nil }
}

/// The zero-copy reader: maps every segment of a journal and walks records in sequence
/// order across segments. Not thread-safe; open one per reading thread.
public final class JournalReader {
    public let directory: String
    var segments: [_MappedSegment]
    /// Called after each segment of a scan with the bytes walked so far (for progress output).
    public var progress: ((Int) -> Void)?

    /// Maps every segment file in `directory`.
    /// - Complexity: O(segments) system calls; no record is read yet.
    public init(directory: String) throws(JournalError) {
        self.directory = directory
        var segments: [_MappedSegment] = []
        for index in try _segmentIndexes(in: directory) {
            segments.append(try _MappedSegment(directory: directory, index: index))
        }
        self.segments = segments
    }

    /// Total bytes of the mapped segment files.
    public var mappedBytes: Int { segments.reduce(0) { $0 + $1.size } }

    /// Validates every segment and walks every record, handing those with sequence ≥ `from`
    /// to `visit` (which returns false to stop early). A damaged spot in the last segment
    /// after which no valid record follows is reported as `tornTail`; any other damage as
    /// `damage`, and the walk stops there.
    /// `checkTail` (default: `checkAll`) also reads the last segment's preallocated space after
    /// its end marker for stray bytes (a torn write); readers that stop at the end marker skip it.
    /// - Complexity: O(bytes in the journal) (segments before the one holding `from` are
    ///   skipped by their header, records before `from` by their length when `checkAll` is
    ///   false), plus the last segment's free space when `checkTail`.
    @discardableResult
    public func scan(from: UInt64 = 0, checkAll: Bool = true, checkTail: Bool? = nil,
                     _ visit: (JournalRecord) -> Bool = { _ in true }) -> JournalScanReport {
        var report = JournalScanReport(directory: directory)
        let checkTail = checkTail ?? checkAll
        var expected: UInt64? = nil
        var previousIndex: UInt64? = nil
        var bytesDone = 0
        for (i, seg) in segments.enumerated() {
            let isLast = i == segments.count - 1
            var summary = JournalSegmentSummary(index: seg.index, path: seg.path, header: nil,
                                                fileSize: Int64(seg.size), validEnd: 0, recordCount: 0)
            func damage(_ offset: Int, _ seq: UInt64, _ reason: JournalDamage.Reason) {
                report.damage = JournalDamage(segmentIndex: seg.index, path: seg.path, offset: Int64(offset),
                                              sequence: seq, reason: reason)
                report.segments.append(summary)
            }
            if let prev = previousIndex, seg.index != prev + 1 {
                let missing = prev + 1
                report.damage = JournalDamage(segmentIndex: missing, path: directory + "/" + JournalFileNames.segment(missing),
                                              offset: 0, sequence: expected ?? 1, reason: .missingSegment(index: missing))
                return report
            }
            previousIndex = seg.index
            let header: SegmentHeader
            switch seg.header {
            case .success(let h): header = h
            case .failure(let why):
                damage(0, expected ?? 1, .badSegmentHeader("\(why)"))
                return report
            }
            summary.header = header
            if header.segmentIndex != seg.index {
                damage(0, expected ?? header.firstSequence,
                       .segmentOutOfOrder("header says index \(header.segmentIndex), file name says \(seg.index)"))
                return report
            }
            if let e = expected, header.firstSequence != e {
                damage(0, e, .segmentOutOfOrder("first sequence \(header.firstSequence), expected \(e)"))
                return report
            }
            // Whole segments before the one holding `from` are skipped unless everything is checked.
            if !checkAll, !isLast, from > 0, let next = segments[i + 1].headerFirstSequence, next <= from {
                expected = next
                summary.firstSequence = header.firstSequence
                summary.lastSequence = next > header.firstSequence ? next - 1 : nil
                summary.recordCount = Int(next - header.firstSequence)
                summary.validEnd = Int64(seg.size)
                report.segments.append(summary)
                continue
            }
            let first = header.firstSequence
            var count = 0
            var last: UInt64? = nil
            let walk = _walkRecords(seg.bytes, segmentIndex: seg.index, offset: SegmentHeaderDescriptor.size,
                                    expectedSequence: first, capacity: Int(clamping: header.capacity),
                                    from: from, checkBeforeFrom: checkAll) { record in
                count &+= 1
                return visit(record)
            }
            let recordsInSegment = Int(walk.nextSequence - first)
            if walk.nextSequence > first { last = walk.nextSequence - 1 }
            _ = count
            summary.recordCount = recordsInSegment
            summary.firstSequence = recordsInSegment > 0 ? first : nil
            summary.lastSequence = last
            summary.validEnd = Int64(walk.offset)
            report.recordCount += recordsInSegment
            expected = walk.nextSequence
            report.nextSequence = walk.nextSequence
            bytesDone += walk.offset
            progress?(bytesDone)
            switch walk.stop {
            case .stopped:
                report.segments.append(summary)
                return report
            case .end:
                if isLast && checkTail {
                    let tail = UnsafeRawBufferPointer(rebasing: seg.bytes[walk.offset...])
                    let nz = tail.count == 0 ? 0 : cquorum_first_nonzero(tail.baseAddress!, tail.count)
                    if nz < tail.count {
                        if let q = _validRecordFollows(seg.bytes, after: walk.offset, expected: walk.nextSequence) {
                            damage(walk.offset, walk.nextSequence, .sequenceGap(found: _sequence(at: q, in: seg.bytes)))
                            return report
                        }
                        report.tornTail = JournalTornTail(segmentIndex: seg.index, path: seg.path, offset: Int64(walk.offset),
                                                          sequence: walk.nextSequence, reason: .garbageAfterEnd,
                                                          discardedBytes: _nonzeroExtent(tail))
                    }
                }
                report.segments.append(summary)
            case .damage(let reason):
                if isLast && _validRecordFollows(seg.bytes, after: walk.offset, expected: walk.nextSequence) == nil {
                    let tail = UnsafeRawBufferPointer(rebasing: seg.bytes[walk.offset...])
                    report.tornTail = JournalTornTail(segmentIndex: seg.index, path: seg.path, offset: Int64(walk.offset),
                                                      sequence: walk.nextSequence, reason: reason,
                                                      discardedBytes: _nonzeroExtent(tail))
                    report.segments.append(summary)
                } else {
                    damage(walk.offset, walk.nextSequence, reason)
                    return report
                }
            }
        }
        return report
    }

    /// Hands every record with sequence ≥ `from` to `visit`, in order, checking each CRC;
    /// stops early when `visit` returns false. Throws on damage (other than a torn tail,
    /// which simply ends the journal) and when `from` is past the end.
    /// - Complexity: O(bytes from the segment holding `from` to the end).
    public func forEach(from: UInt64 = 0, _ visit: (JournalRecord) -> Bool) throws(JournalError) {
        let report = scan(from: from, checkAll: false, visit)
        if let damage = report.damage { throw .corrupt(damage) }
    }
}

extension _MappedSegment {
    var headerFirstSequence: UInt64? {
        if case .success(let h) = header { return h.firstSequence }
        return nil
    }
}

func _sequence(at offset: Int, in seg: UnsafeRawBufferPointer) -> UInt64 {
    UInt64(littleEndian: seg.baseAddress!.loadUnaligned(fromByteOffset: offset + RecordHeaderDescriptor.sequenceOffset, as: UInt64.self))
}

/// Bytes from the start of `tail` to just after its last non-zero byte.
func _nonzeroExtent(_ tail: UnsafeRawBufferPointer) -> Int64 {
    guard let base = tail.baseAddress else { return 0 }
    return Int64(cquorum_nonzero_end(base, tail.count))
}
