import Foundation
import Testing
@testable import QuorumJournal

@Suite("Journal tools: info, verify, dump, export, tail, recover")
struct ToolsTests {
    /// 300 demo records (timestamps 1000+seq), one checkpoint and one timer tick.
    static func sample(_ dir: TempDirectory) throws {
        try writeDemoJournal(dir.path, count: 300, segmentSize: 16 << 10)
        let writer = try JournalWriter(directory: dir.path, options: JournalWriterOptions(fsync: .none, segmentSize: 16 << 10, ringCapacity: 1 << 16))
        var hash = UInt64(0xABCD).littleEndian
        _ = withUnsafeBytes(of: &hash) { writer.append(.checkpoint, timestampNs: 5_000, payload: $0) }
        var tick = UInt64(42).littleEndian
        _ = withUnsafeBytes(of: &tick) { writer.append(.timerTick, timestampNs: 6_000, payload: $0) }
        try writer.loop.drainAndSync()
    }

    @Test("info reports segments, sequence and time range, counts by type and status")
    func info() throws {
        let dir = TempDirectory("qj-info")
        defer { dir.remove() }
        try Self.sample(dir)
        var out = Captured()
        let info = try JournalTools.info(directory: dir.path, to: &out)
        #expect(info.scan.recordCount == 302)
        #expect(info.countsByType[.demo] == 300)
        #expect(info.countsByType[.checkpoint] == 1)
        #expect(info.countsByType[.timerTick] == 1)
        #expect(info.firstTimestampNs == 1001)
        #expect(info.lastTimestampNs == 6000)
        #expect(info.scan.segments.count > 2)
        #expect(out.text.contains("sequence   1 … 302 (302 records)"))
        #expect(out.text.contains("types      checkpoint 1, timer_tick 1, demo 300"))
        #expect(out.text.contains("status     clean"))
    }

    @Test("verify passes a clean journal and names a damaged record")
    func verify() throws {
        let dir = TempDirectory("qj-verify")
        defer { dir.remove() }
        try Self.sample(dir)
        var out = Captured()
        #expect(try JournalTools.verify(directory: dir.path, to: &out).ok)
        #expect(out.text.contains("result     OK"))
        let path = dir.segment(1)
        var bytes = readFile(path)
        let r = recordOffsets(bytes)[3]
        bytes[r.offset + 40] ^= 0x80
        writeFile(path, bytes)
        out = Captured()
        let result = try JournalTools.verify(directory: dir.path, to: &out)
        #expect(!result.ok)
        #expect(out.text.contains("segment 1) at byte offset \(r.offset), sequence \(r.seq): bad CRC32C"))
    }

