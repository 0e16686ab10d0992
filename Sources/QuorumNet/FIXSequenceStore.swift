import QuorumWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What went wrong setting up a FIX session, and where.
public enum FIXSessionError: Error, Equatable, CustomStringConvertible {
    /// A system call on the sequence file failed.
    case sequenceFile(path: String, operation: String, errno: Int32)
    /// The sequence file exists but is not one of ours (bad magic or size).
    case sequenceFileCorrupt(path: String, detail: String)
    /// An option is out of range.
    case invalidOption(field: String, value: Int)

    public var description: String {
        switch self {
        case .sequenceFile(let path, let op, let e):
            return "\(path): \(op) failed: \(String(cString: strerror(e))) (errno \(e))"
        case .sequenceFileCorrupt(let path, let detail):
            return "\(path): not a FIX sequence file: \(detail)"
        case .invalidOption(let field, let value):
            return "FIX session option \(field) has invalid value \(value)"
        }
    }
}

/// The session's two sequence numbers in one page of a file mapped shared, so that updating
/// them on every message is two stores and no system call, and a restarted process (or one
/// that crashed) resumes where the last one stopped. `sync()` (msync) makes them durable
/// against power loss; the session calls it at logon, logout and disconnect, off the hot path.
///
/// Layout (little-endian):
/// ```
///  0        8             16            24
///  ┌────────┬─────────────┬─────────────┐
///  │ magic  │ nextOutgoing│ nextExpected│   rest of the 4 KiB page zero
///  └────────┴─────────────┴─────────────┘
/// ```
/// Without a path the numbers live in ordinary memory (a session that starts over each run).
/// Not thread-safe.
public final class FIXSequenceStore {
    static let magic: UInt64 = 0x3151_4553_5846_5120  // " QFXSEQ1" as little-endian bytes
    static let fileSize = 4096

    public let path: String?
    let page: UnsafeMutableRawPointer
    let fd: Int32

    /// Opens (or creates, with next numbers 1 and 1) the sequence file at `path`.
    public init(path: String?) throws(FIXSessionError) {
        self.path = path
        guard let path else {
            page = .allocate(byteCount: 64, alignment: 64)
            page.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
            fd = -1
            page.storeBytes(of: Self.magic, as: UInt64.self)
            page.storeBytes(of: 1, toByteOffset: 8, as: UInt64.self)
            page.storeBytes(of: 1, toByteOffset: 16, as: UInt64.self)
            return
        }
        let f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard f >= 0 else { throw .sequenceFile(path: path, operation: "open", errno: errno) }
        var st = stat()
        guard fstat(f, &st) == 0 else {
            let e = errno
            close(f)
            throw .sequenceFile(path: path, operation: "fstat", errno: e)
        }
        let fresh = st.st_size == 0
        if !fresh && st.st_size != off_t(Self.fileSize) {
            close(f)
            throw .sequenceFileCorrupt(path: path, detail: "size \(st.st_size), expected \(Self.fileSize)")
        }
        if fresh && ftruncate(f, off_t(Self.fileSize)) != 0 {
            let e = errno
            close(f)
            throw .sequenceFile(path: path, operation: "ftruncate", errno: e)
        }
        guard let m = mmap(nil, Self.fileSize, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0), m != MAP_FAILED else {
            let e = errno
            close(f)
            throw .sequenceFile(path: path, operation: "mmap", errno: e)
        }
        page = m
        fd = f
        if fresh {
            page.storeBytes(of: Self.magic, as: UInt64.self)
            page.storeBytes(of: 1, toByteOffset: 8, as: UInt64.self)
            page.storeBytes(of: 1, toByteOffset: 16, as: UInt64.self)
            sync()
        } else if page.load(as: UInt64.self) != Self.magic {
            munmap(m, Self.fileSize)
            close(f)
            throw .sequenceFileCorrupt(path: path, detail: "bad magic")
        }
    }

    deinit {
        if fd >= 0 {
            sync()
            munmap(page, Self.fileSize)
            close(fd)
        } else {
            page.deallocate()
        }
    }

    /// The MsgSeqNum the next message we send will carry.
    public var nextOutgoing: UInt64 {
        @inline(__always) get { page.load(fromByteOffset: 8, as: UInt64.self) }
        @inline(__always) set { page.storeBytes(of: newValue, toByteOffset: 8, as: UInt64.self) }
    }

    /// The MsgSeqNum we expect on the next message from the counterparty.
    public var nextExpected: UInt64 {
        @inline(__always) get { page.load(fromByteOffset: 16, as: UInt64.self) }
        @inline(__always) set { page.storeBytes(of: newValue, toByteOffset: 16, as: UInt64.self) }
    }

    /// Writes the page to the file and waits (msync MS_SYNC). Not for the hot path.
    public func sync() {
        if fd >= 0 { _ = msync(page, Self.fileSize, MS_SYNC) }
    }
}

