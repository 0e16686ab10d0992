import Foundation
import Testing
@testable import QuorumJournal
#if canImport(Glibc)
import Glibc
#endif

/// Torn and corrupted files. The documented outcomes (docs/journal-format.md, "Recovery"):
/// - damage in the last segment after which no valid record follows is a torn tail: it is
///   reported (segment, offset, sequence), and opening for writing cuts it off;
/// - any other damage (a bad record with valid ones after it, damage in an earlier segment,
///   a bad segment header, a missing segment) is `JournalError.corrupt` naming segment,
///   offset and sequence; opening for writing refuses unless `repair` is set, and repair
///   cuts the journal there and sets later segments aside.
@Suite("Recovery of torn and corrupted journals")
struct RecoveryTests {
    static func options(repair: Bool = false) -> JournalWriterOptions {
        var o = JournalWriterOptions(fsync: .none, segmentSize: 64 << 10, ringCapacity: 1 << 16)
        o.batchCapacity = 1 << 14
        o.maxPayload = 4096
        o.repair = repair
        return o
    }

    /// Appends one demo record (sequence `seq`) with a fresh writer and closes it.
    static func appendOne(_ writer: JournalWriter) throws -> UInt64? {
        let seq = writer.nextSequence
        var bytes = [UInt8](repeating: 0, count: JournalDemo.payloadLength(for: seq))
        bytes.withUnsafeMutableBytes { JournalDemo.fillPayload($0, sequence: seq) }
        let got = bytes.withUnsafeBytes { writer.append(.demo, version: 2, timestampNs: 5, payload: $0) }
        try writer.loop.drainAndSync()
        return got
    }

    @Test("truncation at every byte offset of the last record: torn tail reported at its offset, cut on open")
    func truncateEveryOffset() throws {
        let dir = TempDirectory("qj-trunc")
        defer { dir.remove() }
        let last = try writeDemoJournal(dir.path, count: 40)
        let path = dir.segment(0)
        let original = readFile(path)
        let lastRecord = recordOffsets(original).last!
        #expect(lastRecord.seq == last)
        for cut in lastRecord.offset..<(lastRecord.offset + lastRecord.size) {
            writeFile(path, Array(original[..<cut]))
            let report = try JournalReader(directory: dir.path).scan()
            #expect(report.damage == nil)
            if cut == lastRecord.offset {
                // The file ends on a record boundary: simply one record fewer.
                #expect(report.tornTail == nil)
            } else {
                let torn = try #require(report.tornTail)
                #expect(torn.offset == Int64(lastRecord.offset))
                #expect(torn.sequence == last)
                #expect(torn.segmentIndex == 0)
                // Up to the last non-zero byte of what is left of the record.
                #expect(torn.discardedBytes > 0 && torn.discardedBytes <= Int64(cut - lastRecord.offset))
            }
            #expect(report.lastSequence == last - 1)
            let writer = try JournalWriter(directory: dir.path, options: Self.options())
            #expect(writer.nextSequence == last)
            #expect(writer.recovery.truncatedTail?.offset == (cut == lastRecord.offset ? nil : Int64(lastRecord.offset)))
            #expect(try Self.appendOne(writer) == last)
            let all = try readAll(dir.path)
            #expect(all.sequences == Array(1...last))
            #expect(all.allIntact)
            #expect(all.report.isClean)
        }
    }

    @Test("zeros from every byte offset of the last record on: torn tail, cut on open")
    func zeroEveryOffset() throws {
        let dir = TempDirectory("qj-zero")
        defer { dir.remove() }
        let last = try writeDemoJournal(dir.path, count: 40)
        let path = dir.segment(0)
        let original = readFile(path)
        let lastRecord = recordOffsets(original).last!
        for cut in (lastRecord.offset + 1)..<(lastRecord.offset + lastRecord.size) {
            var bytes = original
            for i in cut..<(lastRecord.offset + lastRecord.size) { bytes[i] = 0 }
            writeFile(path, bytes)
            let report = try JournalReader(directory: dir.path).scan()
            #expect(report.damage == nil)
            let torn = try #require(report.tornTail, "cut at \(cut)")
            #expect(torn.offset == Int64(lastRecord.offset))
            #expect(torn.sequence == last)
        }
        let writer = try JournalWriter(directory: dir.path, options: Self.options())
        #expect(writer.nextSequence == last)
    }

