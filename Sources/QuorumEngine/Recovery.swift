import QuorumAgents
import QuorumBook
import QuorumJournal

// Recovery after a crash: the coordinator's state is a pure function of its journaled inputs,
// so a restart opens the journal for appending (which cuts a torn tail), replays every input
// into a fresh desk built from the session record, checks every checkpoint hash on the way,
// and hands back a live coordinator whose next input continues the same sequence. What the
// venue did meanwhile is `OrderReconciler`'s part.
//
// Snapshots: the live engine writes the coordinator's state image (Coordinator+State.swift)
// beside the segments between two inputs (every `snapshot_every` inputs, and at a clean stop);
// recovery restores the newest one the journal reaches, checks it against the hash it
// recorded, and replays only the records after it. A snapshot that fails any check is passed
// over (and reported), never trusted. Taken between inputs, a snapshot follows the checkpoint
// its last input made due, so one with no record after it needs no checkpoint rewritten.

/// Why a journal could not be recovered. Each case names what was wrong and where.
public enum RecoveryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The journal could not be opened or read (damage outside the torn tail, I/O).
    case journal(directory: String, reason: String)
    /// The directory holds records, but the first is not a coordinator session record.
    case notACoordinatorJournal(String)
    /// The session record does not describe a desk this build can make.
    case badSetup(String)
    /// An input record could not be decoded.
    case badRecord(CoordinatorDecodeError)
    /// Replay reached a checkpoint whose hash the rebuilt state does not match.
    case checkpointMismatch(sequence: UInt64, expected: UInt64, actual: UInt64)
    /// The writer would not append right after the last record replayed.
    case sequenceGap(lastReplayed: UInt64, nextAppend: UInt64)

    public var description: String {
        switch self {
        case let .journal(d, r): return "journal \(d): \(r)"
        case .notACoordinatorJournal(let d): return "\(d): first record is not a coordinator session record"
        case .badSetup(let s): return "session record: \(s)"
        case .badRecord(let e): return "\(e)"
        case let .checkpointMismatch(seq, expected, actual):
            let e = String(expected, radix: 16), a = String(actual, radix: 16)
            return "checkpoint at sequence \(seq): journal says state hash \(e), replay reached \(a)"
        case let .sequenceGap(last, next): return "last record replayed is \(last) but the writer appends at \(next)"
        }
    }
}

/// What a recovery found and did.
public struct RecoverySummary: Sendable, Equatable, CustomStringConvertible {
    public var directory: String
    /// The last sequence in the journal (the next input gets this + 1).
    public var sequenceReached: UInt64 = 0
    /// Input records replayed into the desk.
    public var inputsReplayed = 0
    /// Checkpoint records met and matched (a mismatch is an error, not a count).
    public var checkpointsVerified = 0
    /// The snapshot replay started from; nil = from the first record.
    public var snapshotSequence: UInt64?
    /// Snapshots passed over (past the journal's end, damaged, or not restoring to their
    /// recorded hash), each with why.
    public var snapshotsRejected: [String] = []
    /// The torn tail the writer cut off when it opened, if any.
    public var truncatedTail: JournalTornTail?
    /// The checkpoint that fell due on the last input but never reached the journal, written now.
    public var rewroteCheckpoint = false
    /// The orders the coordinator holds open: the venue must be asked about each.
    public var openOrders: [OpenOrder] = []
    /// The `sequence` of the last market update replayed (the feed position; 0 if none).
    public var lastMarketSequence: UInt64 = 0
    /// The event time of the last input replayed.
    public var lastTime: UInt64 = 0
    /// The last directive input replayed (a live run's clean stop journals halt-longs and
    /// halt-shorts desk-wide last), nil if none.
    public var lastDirective: Directive?
    /// The coordinator's state hash after replay.
    public var stateHash: UInt64 = 0

    public var description: String {
        var s = "recovered \(directory): sequence \(sequenceReached), "
        if let snap = snapshotSequence { s += "from the snapshot at sequence \(snap), " }
        s += "\(inputsReplayed) inputs replayed, "
        s += "\(checkpointsVerified) checkpoints verified, \(openOrders.count) open orders to reconcile"
        if let t = truncatedTail { s += "; torn tail cut at sequence \(t.sequence) (\(t.discardedBytes) bytes)" }
        return s
    }
}

