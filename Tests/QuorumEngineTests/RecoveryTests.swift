import Foundation
import QuorumAgents
import QuorumBook
import QuorumJournal
import QuorumWire
import Testing

@testable import QuorumEngine

/// A coordinator journaling into `dir` that has consumed market updates of `feed` — orders
/// unanswered — until it holds `minimum` open orders (or the feed ends).
func coordinatorWithOpenOrders(_ dir: String, feed: [UInt8], minimum: Int, symbols: Int = 3,
                               checkpointEvery: Int = 100) throws -> (JournaledCoordinator, RecoveryDrill, Int) {
    var setup = BacktestSetup()
    setup.maxSymbols = symbols
    setup.checkpointEvery = checkpointEvery
    setup.sampleNanos = 50_000_000
    setup = feed.withUnsafeBytes { Backtest.chooseSymbols(setup, feed: $0) }
    let j = try CoordinatorRecovery.start(directory: dir, setup: setup)
    let drill = feed.withUnsafeBytes { RecoveryDrill(setup: setup, feed: $0) }
    var i = 0
    while j.coordinator.openOrderCount < minimum && i < drill.updates.count {
        j.coordinator.consume(.market(drill.updates[i]))
        i += 1
    }
    while j.coordinator.nextOutgoing() != nil {}
    return (j, drill, i)
}

func finish(_ j: JournaledCoordinator) throws {
    try (j.journal as! LockstepJournal).finish()
}

/// A sink that stops journaling checkpoints after `keep` of them (as if the process died
/// between an input and its checkpoint), forwarding everything else.
final class CheckpointDroppingJournal: CoordinatorJournalSink {
    let inner: LockstepJournal
    var keep: Int
    init(_ inner: LockstepJournal, keep: Int) {
        self.inner = inner
        self.keep = keep
    }
    func appendRecord(_ type: JournalRecordType, timestampNs: UInt64, payload: UnsafeRawBufferPointer) -> UInt64? {
        if type == .checkpoint {
            if keep == 0 { return nil }
            keep -= 1
        }
        return inner.appendRecord(type, timestampNs: timestampNs, payload: payload)
    }
}

@Suite("Recovery: replay from the journal, typed failures, reconciliation by quantity")
struct RecoveryTests {
    static let feed = TestDay.bytes(symbols: 4, messages: 30_000, seed: 0x5EED)

    @Test func aRecoveredCoordinatorHasTheSameStateAndAppendsOnInTheSameSequence() throws {
        let dir = tempDirectory("recover-basic")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (j, drill, next) = try coordinatorWithOpenOrders(dir, feed: Self.feed, minimum: 2)
        let c = j.coordinator
        try #require(c.openOrderCount >= 2)
        let hash = c.stateHash()
        let open = (0..<c.openOrderCount).map(c.openOrder)
        let last = c.lastSequence
        try finish(j)

        let r = try CoordinatorRecovery.recover(directory: dir)
        let s = try #require(r.summary)
        #expect(s.stateHash == hash && r.coordinator.stateHash() == hash)
        #expect(s.sequenceReached == last && r.writer.nextSequence == last + 1)
        #expect(s.inputsReplayed == c.counters.inputs)
        #expect(s.checkpointsVerified == c.counters.inputs / 100)
        #expect(s.openOrders == open)
        #expect(s.lastMarketSequence == drill.updates[next - 1].sequence)
        #expect(s.truncatedTail == nil && s.snapshotSequence == nil)
        #expect(s.description.contains("\(s.openOrders.count) open orders to reconcile"))

        // It trades on: answered and fed further, its inputs follow in the same sequence, and
        // the whole journal replays with every checkpoint matched.
        drill.resume(r.coordinator, lastMarketSequence: s.lastMarketSequence, until: next + 300)
        #expect(r.coordinator.lastSequence > last)
        #expect(r.coordinator.openOrderCount == 0)
        try finish(r)
        let replay = try CoordinatorReplay.run(directory: dir)
        #expect(replay.mismatches == 0 && replay.lastSequence == r.coordinator.lastSequence)
        #expect(replay.checkpointsChecked == r.coordinator.counters.inputs / 100)
    }