    enum Field: CaseIterable { case length, crc, sequence, payload }

    static func flip(_ bytes: inout [UInt8], record: (offset: Int, size: Int, seq: UInt64), field: Field, bit: Int) {
        let o: Int
        switch field {
        case .length: o = record.offset + bit / 8 % 2  // low two bytes: lengths stay plausible
        case .crc: o = record.offset + 4 + bit / 8 % 4
        case .sequence: o = record.offset + 8 + bit / 8 % 8
        case .payload: o = record.offset + 32 + bit / 8 % 8
        }
        bytes[o] ^= UInt8(1 << (bit % 8))
    }

    @Test("a flipped bit in the last record's length, CRC, sequence or payload is a torn tail", arguments: Field.allCases)
    func flipLastRecord(field: Field) throws {
        let dir = TempDirectory("qj-fliplast")
        defer { dir.remove() }
        let last = try writeDemoJournal(dir.path, count: 30)
        let path = dir.segment(0)
        let original = readFile(path)
        let record = recordOffsets(original).last!
        for bit in [0, 3, 9, 13] {
            var bytes = original
            Self.flip(&bytes, record: record, field: field, bit: bit)
            writeFile(path, bytes)
            let report = try JournalReader(directory: dir.path).scan()
            #expect(report.damage == nil, "field \(field) bit \(bit)")
            #expect(report.tornTail?.offset == Int64(record.offset))
            #expect(report.tornTail?.sequence == last)
        }
        let writer = try JournalWriter(directory: dir.path, options: Self.options())
        #expect(writer.recovery.truncatedTail?.offset == Int64(record.offset))
        #expect(writer.nextSequence == last)
    }

    @Test("a flipped bit in a middle record is corruption naming segment, offset and sequence; repair cuts there",
          arguments: Field.allCases)
    func flipMiddleRecord(field: Field) throws {
        let dir = TempDirectory("qj-flipmid")
        defer { dir.remove() }
        try writeDemoJournal(dir.path, count: 2000, segmentSize: 64 << 10)
        let segments = try _segmentIndexes(in: dir.path)
        #expect(segments.count >= 3)
        // One in an earlier segment, one in the middle of the last segment.
        for target in [segments[1], segments.last!] {
            let path = dir.segment(target)
            let original = readFile(path)
            let records = recordOffsets(original)
            let record = records[records.count / 2]
            var bytes = original
            Self.flip(&bytes, record: record, field: field, bit: 5)
            writeFile(path, bytes)
            let report = try JournalReader(directory: dir.path).scan()
            let damage = try #require(report.damage, "field \(field) in segment \(target)")
            #expect(damage.segmentIndex == target)
            #expect(damage.offset == Int64(record.offset))
            #expect(damage.sequence == record.seq)
            #expect(damage.path == path)
            #expect(report.tornTail == nil)
            #expect(throws: JournalError.corrupt(damage)) { _ = try JournalWriter(directory: dir.path, options: Self.options()) }
            writeFile(path, original)
        }
        // Repair: cut at the damage in segment 1, set the later segments aside.
        let path = dir.segment(segments[1])
        let original = readFile(path)
        let record = recordOffsets(original)[recordOffsets(original).count / 2]
        var bytes = original
        Self.flip(&bytes, record: record, field: field, bit: 5)
        writeFile(path, bytes)
        let writer = try JournalWriter(directory: dir.path, options: Self.options(repair: true))
        #expect(writer.recovery.repairedDamage?.sequence == record.seq)
        #expect(writer.recovery.setAside.count == segments.count - 2)
        #expect(writer.nextSequence == record.seq)
        #expect(try Self.appendOne(writer) == record.seq)
        let all = try readAll(dir.path)
        #expect(all.sequences == Array(1...record.seq))
        #expect(all.allIntact)
        #expect(all.report.isClean)
    }

