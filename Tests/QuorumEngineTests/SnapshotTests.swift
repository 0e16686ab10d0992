import Foundation
@testable import QuorumAgents
import QuorumBook
@testable import QuorumJournal
import QuorumRisk
import Testing

@testable import QuorumEngine

/// A coordinator without a journal made from `setup`, as replay makes one.
private func replayCoordinator(_ setup: BacktestSetup) throws -> Coordinator {
    Coordinator(desk: try setup.makeDesk(), journal: nil, checkpointEvery: setup.checkpointEvery,
                sampleNanos: setup.sampleNanos)
}

/// Writes `c`'s state as a snapshot file at its last sequence (what the live desk loop does).
@discardableResult
private func writeSnapshot(_ c: Coordinator, dir: String, sequence: UInt64? = nil, hash: UInt64? = nil,
                           blob: [UInt8]? = nil) throws -> UInt64 {
    let image = try #require(blob ?? c.stateImage())
    let seq = sequence ?? c.lastSequence
    try JournalSnapshots.write(directory: dir, sequence: seq, stateHash: hash ?? c.stateHash(), blob: image)
    return seq
}

@Suite("Snapshots: the coordinator's state image, restored and replayed after")
struct SnapshotTests {
    static let feed = TestDay.bytes(symbols: 4, messages: 30_000, seed: 0x5EED)

    @Test func aRestoredImageContinuesExactlyAsTheRunItCameFrom() throws {
        let dir = tempDirectory("snapshot-continue")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Mid-run with orders open and unanswered: the image holds the order manager, every
        // agent's windows, votes, asks and delegations as they are between two inputs.
        let (j, drill, next) = try coordinatorWithOpenOrders(dir, feed: Self.feed, minimum: 2)
        let a = j.coordinator
        try #require(a.openOrderCount >= 2 && next > 100)
        let blob = try #require(a.stateImage())
        #expect(blob.count > 10_000)

        let b = try replayCoordinator(j.setup)
        #expect(b.stateHash() != a.stateHash())
        try b.restoreState(blob)
        #expect(b.stateHash() == a.stateHash())
        #expect(b.stateImage() == blob)  // every byte written is read back
        #expect(b.openOrderCount == a.openOrderCount && b.counters == a.counters)
        #expect(b.lastMarketSequence == a.lastMarketSequence && b.lastMarketSequence == drill.updates[next - 1].sequence)

        // Both trade on over the rest of the day, their orders answered alike: state for
        // state, they stay the same after every update.
        let bDir = tempDirectory("snapshot-continue-b")
        defer { try? FileManager.default.removeItem(atPath: bDir) }
        let bJournal = try CoordinatorRecovery.start(directory: bDir, setup: j.setup)
        b.attachJournal(bJournal.journal, lastSequence: 1)
        var hashesA: [UInt64] = [], hashesB: [UInt64] = []
        drill.resume(a, lastMarketSequence: a.lastMarketSequence) { _ in hashesA.append(a.stateHash()) }
        drill.resume(b, lastMarketSequence: b.lastMarketSequence) { _ in hashesB.append(b.stateHash()) }
        #expect(hashesA.count == drill.updates.count - next && hashesA.count > 1_000)
        #expect(hashesA.count == hashesB.count)
        let firstDifference = hashesA.indices.first { $0 >= hashesB.count || hashesA[$0] != hashesB[$0] }
        #expect(firstDifference == nil, "the first update after which the states differ")
        #expect(a.counters.ordersSent > 10 && a.counters.ordersSent == b.counters.ordersSent)
        #expect(a.desk.counters == b.desk.counters && a.recordHash == b.recordHash)
        #expect(a.totalPnL == b.totalPnL && a.agentPnL == b.agentPnL && a.pnlSeries == b.pnlSeries)
        try finish(j)
        try finish(bJournal)
    }

    @Test func everyPaddedValueInAnImageListsItsFieldsSoItsPaddingIsWrittenAsZeros() throws {
        let dir = tempDirectory("snapshot-padding")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (j, _, _) = try coordinatorWithOpenOrders(dir, feed: Self.feed, minimum: 2)
        var image = StateImage(writingInto: [])
        image.auditsPadding = true
        try j.coordinator.image(&image)
        #expect(image.bytes == j.coordinator.stateImage())
        #expect(image.unlistedPadding.isEmpty, "padded types without StateImagePadded: \(image.unlistedPadding.sorted())")
        try finish(j)

        // Every list names stored properties only (a computed one traps) and leaves padding out.
        let padded: [any StateImagePadded.Type] = [
            ChildOrder.self, Signal.self, Observation.self, Directive.self, DeskRecord.self, ScratchpadEntry.self,
            Question.self, Setup.self, DelegatedTask.self, ExecutionPlan.self, Stance.self, StandingVote.self,
            Desk.RoundTrip.self, BookQuote.self, BreakerStatus.self, OpenOrder.self,
        ]
        for type in padded {
            func check<T: StateImagePadded>(_: T.Type) {
                let fields = _StateImageLayout.fieldBytes(T.self) ?? []
                #expect(fields.count == MemoryLayout<T>.stride && fields.contains(false) && fields.contains(true), "\(T.self)")
            }
            check(type)
        }
    }