/// Sent application messages kept for resends: a preallocated ring of `capacity` slots of
/// `slotSize` bytes indexed by MsgSeqNum modulo capacity. Each slot holds the message's
/// body fields (everything after the standard header), its type and its original sending
/// time; a slot overwritten by a later message, or a message too large for a slot, reads as
/// missing and is gap-filled. Not thread-safe.
public final class FIXResendStore {
    public let capacity: Int
    public let slotSize: Int
    let seqs: UnsafeMutablePointer<UInt64>
    let types: UnsafeMutablePointer<UInt8>
    let times: UnsafeMutablePointer<UInt64>
    let lengths: UnsafeMutablePointer<Int32>
    let bytes: UnsafeMutableRawPointer

    /// - Parameters: capacity: a power of two; slotSize: bytes of body fields per message.
    public init(capacity: Int, slotSize: Int) throws(FIXSessionError) {
        guard capacity > 0, capacity & (capacity - 1) == 0 else {
            throw .invalidOption(field: "resendStoreCapacity", value: capacity)
        }
        guard slotSize >= 64 else { throw .invalidOption(field: "resendSlotSize", value: slotSize) }
        self.capacity = capacity
        self.slotSize = slotSize
        seqs = .allocate(capacity: capacity)
        seqs.initialize(repeating: 0, count: capacity)
        types = .allocate(capacity: capacity)
        types.initialize(repeating: 0, count: capacity)
        times = .allocate(capacity: capacity)
        times.initialize(repeating: 0, count: capacity)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        bytes = .allocate(byteCount: capacity * slotSize, alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * slotSize)
    }

    deinit {
        seqs.deallocate()
        types.deallocate()
        times.deallocate()
        lengths.deallocate()
        bytes.deallocate()
    }

    /// Keeps `fields` as message `seq`; returns false (and forgets any older message in the
    /// slot) when they do not fit.
    @discardableResult
    public func store(seq: UInt64, type: FIXMsgType, sendingTime: UInt64, fields: UnsafeRawBufferPointer) -> Bool {
        let i = Int(seq & UInt64(capacity - 1))
        guard fields.count <= slotSize else {
            seqs[i] = 0
            return false
        }
        seqs[i] = seq
        types[i] = type.rawValue
        times[i] = sendingTime
        lengths[i] = Int32(fields.count)
        if fields.count > 0 { (bytes + i * slotSize).copyMemory(from: fields.baseAddress!, byteCount: fields.count) }
        return true
    }

    /// Hints the slot `seq` would be stored in (its first `byteCount` bytes) and its entries
    /// in the index, changing nothing, so they are in the cache when `store` writes them.
    public func warm(seq: UInt64, byteCount: Int) {
        let i = Int(seq & UInt64(capacity - 1))
        _prefetchForWrite(seqs + i)
        _prefetchForWrite(types + i)
        _prefetchForWrite(times + i)
        _prefetchForWrite(lengths + i)
        let slot = bytes + i * slotSize
        var at = 0
        let end = Swift.min(Swift.max(0, byteCount), slotSize)
        while at < end {
            _prefetchForWrite(slot + at)
            at &+= 64
        }
    }

    /// The stored message `seq`, if it is still there.
    public func message(seq: UInt64) -> (type: FIXMsgType, sendingTime: UInt64, fields: UnsafeRawBufferPointer)? {
        let i = Int(seq & UInt64(capacity - 1))
        guard seq != 0, seqs[i] == seq, let t = FIXMsgType(rawValue: types[i]) else { return nil }
        return (t, times[i], UnsafeRawBufferPointer(start: bytes + i * slotSize, count: Int(lengths[i])))
    }

    /// Forgets everything (after a sequence reset).
    public func removeAll() { seqs.update(repeating: 0, count: capacity) }
}

/// When to try connecting again after a failure: `initial` after the first, doubling up to
/// `maximum`. A pure function of the failure count, so the caller's timer owns the clock.
public struct FIXReconnectPolicy: Equatable, Sendable {
    public var initialNanoseconds: UInt64
    public var maximumNanoseconds: UInt64

    public init(initialNanoseconds: UInt64 = 500_000_000, maximumNanoseconds: UInt64 = 30_000_000_000) {
        self.initialNanoseconds = initialNanoseconds
        self.maximumNanoseconds = max(maximumNanoseconds, initialNanoseconds)
    }

    /// The delay before attempt `failures + 1`: 0 before the first attempt, then
    /// initial × 2^(failures − 1), never more than `maximum`.
    public func delay(afterFailures failures: Int) -> UInt64 {
        guard failures > 0 else { return 0 }
        let shift = min(failures - 1, 62)
        let (d, overflow) = initialNanoseconds.multipliedReportingOverflow(by: 1 << UInt64(shift))
        return overflow ? maximumNanoseconds : min(d, maximumNanoseconds)
    }
}
