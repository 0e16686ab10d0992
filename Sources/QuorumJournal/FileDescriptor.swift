// The middle tier: raw descriptors and errno values become types, and each operation
// returns `Result<_, Errno>` (`_op`). The top tier (`JournalFile`, in the writer and
// reader) turns an `Errno` into a `JournalError` that names the file and the offset.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An errno value.
@frozen
public struct Errno: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    public static var current: Errno { Errno(rawValue: system_errno()) }

    public static let noSpace = Errno(rawValue: ENOSPC)
    public static let io = Errno(rawValue: EIO)
    public static let noEntry = Errno(rawValue: ENOENT)
    public static let interrupted = Errno(rawValue: EINTR)
    public static let notSupported = Errno(rawValue: EOPNOTSUPP)
    public static let fileTooLarge = Errno(rawValue: EFBIG)

    public var description: String { "\(system_strerror(rawValue)) (errno \(rawValue))" }
}

/// An open file descriptor. Not closed automatically: its owner calls `_close()`.
@frozen
public struct FileDescriptor: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    @inlinable public init(rawValue: Int32) { self.rawValue = rawValue }

    static func _open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) -> Result<FileDescriptor, Errno> {
        while true {
            let fd = system_open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return .success(FileDescriptor(rawValue: fd)) }
            let e = Errno.current
            if e != .interrupted { return .failure(e) }
        }
    }

    func _close() -> Result<Void, Errno> {
        system_close(rawValue) == 0 ? .success(()) : .failure(.current)
    }

    /// Writes all of `buffer` at `offset`, looping over short writes and EINTR.
    func _pwriteAll(_ buffer: UnsafeRawBufferPointer, at offset: Int64) -> Result<Void, Errno> {
        var done = 0
        while done < buffer.count {
            let n = system_pwrite(rawValue, buffer.baseAddress! + done, buffer.count - done, offset + Int64(done))
            if n < 0 {
                let e = Errno.current
                if e == .interrupted { continue }
                return .failure(e)
            }
            if n == 0 { return .failure(.noSpace) }  // a zero-byte write of a non-empty buffer: no room
            done += n
        }
        return .success(())
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many (short at end of file).
    func _preadAll(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Result<Int, Errno> {
        var done = 0
        while done < buffer.count {
            let n = system_pread(rawValue, buffer.baseAddress! + done, buffer.count - done, offset + Int64(done))
            if n < 0 {
                let e = Errno.current
                if e == .interrupted { continue }
                return .failure(e)
            }
            if n == 0 { break }
            done += n
        }
        return .success(done)
    }

    /// Starts writeback of a range without waiting (a hint: errors surface at fdatasync).
    func _startWriteback(_ offset: Int64, _ length: Int64) {
        _ = system_startWriteback(rawValue, offset, length)
    }

    func _fdatasync() -> Result<Void, Errno> {
        while true {
            if system_fdatasync(rawValue) == 0 { return .success(()) }
            let e = Errno.current
            if e != .interrupted { return .failure(e) }
        }
    }

    func _fsync() -> Result<Void, Errno> {
        while true {
            if system_fsync(rawValue) == 0 { return .success(()) }
            let e = Errno.current
            if e != .interrupted { return .failure(e) }
        }
    }

    /// Reserves blocks for `[offset, offset+length)`; falls back to `ftruncate` (a sparse
    /// file, so ENOSPC would surface later at `pwrite`) where the file system has no
    /// fallocate.
    func _preallocate(_ offset: Int64, _ length: Int64) -> Result<Void, Errno> {
        while true {
            if system_fallocate(rawValue, offset, length) == 0 { return .success(()) }
            let e = Errno.current
            if e == .interrupted { continue }
            if e == .notSupported {
                return system_ftruncate(rawValue, offset + length) == 0 ? .success(()) : .failure(.current)
            }
            return .failure(e)
        }
    }

    func _truncate(_ length: Int64) -> Result<Void, Errno> {
        system_ftruncate(rawValue, length) == 0 ? .success(()) : .failure(.current)
    }

    func _size() -> Result<Int64, Errno> {
        var st = stat()
        guard system_fstat(rawValue, &st) == 0 else { return .failure(.current) }
        return .success(Int64(st.st_size))
    }

    /// The link count: 0 once a directory (or file) has been removed while open.
    func _linkCount() -> Result<Int, Errno> {
        var st = stat()
        guard system_fstat(rawValue, &st) == 0 else { return .failure(.current) }
        return .success(Int(st.st_nlink))
    }
}

/// Durably renames `from` to `to` inside `directory` (rename, then fsync the directory
/// so the new name itself survives a power cut).
func _renameDurably(directory: String, from: String, to: String, sync: Bool) -> Result<Void, Errno> {
    if system_renameat(AT_FDCWD, directory + "/" + from, AT_FDCWD, directory + "/" + to) != 0 {
        return .failure(.current)
    }
    guard sync else { return .success(()) }
    return _syncDirectory(directory)
}

func _syncDirectory(_ directory: String) -> Result<Void, Errno> {
    switch FileDescriptor._open(directory, O_RDONLY | O_DIRECTORY) {
    case .failure(let e): return .failure(e)
    case .success(let dfd):
        defer { _ = dfd._close() }
        return dfd._fsync()
    }
}

func _makeDirectory(_ path: String) -> Result<Void, Errno> {
    if system_mkdir(path, 0o755) == 0 { return .success(()) }
    let e = Errno.current
    return e.rawValue == EEXIST ? .success(()) : .failure(e)
}
