import Foundation
import QuorumJournal
import Testing

@testable import QuorumEngine

@Suite("Replay in stretches: a journal split at its snapshots over threads replays as on one thread")
struct ReplayStretchesTests {
    static let feed = TestDay.bytes(symbols: 4, messages: 40_000, seed: 0xFEED)

    /// The test day through the default team, journaled in `dir`, a snapshot every `snapshotEvery` inputs.
    func backtest(_ dir: String, snapshotEvery: Int) throws -> BacktestRun {
        var setup = BacktestSetup()
        setup.maxSymbols = 3
        setup.checkpointEvery = 500
        setup.sampleNanos = 50_000_000
        return try Self.feed.withUnsafeBytes { b in
            setup = Backtest.chooseSymbols(setup, feed: b)
            let backtest = try Backtest(setup: setup, journalDirectory: dir)
            backtest.snapshotEvery = snapshotEvery
            return try backtest.run(feed: b)
        }
    }

    @Test func aBacktestsSnapshotsSplitTheReplayAndEveryThreadCountGivesTheSameResult() throws {
        let dir = tempDirectory("stretches")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try backtest(dir, snapshotEvery: 500)
        let snapshots = try JournalSnapshots.list(directory: dir)
        #expect(run.snapshotsWritten == snapshots.count && snapshots.count >= run.deskInputs / 500 - 1)
        #expect(snapshots.count > CoordinatorReplay.stretchesPerThread * 3)  // more than the stretches of three threads
        #expect(snapshots.last?.sequence == run.lastSequence)  // the one at the end

        let one = try CoordinatorReplay.run(directory: dir, threads: 1)
        #expect(one.joinedAt.isEmpty && one.mismatches == 0 && one.report == run.report)
        #expect(one.checkpointsChecked == run.deskInputs / 500 + 1)
        for threads in [2, 3] {
            let r = try CoordinatorReplay.run(directory: dir, threads: threads)
            // Up to eight stretches a thread, so a thread done early takes another.
            let joins = min(snapshots.count, CoordinatorReplay.stretchesPerThread * threads - 1)
            #expect(r.joinedAt.count == joins && r.threads == threads, "threads \(threads)")
            #expect(r.joinedAt.allSatisfy { s in snapshots.contains { $0.sequence == s } } && r.joinedAt == r.joinedAt.sorted())
            // Spread over the journal: no stretch more than twice its share.
            let bounds = [0] + r.joinedAt + [r.lastSequence]
            #expect(zip(bounds, bounds.dropFirst()).allSatisfy { $1 - $0 <= 2 * r.lastSequence / UInt64(joins + 1) })
            #expect(r.mismatches == 0 && r.snapshotsRejected.isEmpty, "threads \(threads)")
            #expect(r.recordsApplied == one.recordsApplied && r.checkpointsChecked == one.checkpointsChecked, "threads \(threads)")
            #expect(r.lastSequence == one.lastSequence && r.report == one.report, "threads \(threads)")
        }

        // From the snapshot at the end: nothing left to replay, the same report.
        let fromEnd = try CoordinatorReplay.run(directory: dir, fromSnapshot: true)
        #expect(fromEnd.snapshotSequence == run.lastSequence && fromEnd.recordsApplied == 0 && fromEnd.report == run.report)
    }

    @Test func aSnapshotWhoseHashTheReplayDoesNotReachSendsItBackToOneThread() throws {
        let dir = tempDirectory("stretches-hash")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try backtest(dir, snapshotEvery: 4_000)
        let one = try CoordinatorReplay.run(directory: dir, threads: 1)
        // Every snapshot rewritten with a hash one off: none can be joined at.
        for s in try JournalSnapshots.list(directory: dir) {
            let snap = try JournalSnapshots.read(path: s.path)
            try JournalSnapshots.write(directory: dir, sequence: snap.sequence, stateHash: snap.stateHash &+ 1, blob: snap.blob)
        }
        let r = try CoordinatorReplay.run(directory: dir, threads: 2)
        #expect(r.joinedAt.isEmpty)
        #expect(r.snapshotsRejected.contains { $0.contains("snapshot-") && $0.contains("hash") })
        #expect(r.mismatches == 0 && r.recordsApplied == one.recordsApplied && r.report == run.report)
    }

    @Test func aSnapshotPastTheJournalsEndSendsItBackToOneThread() throws {
        let dir = tempDirectory("stretches-past")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Only the snapshot at the end, and a copy of it claiming a sequence the journal never reached.
        let run = try backtest(dir, snapshotEvery: 100_000_000)
        let end = try #require(try JournalSnapshots.list(directory: dir).last)
        #expect(end.sequence == run.lastSequence && run.snapshotsWritten == 1)
        let snap = try JournalSnapshots.read(path: end.path)
        try JournalSnapshots.write(directory: dir, sequence: run.lastSequence + 50, stateHash: snap.stateHash, blob: snap.blob)

        let r = try CoordinatorReplay.run(directory: dir, threads: 2)
        #expect(r.joinedAt.isEmpty)
        #expect(r.snapshotsRejected.contains { $0.contains("past the journal's last record \(run.lastSequence)") })
        #expect(r.mismatches == 0 && r.lastSequence == run.lastSequence && r.report == run.report)
        // Without it, the replay joins at the snapshot at the end: the last stretch has nothing to replay.
        try FileManager.default.removeItem(atPath: dir + "/" + JournalFileNames.snapshot(run.lastSequence + 50))
        let two = try CoordinatorReplay.run(directory: dir, threads: 2)
        #expect(two.joinedAt == [run.lastSequence] && two.report == run.report && two.recordsApplied == r.recordsApplied)
    }
}