/// A coordinator ready to take inputs, with the journal it appends to: what `start` and
/// `recover` return.
public struct JournaledCoordinator {
    public let setup: BacktestSetup
    public let coordinator: Coordinator
    /// The writer under `journal`: run its loop (`JournalLoopThread`) unless the sink is a
    /// `LockstepJournal`, which drives it on the caller's thread.
    public let writer: JournalWriter
    public let journal: CoordinatorJournalSink
    /// Nil for a fresh journal.
    public let summary: RecoverySummary?
}

/// A sink for a writer whose loop runs on its own thread (`JournalLoopThread`): waits while
/// the ring is full instead of driving the loop itself.
public final class ThreadedJournal: CoordinatorJournalSink {
    public let writer: JournalWriter
    public init(writer: JournalWriter) { self.writer = writer }

    public func appendRecord(_ type: JournalRecordType, timestampNs: UInt64, payload: UnsafeRawBufferPointer) -> UInt64? {
        writer.appendWaiting(type, timestampNs: timestampNs, payload: payload)
    }
}

/// Opens coordinator journals: a fresh one (`start`) or an existing one after a crash
/// (`recover`), or whichever the directory calls for (`startOrRecover`).
public enum CoordinatorRecovery {
    /// The writer options the backtest uses (no fsync: records survive the process once
    /// written; payloads up to 4 KiB).
    public static var defaultOptions: JournalWriterOptions {
        var o = JournalWriterOptions(fsync: .none)
        o.maxPayload = 4096
        return o
    }

    /// The sink a caller gets by default: the lockstep one (single thread).
    public static func lockstep(_ w: JournalWriter) -> CoordinatorJournalSink { LockstepJournal(writer: w) }

    /// Whether `directory` holds at least one journal record (a run to recover from).
    public static func hasJournal(directory: String) -> Bool {
        guard let reader = try? JournalReader(directory: directory) else { return false }
        var any = false
        _ = try? reader.forEach { _ in
            any = true
            return false
        }
        return any
    }

    /// `recover` when `directory` holds a journal, else `start` with `setup`.
    public static func startOrRecover(
        directory: String, setup: BacktestSetup, options: JournalWriterOptions = defaultOptions,
        sink: (JournalWriter) -> CoordinatorJournalSink = lockstep
    ) throws(RecoveryError) -> JournaledCoordinator {
        if hasJournal(directory: directory) { return try recover(directory: directory, options: options, sink: sink) }
        return try start(directory: directory, setup: setup, options: options, sink: sink)
    }

    /// A new journal in `directory` (new or empty) whose first record is `setup`, and a
    /// coordinator journaling into it.
    public static func start(
        directory: String, setup: BacktestSetup, options: JournalWriterOptions = defaultOptions,
        sink makeSink: (JournalWriter) -> CoordinatorJournalSink = lockstep
    ) throws(RecoveryError) -> JournaledCoordinator {
        let desk: Desk
        do { desk = try setup.makeDesk() } catch { throw .badSetup("\(error)") }
        let writer: JournalWriter
        do { writer = try JournalWriter(directory: directory, options: options) } catch {
            throw .journal(directory: directory, reason: "\(error)")
        }
        guard writer.nextSequence == 1 else {
            throw .journal(directory: directory, reason: "already holds a journal (next sequence \(writer.nextSequence))")
        }
        let sink = makeSink(writer)
        let text = Array(setup.encoded.utf8)
        guard text.withUnsafeBytes({ sink.appendRecord(.coordinatorSession, timestampNs: 0, payload: $0) }) != nil else {
            throw .journal(directory: directory, reason: "could not write the session record")
        }
        let c = Coordinator(desk: desk, journal: sink, checkpointEvery: setup.checkpointEvery, sampleNanos: setup.sampleNanos)
        return JournaledCoordinator(setup: setup, coordinator: c, writer: writer, journal: sink, summary: nil)
    }