    @Test func aTornTailIsCutAndRecoveryEndsAtTheLastWholeRecord() throws {
        let dir = tempDirectory("recover-torn")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (j, _, _) = try coordinatorWithOpenOrders(dir, feed: Self.feed, minimum: 1)
        let last = j.coordinator.lastSequence
        let hash = j.coordinator.stateHash()
        try finish(j)
        // Half a record after the last one: a length, garbage CRC and some payload bytes.
        let seg = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".qseg") }.sorted().last)
        var end = 0
        try JournalReader(directory: dir).forEach { r in
            end = r.offset + 32 + (r.payload.count + 7) / 8 * 8
            return true
        }
        let fh = try #require(FileHandle(forUpdatingAtPath: dir + "/" + seg))
        try fh.seek(toOffset: UInt64(end))
        try fh.write(contentsOf: Data([0xFE, 0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF] + [UInt8](repeating: 0x5A, count: 40)))
        try fh.close()

        let r = try CoordinatorRecovery.recover(directory: dir)
        let s = try #require(r.summary)
        #expect(s.truncatedTail != nil)
        #expect(s.sequenceReached == last && s.stateHash == hash)
        #expect(r.writer.nextSequence == last + 1)
    }

    @Test func aCheckpointTheJournalLacksIsWrittenOnRecovery() throws {
        let dir = tempDirectory("recover-lost-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var setup = BacktestSetup()
        setup.maxSymbols = 3
        setup.checkpointEvery = 10
        setup = Self.feed.withUnsafeBytes { Backtest.chooseSymbols(setup, feed: $0) }
        let started = try CoordinatorRecovery.start(directory: dir, setup: setup)
        let drop = CheckpointDroppingJournal(started.journal as! LockstepJournal, keep: 2)
        started.coordinator.attachJournal(drop, lastSequence: started.coordinator.lastSequence)
        let drill = Self.feed.withUnsafeBytes { RecoveryDrill(setup: setup, feed: $0) }
        for i in 0..<30 { started.coordinator.consume(.market(drill.updates[i])) }
        // Inputs 10 and 20 were checkpointed; the checkpoint due at 30 was lost.
        #expect(started.coordinator.counters.journalFailures == 1)
        try finish(started)

        let r = try CoordinatorRecovery.recover(directory: dir)
        let s = try #require(r.summary)
        #expect(s.checkpointsVerified == 2 && s.rewroteCheckpoint)
        try finish(r)
        let replay = try CoordinatorReplay.run(directory: dir)
        #expect(replay.checkpointsChecked == 3 && replay.mismatches == 0)
    }

    @Test func aCheckpointThatDoesNotMatchIsATypedErrorNamingItsSequence() throws {
        let dir = tempDirectory("recover-mismatch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var setup = BacktestSetup()
        setup.maxSymbols = 3
        setup.checkpointEvery = 1_000_000
        setup = Self.feed.withUnsafeBytes { Backtest.chooseSymbols(setup, feed: $0) }
        let j = try CoordinatorRecovery.start(directory: dir, setup: setup)
        let drill = Self.feed.withUnsafeBytes { RecoveryDrill(setup: setup, feed: $0) }
        for i in 0..<20 { j.coordinator.consume(.market(drill.updates[i])) }
        j.coordinator.checkpoint()  // a true one
        let good = j.coordinator.lastSequence
        for i in 20..<25 { j.coordinator.consume(.market(drill.updates[i])) }
        // A checkpoint whose hash is off by one bit.
        var wrong = (j.coordinator.stateHash() ^ 1).littleEndian
        let bad = withUnsafeBytes(of: &wrong) { j.journal.appendRecord(.checkpoint, timestampNs: 0, payload: $0) }
        for i in 25..<30 { j.coordinator.consume(.market(drill.updates[i])) }
        try finish(j)
        #expect(good > 1)
        let badSeq = try #require(bad)
        let expected = wrong.littleEndian
        #expect(throws: RecoveryError.checkpointMismatch(sequence: badSeq, expected: expected, actual: expected ^ 1)) {
            _ = try CoordinatorRecovery.recover(directory: dir)
        }
    }

    @Test func aJournalThatIsNotTheCoordinatorsIsRefusedByName() throws {
        let dir = tempDirectory("recover-foreign")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(!CoordinatorRecovery.hasJournal(directory: dir))
        let w = try JournalWriter(directory: dir, options: CoordinatorRecovery.defaultOptions)
        let bytes: [UInt8] = [1, 2, 3, 4]
        _ = bytes.withUnsafeBytes { w.appendWaiting(.demo, timestampNs: 1, payload: $0) }
        try w.loop.drainAndSync()
        #expect(CoordinatorRecovery.hasJournal(directory: dir))
        #expect(throws: RecoveryError.notACoordinatorJournal(dir)) { _ = try CoordinatorRecovery.recover(directory: dir) }
        // startOrRecover on it recovers (and refuses) rather than starting over it.
        #expect(throws: RecoveryError.notACoordinatorJournal(dir)) {
            _ = try CoordinatorRecovery.startOrRecover(directory: dir, setup: BacktestSetup())
        }
    }

    @Test func reportsFillWhatWasMissedOnceAndCloseWhatTheVenueFinished() throws {
        let dir = tempDirectory("recover-reconcile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (j, _, _) = try coordinatorWithOpenOrders(dir, feed: Self.feed, minimum: 3)
        let c = j.coordinator
        try #require(c.openOrderCount >= 3)
        let a = c.openOrder(0), b = c.openOrder(1), d = c.openOrder(2)
        try #require(a.order.quantity >= 4)
        let names = (0..<c.symbols.count).map { FIXString("S\($0)") }
        let rec = OrderReconciler(coordinator: c, symbolNames: names)
        let asked = rec.statusRequests()
        #expect(asked.count == c.openOrderCount && rec.awaitingAnswers == c.openOrderCount)
        #expect(rec.counters.statusRequestsSent == asked.count && !rec.isComplete)
        #expect(asked[0] == FIXOrderStatusRequest(clOrdID: FIXString(decimal: a.order.id),
                                                  symbol: names[a.order.symbol.index],
                                                  side: a.order.direction == .short ? .sell : .buy))
        func report(_ o: OpenOrder, _ type: FIXExecType, _ status: FIXOrdStatus, cum: Int64, avg: UInt32,
                    last: (Int64, UInt32)? = nil, reason: Int? = nil) -> FIXExecutionReport {
            FIXExecutionReport(orderID: "X", clOrdID: FIXString(decimal: o.order.id), execID: "E", execType: type,
                               ordStatus: status, symbol: "S", side: .buy, orderQty: Qty(UInt32(o.order.quantity)),
                               lastQty: last.map { Qty(UInt32($0.0)) }, lastPx: last.map { Price($0.1) },
                               leavesQty: Qty(UInt32(o.order.quantity - cum)), cumQty: Qty(UInt32(cum)),
                               avgPx: Price(avg), ordRejReason: reason)
        }
        let sign = a.order.direction.sign
        let position0 = c.symbols[a.order.symbol.index].position
        let half = a.order.quantity / 2
        // A: half filled at 100.0000 while we were away.
        let statusA = report(a, .orderStatus, .partiallyFilled, cum: half, avg: 1_000_000)
        #expect(rec.apply(statusA, time: 0) == .filled(quantity: half, priceTicks: 1_000_000))
        #expect(c.openOrder(id: a.order.id)?.filled == half)
        // The same answer again, and the trade report the session resends: nothing more.
        #expect(rec.apply(statusA, time: 0) == .agreed)
        let resent = report(a, .trade, .partiallyFilled, cum: half, avg: 1_000_000, last: (half, 1_000_000))
        #expect(rec.apply(resent, possDup: true, time: 0) == .duplicate)
        // A report from before the fill (cumulative 0) is behind us: left alone.
        #expect(rec.apply(report(a, .new, .new, cum: 0, avg: 0), time: 0) == .venueBehind)
        // The rest of A filled at 100.0200; AvgPx is then 100.0100 and the missed part's price
        // comes out of AvgPx × CumQty less what we had.
        let rest = a.order.quantity - half
        let avg = UInt32((half * 1_000_000 + rest * 1_000_200) / a.order.quantity)
        let expectedPx = (a.order.quantity * Int64(avg) - half * 1_000_000 + rest / 2) / rest
        #expect(rec.apply(report(a, .orderStatus, .filled, cum: a.order.quantity, avg: avg), time: 0)
            == .filled(quantity: rest, priceTicks: expectedPx))
        #expect(c.openOrder(id: a.order.id) == nil)
        #expect(c.symbols[a.order.symbol.index].position == position0 + sign * a.order.quantity)
        #expect(rec.apply(resent, possDup: true, time: 0) == .notOpen)
        // B: cancelled at the venue with nothing filled; D: the venue never saw it.
        #expect(rec.apply(report(b, .orderStatus, .canceled, cum: 0, avg: 0), time: 0)
            == .closed(unfilled: b.order.quantity))
        #expect(rec.apply(report(d, .orderStatus, .rejected, cum: 0, avg: 0, reason: 5), time: 0)
            == .closed(unfilled: d.order.quantity))
        #expect(c.openOrder(id: b.order.id) == nil && c.openOrder(id: d.order.id) == nil)
        // Reports for ClOrdIDs that are not ours.
        var foreign = statusA
        foreign.clOrdID = "ABC-1"
        #expect(rec.apply(foreign, time: 0) == .notOpen)
        foreign.clOrdID = "99999999"
        #expect(rec.apply(foreign, time: 0) == .notOpen)

        #expect(rec.counters.missedFills == 2 && rec.counters.missedQuantity == a.order.quantity)
        #expect(rec.counters.ordersClosed == 2 && rec.counters.unknownAtVenue == 1)
        #expect(rec.counters.duplicates == 1 && rec.counters.venueBehind == 1 && rec.counters.notOpen == 3)
        #expect(rec.counters.statusAnswers == 7)
        #expect(rec.awaitingAnswers == asked.count - 3)  // A, B and D answered

        // Every input it made is in the journal: a replay reaches the same state.
        let hash = c.stateHash()
        try finish(j)
        let again = try CoordinatorRecovery.recover(directory: dir)
        #expect(again.summary?.stateHash == hash)
        #expect(again.summary?.openOrders.contains { [a, b, d].map(\.order.id).contains($0.order.id) } == false)
    }

    @Test func clOrdIDsAreDeskIdsInDecimal() {
        #expect(OrderReconciler.orderID(of: "0") == 0)
        #expect(OrderReconciler.orderID(of: FIXString(decimal: 18_446_744_073)) == 18_446_744_073)
        #expect(OrderReconciler.orderID(of: "") == nil)
        #expect(OrderReconciler.orderID(of: "12a") == nil)
        #expect(OrderReconciler.orderID(of: "-5") == nil)
        #expect(OrderReconciler.orderID(of: "99999999999999999999") == nil)  // 20 digits: past UInt64
    }
}
