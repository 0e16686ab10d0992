/// Where a journal stops being valid: the segment, the byte offset in it, the sequence that
/// was expected there, and why.
public struct JournalDamage: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// The segment header: bad magic, bad checksum, unknown format version, too short.
        case badSegmentHeader(String)
        /// The header's segment index or first sequence does not follow the previous segment.
        case segmentOutOfOrder(String)
        /// A segment index is missing between two present ones.
        case missingSegment(index: UInt64)
        /// Fewer bytes left than a record header or than the record's length says.
        case shortRecord
        /// The length field is larger than any record this segment could hold.
        case lengthOutOfRange(UInt32)
        case badChecksum(stored: UInt32, computed: UInt32)
        case sequenceGap(found: UInt64)
        /// A zero record header followed by non-zero bytes.
        case garbageAfterEnd

        public var description: String {
            switch self {
            case .badSegmentHeader(let why): return "bad segment header (\(why))"
            case .segmentOutOfOrder(let why): return "segment out of order (\(why))"
            case .missingSegment(let index): return "segment \(index) is missing"
            case .shortRecord: return "short record"
            case .lengthOutOfRange(let n): return "length \(n) out of range"
            case .badChecksum(let s, let c):
                return "bad CRC32C (stored 0x\(String(s, radix: 16)), computed 0x\(String(c, radix: 16)))"
            case .sequenceGap(let found): return "sequence gap (found \(found))"
            case .garbageAfterEnd: return "non-zero bytes after the end marker"
            }
        }
    }

    public var segmentIndex: UInt64
    public var path: String
    public var offset: Int64
    /// The sequence the record at `offset` should have carried.
    public var sequence: UInt64
    public var reason: Reason

    public var description: String {
        "\(path) (segment \(segmentIndex)) at byte offset \(offset), sequence \(sequence): \(reason)"
    }
}

/// Every error the journal reports. Each names the file, and where it applies the offset and
/// the sequence.
public enum JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed.
    case io(operation: String, path: String, offset: Int64?, errno: Errno)
    /// The journal directory was removed (or replaced) while the writer had it open.
    case directoryVanished(path: String)
    /// Damage outside the last segment's tail: the journal is not opened for writing
    /// unless repair is asked for.
    case corrupt(JournalDamage)
    /// `append` was given a payload larger than the configured maximum.
    case payloadTooLarge(length: Int, maximum: Int)
    /// Options that cannot work together (e.g. a record larger than a segment).
    case invalidOptions(String)
    /// No segment files in the directory (for tools that need an existing journal).
    case noJournal(path: String)
    /// A sequence outside the journal.
    case sequenceNotFound(UInt64)
    /// A snapshot file that is unreadable or fails its check.
    case badSnapshot(path: String, reason: String)

    public var description: String {
        switch self {
        case .io(let op, let path, let offset, let errno):
            let at = offset.map { " at offset \($0)" } ?? ""
            return "\(op) \(path)\(at): \(errno)"
        case .directoryVanished(let path): return "journal directory \(path) vanished"
        case .corrupt(let damage): return "journal corrupt: \(damage)"
        case .payloadTooLarge(let n, let max): return "payload of \(n) bytes exceeds the maximum \(max)"
        case .invalidOptions(let why): return "invalid journal options: \(why)"
        case .noJournal(let path): return "no journal segments in \(path)"
        case .sequenceNotFound(let seq): return "sequence \(seq) is not in the journal"
        case .badSnapshot(let path, let why): return "snapshot \(path): \(why)"
        }
    }
}

extension Result where Failure == Errno {
    /// The top tier: an `Errno` becomes a `JournalError` naming the operation, file and offset.
    @inline(__always)
    func journal(_ operation: String, _ path: String, offset: Int64? = nil) throws(JournalError) -> Success {
        switch self {
        case .success(let v): return v
        case .failure(let e): throw .io(operation: operation, path: path, offset: offset, errno: e)
        }
    }
}

/// `withUnsafeBytes` keeping the typed error (the standard library's versions rethrow `any Error`).
@inline(__always)
func _withBytes<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(JournalError) -> T) throws(JournalError) -> T {
    var result: Result<T, JournalError>!
    bytes.withUnsafeBytes { b in
        do throws(JournalError) { result = .success(try body(b)) } catch { result = .failure(error) }
    }
    return try result.get()
}

@inline(__always)
func _withMutableBytes<T>(_ bytes: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(JournalError) -> T) throws(JournalError) -> T {
    var result: Result<T, JournalError>!
    bytes.withUnsafeMutableBytes { b in
        do throws(JournalError) { result = .success(try body(b)) } catch { result = .failure(error) }
    }
    return try result.get()
}
