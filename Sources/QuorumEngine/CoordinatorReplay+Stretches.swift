import Atomics
import QuorumJournal
import QuorumRings

// Replay on several cores. A journal with snapshots beside it (`quorum backtest
// --snapshot-every`, `quorum run`) splits into stretches: the first from the first record,
// each later one from a snapshot, each running through the sequence of the snapshot the next
// one starts from. The threads take the stretches in order, each replaying one in a desk of
// its own and checking the checkpoints it passes. At each join, the state hash the earlier
// stretch reached must be the one the snapshot recorded, and the snapshot must restore to it;
// the checkpoints after the join then check every decision the restored team makes against
// those the run journaled. So every record is replayed and every checkpoint checked, as by
// one thread from the first record.
//
// The join compares hashes, not image bytes: the hash is what a snapshot's header vouches
// for, and images written before padding was zeroed (StateImage.swift) hold garbage there.
// Anything that does not hold (a snapshot that does not restore to its hash, lies past the
// journal's end, or records a hash the replay does not reach there, or a checkpoint after a
// join that does not match) sends the replay back to one thread from the first record, with
// the snapshot named: a mismatch is only ever reported by that replay.

extension CoordinatorReplay {
    /// One stretch of a replay: the records after `start` (all when nil) through `end`'s
    /// sequence (to the end when nil).
    struct _Stretch {
        var start: JournalSnapshot?
        var end: JournalSnapshot?
        var coordinator: Coordinator?
        /// What the replay of its records found (nil until it ran).
        var replay: JournalReplayResult?
        /// Why the stretch does not stand in for replaying its records from the first one.
        var failure: String?
        var decodeError: CoordinatorDecodeError?
    }

    /// Stretches per thread, at most: with more stretches than threads, a thread that finishes
    /// early (its core was less busy) takes the next one, so the threads end close together.
    static let stretchesPerThread = 8

    /// The replay of `directory` split at snapshots into up to `stretchesPerThread × threads`
    /// stretches, taken in order by `threads` threads; nil (with why in `passedOver`) when
    /// there is nothing to split at or the split did not hold, and one thread from the first
    /// record must do it.
    static func _replayInStretches(directory: String, setup: BacktestSetup, threads: Int,
                                   passedOver: inout [String]) -> [_Stretch]? {
        guard threads > 1, var candidates = try? JournalSnapshots.list(directory: directory),
              let newest = candidates.last?.sequence else { return nil }
        // Ends near k/pieces of the way to the newest snapshot (about the journal's end when a
        // snapshot was written at it, as `run` and `backtest` do), each read and checked.
        let pieces = Swift.min(candidates.count + 1, stretchesPerThread * threads)
        var ends: [JournalSnapshot] = []
        for k in 1..<pieces {
            let target = newest / UInt64(pieces) * UInt64(k)
            while let i = candidates.indices.filter({ candidates[$0].sequence > (ends.last?.sequence ?? 0) })
                .min(by: { _distance(candidates[$0].sequence, target) < _distance(candidates[$1].sequence, target) }) {
                let path = candidates.remove(at: i).path
                do {
                    ends.append(try JournalSnapshots.read(path: path))
                    break
                } catch {
                    passedOver.append("\(path): \(error)")
                }
            }
        }
        guard !ends.isEmpty else { return nil }
        let n = ends.count + 1
        let plan = _StretchPlan(count: n)
        for k in 0..<n {
            (plan.stretches + k).initialize(to: _Stretch(start: k > 0 ? ends[k - 1] : nil, end: k < ends.count ? ends[k] : nil))
        }
        // This thread and `threads − 1` more take the stretches in order; each writes only the
        // stretches it took, and the joins order those writes before the reads below.
        var workers: [PinnedThread] = []
        for k in 1..<Swift.min(threads, n) {
            guard let t = try? PinnedThread.start(name: "replay-\(k)", cpus: nil, {
                plan.work(directory: directory, setup: setup)
            }) else { break }
            workers.append(t)
        }
        plan.work(directory: directory, setup: setup)
        for w in workers { w.join() }
        let all = (0..<n).map { plan.stretches[$0] }
        var failures = all.compactMap(\.failure)
        for s in all.dropFirst() {
            guard let m = s.replay?.checkpointMismatches.first, let start = s.start else { continue }
            failures.append("\(start.path): the checkpoint at sequence \(m.sequence) after it does not match")
        }
        guard failures.isEmpty, all.allSatisfy({ $0.decodeError == nil }),
              all[0].replay?.checkpointMismatches.isEmpty ?? false else {
            passedOver += failures
            return nil
        }
        return all
    }

    static func _distance(_ a: UInt64, _ b: UInt64) -> UInt64 { a > b ? a - b : b - a }

    /// Replays one stretch: restores its start (which must give the hash it recorded),
    /// replays its records, and checks that the state reached has the hash its end recorded.
    static func _replay(_ s: inout _Stretch, directory: String, setup: BacktestSetup) {
        // The caller made a desk from this setup, so it makes more.
        let c = Coordinator(desk: try! setup.makeDesk(), journal: nil, checkpointEvery: setup.checkpointEvery,
                            sampleNanos: setup.sampleNanos)
        s.coordinator = c
        if let start = s.start {
            do { try c.restoreState(start.blob) } catch {
                s.failure = "\(start.path): \(error)"
                return
            }
            guard c.stateHash() == start.stateHash else {
                s.failure = "\(start.path): restored state hash \(String(c.stateHash(), radix: 16)), "
                    + "the snapshot recorded \(String(start.stateHash, radix: 16))"
                return
            }
        }
        var replayer = Replayer(coordinator: c)
        do {
            s.replay = try JournalReplay.run(directory: directory, into: &replayer, after: s.start?.sequence,
                                             through: s.end?.sequence)
        } catch {
            s.failure = "\(directory): \(error)"
            return
        }
        if let e = replayer.error {
            s.decodeError = e
            return
        }
        guard let end = s.end else { return }
        s.coordinator = nil  // only the last stretch's state is reported
        let last = s.replay?.lastSequence ?? 0
        guard last == end.sequence else {
            s.failure = "\(end.path): sequence \(end.sequence) is past the journal's last record \(last)"
            return
        }
        let reached = c.stateHash()
        guard reached == end.stateHash else {
            s.failure = "\(end.path): the state replayed to sequence \(end.sequence) has hash \(String(reached, radix: 16)), "
                + "the snapshot recorded \(String(end.stateHash, radix: 16))"
            return
        }
    }
}

/// The stretches of one replay and the next one to take, shared by its threads.
final class _StretchPlan: @unchecked Sendable {
    let count: Int
    let stretches: UnsafeMutablePointer<CoordinatorReplay._Stretch>
    let next = ManagedAtomic<Int>(0)

    init(count: Int) {
        self.count = count
        stretches = .allocate(capacity: count)
    }

    deinit {
        stretches.deinitialize(count: count)
        stretches.deallocate()
    }

    /// Replays stretches, taking the next one left, until none is.
    func work(directory: String, setup: BacktestSetup) {
        while true {
            let k = next.loadThenWrappingIncrement(ordering: .relaxed)
            guard k < count else { return }
            CoordinatorReplay._replay(&stretches[k], directory: directory, setup: setup)
        }
    }
}
