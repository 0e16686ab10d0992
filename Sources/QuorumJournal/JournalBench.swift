// Measured workloads shared by the benchmark suite and `quorum journal bench`: group-commit
// throughput (compared with dd … conv=fdatasync by tools/baselines/journal-group-commit.sh)
// and replay speed.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum JournalBench {
    public struct WriteResult: Sendable {
        public var records: Int
        public var payloadBytes: Int
        /// Bytes on disk (headers and padding included).
        public var journalBytes: Int
        public var seconds: Double
        public var syncs: Int
        public var megabytesPerSecond: Double { Double(journalBytes) / seconds / 1_000_000 }
    }

    /// Appends `records` records of `payloadSize` bytes as fast as the ring takes them, with
    /// the loop on its own thread, and times it until the last one is durable.
    public static func write(directory: String, records: Int, payloadSize: Int, options: JournalWriterOptions) throws(JournalError) -> WriteResult {
        let writer = try JournalWriter(directory: directory, options: options)
        let runner = JournalLoopThread(loop: writer.loop, idleSleepNs: 2_000)
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: max(payloadSize, 8), alignment: 8)
        defer { payload.deallocate() }
        payload.initializeMemory(as: UInt8.self, repeating: 0x5A)
        runner.start()
        let start = system_monotonicNanoseconds()
        var last: UInt64 = 0
        for _ in 0..<records {
            guard let seq = writer.appendWaiting(.demo, timestampNs: start, payload: UnsafeRawBufferPointer(rebasing: payload[0..<payloadSize])) else { break }
            last = seq
        }
        _ = writer.waitUntilDurable(last, timeoutNs: 600_000_000_000)
        let end = system_monotonicNanoseconds()
        runner.stop()
        if let f = writer.failure { throw f }
        return WriteResult(records: records, payloadBytes: records * payloadSize,
                           journalBytes: records * RecordHeaderDescriptor.recordSize(payloadLength: payloadSize),
                           seconds: Double(end - start) / 1e9, syncs: writer.loop.syncCount)
    }

    public struct ReplayResult: Sendable {
        public var records: Int
        public var bytes: Int
        public var seconds: Double
        public var checksum: UInt64
        public var recordsPerSecond: Double { Double(records) / seconds }
    }

    /// Reads every record (CRC checked) and hands it to a dispatch closure.
    public static func replay(directory: String, dispatch: (JournalRecord) -> Void = { _ in }) throws(JournalError) -> ReplayResult {
        let reader = try JournalReader(directory: directory)
        var sum: UInt64 = 0
        var n = 0
        let start = system_monotonicNanoseconds()
        // Every record's CRC and sequence are checked; the free space after the end is not read.
        let scan = reader.scan(checkAll: true, checkTail: false) { r in
            sum &+= r.sequence &+ UInt64(r.type.rawValue)  // &: a checksum so the work is not optimised away
            n &+= 1
            dispatch(r)
            return true
        }
        let end = system_monotonicNanoseconds()
        if let d = scan.damage { throw .corrupt(d) }
        return ReplayResult(records: n, bytes: Int(scan.segments.reduce(0) { $0 + $1.validEnd }),
                            seconds: Double(end - start) / 1e9, checksum: sum)
    }
}
