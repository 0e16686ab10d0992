import QuorumAgents
import QuorumJournal

// The coordinator's snapshot: its order manager, positions, P&L and counters, then the whole
// desk (Desk+State.swift). Restoring it into a coordinator built from the same session record
// gives the state replay would reach at the snapshot's sequence, so recovery replays only the
// records after it. The outbox is the driver's view, not state, and is not written.

extension Coordinator {
    /// The version of the coordinator's state image; a different one is refused.
    static let stateImageVersion: UInt32 = 2  // 2: rolling extremes in one ring store, the regime filters per symbol

    /// Whether `stateImage()` can be made (a custom analyst may not write its state).
    public var canImageState: Bool { desk.canImageState }

    /// The coordinator's state as a snapshot blob, written into `buffer`'s storage; nil when
    /// an agent cannot write its state.
    /// - Complexity: O(state size): the agents' windows, the covariance, the scratchpad.
    public func stateImage(reusing buffer: consuming [UInt8] = []) -> [UInt8]? {
        guard canImageState else { return nil }
        var w = StateImage(writingInto: consume buffer)
        do { try image(&w) } catch { return nil }  // writing throws only for an agent without an image
        return w.bytes
    }

    /// Replaces the state with a blob `stateImage()` made in a coordinator built from the
    /// same setup. On error the state is partly overwritten: build a fresh coordinator.
    public func restoreState(_ blob: [UInt8]) throws(StateImageError) {
        var r = StateImage(reading: blob)
        try image(&r)
        try r.finish()
        guard open.count <= openCapacity else {
            throw .unsupported("\(open.count) open orders in the image, capacity \(openCapacity)")
        }
    }

    /// The coordinator's fields, then the desk's, through `image` (written or read).
    func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("Coordinator")
        var version = Self.stateImageVersion
        try image.value(&version)
        guard version == Self.stateImageVersion else {
            throw .unsupported("coordinator state image version \(version); this build reads \(Self.stateImageVersion)")
        }
        var c = counters
        try image.value(&c.inputs); try image.value(&c.marketInputs); try image.value(&c.fillInputs)
        try image.value(&c.closeInputs); try image.value(&c.directiveInputs); try image.value(&c.overrunInputs)
        try image.value(&c.checkpoints); try image.value(&c.ordersSent); try image.value(&c.ordersRejected)
        try image.value(&c.unmatchedFills); try image.value(&c.journalFailures); try image.value(&c.approvedDecisions)
        try image.value(&c.vetoedDecisions); try image.value(&c.recordsDropped)
        try image.array(&c.records)
        counters = c
        try image.array(&symbols); try image.array(&agentPnL); try image.array(&agentTrips)
        try image.growingArray(&pnlSeries); try image.growingArray(&open)
        try image.value(&cancelAllRequested); try image.value(&recordHash); try image.value(&lastTime)
        try image.value(&nextSample); try image.value(&lastMarketSequence); try image.value(&lastDirective)
        try image.value(&pendingOutcomePnL); try image.value(&pendingOutcomeSymbol); try image.value(&outboxOverflow)
        try desk.image(&image)
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

extension OpenOrder: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] { [\.order, \.filled, \.filledTicks] }
}
