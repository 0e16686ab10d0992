import Testing
@testable import QuorumJournal
#if canImport(Glibc)
import Glibc
#endif

@Suite("Writer and reader round trip")
struct RoundTripTests {
    /// A producer thread appends, a loop thread writes; the reader gets back every record,
    /// in order, byte for byte, across many segment rolls.
    @Test("a million records of mixed sizes across segment rolls come back intact")
    func millionRecords() throws {
        let dir = TempDirectory("qj-roundtrip")
        defer { dir.remove() }
        let count = soakEnabled ? 10_000_000 : 1_000_000
        var options = JournalWriterOptions(fsync: .none, segmentSize: 8 << 20, ringCapacity: 1 << 20)
        options.batchCapacity = 256 << 10
        let writer = try JournalWriter(directory: dir.path, options: options)
        let runner = JournalLoopThread(loop: writer.loop)
        runner.start()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 200, alignment: 8)
        defer { buffer.deallocate() }
        for _ in 0..<count {
            let seq = writer.nextSequence
            let n = JournalDemo.payloadLength(for: seq)
            // Only the first 16 bytes vary per record: enough to prove order and identity,
            // cheap enough for a debug build.
            buffer.storeBytes(of: seq, toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: seq &* 31, toByteOffset: 8, as: UInt64.self)
            _ = writer.appendWaiting(.demo, flags: UInt16(truncatingIfNeeded: seq), version: 2, timestampNs: seq * 10,
                                     payload: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        #expect(writer.waitUntilDurable(UInt64(count), timeoutNs: 120_000_000_000))
        runner.stop()
        try writer.loop.drainAndSync()
        #expect(writer.loop.segmentsCreated > 10)
        #expect(writer.failure == nil)

        var expected: UInt64 = 1
        var bad = 0
        let report = try JournalReader(directory: dir.path).scan { r in
            let n = JournalDemo.payloadLength(for: r.sequence)
            if r.sequence != expected || r.payload.count != n || r.timestampNs != r.sequence * 10
                || r.flags != UInt16(truncatingIfNeeded: r.sequence) || r.type != .demo || r.version != 2
                || r.payload.loadUnaligned(as: UInt64.self) != r.sequence
                || r.payload.loadUnaligned(fromByteOffset: 8, as: UInt64.self) != r.sequence &* 31 {
                bad += 1
            }
            expected += 1
            return true
        }
        #expect(bad == 0)
        #expect(report.isClean)
        #expect(report.recordCount == count)
        #expect(expected == UInt64(count) + 1)
        #expect(report.segments.count == writer.loop.segmentsCreated + 1)
    }

    @Test("reading from any sequence starts exactly there, in any segment")
    func readFromAnySequence() throws {
        let dir = TempDirectory("qj-from")
        defer { dir.remove() }
        let last = try writeDemoJournal(dir.path, count: 3000, segmentSize: 32 << 10)
        let reader = try JournalReader(directory: dir.path)
        #expect(reader.segments.count > 5)
        for from: UInt64 in [1, 2, 77, 1500, 2999, 3000] {
            var seen: [UInt64] = []
            try reader.forEach(from: from) { r in
                seen.append(r.sequence)
                return seen.count < 3
            }
            #expect(seen == Array(from..<min(from + 3, last + 1)))
        }
    }

    @Test("reopening continues the sequence in the last segment")
    func reopenContinues() throws {
        let dir = TempDirectory("qj-reopen")
        defer { dir.remove() }
        try writeDemoJournal(dir.path, count: 500, segmentSize: 32 << 10)
        let last = try writeDemoJournal(dir.path, count: 500, segmentSize: 32 << 10)
        #expect(last == 1000)
        let all = try readAll(dir.path)
        #expect(all.sequences == Array(1...1000))
        #expect(all.allIntact)
        #expect(all.report.isClean)
    }

    @Test("an oversized payload is refused and counted, nothing else changes")
    func oversize() throws {
        let dir = TempDirectory("qj-oversize")
        defer { dir.remove() }
        var options = JournalWriterOptions(fsync: .none, segmentSize: 1 << 20, ringCapacity: 1 << 16)
        options.maxPayload = 1000
        options.batchCapacity = 1 << 14
        let writer = try JournalWriter(directory: dir.path, options: options)
        let big = [UInt8](repeating: 1, count: 1001)
        let seq = big.withUnsafeBytes { writer.append(.demo, timestampNs: 1, payload: $0) }
        #expect(seq == nil)
        #expect(writer.oversizeCount == 1)
        #expect(writer.nextSequence == 1)
    }
}