    @Test func anImageFromAnotherShapeOrCutShortIsRefusedNamingWhere() throws {
        let dir = tempDirectory("snapshot-shape")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (j, _, _) = try coordinatorWithOpenOrders(dir, feed: Self.feed, minimum: 1)
        let blob = try #require(j.coordinator.stateImage())
        try finish(j)

        var other = BacktestSetup()
        other.maxSymbols = 2
        other.checkpointEvery = j.setup.checkpointEvery
        other = Self.feed.withUnsafeBytes { Backtest.chooseSymbols(other, feed: $0) }
        let e = #expect(throws: StateImageError.self) { try replayCoordinator(other).restoreState(blob) }
        guard case .shapeMismatch(_, _, let expected, let found)? = e else {
            Issue.record("expected a shape mismatch, got \(String(describing: e))")
            return
        }
        #expect(expected == 2 && found == 3)

        let cut = Array(blob[0..<(blob.count - 40)])
        let e2 = #expect(throws: StateImageError.self) { try replayCoordinator(j.setup).restoreState(cut) }
        guard case .truncated(let at, let section, _, _)? = e2 else {
            Issue.record("expected a truncated image, got \(String(describing: e2))")
            return
        }
        #expect(at < cut.count && section == "AgentOutput")  // the last object: its setups array runs past the end
        #expect(e2?.description.contains("section AgentOutput") == true)
    }

    @Test func recoveryRestoresTheNewestSnapshotAndReplaysOnlyWhatFollows() throws {
        let dir = tempDirectory("snapshot-recover")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (j, drill, next) = try coordinatorWithOpenOrders(dir, feed: Self.feed, minimum: 2)
        let c = j.coordinator
        let older = try writeSnapshot(c, dir: dir)
        drill.resume(c, lastMarketSequence: c.lastMarketSequence, until: next + 400)
        let snapSeq = try writeSnapshot(c, dir: dir)
        let inputsAtSnapshot = c.counters.inputs
        drill.run(c, from: next + 400, until: next + 900)
        let hash = c.stateHash()
        let last = c.lastSequence
        try finish(j)
        #expect(older < snapSeq)

        let r = try CoordinatorRecovery.recover(directory: dir)
        let s = try #require(r.summary)
        #expect(s.snapshotSequence == snapSeq && s.snapshotsRejected.isEmpty)
        #expect(s.inputsReplayed == c.counters.inputs - inputsAtSnapshot)
        #expect(s.checkpointsVerified == c.counters.inputs / 100 - inputsAtSnapshot / 100)
        #expect(s.stateHash == hash && s.sequenceReached == last && r.writer.nextSequence == last + 1)
        #expect(s.lastMarketSequence == c.lastMarketSequence)
        #expect(s.description.contains("from the snapshot at sequence \(snapSeq)"))
        try finish(r)

        // The whole journal and the snapshot agree: both replays reach the same state.
        let full = try CoordinatorReplay.run(directory: dir)
        let fromSnap = try CoordinatorReplay.run(directory: dir, fromSnapshot: true)
        #expect(full.snapshotSequence == nil && fromSnap.snapshotSequence == snapSeq)
        #expect(full.mismatches == 0 && fromSnap.mismatches == 0 && fromSnap.checkpointsChecked > 0)
        #expect(fromSnap.recordsApplied < full.recordsApplied)
        #expect(full.report == fromSnap.report)
    }

    @Test func snapshotsThatCannotBeTrustedArePassedOverWithWhy() throws {
        let dir = tempDirectory("snapshot-distrust")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (j, drill, next) = try coordinatorWithOpenOrders(dir, feed: Self.feed, minimum: 1)
        let c = j.coordinator
        let good = try writeSnapshot(c, dir: dir)
        drill.resume(c, lastMarketSequence: c.lastMarketSequence, until: next + 300)
        // Newer ones: a hash the blob does not restore to, then one damaged on disk, then one
        // past the journal's end (written before its records reached the disk).
        let wrongHash = try writeSnapshot(c, dir: dir, hash: 0xBAD)
        drill.run(c, from: next + 300, until: next + 400)
        let damaged = try writeSnapshot(c, dir: dir)
        let path = dir + "/" + JournalFileNames.snapshot(damaged)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let pastEnd = try writeSnapshot(c, dir: dir, sequence: c.lastSequence + 50)
        let hash = c.stateHash()
        try finish(j)

        let r = try CoordinatorRecovery.recover(directory: dir)
        let s = try #require(r.summary)
        #expect(s.snapshotSequence == good)
        #expect(s.snapshotsRejected.count == 2)
        #expect(s.snapshotsRejected.first { $0.contains(JournalFileNames.snapshot(damaged)) }?.contains("checksum") == true)
        #expect(s.snapshotsRejected.first { $0.contains(JournalFileNames.snapshot(wrongHash)) }?.contains("restored state hash") == true)
        #expect(s.stateHash == hash)
        try finish(r)

        // Replay from a snapshot, which does not know where the journal ends, meets the
        // past-the-end one first, and passes over all three to the good one.
        let replay = try CoordinatorReplay.run(directory: dir, fromSnapshot: true)
        #expect(replay.snapshotSequence == good && replay.mismatches == 0)
        #expect(replay.snapshotsRejected.count == 3)
        #expect(replay.snapshotsRejected.first?.contains(JournalFileNames.snapshot(pastEnd)) == true)
        #expect(replay.snapshotsRejected.first?.contains("past the journal's last record") == true)
    }
}
