// The bottom tier of the three: the only place in QuorumJournal that calls libc for file
// I/O. Each `system_op` returns the raw result and leaves errno set, exactly like libc,
// except that a test may inject a failure through `_JournalFaultInjection`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CQuorumCRC

/// A test hook: when `fail` returns an errno for an operation on a descriptor (-1 for calls
/// that take a path), `system_op` returns -1 with that errno instead of calling libc. Set only by tests, before the threads that do I/O
/// start, and cleared after they stop; nobody else writes it.
public enum _JournalFaultInjection {
    public enum Operation: Sendable { case pwrite, fdatasync, fallocate, open, rename }
    nonisolated(unsafe) public static var fail: (@Sendable (Operation, Int32) -> Int32?)? = nil

    @inline(__always)
    static func injected(_ op: Operation, _ fd: Int32 = -1) -> Int32? {
        guard let fail else { return nil }
        return fail(op, fd)
    }
}

@inline(__always)
func system_open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    if let e = _JournalFaultInjection.injected(.open) { errno = e; return -1 }
    return open(path, flags, mode)
}

@inline(__always)
func system_openat(_ dirfd: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    if let e = _JournalFaultInjection.injected(.open) { errno = e; return -1 }
    return openat(dirfd, path, flags, mode)
}

@inline(__always)
func system_close(_ fd: Int32) -> Int32 { close(fd) }

@inline(__always)
func system_pwrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ count: Int, _ offset: Int64) -> Int {
    if let e = _JournalFaultInjection.injected(.pwrite, fd) { errno = e; return -1 }
    return pwrite(fd, buf, count, off_t(offset))
}

@inline(__always)
func system_pread(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ count: Int, _ offset: Int64) -> Int {
    pread(fd, buf, count, off_t(offset))
}

@inline(__always)
func system_fdatasync(_ fd: Int32) -> Int32 {
    if let e = _JournalFaultInjection.injected(.fdatasync, fd) { errno = e; return -1 }
    return fdatasync(fd)
}

@inline(__always)
func system_fsync(_ fd: Int32) -> Int32 {
    if let e = _JournalFaultInjection.injected(.fdatasync, fd) { errno = e; return -1 }
    return fsync(fd)
}

@inline(__always)
func system_fallocate(_ fd: Int32, _ offset: Int64, _ length: Int64) -> Int32 {
    if let e = _JournalFaultInjection.injected(.fallocate, fd) { errno = e; return -1 }
    return cquorum_fallocate(fd, offset, length)
}

@inline(__always)
func system_startWriteback(_ fd: Int32, _ offset: Int64, _ length: Int64) -> Int32 {
    cquorum_start_writeback(fd, offset, length)
}

@inline(__always)
func system_ftruncate(_ fd: Int32, _ length: Int64) -> Int32 { ftruncate(fd, off_t(length)) }

@inline(__always)
func system_fstat(_ fd: Int32, _ st: UnsafeMutablePointer<stat>) -> Int32 { fstat(fd, st) }

@inline(__always)
func system_renameat(_ olddirfd: Int32, _ old: UnsafePointer<CChar>, _ newdirfd: Int32, _ new: UnsafePointer<CChar>) -> Int32 {
    if let e = _JournalFaultInjection.injected(.rename) { errno = e; return -1 }
    return renameat(olddirfd, old, newdirfd, new)
}

@inline(__always)
func system_unlinkat(_ dirfd: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 {
    unlinkat(dirfd, path, flags)
}

@inline(__always)
func system_mkdir(_ path: UnsafePointer<CChar>, _ mode: mode_t) -> Int32 { mkdir(path, mode) }

@inline(__always)
func system_mmap(_ length: Int, _ prot: Int32, _ flags: Int32, _ fd: Int32, _ offset: Int64) -> UnsafeMutableRawPointer? {
    let p = mmap(nil, length, prot, flags, fd, off_t(offset))
    return p == MAP_FAILED ? nil : p
}

@inline(__always)
func system_munmap(_ p: UnsafeMutableRawPointer, _ length: Int) -> Int32 { munmap(p, length) }

@inline(__always)
func system_madvise(_ p: UnsafeMutableRawPointer, _ length: Int, _ advice: Int32) -> Int32 {
    madvise(p, length, advice)
}

/// Names in a directory (without "." and ".."), or nil with errno set.
func system_listDirectory(_ path: String) -> [String]? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

@inline(__always)
func system_errno() -> Int32 { errno }

@inline(__always)
func system_realtimeNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)  // &: times after 1970, far below 2^64 ns
}

@inline(__always)
func system_monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)  // &: uptime, far below 2^64 ns
}

@inline(__always)
func system_isatty(_ fd: Int32) -> Bool { isatty(fd) == 1 }

@inline(__always)
func system_write(_ fd: Int32, _ buf: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buf, count) }

@inline(__always)
func system_nanosleep(_ ns: UInt64) {
    var ts = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
    _ = nanosleep(&ts, nil)
}

@inline(__always)
func system_strerror(_ code: Int32) -> String { String(cString: strerror(code)) }
