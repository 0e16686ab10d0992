#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only, so day files of hundreds of MB are walked in place without
/// copying. The bytes are valid until the object is released.
public final class MappedFile {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    let mapped: Bool

    public init(path: String) throws(MarketToolError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw MarketToolError(file: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw MarketToolError(file: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw MarketToolError(file: path, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        // Sequential scan: let the kernel read ahead aggressively.
        _ = madvise(p, size, MADV_SEQUENTIAL)
        bytes = UnsafeRawBufferPointer(start: p, count: size)
        mapped = true
    }

    deinit {
        if mapped, let p = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: p), bytes.count) }
    }
}

/// Buffered binary/text output to a file (or stdout for "-"), flushed explicitly.
public final class OutputFile {
    let handle: UnsafeMutablePointer<FILE>
    let ownsHandle: Bool
    public let path: String

    public init(path: String) throws(MarketToolError) {
        self.path = path
        if path == "-" {
            // fdopen rather than the `stdout` global, which Swift 6 treats as shared mutable state.
            guard let f = fdopen(1, "wb") else {
                throw MarketToolError(file: path, reason: "cannot write to standard output")
            }
            handle = f
            ownsHandle = false
        } else {
            guard let f = fopen(path, "wb") else {
                throw MarketToolError(file: path, reason: "cannot create: \(String(cString: strerror(errno)))")
            }
            handle = f
            ownsHandle = true
        }
        setvbuf(handle, nil, _IOFBF, 1 << 20)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(MarketToolError) {
        guard bytes.count > 0 else { return }
        guard fwrite(bytes.baseAddress, 1, bytes.count, handle) == bytes.count else {
            throw MarketToolError(file: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
    }

    public func write(_ text: String) throws(MarketToolError) {
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        guard written == bytes.count else {
            throw MarketToolError(file: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
    }

    public func close() throws(MarketToolError) {
        if fflush(handle) != 0 {
            throw MarketToolError(file: path, reason: "flush failed: \(String(cString: strerror(errno)))")
        }
        if ownsHandle { fclose(handle) }
    }
}
