import QuorumAgents
import QuorumJournal

// The coordinator's snapshot: its order manager, positions, P&L and counters, then the whole
// desk (Desk+State.swift). Restoring it into a coordinator built from the same session record
// gives the state replay would reach at the snapshot's sequence, so recovery replays only the
// records after it. The outbox is the driver's view, not state, and is not written.

extension Coordinator {
    /// The version of the coordinator's state image; a different one is refused.
    static let stateImageVersion: UInt32 = 1

    /// Whether `stateImage()` can be made (a custom analyst may not write its state).
    public var canImageState: Bool { desk.canImageState }

    /// The coordinator's state as a snapshot blob, written into `buffer`'s storage; nil when
    /// an agent cannot write its state.
    /// - Complexity: O(state size): the agents' windows, the covariance, the scratchpad.
    public func stateImage(reusing buffer: [UInt8] = []) -> [UInt8]? {
        guard canImageState else { return nil }
        var w = buffer.capacity > 0 ? StateImageWriter(reusing: buffer) : StateImageWriter()
        w.section("Coordinator")
        w.value(Self.stateImageVersion)
        writeCounters(to: &w)
        w.array(symbols); w.array(agentPnL); w.array(agentTrips); w.array(pnlSeries); w.array(open)
        w.value(cancelAllRequested); w.value(recordHash); w.value(lastTime); w.value(nextSample)
        w.value(lastMarketSequence); w.value(lastDirective)
        w.value(pendingOutcomePnL); w.value(pendingOutcomeSymbol); w.value(outboxOverflow)
        desk.writeState(to: &w)
        return w.bytes
    }

    /// Replaces the state with a blob `stateImage()` made in a coordinator built from the
    /// same setup. On error the state is partly overwritten: build a fresh coordinator.
    public func restoreState(_ blob: [UInt8]) throws(StateImageError) {
        var r = StateImageReader(blob)
        try r.section("Coordinator")
        var version: UInt32 = 0
        try r.value(&version)
        guard version == Self.stateImageVersion else {
            throw .unsupported("coordinator state image version \(version); this build reads \(Self.stateImageVersion)")
        }
        try readCounters(from: &r)
        try r.array(&symbols); try r.array(&agentPnL); try r.array(&agentTrips)
        try r.growingArray(&pnlSeries); try r.growingArray(&open)
        try r.value(&cancelAllRequested); try r.value(&recordHash); try r.value(&lastTime); try r.value(&nextSample)
        try r.value(&lastMarketSequence); try r.value(&lastDirective)
        try r.value(&pendingOutcomePnL); try r.value(&pendingOutcomeSymbol); try r.value(&outboxOverflow)
        try desk.readState(from: &r)
        try r.finish()
        guard open.count <= openCapacity else {
            throw .unsupported("\(open.count) open orders in the image, capacity \(openCapacity)")
        }
    }

    private func writeCounters(to w: inout StateImageWriter) {
        let c = counters
        for v in [c.inputs, c.marketInputs, c.fillInputs, c.closeInputs, c.directiveInputs, c.overrunInputs,
                  c.checkpoints, c.ordersSent, c.ordersRejected, c.unmatchedFills, c.journalFailures,
                  c.approvedDecisions, c.vetoedDecisions, c.recordsDropped] { w.value(v) }
        w.array(c.records)
    }

    private func readCounters(from r: inout StateImageReader) throws(StateImageError) {
        var c = CoordinatorCounters()
        try r.value(&c.inputs); try r.value(&c.marketInputs); try r.value(&c.fillInputs); try r.value(&c.closeInputs)
        try r.value(&c.directiveInputs); try r.value(&c.overrunInputs); try r.value(&c.checkpoints)
        try r.value(&c.ordersSent); try r.value(&c.ordersRejected); try r.value(&c.unmatchedFills)
        try r.value(&c.journalFailures); try r.value(&c.approvedDecisions); try r.value(&c.vetoedDecisions)
        try r.value(&c.recordsDropped)
        try r.array(&c.records)
        counters = c
    }
}

/// A coordinator rebuilt from a journal directory's newest usable snapshot.
struct _SnapshotStart {
    var coordinator: Coordinator
    /// The snapshot the state came from; nil = none usable, start from the first record.
    var snapshot: JournalSnapshot?
    /// Snapshots passed over, newest first, each with why.
    var rejected: [String] = []
}

extension _SnapshotStart {
    /// Tries the snapshots at or before `limit`, newest first: a snapshot is used when its file
    /// checks pass, its blob restores into a coordinator `make()` builds, and the restored
    /// state's hash is the one the snapshot recorded. Each failure is noted and the next older
    /// one tried; with none usable, a fresh coordinator starts from the first record.
    static func newest(directory: String, atOrBefore limit: UInt64,
                       make: () -> Coordinator) throws(JournalError) -> _SnapshotStart {
        var rejected: [String] = []
        var limit = limit
        while true {
            let found = try JournalSnapshots.newestValid(directory: directory, atOrBefore: limit)
            rejected += found.rejected.map { "\($0.path): \($0.reason)" }
            guard let snap = found.snapshot else { return _SnapshotStart(coordinator: make(), rejected: rejected) }
            let c = make()
            do throws(StateImageError) {
                try c.restoreState(snap.blob)
                let h = c.stateHash()
                guard h == snap.stateHash else {
                    throw .unsupported("restored state hash \(String(h, radix: 16)), the snapshot recorded \(String(snap.stateHash, radix: 16))")
                }
                return _SnapshotStart(coordinator: c, snapshot: snap, rejected: rejected)
            } catch {
                rejected.append("\(snap.path): \(error)")
            }
            guard snap.sequence > 0 else { return _SnapshotStart(coordinator: make(), rejected: rejected) }
            limit = snap.sequence - 1
        }
    }
}
