// The logic behind `quorum journal info|verify|dump|export|tail|recover`: each function
// writes text to a given stream and returns what it found, so the CLI is a thin shell
// and the tests check the same code users run.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Which records a dump, export or tail shows.
public struct JournalRecordFilter: Sendable {
    public var types: Set<JournalRecordType>? = nil
    public var fromSequence: UInt64 = 0
    public var toSequence: UInt64 = .max
    public var fromTimeNs: UInt64 = 0
    public var toTimeNs: UInt64 = .max

    public init(types: Set<JournalRecordType>? = nil, fromSequence: UInt64 = 0, toSequence: UInt64 = .max,
                fromTimeNs: UInt64 = 0, toTimeNs: UInt64 = .max) {
        self.types = types
        self.fromSequence = fromSequence
        self.toSequence = toSequence
        self.fromTimeNs = fromTimeNs
        self.toTimeNs = toTimeNs
    }

    @inline(__always)
    public func matches(_ r: JournalRecord) -> Bool {
        r.sequence >= fromSequence && r.sequence <= toSequence && r.timestampNs >= fromTimeNs
            && r.timestampNs <= toTimeNs && (types?.contains(r.type) ?? true)
    }
}

public enum JournalExportFormat: String, Sendable, CaseIterable {
    case csv, jsonl
}

/// What `info` found.
public struct JournalInfo: Sendable {
    public var scan: JournalScanReport
    public var countsByType: [JournalRecordType: Int]
    public var firstTimestampNs: UInt64?
    public var lastTimestampNs: UInt64?
    public var bytesAllocated: Int64
    public var bytesUsed: Int64
    public var snapshots: [String]
}

/// What `verify` found; `ok` when there is nothing to report.
public struct JournalVerifyResult: Sendable {
    public var scan: JournalScanReport
    public var records: Int
    public var replay: JournalReplayResult?
    public var problems: [String]
    public var ok: Bool { problems.isEmpty }
}

/// Progress on stderr for long runs, only when stderr is a terminal; at most 5 updates a second.
public struct JournalProgress {
    let label: String
    let total: Int
    let enabled: Bool
    var lastNs: UInt64 = 0

    /// `enabled` nil: on when stderr is a terminal.
    public init(label: String, total: Int, enabled: Bool? = nil) {
        self.label = label
        self.total = total
        self.enabled = (enabled ?? system_isatty(2)) && total > (16 << 20)
    }

    public mutating func update(_ done: Int) {
        guard enabled else { return }
        let now = system_monotonicNanoseconds()
        guard now &- lastNs >= 200_000_000 else { return }  // &: monotonic
        lastNs = now
        let pct = total > 0 ? min(100, done * 100 / total) : 0
        _writeStderr("\r\(label): \(pct)% (\(_bytes(Int64(done))) of \(_bytes(Int64(total))))\u{1B}[K")
    }

    public func finish() {
        if enabled { _writeStderr("\r\u{1B}[K") }
    }
}

func _writeStderr(_ s: String) {
    var s = s
    s.withUTF8 { _ = system_write(2, $0.baseAddress!, $0.count) }
}

/// A buffered text stream to a file descriptor (standard output or a file).
public final class JournalFileOutput: TextOutputStream {
    let fd: Int32
    let ownsFD: Bool
    var buffer: [UInt8] = []
    public private(set) var failure: Errno?

    public init(fd: Int32) {
        self.fd = fd
        self.ownsFD = false
        buffer.reserveCapacity(1 << 16)
    }

    /// Creates (or truncates) `path`.
    public init(path: String) throws(JournalError) {
        self.fd = try FileDescriptor._open(path, O_WRONLY | O_CREAT | O_TRUNC).journal("create", path).rawValue
        self.ownsFD = true
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        flush()
        if ownsFD { _ = system_close(fd) }
    }