    @Test("dump filters by type, sequence and time, and decodes fields by version")
    func dump() throws {
        let dir = TempDirectory("qj-dump")
        defer { dir.remove() }
        try Self.sample(dir)
        var out = Captured()
        #expect(try JournalTools.dump(directory: dir.path, filter: JournalRecordFilter(fromSequence: 10, toSequence: 12), to: &out) == 3)
        let lines = out.text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("#10  1970-01-01T00:00:00.000001010Z  demo v2  flags=0x0000  len="))
        #expect(lines[0].contains("counter=10  value=310"))
        out = Captured()
        #expect(try JournalTools.dump(directory: dir.path, filter: JournalRecordFilter(types: [.checkpoint, .timerTick]), to: &out) == 2)
        #expect(out.text.contains("checkpoint v1") && out.text.contains("state_hash=43981"))
        #expect(out.text.contains("timer_tick v1") && out.text.contains("tick_ns=42"))
        out = Captured()
        #expect(try JournalTools.dump(directory: dir.path, filter: JournalRecordFilter(fromTimeNs: 1100, toTimeNs: 1104), to: &out) == 5)
    }

    @Test("a v1 record is decoded with the v1 layout, a newer-than-known version with the newest layout")
    func versionedDecoding() {
        var payload = [UInt8](repeating: 0, count: 24)
        payload.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt64(7), toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: Int64(-3), toByteOffset: 8, as: Int64.self)
        }
        payload.withUnsafeBytes { p in
            let v1 = JournalRecordRegistry.decode(type: .demo, version: 1, payload: p)!.map(\.0)
            let v2 = JournalRecordRegistry.decode(type: .demo, version: 2, payload: p)!
            let v9 = JournalRecordRegistry.decode(type: .demo, version: 9, payload: p)!
            #expect(v1 == ["counter", "filler"])
            #expect(v2.map(\.0) == ["counter", "value", "filler"])
            #expect(v2[1].1 == "-3")
            #expect(v9.map(\.0) == v2.map(\.0))
            #expect(JournalRecordRegistry.decode(type: JournalRecordType(999), version: 1, payload: p) == nil)
        }
        #expect(JournalRecordRegistry.type(named: "execution_report") == .executionReport)
        #expect(JournalRecordRegistry.type(named: "0xf000") == .demo)
        #expect(JournalRecordRegistry.name(of: JournalRecordType(0x1234)) == "type_0x1234")
    }

    @Test("export writes one CSV row or JSON line per record, with decoded fields")
    func export() throws {
        let dir = TempDirectory("qj-export")
        defer { dir.remove() }
        try Self.sample(dir)
        var csv = Captured()
        #expect(try JournalTools.export(directory: dir.path, format: .csv, to: &csv) == 302)
        let rows = csv.text.split(separator: "\n")
        #expect(rows.count == 303)
        #expect(rows[0] == "seq,timestamp_ns,type,version,flags,length,payload_hex,fields")
        #expect(rows[301].hasPrefix("301,5000,checkpoint,1,0,8,cdab000000000000,state_hash=43981"))
        var jsonl = Captured()
        #expect(try JournalTools.export(directory: dir.path, format: .jsonl, filter: JournalRecordFilter(fromSequence: 299), to: &jsonl) == 4)
        let objects = try jsonl.text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(objects.count == 4)
        #expect(objects[0]["seq"] as? Int == 299)
        #expect(objects[0]["type"] as? String == "demo")
        #expect((objects[0]["fields"] as? [String: Any])?["counter"] as? Int == 299)
        #expect(objects[3]["type"] as? String == "timer_tick")
        #expect((objects[3]["fields"] as? [String: Any])?["tick_ns"] as? Int == 42)
    }

    @Test("tail prints the last records; tail -f follows appends across segment rolls")
    func tailFollow() throws {
        let dir = TempDirectory("qj-tail")
        defer { dir.remove() }
        try writeDemoJournal(dir.path, count: 50, segmentSize: 16 << 10)
        var out = Captured()
        #expect(try JournalTools.tail(directory: dir.path, count: 3, follow: false, to: &out) == 3)
        #expect(out.text.hasPrefix("#48 "))

        let writer = Thread {
            _ = try? writeDemoJournal(dir.path, count: 400, segmentSize: 16 << 10)
        }
        let sink = SharedCapture()
        var sinkRef = sink
        var polls = 0
        writer.start()
        let shown = try JournalTools.tail(directory: dir.path, count: 0, follow: true, pollIntervalNs: 2_000_000,
                                          shouldStop: { polls += 1; return polls > 5_000 || sink.text.contains("#450 ") },
                                          to: &sinkRef)
        #expect(shown == 400)
        let seqs = sink.text.split(separator: "\n").map { Int($0.dropFirst().prefix { $0 != " " })! }
        #expect(seqs == Array(51...450))
    }

    @Test("recover cuts a torn tail and says where; refuses corruption without repair")
    func recover() throws {
        let dir = TempDirectory("qj-recover")
        defer { dir.remove() }
        try writeDemoJournal(dir.path, count: 30)
        let path = dir.segment(0)
        let bytes = readFile(path)
        let last = recordOffsets(bytes).last!
        writeFile(path, Array(bytes[..<(last.offset + 20)]))
        var out = Captured()
        let report = try JournalTools.recover(directory: dir.path, repair: false, to: &out)
        #expect(report.truncatedTail?.offset == Int64(last.offset))
        #expect(out.text.contains("at byte offset \(last.offset), sequence 30: short record"))
        #expect(out.text.contains("next       sequence 30"))
    }
}
