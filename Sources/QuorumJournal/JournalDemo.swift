// A sample workload: writes demo records (type `demo`, both payload versions) with
// checkpoints and snapshots, and the replayer that proves them. Used by
// `quorum journal demo-write`, the crash child, the tests and the benchmarks.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The demo state machine: counts demo records and folds their payloads into an FNV-1a hash.
public struct JournalDemoReplayer: JournalReplayer, Sendable {
    public private(set) var count: UInt64 = 0
    public private(set) var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func apply(_ record: JournalRecord) {
        guard record.type == .demo else { return }
        count &+= 1  // &: a counter, wrapping is harmless
        var h = hash
        for byte in record.payload {
            h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3  // &: FNV-1a multiplies modulo 2^64
        }
        hash = h
    }

    public func stateHash() -> UInt64 { hash ^ count }

    public var snapshotBlob: [UInt8] {
        var blob = [UInt8](repeating: 0, count: 16)
        blob.withUnsafeMutableBytes {
            $0.storeBytes(of: count.littleEndian, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: hash.littleEndian, toByteOffset: 8, as: UInt64.self)
        }
        return blob
    }

    public mutating func restore(snapshot: [UInt8], sequence: UInt64) throws {
        guard snapshot.count == 16 else { throw JournalError.badSnapshot(path: "", reason: "demo blob is \(snapshot.count) bytes, not 16") }
        snapshot.withUnsafeBytes {
            count = UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            hash = UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }
}

public enum JournalDemo {
    /// The payload of demo record `sequence`: its length varies with the sequence (8 to
    /// `maxLength`, both payload versions appear), and its bytes are a function of the
    /// sequence, so a reader can check any record on its own.
    public static func payloadLength(for sequence: UInt64, maxLength: Int = 200) -> Int {
        let spread = UInt64(max(maxLength - 16, 1))
        return 16 + Int((sequence &* 2_654_435_761) % spread)  // &: a multiplicative hash
    }

    /// Fills `buffer` (of `payloadLength(for:)` bytes) with the payload of `sequence`
    /// (a version 2 layout: counter, value, filler).
    public static func fillPayload(_ buffer: UnsafeMutableRawBufferPointer, sequence: UInt64) {
        let p = buffer.baseAddress!
        p.storeBytes(of: sequence.littleEndian, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: Int64(bitPattern: sequence &* 31).littleEndian, toByteOffset: 8, as: Int64.self)  // &: any value
        var x = UInt8(truncatingIfNeeded: sequence)
        for i in 16..<buffer.count {
            buffer[i] = x
            x &+= 7  // &: a byte pattern
        }
    }

    /// Whether `record` is exactly what `fillPayload` writes for its sequence (or, for a
    /// checkpoint, a plausible one).
    public static func isIntact(_ record: JournalRecord, maxLength: Int = 200) -> Bool {
        if record.type == .checkpoint { return record.payload.count == 8 }
        guard record.type == .demo, record.payload.count == payloadLength(for: record.sequence, maxLength: maxLength) else {
            return false
        }
        let p = record.payload
        guard p.loadUnaligned(as: UInt64.self) == record.sequence.littleEndian,
              p.loadUnaligned(fromByteOffset: 8, as: Int64.self) == Int64(bitPattern: record.sequence &* 31).littleEndian  // &: as written
        else { return false }
        var x = UInt8(truncatingIfNeeded: record.sequence)
        for i in 16..<p.count {
            if p[i] != x { return false }
            x &+= 7  // &: the byte pattern of fillPayload
        }
        return true
    }

    public struct Summary: Sendable {
        public var firstSequence: UInt64
        public var lastSequence: UInt64
        public var records: Int
        public var checkpoints: Int
        public var snapshots: [String]
        public var recovery: JournalRecoveryReport
        public var failure: JournalError?
    }

    /// Appends `records` demo records to the journal in `directory` (creating or continuing
    /// it), a checkpoint every `checkpointEvery` and a snapshot every `snapshotEvery`
    /// records (0: none), with a loop thread, and waits until they are durable.
    public static func write(directory: String, records: Int, options: JournalWriterOptions,
                             checkpointEvery: Int = 10_000, snapshotEvery: Int = 0,
                             maxPayload: Int = 200, progress: ((Int) -> Void)? = nil) throws(JournalError) -> Summary {
        let writer = try JournalWriter(directory: directory, options: options)
        // Rebuild the state the journal already holds so new checkpoints carry the right hash.
        var state = JournalDemoReplayer()
        if writer.nextSequence > 1 {
            do { _ = try JournalReplay.run(directory: directory, into: &state, useSnapshot: true) } catch {
                throw (error as? JournalError) ?? .invalidOptions("replay before append failed: \(error)")
            }
        }
        let runner = JournalLoopThread(loop: writer.loop)
        runner.start()
        var summary = Summary(firstSequence: writer.nextSequence, lastSequence: writer.nextSequence - 1,
                              records: 0, checkpoints: 0, snapshots: [], recovery: writer.recovery, failure: nil)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(maxPayload, 16), alignment: 8)
        defer { buffer.deallocate() }
        var last: UInt64 = writer.nextSequence - 1
        for i in 0..<records {
            if checkpointEvery > 0 && i > 0 && i % checkpointEvery == 0 {
                var h = state.stateHash().littleEndian
                guard let seq = withUnsafeBytes(of: &h, { writer.appendWaiting(.checkpoint, timestampNs: system_realtimeNanoseconds(), payload: $0) }) else { break }
                last = seq
                summary.checkpoints += 1
            }
            let seq = writer.nextSequence
            let view = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<payloadLength(for: seq, maxLength: maxPayload)])
            fillPayload(view, sequence: seq)
            // Half the records use the v1 layout header so readers see both versions.
            let version: UInt16 = seq % 2 == 0 ? 2 : 1
            guard let got = writer.appendWaiting(.demo, version: version, timestampNs: system_realtimeNanoseconds(),
                                                 payload: UnsafeRawBufferPointer(view)) else { break }
            precondition(got == seq)
            last = got
            state.apply(JournalRecord(sequence: got, timestampNs: 0, type: .demo, flags: 0, version: version,
                                      payload: UnsafeRawBufferPointer(view), segmentIndex: 0, offset: 0))
            summary.records += 1
            if snapshotEvery > 0 && (i + 1) % snapshotEvery == 0 {
                guard writer.waitUntilDurable(got, timeoutNs: 60_000_000_000) else { break }
                let blob = state.snapshotBlob
                let path = try _withBytes(blob) { (b) throws(JournalError) in
                    try JournalSnapshots.write(directory: directory, sequence: got, stateHash: state.stateHash(), blob: b)
                }
                summary.snapshots.append(path)
            }
            if i & 0xFFFF == 0 { progress?(i) }
        }
        _ = writer.waitUntilDurable(last, timeoutNs: 60_000_000_000)
        runner.stop()
        do throws(JournalError) { try writer.loop.drainAndSync() } catch { summary.failure = error }
        if summary.failure == nil { summary.failure = writer.failure }
        summary.lastSequence = writer.durableSequence
        return summary
    }
}
