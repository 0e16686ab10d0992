// Replay: the state a journal leads to. A replayer applies records; checkpoint records carry
// the hash the state must have at that point, so replay proves it reached the same state.

/// A deterministic state machine driven by journal records.
public protocol JournalReplayer {
    /// Applies one record (checkpoint records are not passed here; replay checks them).
    mutating func apply(_ record: JournalRecord)
    /// A hash of the current state, as the writer put into checkpoint records.
    func stateHash() -> UInt64
    /// Replaces the state with a snapshot's blob (the state after `sequence`).
    mutating func restore(snapshot: [UInt8], sequence: UInt64) throws
}

/// The payload of a checkpoint record (type `checkpoint`, v1): the state hash after every
/// record with a lower sequence.
public enum JournalCheckpoint {
    public static let payloadSize = 8

    public static func payload(stateHash: UInt64) -> (UInt64) { stateHash.littleEndian }

    public static func stateHash(of record: JournalRecord) -> UInt64? {
        guard record.type == .checkpoint, record.payload.count >= 8 else { return nil }
        return UInt64(littleEndian: record.payload.loadUnaligned(as: UInt64.self))
    }
}

/// What a replay found.
public struct JournalReplayResult: Sendable {
    public var snapshotSequence: UInt64?
    /// Whether the journal holds the snapshot's own record (replay after a snapshot needs it).
    public var reachedSnapshot = false
    public var recordsApplied = 0
    public var checkpointsChecked = 0
    /// Checkpoints whose hash the replayed state did not match: (sequence, expected, got).
    public var checkpointMismatches: [(sequence: UInt64, expected: UInt64, actual: UInt64)] = []
    public var lastSequence: UInt64 = 0
    public var scan: JournalScanReport?
}

public enum JournalReplay {
    /// Replays the journal in `directory` into `replayer`: from the newest valid snapshot
    /// when `useSnapshot` (and one exists), else from the first record. Checks every
    /// checkpoint. Throws on damage (a torn tail just ends the journal).
    /// - Complexity: O(bytes after the snapshot).
    public static func run<R: JournalReplayer>(directory: String, into replayer: inout R,
                                               useSnapshot: Bool = true) throws -> JournalReplayResult {
        if useSnapshot, let snap = try JournalSnapshots.newestValid(directory: directory).snapshot {
            try replayer.restore(snapshot: snap.blob, sequence: snap.sequence)
            return try run(directory: directory, into: &replayer, after: snap.sequence)
        }
        return try run(directory: directory, into: &replayer, after: nil)
    }

    /// Replays the records after `snapshotSequence` (every record when nil) into `replayer`,
    /// whose state the caller has already set to the state after it, up to and including the
    /// record `through` (the end when nil). Checks every checkpoint on the way.
    /// - Complexity: O(bytes from the snapshot to `through`).
    public static func run<R: JournalReplayer>(directory: String, into replayer: inout R,
                                               after snapshotSequence: UInt64?,
                                               through last: UInt64? = nil) throws -> JournalReplayResult {
        var result = JournalReplayResult()
        result.snapshotSequence = snapshotSequence
        // From the snapshot's own record, which must be there: a snapshot past the journal's
        // end (written before records it counted reached the disk) is no starting point.
        let from = snapshotSequence ?? 0
        let reader = try JournalReader(directory: directory)
        let scan = reader.scan(from: from, checkAll: false) { record in
            if let s = snapshotSequence, record.sequence <= s {
                if record.sequence == s { result.reachedSnapshot = true; result.lastSequence = s }
                return true
            }
            if record.type == .checkpoint {
                if let expected = JournalCheckpoint.stateHash(of: record) {
                    let actual = replayer.stateHash()
                    result.checkpointsChecked += 1
                    if actual != expected { result.checkpointMismatches.append((record.sequence, expected, actual)) }
                }
            } else {
                replayer.apply(record)
                result.recordsApplied += 1
            }
            result.lastSequence = record.sequence
            return record.sequence != last
        }
        result.scan = scan
        if let damage = scan.damage { throw JournalError.corrupt(damage) }
        if let s = snapshotSequence, !result.reachedSnapshot {
            throw JournalError.badSnapshot(path: directory + "/" + JournalFileNames.snapshot(s),
                                           reason: "sequence \(s) is past the journal's last record")
        }
        return result
    }
}