    /// Recovers the coordinator journal in `directory`: opens it for appending (the writer
    /// cuts a torn tail), rebuilds the desk from the session record, replays every input,
    /// verifies every checkpoint, and attaches the journal so the next input continues the
    /// sequence. The open orders in the summary are still to be reconciled with the venue.
    /// - Throws: `RecoveryError`; `.checkpointMismatch` names the first checkpoint that failed.
    /// - Complexity: O(journal bytes).
    public static func recover(
        directory: String, options: JournalWriterOptions = defaultOptions,
        sink makeSink: (JournalWriter) -> CoordinatorJournalSink = lockstep
    ) throws(RecoveryError) -> JournaledCoordinator {
        let writer: JournalWriter
        do { writer = try JournalWriter(directory: directory, options: options) } catch {
            throw .journal(directory: directory, reason: "\(error)")
        }
        var summary = RecoverySummary(directory: directory)
        summary.truncatedTail = writer.recovery.truncatedTail

        var setupText: String?
        var first = true
        var notSession = false
        do {
            try JournalReader(directory: directory).forEach { r in
                if r.type == .coordinatorSession { setupText = String(decoding: r.payload, as: UTF8.self) }
                else if first { notSession = true }
                first = false
                return false
            }
        } catch {
            throw .journal(directory: directory, reason: "\(error)")
        }
        guard let setupText, !notSession else { throw .notACoordinatorJournal(directory) }
        let setup: BacktestSetup
        do {
            setup = try BacktestSetup.decode(setupText)
            _ = try setup.makeDesk()  // a setup this build cannot make a desk from is refused here, by name
        } catch {
            throw .badSetup("\(error)")
        }
        // The newest snapshot the journal reaches (one past the journal's end, or one whose
        // blob does not restore to its recorded hash, is passed over), else the first record.
        let start: _SnapshotStart
        do {
            start = try _SnapshotStart.newest(directory: directory, atOrBefore: writer.nextSequence - 1) {
                // The setup made a desk above, so it makes more.
                Coordinator(desk: try! setup.makeDesk(), journal: nil, checkpointEvery: setup.checkpointEvery,
                            sampleNanos: setup.sampleNanos)
            }
        } catch {
            throw .journal(directory: directory, reason: "\(error)")
        }
        let coordinator = start.coordinator
        summary.snapshotSequence = start.snapshot?.sequence
        summary.snapshotsRejected = start.rejected
        var replayer = _RecoveryReplayer(coordinator: coordinator)
        let result: JournalReplayResult
        do { result = try JournalReplay.run(directory: directory, into: &replayer, after: start.snapshot?.sequence) } catch {
            throw .journal(directory: directory, reason: "\(error)")
        }
        if let e = replayer.error { throw .badRecord(e) }
        if let m = result.checkpointMismatches.first {
            throw .checkpointMismatch(sequence: m.sequence, expected: m.expected, actual: m.actual)
        }
        guard writer.nextSequence == result.lastSequence + 1 else {
            throw .sequenceGap(lastReplayed: result.lastSequence, nextAppend: writer.nextSequence)
        }
        let sink = makeSink(writer)
        coordinator.attachJournal(sink, lastSequence: result.lastSequence)
        // The crash may have come between an input and the checkpoint it made due: write it
        // now, so the journal reads as if the run had not stopped.
        let inputs = coordinator.counters.inputs
        if inputs > 0 && inputs % coordinator.checkpointEvery == 0 && replayer.lastInputSequence == result.lastSequence {
            coordinator.writeCheckpointRecord()
            summary.rewroteCheckpoint = true
        }
        summary.sequenceReached = result.lastSequence
        summary.inputsReplayed = replayer.inputs
        summary.checkpointsVerified = result.checkpointsChecked
        summary.openOrders = (0..<coordinator.openOrderCount).map(coordinator.openOrder)
        summary.lastMarketSequence = coordinator.lastMarketSequence
        summary.lastTime = coordinator.lastTime
        summary.lastDirective = coordinator.lastDirective
        summary.stateHash = coordinator.stateHash()
        return JournaledCoordinator(setup: setup, coordinator: coordinator, writer: writer, journal: sink, summary: summary)
    }
}

/// Replays coordinator inputs, remembering where the last input was.
struct _RecoveryReplayer: JournalReplayer {
    let coordinator: Coordinator
    var error: CoordinatorDecodeError?
    var lastInputSequence: UInt64 = 0
    /// Input records consumed.
    var inputs = 0

    mutating func apply(_ record: JournalRecord) {
        guard error == nil else { return }
        do {
            guard let input = try CoordinatorCodec.decode(record) else { return }
            lastInputSequence = record.sequence
            inputs += 1
            coordinator.consume(input)
        } catch {
            self.error = error
        }
    }

    func stateHash() -> UInt64 { coordinator.stateHash() }

    mutating func restore(snapshot: [UInt8], sequence: UInt64) throws {
        try coordinator.restoreState(snapshot)
    }
}
