import Foundation
import Testing
@testable import QuorumJournal

@Suite("Snapshots and checkpoints")
struct SnapshotTests {
    @Test("the newest valid snapshot is used; a damaged newer one is skipped with the reason")
    func newestValid() throws {
        let dir = TempDirectory("qj-snap")
        defer { dir.remove() }
        for (seq, fill) in [(UInt64(10), UInt8(1)), (20, 2), (30, 3)] {
            let blob = [UInt8](repeating: fill, count: 100)
            try blob.withUnsafeBytes { _ = try JournalSnapshots.write(directory: dir.path, sequence: seq, stateHash: seq * 7, blob: $0) }
        }
        // A temporary file left by a crash mid-write is never considered.
        writeFile(dir.path + "/" + JournalFileNames.snapshot(40) + ".tmp", [1, 2, 3])
        var newest = try JournalSnapshots.newestValid(directory: dir.path)
        #expect(newest.snapshot?.sequence == 30)
        #expect(newest.snapshot?.stateHash == 210)
        #expect(newest.snapshot?.blob == [UInt8](repeating: 3, count: 100))
        #expect(newest.rejected.isEmpty)

        let path30 = dir.path + "/" + JournalFileNames.snapshot(30)
        var bytes = readFile(path30)
        bytes[70] ^= 1
        writeFile(path30, bytes)
        newest = try JournalSnapshots.newestValid(directory: dir.path)
        #expect(newest.snapshot?.sequence == 20)
        #expect(newest.rejected.count == 1)
        #expect(newest.rejected.first?.reason.contains("blob checksum") == true)
        #expect(try JournalSnapshots.newestValid(directory: dir.path, atOrBefore: 15).snapshot?.sequence == 10)
    }

    @Test("replay from the newest snapshot reaches the state of a full replay, checkpoints all match")
    func replayFromSnapshot() throws {
        let dir = TempDirectory("qj-replay")
        defer { dir.remove() }
        let summary = try JournalDemo.write(directory: dir.path, records: 5000,
                                            options: JournalWriterOptions(fsync: .none, segmentSize: 64 << 10, ringCapacity: 1 << 16),
                                            checkpointEvery: 300, snapshotEvery: 1200)
        #expect(summary.snapshots.count == 4)
        var full = JournalDemoReplayer()
        let a = try JournalReplay.run(directory: dir.path, into: &full, useSnapshot: false)
        var fromSnap = JournalDemoReplayer()
        let b = try JournalReplay.run(directory: dir.path, into: &fromSnap, useSnapshot: true)
        #expect(a.recordsApplied == 5000)
        #expect(a.checkpointsChecked == summary.checkpoints)
        #expect(a.checkpointMismatches.isEmpty)
        #expect(b.snapshotSequence != nil)
        #expect(b.recordsApplied < 5000)
        #expect(b.checkpointMismatches.isEmpty)
        #expect(full.stateHash() == fromSnap.stateHash())
        #expect(full.count == 5000)
    }

    /// A replayer that diverges after a given sequence: verify must name the first
    /// checkpoint after it.
    struct DivergingReplayer: JournalReplayer {
        var inner = JournalDemoReplayer()
        var divergeAfter: UInt64
        var diverged = false
        mutating func apply(_ record: JournalRecord) {
            inner.apply(record)
            if record.sequence > divergeAfter { diverged = true }
        }
        func stateHash() -> UInt64 { diverged ? inner.stateHash() ^ 1 : inner.stateHash() }
        mutating func restore(snapshot: [UInt8], sequence: UInt64) throws { try inner.restore(snapshot: snapshot, sequence: sequence) }
    }

    @Test("verify with a replayer reports the checkpoints whose hash differs")
    func checkpointMismatch() throws {
        let dir = TempDirectory("qj-ckpt")
        defer { dir.remove() }
        _ = try JournalDemo.write(directory: dir.path, records: 1000,
                                  options: JournalWriterOptions(fsync: .none, segmentSize: 64 << 10, ringCapacity: 1 << 16),
                                  checkpointEvery: 100)
        var out = Captured()
        var good: JournalDemoReplayer? = JournalDemoReplayer()
        #expect(try JournalTools.verify(directory: dir.path, replayer: &good, to: &out).ok)
        var bad: DivergingReplayer? = DivergingReplayer(divergeAfter: 650)
        let result = try JournalTools.verify(directory: dir.path, replayer: &bad, to: &out)
        #expect(!result.ok)
        // Checkpoints sit after every 100 demo records: sequences 101, 202, …; the first
        // after 650 is 707 and there are 3 after it (808, 909, and none at 1010: only 9 in all).
        let mismatches = result.replay?.checkpointMismatches.map(\.sequence) ?? []
        #expect(mismatches == [707, 808, 909])
        #expect(out.text.contains("checkpoint at sequence 707"))
    }
}