    @Test("a flipped bit in a segment header is corruption at offset 0 of that segment")
    func flipSegmentHeader() throws {
        let dir = TempDirectory("qj-fliphdr")
        defer { dir.remove() }
        try writeDemoJournal(dir.path, count: 1200, segmentSize: 64 << 10)
        let segments = try _segmentIndexes(in: dir.path)
        for target in [segments[0], segments[1], segments.last!] {
            for byte in [0, 9, 17, 25, 33, 41, 61] {
                let path = dir.segment(target)
                let original = readFile(path)
                var bytes = original
                bytes[byte] ^= 0x10
                writeFile(path, bytes)
                let report = try JournalReader(directory: dir.path).scan()
                let damage = try #require(report.damage, "segment \(target) byte \(byte)")
                #expect(damage.segmentIndex == target)
                #expect(damage.offset == 0)
                if case .badSegmentHeader = damage.reason {} else { Issue.record("reason \(damage.reason)") }
                #expect(throws: JournalError.self) { _ = try JournalWriter(directory: dir.path, options: Self.options()) }
                writeFile(path, original)
            }
        }
        #expect(try JournalReader(directory: dir.path).scan().isClean)
    }

    @Test("a missing middle segment is corruption naming it; repair keeps the segments before it")
    func missingMiddleSegment() throws {
        let dir = TempDirectory("qj-missing")
        defer { dir.remove() }
        try writeDemoJournal(dir.path, count: 1500, segmentSize: 64 << 10)
        let before = try JournalReader(directory: dir.path).scan()
        #expect(before.segments.count >= 4)
        let firstOfMissing = before.segments[1].firstSequence!
        #expect(unlink(dir.segment(1)) == 0)
        let report = try JournalReader(directory: dir.path).scan()
        let damage = try #require(report.damage)
        #expect(damage.reason == .missingSegment(index: 1))
        #expect(damage.segmentIndex == 1)
        #expect(damage.sequence == firstOfMissing)
        #expect(damage.path == dir.segment(1))
        #expect(throws: JournalError.corrupt(damage)) { _ = try JournalWriter(directory: dir.path, options: Self.options()) }
        var out = Captured()
        #expect(throws: JournalError.self) { _ = try JournalTools.dump(directory: dir.path, to: &out) }

        let writer = try JournalWriter(directory: dir.path, options: Self.options(repair: true))
        #expect(writer.nextSequence == firstOfMissing)
        #expect(writer.recovery.setAside.count == before.segments.count - 2)
        #expect(try Self.appendOne(writer) == firstOfMissing)
        let all = try readAll(dir.path)
        #expect(all.sequences == Array(1...firstOfMissing))
        #expect(all.report.isClean)
    }

    @Test("stale non-zero bytes after the end of the last segment are cut, never read as records")
    func garbageAfterEnd() throws {
        let dir = TempDirectory("qj-garbage")
        defer { dir.remove() }
        let last = try writeDemoJournal(dir.path, count: 20)
        let path = dir.segment(0)
        var bytes = readFile(path)
        let end = recordOffsets(bytes).last!
        let garbageAt = end.offset + end.size + 512
        for i in garbageAt..<(garbageAt + 40) { bytes[i] = 0xAB }
        writeFile(path, bytes)
        let report = try JournalReader(directory: dir.path).scan()
        #expect(report.tornTail?.offset == Int64(end.offset + end.size))
        #expect(report.tornTail?.reason == .garbageAfterEnd)
        let writer = try JournalWriter(directory: dir.path, options: Self.options())
        #expect(writer.nextSequence == last + 1)
        let after = readFile(path)
        #expect(after[garbageAt..<(garbageAt + 40)].allSatisfy { $0 == 0 })
    }
}
