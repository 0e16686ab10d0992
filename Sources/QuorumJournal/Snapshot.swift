// Snapshots: a state blob with the sequence it reflects and a hash, written beside the
// segments to a temporary file and published by an atomic rename.
//
//  snapshot-<sequence, 20 digits>.qsnap
//  0 magic "QRMSNAP\0" · 8 u16 version · 10 u16 header length (48) · 12 u32 reserved
//  16 u64 sequence (state after applying every record ≤ it) · 24 u64 state hash
//  32 u64 blob length · 40 u32 crc32c of the blob · 44 u32 crc32c of bytes 0..<44 · 48 blob

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum SnapshotDescriptor {
    public static let size = 48
    public static let magic: UInt64 = 0x0050_414E_534D_5251  // "QRMSNAP\0" little-endian
    public static let version: UInt16 = 1
}

/// A snapshot read back and checked.
public struct JournalSnapshot: Sendable {
    public var path: String
    public var sequence: UInt64
    public var stateHash: UInt64
    public var blob: [UInt8]
}

public enum JournalSnapshots {
    /// Writes a snapshot of the state after `sequence` and publishes it atomically
    /// (temporary file, fsync, rename, directory fsync).
    /// - Complexity: O(blob.count).
    @discardableResult
    public static func write(directory: String, sequence: UInt64, stateHash: UInt64,
                             blob: UnsafeRawBufferPointer) throws(JournalError) -> String {
        typealias D = SnapshotDescriptor
        let name = JournalFileNames.snapshot(sequence)
        let tmpName = name + ".tmp"
        let tmpPath = directory + "/" + tmpName
        var header = [UInt8](repeating: 0, count: D.size)
        header.withUnsafeMutableBytes { h in
            let p = h.baseAddress!
            p.storeBytes(of: D.magic.littleEndian, toByteOffset: 0, as: UInt64.self)
            p.storeBytes(of: D.version.littleEndian, toByteOffset: 8, as: UInt16.self)
            p.storeBytes(of: UInt16(D.size).littleEndian, toByteOffset: 10, as: UInt16.self)
            p.storeBytes(of: sequence.littleEndian, toByteOffset: 16, as: UInt64.self)
            p.storeBytes(of: stateHash.littleEndian, toByteOffset: 24, as: UInt64.self)
            p.storeBytes(of: UInt64(blob.count).littleEndian, toByteOffset: 32, as: UInt64.self)
            p.storeBytes(of: CRC32C.checksum(blob).littleEndian, toByteOffset: 40, as: UInt32.self)
            p.storeBytes(of: CRC32C.checksum(UnsafeRawBufferPointer(start: p, count: 44)).littleEndian,
                         toByteOffset: 44, as: UInt32.self)
        }
        let fd = try FileDescriptor._open(tmpPath, O_WRONLY | O_CREAT | O_TRUNC).journal("create", tmpPath)
        do throws(JournalError) {
            try _withBytes(header) { (h) throws(JournalError) in
                try fd._pwriteAll(h, at: 0).journal("pwrite", tmpPath, offset: 0)
            }
            if blob.count > 0 {
                try fd._pwriteAll(blob, at: Int64(D.size)).journal("pwrite", tmpPath, offset: Int64(D.size))
            }
            try fd._fdatasync().journal("fdatasync", tmpPath)
            _ = fd._close()
            try _renameDurably(directory: directory, from: tmpName, to: name, sync: true).journal("rename", tmpPath)
        } catch {
            _ = fd._close()
            _ = system_unlinkat(AT_FDCWD, tmpPath, 0)
            throw error
        }
        return directory + "/" + name
    }

    /// `write(directory:sequence:stateHash:blob:)` for a blob in an array.
    @discardableResult
    public static func write(directory: String, sequence: UInt64, stateHash: UInt64,
                             blob: [UInt8]) throws(JournalError) -> String {
        try _withBytes(blob) { (b) throws(JournalError) in
            try write(directory: directory, sequence: sequence, stateHash: stateHash, blob: b)
        }
    }

    /// Reads and checks one snapshot file.
    public static func read(path: String) throws(JournalError) -> JournalSnapshot {
        typealias D = SnapshotDescriptor
        let fd = try FileDescriptor._open(path, O_RDONLY).journal("open", path)
        defer { _ = fd._close() }
        let size = Int(try fd._size().journal("fstat", path))
        guard size >= D.size else { throw .badSnapshot(path: path, reason: "\(size) bytes, shorter than its header") }
        var bytes = [UInt8](repeating: 0, count: size)
        let n = try _withMutableBytes(&bytes) { (b) throws(JournalError) in
            try fd._preadAll(b, at: 0).journal("pread", path, offset: 0)
        }
        guard n == size else { throw .badSnapshot(path: path, reason: "short read") }
        return try _withBytes(bytes) { (b) throws(JournalError) -> JournalSnapshot in
            let p = b.baseAddress!
            guard UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)) == D.magic else {
                throw .badSnapshot(path: path, reason: "bad magic")
            }
            let storedHeaderCRC = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 44, as: UInt32.self))
            guard storedHeaderCRC == CRC32C.checksum(UnsafeRawBufferPointer(start: p, count: 44)) else {
                throw .badSnapshot(path: path, reason: "header checksum mismatch")
            }
            let version = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
            guard version >= 1 && version <= D.version else { throw .badSnapshot(path: path, reason: "unknown version \(version)") }
            let sequence = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            let hash = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            let length = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
            guard length == UInt64(size - D.size) else {
                throw .badSnapshot(path: path, reason: "blob length \(length), file holds \(size - D.size)")
            }
            let blob = UnsafeRawBufferPointer(rebasing: b[D.size...])
            let storedBlobCRC = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 40, as: UInt32.self))
            guard storedBlobCRC == CRC32C.checksum(blob) else { throw .badSnapshot(path: path, reason: "blob checksum mismatch") }
            return JournalSnapshot(path: path, sequence: sequence, stateHash: hash, blob: Array(blob))
        }
    }

    /// Every snapshot file in `directory` by name, oldest first (nothing read or checked).
    public static func list(directory: String) throws(JournalError) -> [(sequence: UInt64, path: String)] {
        guard let names = system_listDirectory(directory) else {
            throw .io(operation: "opendir", path: directory, offset: nil, errno: .current)
        }
        return names.compactMap { n in JournalFileNames.snapshotSequence(of: n).map { ($0, directory + "/" + n) } }
            .sorted { $0.0 < $1.0 }
    }

    /// The newest snapshot that passes its checks (at or below `atOrBefore`), and the newer
    /// ones that did not, with why.
    public static func newestValid(directory: String, atOrBefore limit: UInt64 = .max) throws(JournalError)
        -> (snapshot: JournalSnapshot?, rejected: [(path: String, reason: String)]) {
        let candidates = try list(directory: directory).filter { $0.sequence <= limit }.reversed()
        var rejected: [(String, String)] = []
        for (_, path) in candidates {
            do throws(JournalError) {
                return (try read(path: path), rejected)
            } catch {
                rejected.append((path, error.description))
            }
        }
        return (nil, rejected)
    }
}
