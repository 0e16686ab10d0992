import CQuorumCRC

// The byte layout of a journal, written down twice: as the offset constants below and as
// the diagrams in docs/journal-format.md. All integers are little-endian.
//
//  segment file  journal-<index, 8+ digits>.qseg, preallocated to `capacity` bytes
//  ┌──────────────────── segment header, 64 bytes ─────────────────────┐
//  │ 0  magic "QRMJRNL\0"  8 │ 8  u16 format version │ 10 u16 header len │
//  │ 12 u32 flags (0)        │ 16 u64 segment index                       │
//  │ 24 u64 first sequence   │ 32 u64 creation time, ns since 1970 UTC    │
//  │ 40 u64 capacity (bytes) │ 48 u64 reserved (0) │ 56 u32 reserved (0)  │
//  │ 60 u32 crc32c of bytes 0..<60                                         │
//  └───────────────────────────────────────────────────────────────────────┘
//  records from offset 64, each 8-aligned, until a zero record header:
//  ┌ 0 u32 length ┬ 4 u32 crc32c ┬ 8 u64 seq ┬ 16 u64 timestamp_ns ┬ 24 u16 type ┬ 26 u16 flags ┬ 28 u16 version ┬ 30 u16 reserved ┐
//  └ 32 payload (length bytes) · zero padding to the next multiple of 8 ┘
//  length counts the payload only. crc32c covers bytes 0..<4 (length) then 8..<32+length
//  (the rest of the header and the payload, not the crc field, not the padding).

/// Offsets and sizes of the segment header.
public enum SegmentHeaderDescriptor {
    public static let size = 64
    public static let magicOffset = 0
    public static let formatVersionOffset = 8
    public static let headerLengthOffset = 10
    public static let flagsOffset = 12
    public static let segmentIndexOffset = 16
    public static let firstSequenceOffset = 24
    public static let createdNsOffset = 32
    public static let capacityOffset = 40
    public static let crcOffset = 60

    /// "QRMJRNL\0" read as a little-endian u64.
    public static let magic: UInt64 = 0x004C_4E52_4A4D_5251
    /// The format this code writes. Readers accept every version up to this one.
    public static let formatVersion: UInt16 = 1
}

/// Offsets and sizes of a record header.
public enum RecordHeaderDescriptor {
    public static let size = 32
    public static let lengthOffset = 0
    public static let crcOffset = 4
    public static let sequenceOffset = 8
    public static let timestampOffset = 16
    public static let typeOffset = 24
    public static let flagsOffset = 26
    public static let versionOffset = 28
    public static let reservedOffset = 30
    public static let alignment = 8

    /// Bytes a record with `payloadLength` payload bytes takes on disk.
    @inline(__always)
    public static func recordSize(payloadLength: Int) -> Int {
        size + ((payloadLength + alignment - 1) & ~(alignment - 1))
    }

    /// The CRC32C a record header at `record` (with its payload after it) must carry.
    @inline(__always)
    static func checksum(_ record: UnsafeRawPointer, payloadLength: Int) -> UInt32 {
        cquorum_crc32c_record(record, payloadLength)
    }
}

/// The decoded segment header.
public struct SegmentHeader: Sendable, Equatable {
    public var formatVersion: UInt16
    public var segmentIndex: UInt64
    public var firstSequence: UInt64
    public var createdNs: UInt64
    public var capacity: UInt64

    public init(segmentIndex: UInt64, firstSequence: UInt64, createdNs: UInt64, capacity: UInt64) {
        self.formatVersion = SegmentHeaderDescriptor.formatVersion
        self.segmentIndex = segmentIndex
        self.firstSequence = firstSequence
        self.createdNs = createdNs
        self.capacity = capacity
    }

    /// Writes the 64 header bytes, CRC included, at `p`.
    func encode(to p: UnsafeMutableRawPointer) {
        typealias D = SegmentHeaderDescriptor
        p.initializeMemory(as: UInt8.self, repeating: 0, count: D.size)
        p.storeBytes(of: D.magic.littleEndian, toByteOffset: D.magicOffset, as: UInt64.self)
        p.storeBytes(of: formatVersion.littleEndian, toByteOffset: D.formatVersionOffset, as: UInt16.self)
        p.storeBytes(of: UInt16(D.size).littleEndian, toByteOffset: D.headerLengthOffset, as: UInt16.self)
        p.storeBytes(of: segmentIndex.littleEndian, toByteOffset: D.segmentIndexOffset, as: UInt64.self)
        p.storeBytes(of: firstSequence.littleEndian, toByteOffset: D.firstSequenceOffset, as: UInt64.self)
        p.storeBytes(of: createdNs.littleEndian, toByteOffset: D.createdNsOffset, as: UInt64.self)
        p.storeBytes(of: capacity.littleEndian, toByteOffset: D.capacityOffset, as: UInt64.self)
        let crc = CRC32C.checksum(UnsafeRawPointer(p), D.crcOffset)
        p.storeBytes(of: crc.littleEndian, toByteOffset: D.crcOffset, as: UInt32.self)
    }

    enum DecodeProblem: Error, Equatable { case tooShort, badMagic, badChecksum, unsupportedVersion(UInt16) }

    /// Decodes and checks the header in `bytes` (at least 64 of them).
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<SegmentHeader, DecodeProblem> {
        typealias D = SegmentHeaderDescriptor
        guard bytes.count >= D.size, let p = bytes.baseAddress else { return .failure(.tooShort) }
        let magic = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: D.magicOffset, as: UInt64.self))
        guard magic == D.magic else { return .failure(.badMagic) }
        let stored = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: D.crcOffset, as: UInt32.self))
        guard stored == CRC32C.checksum(p, D.crcOffset) else { return .failure(.badChecksum) }
        let version = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: D.formatVersionOffset, as: UInt16.self))
        guard version >= 1 && version <= D.formatVersion else { return .failure(.unsupportedVersion(version)) }
        var h = SegmentHeader(
            segmentIndex: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: D.segmentIndexOffset, as: UInt64.self)),
            firstSequence: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: D.firstSequenceOffset, as: UInt64.self)),
            createdNs: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: D.createdNsOffset, as: UInt64.self)),
            capacity: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: D.capacityOffset, as: UInt64.self)))
        h.formatVersion = version
        return .success(h)
    }
}

/// Segment and snapshot file names.
public enum JournalFileNames {
    public static let segmentPrefix = "journal-"
    public static let segmentSuffix = ".qseg"
    public static let snapshotPrefix = "snapshot-"
    public static let snapshotSuffix = ".qsnap"

    public static func segment(_ index: UInt64) -> String {
        segmentPrefix + _zeroPadded(index, width: 8) + segmentSuffix
    }

    public static func segmentIndex(of name: String) -> UInt64? {
        guard name.hasPrefix(segmentPrefix), name.hasSuffix(segmentSuffix) else { return nil }
        let digits = name.dropFirst(segmentPrefix.count).dropLast(segmentSuffix.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    public static func snapshot(_ sequence: UInt64) -> String {
        snapshotPrefix + _zeroPadded(sequence, width: 20) + snapshotSuffix
    }

    public static func snapshotSequence(of name: String) -> UInt64? {
        guard name.hasPrefix(snapshotPrefix), name.hasSuffix(snapshotSuffix) else { return nil }
        let digits = name.dropFirst(snapshotPrefix.count).dropLast(snapshotSuffix.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }
}

func _zeroPadded(_ value: UInt64, width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