    public func write(_ string: String) {
        buffer.append(contentsOf: string.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty, failure == nil else { buffer.removeAll(keepingCapacity: true); return }
        buffer.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let n = system_write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if system_errno() == EINTR { continue }
                    failure = .current
                    return
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

public enum JournalTools {
    // MARK: info

    /// Segments, sequence and time range, record counts by type, sizes, torn tail or damage.
    /// - Complexity: O(bytes in the journal).
    @discardableResult
    public static func info(directory: String, to out: inout some TextOutputStream) throws(JournalError) -> JournalInfo {
        let reader = try JournalReader(directory: directory)
        guard !reader.segments.isEmpty else { throw .noJournal(path: directory) }
        var counts: [JournalRecordType: Int] = [:]
        var firstTs: UInt64? = nil
        var lastTs: UInt64 = 0
        var progress = JournalProgress(label: "info", total: reader.mappedBytes)
        reader.progress = { progress.update($0) }
        let scan = reader.scan { r in
            counts[r.type, default: 0] += 1
            if firstTs == nil { firstTs = r.timestampNs }
            lastTs = r.timestampNs
            return true
        }
        progress.finish()
        let allocated = scan.segments.reduce(Int64(0)) { $0 + $1.fileSize }
        let used = scan.segments.reduce(Int64(0)) { $0 + $1.validEnd }
        let snapshots = (system_listDirectory(directory) ?? []).filter { JournalFileNames.snapshotSequence(of: $0) != nil }.sorted()
        let info = JournalInfo(scan: scan, countsByType: counts, firstTimestampNs: firstTs,
                               lastTimestampNs: firstTs == nil ? nil : lastTs, bytesAllocated: allocated,
                               bytesUsed: used, snapshots: snapshots)
        out.write("journal    \(directory)\n")
        let first = scan.segments.first!.index, last = scan.segments.last!.index
        out.write("segments   \(scan.segments.count) (\(JournalFileNames.segment(first)) … \(JournalFileNames.segment(last)))\n")
        out.write("size       \(_bytes(used)) used of \(_bytes(allocated)) allocated\n")
        if let f = scan.firstSequence, let l = scan.lastSequence {
            out.write("sequence   \(f) … \(l) (\(scan.recordCount) records)\n")
        } else {
            out.write("sequence   none (empty; next is \(scan.nextSequence))\n")
        }
        if let f = firstTs {
            out.write("time       \(formatTimestamp(f)) … \(formatTimestamp(lastTs)) (\(_duration(lastTs &- f)))\n")  // &: ≥ 0 for an ordered journal; shown as is otherwise
        }
        if !counts.isEmpty {
            let parts = counts.sorted { $0.key < $1.key }.map { "\(JournalRecordRegistry.name(of: $0.key)) \($0.value)" }
            out.write("types      \(parts.joined(separator: ", "))\n")
        }
        out.write("snapshots  \(snapshots.isEmpty ? "none" : snapshots.joined(separator: ", "))\n")
        for s in scan.segments {
            let range = s.firstSequence.map { "\($0) … \(s.lastSequence!)" } ?? "empty"
            out.write("  segment \(s.index): \(range), \(s.recordCount) records, \(_bytes(s.validEnd)) of \(_bytes(s.fileSize))\n")
        }
        out.write(_health(scan))
        return info
    }

    static func _health(_ scan: JournalScanReport) -> String {
        var s = ""
        if let t = scan.tornTail { s += "tail       TORN: \(t)\n" }
        if let d = scan.damage { s += "damage     \(d)\n" }
        if scan.isClean { s += "status     clean\n" }
        return s
    }

    // MARK: verify

    /// Checks every CRC and the sequence continuity across segments; with a replayer, also
    /// replays (from the newest valid snapshot when `useSnapshot`) and checks every checkpoint.
    /// A torn tail is reported as a problem (it would be cut on the next open for writing).
    /// - Complexity: O(bytes in the journal).
    public static func verify<R: JournalReplayer>(directory: String, replayer: inout R?, useSnapshot: Bool = false,
                                                  to out: inout some TextOutputStream) throws(JournalError) -> JournalVerifyResult {
        let reader = try JournalReader(directory: directory)
        guard !reader.segments.isEmpty else { throw .noJournal(path: directory) }
        var progress = JournalProgress(label: "verify", total: reader.mappedBytes)
        reader.progress = { progress.update($0) }
        let scan = reader.scan()
        progress.finish()
        var problems: [String] = []
        if let d = scan.damage { problems.append("damage: \(d)") }
        if let t = scan.tornTail { problems.append("\(t) (cut on next open for writing)") }
        var replayResult: JournalReplayResult? = nil
        if var r = replayer, scan.damage == nil {
            do {
                let result = try JournalReplay.run(directory: directory, into: &r, useSnapshot: useSnapshot)
                replayResult = result
                for m in result.checkpointMismatches {
                    problems.append("checkpoint at sequence \(m.sequence): state hash 0x\(String(m.actual, radix: 16)), journal says 0x\(String(m.expected, radix: 16))")
                }
                replayer = r
            } catch {
                problems.append("replay failed: \(error)")
            }
        }
        out.write("verify     \(directory)\n")
        out.write("records    \(scan.recordCount) in \(scan.segments.count) segments, every CRC and sequence checked\n")
        if let rr = replayResult {
            let from = rr.snapshotSequence.map { "from snapshot at sequence \($0)" } ?? "from the start"
            out.write("replay     \(rr.recordsApplied) records applied \(from), \(rr.checkpointsChecked) checkpoints checked, \(rr.checkpointMismatches.count) mismatches\n")
        }
        for p in problems { out.write("PROBLEM    \(p)\n") }
        out.write(problems.isEmpty ? "result     OK\n" : "result     FAILED (\(problems.count) problems)\n")
        return JournalVerifyResult(scan: scan, records: scan.recordCount, replay: replayResult, problems: problems)
    }

    /// `verify` without a replayer: CRCs and sequence continuity only.
    public static func verify(directory: String, to out: inout some TextOutputStream) throws(JournalError) -> JournalVerifyResult {
        var none: JournalDemoReplayer? = nil
        return try verify(directory: directory, replayer: &none, to: &out)
    }

    // MARK: dump

    /// One human-readable line per record that passes `filter`. Returns how many were shown.
    /// - Complexity: O(bytes from the segment holding `filter.fromSequence` to the end).
    @discardableResult
    public static func dump(directory: String, filter: JournalRecordFilter = JournalRecordFilter(),
                            to out: inout some TextOutputStream) throws(JournalError) -> Int {
        let reader = try JournalReader(directory: directory)
        var shown = 0
        var progress = JournalProgress(label: "dump", total: reader.mappedBytes)
        reader.progress = { progress.update($0) }
        let scan = reader.scan(from: filter.fromSequence, checkAll: false) { r in
            if r.sequence > filter.toSequence { return false }
            if filter.matches(r) {
                out.write(formatRecord(r))
                out.write("\n")
                shown += 1
            }
            return true
        }
        progress.finish()
        if !scan.isClean { out.write("# " + _health(scan).replacingOccurrences("\n", "\n# ").dropLastHash()) }
        if let d = scan.damage { throw .corrupt(d) }
        return shown
    }

    /// `#seq  time  type vN  flags  len  fields (or hex)`.
    public static func formatRecord(_ r: JournalRecord) -> String {
        var line = "#\(r.sequence)  \(formatTimestamp(r.timestampNs))  \(JournalRecordRegistry.name(of: r.type)) v\(r.version)"
        line += "  flags=0x" + _zeroPaddedHex(UInt64(r.flags), width: 4) + "  len=\(r.payload.count)"
        line += "  [seg \(r.segmentIndex) @\(r.offset)]"
        if let fields = JournalRecordRegistry.decode(type: r.type, version: r.version, payload: r.payload) {
            for (k, v) in fields { line += "  \(k)=\(v)" }
        } else if r.payload.count > 0 {
            line += "  " + _hex(r.payload, limit: 64)
        }
        return line
    }

    // MARK: export

    /// One row per record that passes `filter`: csv (with a header row) or JSON lines, with
    /// seq, timestamp_ns, type name, version, flags, length, payload hex and decoded fields.
    /// Returns the number of rows.
    /// - Complexity: O(bytes exported).
    @discardableResult
    public static func export(directory: String, format: JournalExportFormat,
                              filter: JournalRecordFilter = JournalRecordFilter(),
                              to out: inout some TextOutputStream) throws(JournalError) -> Int {
        let reader = try JournalReader(directory: directory)
        var rows = 0
        if format == .csv { out.write("seq,timestamp_ns,type,version,flags,length,payload_hex,fields\n") }
        var progress = JournalProgress(label: "export", total: reader.mappedBytes)
        reader.progress = { progress.update($0) }
        let scan = reader.scan(from: filter.fromSequence, checkAll: false) { r in
            if r.sequence > filter.toSequence { return false }
            guard filter.matches(r) else { return true }
            out.write(format == .csv ? csvRow(r) : jsonLine(r))
            rows += 1
            return true
        }
        progress.finish()
        if let d = scan.damage { throw .corrupt(d) }
        return rows
    }

    public static func csvRow(_ r: JournalRecord) -> String {
        let name = JournalRecordRegistry.name(of: r.type)
        let fields = JournalRecordRegistry.decode(type: r.type, version: r.version, payload: r.payload)?
            .map { "\($0.0)=\($0.1)" }.joined(separator: ";") ?? ""
        return "\(r.sequence),\(r.timestampNs),\(name),\(r.version),\(r.flags),\(r.payload.count),\(_hex(r.payload)),\(_csvQuote(fields))\n"
    }

    public static func jsonLine(_ r: JournalRecord) -> String {
        var s = "{\"seq\":\(r.sequence),\"timestamp_ns\":\(r.timestampNs),\"type\":\(_jsonString(JournalRecordRegistry.name(of: r.type)))"
        s += ",\"version\":\(r.version),\"flags\":\(r.flags),\"length\":\(r.payload.count),\"payload_hex\":\"\(_hex(r.payload))\""
        if let schema = JournalRecordRegistry.schema(for: r.type),
           let fields = JournalRecordRegistry.decode(type: r.type, version: r.version, payload: r.payload) {
            let kinds = Dictionary(schema.fields(version: r.version).map { ($0.name, $0.kind) }, uniquingKeysWith: { a, _ in a })
            s += ",\"fields\":{"
            s += fields.map { name, value in
                let numeric: Bool
                switch kinds[name] {
                case .u8, .u16, .u32, .u64, .i64, .fixed4: numeric = true
                case .f64: numeric = Double(value)?.isFinite ?? false
                default: numeric = false
                }
                return _jsonString(name) + ":" + (numeric ? value : _jsonString(value))
            }.joined(separator: ",")
            s += "}"
        }
        return s + "}\n"
    }

    // MARK: tail

    /// Prints the last `count` records, then (when `follow`) every new one as it is written,
    /// polling every `pollIntervalNs` until `shouldStop` returns true. Returns records shown.
    public static func tail(directory: String, count: Int = 10, follow: Bool, filter: JournalRecordFilter = JournalRecordFilter(),
                            pollIntervalNs: UInt64 = 100_000_000, shouldStop: () -> Bool = { false },
                            to out: inout some TextOutputStream) throws(JournalError) -> Int {
        let scan = try JournalReader(directory: directory).scan(checkAll: false)
        let start = scan.nextSequence > UInt64(count) ? scan.nextSequence - UInt64(count) : 0
        let follower = try JournalFollower(directory: directory, from: max(start, filter.fromSequence))
        var shown = 0
        repeat {
            let n = try follower.poll { r in
                if filter.matches(r) {
                    out.write(formatRecord(r))
                    out.write("\n")
                    shown += 1
                }
            }
            if let o = out as? JournalFileOutput { o.flush() }
            if !follow { break }
            if n == 0 { system_nanosleep(pollIntervalNs) }
        } while !shouldStop()
        return shown
    }

    // MARK: recover

    /// Opens the journal for writing and closes it again: a torn tail is cut off, damage
    /// elsewhere is refused (or, with `repair`, cut and set aside). Reports what was done.
    @discardableResult
    public static func recover(directory: String, repair: Bool, to out: inout some TextOutputStream) throws(JournalError) -> JournalRecoveryReport {
        var options = JournalWriterOptions()
        options.repair = repair
        options.ringCapacity = 1 << 20
        options.batchCapacity = 1 << 17
        let writer = try JournalWriter(directory: directory, options: options)
        let report = writer.recovery
        out.write("recover    \(directory)\n")
        if let t = report.truncatedTail { out.write("cut        \(t)\n") }
        if let d = report.repairedDamage { out.write("repaired   cut at \(d)\n") }
        for f in report.setAside { out.write("set aside  \(f)\n") }
        if report.truncatedTail == nil && report.repairedDamage == nil { out.write("status     clean, nothing to do\n") }
        out.write("next       sequence \(report.nextSequence)\n")
        return report
    }

    // MARK: formatting

    /// `2026-11-22T02:10:29.123456789Z` (UTC, nanoseconds).
    public static func formatTimestamp(_ ns: UInt64) -> String {
        var seconds = time_t(ns / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + _zeroPadded(ns % 1_000_000_000, width: 9) + "Z"
    }

    /// Parses a time for filters: nanoseconds since 1970, or `YYYY-MM-DDTHH:MM:SS[.fraction][Z]` (UTC).
    public static func parseTimestamp(_ text: String) -> UInt64? {
        if let ns = UInt64(text) { return ns }
        var t = Substring(text)
        if t.hasSuffix("Z") { t = t.dropLast() }
        let (main, frac) = t.split(separator: ".", maxSplits: 1).count == 2
            ? (t.split(separator: ".")[0], String(t.split(separator: ".")[1])) : (t, "")
        let fields = main.split(whereSeparator: { "-T: ".contains($0) }).map { Int32($0) }
        guard fields.count == 6, fields.allSatisfy({ $0 != nil }) else { return nil }
        var parts = tm()
        parts.tm_year = fields[0]! - 1900
        parts.tm_mon = fields[1]! - 1
        parts.tm_mday = fields[2]!
        parts.tm_hour = fields[3]!
        parts.tm_min = fields[4]!
        parts.tm_sec = fields[5]!
        let seconds = timegm(&parts)
        guard seconds >= 0 else { return nil }
        var nanos: UInt64 = 0
        if !frac.isEmpty {
            guard frac.count <= 9, let f = UInt64(frac) else { return nil }
            nanos = f
            for _ in frac.count..<9 { nanos *= 10 }
        }
        return UInt64(seconds) * 1_000_000_000 + nanos
    }
}

/// Follows a journal as it grows, across segment rolls: each `poll` hands out the records
/// written since the last one. Not thread-safe.
public final class JournalFollower {
    let directory: String
    var startSequence: UInt64
    var segment: _MappedSegment?
    var offset = SegmentHeaderDescriptor.size
    var expected: UInt64 = 0

    public init(directory: String, from sequence: UInt64 = 0) throws(JournalError) {
        self.directory = directory
        self.startSequence = sequence
    }

    /// The records appended since the last poll (from `from` on the first). Returns how many.
    /// - Complexity: O(new bytes).
    public func poll(_ visit: (JournalRecord) -> Void) throws(JournalError) -> Int {
        var shown = 0
        while true {
            if segment == nil {
                let indexes = try _segmentIndexes(in: directory)
                guard !indexes.isEmpty else { return shown }
                // The newest segment whose first sequence is ≤ the start.
                var chosen = indexes[0]
                for i in indexes {
                    guard let s = try? _MappedSegment(directory: directory, index: i), let first = s.headerFirstSequence else { continue }
                    if first <= startSequence { chosen = i } else { break }
                }
                try open(chosen)
            }
            guard let seg = segment else { return shown }
            // Look for the next segment before walking: the writer completes a segment
            // before it creates the next, so once it exists, this one's end is final.
            let nextPath = directory + "/" + JournalFileNames.segment(seg.index + 1)
            let nextExists = access(nextPath, F_OK) == 0
            let capacity = seg.headerFirstSequence != nil ? Int(clamping: (try? seg.header.get().capacity) ?? 0) : 0
            let walk = _walkRecords(seg.bytes, segmentIndex: seg.index, offset: offset, expectedSequence: expected,
                                    capacity: capacity) { r in
                if r.sequence >= startSequence {
                    visit(r)
                    shown += 1
                }
                return true
            }
            offset = walk.offset
            expected = walk.nextSequence
            if nextExists {
                if case .damage(let reason) = walk.stop {
                    throw .corrupt(JournalDamage(segmentIndex: seg.index, path: seg.path, offset: Int64(offset),
                                                 sequence: expected, reason: reason))
                }
                try open(seg.index + 1)
                continue
            }
            // A damaged-looking spot at the end of the newest segment is a write in flight: retry later.
            return shown
        }
    }

    private func open(_ index: UInt64) throws(JournalError) {
        let seg = try _MappedSegment(directory: directory, index: index)
        guard case .success(let header) = seg.header else {
            throw .corrupt(JournalDamage(segmentIndex: index, path: seg.path, offset: 0, sequence: expected,
                                         reason: .badSegmentHeader("unreadable while following")))
        }
        segment = seg
        offset = SegmentHeaderDescriptor.size
        expected = header.firstSequence
    }
}

func _bytes(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n)
    var u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    if u == 0 { return "\(n) B" }
    let tenths = Int((v * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) \(units[u])"
}

func _duration(_ ns: UInt64) -> String {
    if ns < 1_000 { return "\(ns) ns" }
    if ns < 1_000_000 { return "\(ns / 1_000) µs" }
    if ns < 1_000_000_000 { return "\(ns / 1_000_000) ms" }
    let ms = ns / 1_000_000
    return "\(ms / 1000).\(_zeroPadded(ms % 1000, width: 3)) s"
}

func _zeroPaddedHex(_ v: UInt64, width: Int) -> String {
    let s = String(v, radix: 16)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

func _csvQuote(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return s }
    return "\"" + s.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
}

func _jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += "\\u00" + _zeroPaddedHex(UInt64(u.value), width: 2) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

extension String {
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
    /// Drops a trailing "# " left by prefixing every line.
    func dropLastHash() -> String { hasSuffix("# ") ? String(dropLast(2)) : self }
}
