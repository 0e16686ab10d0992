import Foundation
import Glibc
import QuorumJournal
import QuorumNet
import QuorumRings
import QuorumWire
import Testing

@testable import QuorumEngine

/// `quorum run` killed with SIGKILL and started again on the same journal, as a user would:
/// the built binary, a small configuration, real signals, the in-process simulator.
@Suite(.serialized) struct LiveRecoveryCrashTests {
    /// A small deterministic generator: the kill points of one seed are the same every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// One `quorum run` process whose standard output is collected as it comes.
    final class RunProcess {
        let process = Process()
        let out = Pipe()
        var text = ""

        init(binary: String, arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// Reads until `text` contains `marker` (or the process ended, or 30 s passed).
        func wait(for marker: String) -> Bool {
            let deadline = Date().addingTimeInterval(30)
            while !text.contains(marker) && Date() < deadline {
                let data = out.fileHandleForReading.availableData
                if data.isEmpty { break }  // end of file: the process closed its output
                text += String(decoding: data, as: UTF8.self)
            }
            return text.contains(marker)
        }

        /// Sends `signal`, then reads everything left and waits for the exit.
        func end(with signal: Int32) -> Int32 {
            kill(process.processIdentifier, signal)
            text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// The numbers of a "recovered DIR: sequence N, M inputs replayed, K checkpoints
    /// verified, J open orders to reconcile" line.
    static func summary(in text: String) -> (sequence: UInt64, inputs: Int, checkpoints: Int, open: Int)? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("recovered ") }) else { return nil }
        func number(before suffix: String) -> Int? {
            guard let r = line.range(of: suffix) else { return nil }
            let digits = line[..<r.lowerBound].reversed().prefix { $0.isNumber }
            return Int(String(digits.reversed()))
        }
        func number(after prefix: String) -> Int? {
            guard let r = line.range(of: prefix) else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        guard let s = number(after: ": sequence "), let i = number(before: " inputs replayed"),
              let c = number(before: " checkpoints verified"), let o = number(before: " open orders")
        else { return nil }
        return (UInt64(s), i, c, o)
    }

    /// The last sequence a journal holds on disk (what a killed run got written).
    static func lastSequence(_ dir: String) throws -> UInt64 {
        var last: UInt64 = 0
        try JournalReader(directory: dir).forEach { r in
            last = r.sequence
            return true
        }
        return last
    }

    @Test func sigkilledRunsRecoverAndTheCombinedJournalVerifies() throws {
        let binary = repositoryRoot.appendingPathComponent(".build/debug/quorum").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the quorum product first")
        let dir = LiveHarness.temporaryDirectory("recover")
        let config = dir + ".toml"
        try """
            \(LiveHarness.threadsTOML)
            [live]
            duration_seconds = 0
            max_symbols = 3
            checkpoint_every = 250
            snapshot_every = 1000

            [live.simulator]
            symbols = 3
            messages = 300000
            rate = 30000

            # The built-in team crosses every spread and loses; with the default loss limits
            # its breakers reach emergency within seconds and a recovered desk (breakers
            # rebuilt by replay) rightly sends nothing. This test is about recovery.
            [desk.breakers]
            daily_loss_degraded = 0.5
            daily_loss_emergency = 0.9
            drawdown_degraded = 0.5
            drawdown_emergency = 0.9
            """.write(toFile: config, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: config)
        }
        let arguments = ["run", "--config", config, "--journal", dir, "--duration", "30", "--time-agents", "0"]  // debug build
        var previous: UInt64 = 0
        // A fresh run and two restarts, each SIGKILLed at a seeded random point.
        var restoredFromSnapshot = 0
        for (round, seed) in [UInt64(7), 23, 101].enumerated() {
            var rng = SplitMix(state: seed)
            let run = try RunProcess(binary: binary, arguments: arguments)
            #expect(run.wait(for: "quorum run: "), "seed \(seed): no start line: \(run.text)")
            if round > 0 {
                let s = try #require(Self.summary(in: run.text), "seed \(seed): no recovery line: \(run.text)")
                #expect(s.sequence >= previous && s.sequence > 0, "seed \(seed)")
                #expect(s.inputs >= 250 ? s.checkpoints >= 1 : true, "seed \(seed): \(s)")
                #expect(run.text.contains("reconciling \(s.open) open orders"))
                if run.text.contains(", from the snapshot at sequence ") { restoredFromSnapshot += 1 }
            } else {
                #expect(Self.summary(in: run.text) == nil, "a fresh directory is not recovered")
            }
            usleep(UInt32.random(in: 1_000_000...4_000_000, using: &rng))
            let status = run.end(with: SIGKILL)
            #expect(run.process.terminationReason == .uncaughtSignal && status == SIGKILL, "seed \(seed)")
            let written = try Self.lastSequence(dir)
            #expect(written >= previous, "seed \(seed): the journal went back from \(previous) to \(written)")
            previous = written
        }
        // A restart stopped cleanly (its drain journals desk-wide halts and may leave withheld
        // orders open), then the last restart: recovers, lifts the halts, reconciles, trades on.
        let clean = try RunProcess(binary: binary, arguments: arguments)
        #expect(clean.wait(for: "orders reconciled: "), "no reconciliation line: \(clean.text)")
        usleep(1_500_000)
        #expect(clean.end(with: SIGINT) == 0, "\(clean.text)")
        #expect(clean.text.contains("drained: every order sent was closed"), "\(clean.text)")
        let stopped = try Self.lastSequence(dir)
        #expect(stopped > previous)
        // A clean stop leaves a snapshot of its final state (after its last checkpoint).
        #expect(clean.text.contains(", the last at sequence \(stopped), "), "\(clean.text)")
        previous = stopped
        let run = try RunProcess(binary: binary, arguments: arguments)
        #expect(run.wait(for: "orders reconciled: "), "no reconciliation line: \(run.text)")
        let s = try #require(Self.summary(in: run.text), "no recovery line: \(run.text)")
        // …from which the next start recovers without replaying an input.
        #expect(s.sequence == previous && s.inputs == 0, "a clean stop's journal is recovered from its last snapshot")
        #expect(run.text.contains(", from the snapshot at sequence \(stopped), "), "\(run.text)")
        #expect(run.text.contains("the previous run stopped cleanly: its stop's desk-wide halts are lifted"))
        usleep(2_500_000)
        #expect(run.end(with: SIGINT) == 0, "\(run.text)")
        // Halts lifted, the recovered desk sent orders to the new venue.
        let wire = try #require(run.text.split(separator: "\n").first { $0.hasPrefix("wire: ") })
        let sent = wire.range(of: "; orders ").flatMap { Int(wire[$0.upperBound...].prefix { $0.isNumber }) } ?? 0
        #expect(sent > 0, "\(wire)")
        // The in-process simulator is a new venue: every order open at the crash is unknown to it.
        #expect(run.text.contains("orders reconciled: \(s.open) of \(s.open) answered"), "\(run.text)")
        #expect(run.text.contains("\(s.open) closed (\(s.open) unknown at the venue)"), "\(run.text)")
        #expect(run.text.contains("P&L          total"))
        let last = try Self.lastSequence(dir)
        #expect(last > s.sequence, "the recovered run journaled nothing")

        // The combined journal (three crashes and a clean stop) replays with every checkpoint
        // matching, and so does the part after its newest snapshot, to the same state.
        let replay = try CoordinatorReplay.run(directory: dir)
        #expect(replay.mismatches == 0 && replay.checkpointsChecked >= 5 && replay.lastSequence == last)
        let fromSnapshot = try CoordinatorReplay.run(directory: dir, fromSnapshot: true)
        #expect(fromSnapshot.snapshotSequence != nil && fromSnapshot.snapshotsRejected.isEmpty)
        #expect(fromSnapshot.mismatches == 0 && fromSnapshot.lastSequence == last && fromSnapshot.report == replay.report)
        // Each killed run lived ≥ 1 s at 30 000 messages/s, thousands of inputs: a restart finds
        // a snapshot unless the newest was written past what the kill left of the journal and
        // no older one exists (possible only for a run killed right after its first one).
        #expect(restoredFromSnapshot >= 1, "no restart after a crash restored a snapshot")
        let verify = Process()
        verify.executableURL = URL(fileURLWithPath: binary)
        verify.arguments = ["replay", dir, "--verify"]
        let err = Pipe()
        verify.standardOutput = FileHandle.nullDevice
        verify.standardError = err
        try verify.run()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        verify.waitUntilExit()
        #expect(verify.terminationStatus == 0, "\(errText)")
        #expect(errText.contains("verified: all \(replay.checkpointsChecked) checkpoints match"), "\(errText)")
    }
    /// Against a `quorum sim` that outlives the crash: the restart resumes the FIX session
    /// from the sequence file in the journal directory, and the venue knows every order the
    /// journal left open (none is "unknown"), so what it filled meanwhile is reconciled.
    @Test func aRestartAgainstAStillRunningVenueResumesTheSessionAndReconciles() throws {
        let binary = repositoryRoot.appendingPathComponent(".build/debug/quorum").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the quorum product first")
        let dir = LiveHarness.temporaryDirectory("recover-connect")
        let config = dir + ".toml"
        let base = 20_000 + Int(getpid() % 15_000) * 3
        let (feed, retransmit, fix) = ("127.0.0.1:\(base)", "127.0.0.1:\(base + 1)", "127.0.0.1:\(base + 2)")
        try """
            \(LiveHarness.threadsTOML)
            [live]
            venue = "connect"
            feed = "\(feed)"
            retransmission = "\(retransmit)"
            fix = "\(fix)"
            duration_seconds = 0
            max_symbols = 3
            checkpoint_every = 250
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let venue = Process()
        venue.executableURL = URL(fileURLWithPath: binary)
        venue.arguments = ["sim", "--symbols", "3", "--messages", "750000", "--rate", "15000", "--feed", feed,
                           "--retransmit", retransmit, "--fix", fix]
        venue.standardOutput = FileHandle.nullDevice
        venue.standardError = FileHandle.nullDevice
        try venue.run()
        defer {
            if venue.isRunning { kill(venue.processIdentifier, SIGKILL) }  // its report is not needed
            venue.waitUntilExit()
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: config)
        }
        let arguments = ["run", "--config", config, "--journal", dir, "--duration", "30", "--time-agents", "0"]  // debug build
        var rng = SplitMix(state: 42)
        let first = try RunProcess(binary: binary, arguments: arguments)
        // Until a status line shows fills: the session is up and trading.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && !RunCommandTests.showsFills(first.text) {
            let data = first.out.fileHandleForReading.availableData
            if data.isEmpty { break }
            first.text += String(decoding: data, as: UTF8.self)
        }
        #expect(RunCommandTests.showsFills(first.text), "no fills before the kill: \(first.text)")
        usleep(UInt32.random(in: 1_000_000...3_000_000, using: &rng))
        #expect(first.end(with: SIGKILL) == SIGKILL)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/fix-session.seq"))
        let written = try Self.lastSequence(dir)

        let run = try RunProcess(binary: binary, arguments: arguments)
        #expect(run.wait(for: "orders reconciled: "), "no reconciliation line: \(run.text)")
        let s = try #require(Self.summary(in: run.text), "no recovery line: \(run.text)")
        #expect(s.sequence >= written && s.checkpoints >= 1)
        #expect(run.text.contains("reconciling \(s.open) open orders with the venue at \(fix)"))
        usleep(1_500_000)
        #expect(run.end(with: SIGINT) == 0, "\(run.text)")
        #expect(venue.isRunning, "the venue outlived both runs")
        // The venue knew every order: all answered, none unknown.
        #expect(run.text.contains("orders reconciled: \(s.open) of \(s.open) answered"), "\(run.text)")
        #expect(run.text.contains("(0 unknown at the venue)"), "\(run.text)")
        // One logon: the venue took the resumed sequence numbers (a mismatch would log out or
        // disconnect and reconnect).
        let wire = try #require(run.text.split(separator: "\n").first { $0.hasPrefix("wire: ") })
        #expect(wire.contains("FIX logons 1, disconnects 1"), "\(wire)")
        let replay = try CoordinatorReplay.run(directory: dir)
        let last = try Self.lastSequence(dir)
        #expect(replay.mismatches == 0 && replay.checkpointsChecked >= 1 && replay.lastSequence == last)
    }
}

/// The venue report a `.report` event carries across the net → desk ring.
@Suite struct LiveVenueReportEventTests {
    @Test func anUnknownOrderAnswerSurvivesTheRing() throws {
        let r = FIXExecutionReport(orderID: "NONE", clOrdID: "4711", execID: "E1", execType: .orderStatus, ordStatus: .rejected,
                                   symbol: "WWVK", side: .sell, leavesQty: Qty(0), cumQty: Qty(0), avgPx: Price(0),
                                   ordRejReason: FIXExecutionReport.unknownOrder)
        let e = LiveVenueEvent(report: r, order: 4711, possDup: false)
        #expect(e.kind == .report && e.order == 4711 && e.direction == .short)
        let back = try #require(e.executionReport)
        #expect(back.execType == .orderStatus && back.ordStatus == .rejected)
        #expect(back.ordRejReason == FIXExecutionReport.unknownOrder)
        #expect(back.clOrdID.flatMap(OrderReconciler.orderID(of:)) == 4711)
        #expect(back.lastQty == nil && back.lastPx == nil)
    }

    @Test func aResentTradeKeepsItsQuantitiesAndPossDup() throws {
        let r = FIXExecutionReport(orderID: "9", clOrdID: "12", execID: "E2", execType: .trade, ordStatus: .partiallyFilled,
                                   symbol: "QGU", side: .buy, orderQty: Qty(300), lastQty: Qty(100), lastPx: Price(633_500),
                                   leavesQty: Qty(100), cumQty: Qty(200), avgPx: Price(633_400))
        let e = LiveVenueEvent(report: r, order: 12, possDup: true)
        let back = try #require(e.executionReport)
        #expect(e.possDup && e.direction == .long && back.side == .buy)
        #expect(back.cumQty == Qty(200) && back.avgPx == Price(633_400))
        #expect(back.lastQty == Qty(100) && back.lastPx == Price(633_500))
        #expect(back.ordRejReason == nil && back.ordStatus == .partiallyFilled)
    }

    @Test func fillAndClosedEventsAndGarbageAreNotReports() {
        var e = LiveVenueEvent(kind: .fill, order: 1, symbol: .none, direction: .long, quantity: 5, priceTicks: 10)
        #expect(e.executionReport == nil)
        e.kind = .report
        e.execType = 0x5A  // 'Z': no FIX 4.4 ExecType
        e.ordStatus = FIXOrdStatus.new.rawValue
        #expect(e.executionReport == nil)
        e.execType = FIXExecType.orderStatus.rawValue
        e.ordStatus = 0x00
        #expect(e.executionReport == nil)
    }
}
