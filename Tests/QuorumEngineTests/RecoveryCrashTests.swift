import Foundation
import QuorumAgents
import QuorumBook
import QuorumJournal
import QuorumWire
import Testing

@testable import QuorumEngine

#if canImport(Glibc)
import Glibc
#endif

/// The `quorum-recovery-child` built beside this test bundle.
func recoveryChildPath() -> String {
    var dir = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]).deletingLastPathComponent()
    // The test binary may sit inside an .xctest bundle: climb until the child is beside us.
    for _ in 0..<6 {
        let candidate = dir.appendingPathComponent("quorum-recovery-child").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return "quorum-recovery-child"
}

/// One run of the child: its output lines, and whether it was killed.
struct ChildRun {
    var lines: [String] = []
    var killed = false
    var exitStatus: Int32 = 0

    /// The highest sequence it reported written (`d N` lines).
    var lastWritten: UInt64 { lines.compactMap { $0.hasPrefix("d ") ? UInt64($0.dropFirst(2)) : nil }.max() ?? 0 }
    /// `key=value` fields of the first line starting with `prefix`.
    func fields(_ prefix: String) -> [String: String]? {
        guard let line = lines.first(where: { $0.hasPrefix(prefix) }) else { return nil }
        var out: [String: String] = [:]
        for part in line.split(separator: " ").dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }
}

/// Spawns the child on `dir` and `feed`. `kill`: nil runs it to the end; `.atUpdate(i)` waits
/// for its `ready` line, then for progress past update i, then `delayUs` more; `.duringStart`
/// kills `delayUs` after the spawn, while it opens and recovers.
enum KillPlan {
    case never
    case atUpdate(Int, delayUs: UInt32)
    case duringStart(delayUs: UInt32)
}

func runRecoveryChild(_ exe: String, dir: String, feed: String, checkpointEvery: Int, segmentBytes: Int,
                      kill plan: KillPlan) -> ChildRun {
    var fds: [Int32] = [0, 0]
    precondition(pipe(&fds) == 0)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addopen(&actions, 2, dir + ".stderr", O_WRONLY | O_CREAT | O_APPEND, 0o644)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let argv = [exe, dir, feed, String(checkpointEvery), String(segmentBytes)]
    var cargs = argv.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, exe, &actions, nil, &cargs, environ)
    close(fds[1])
    var run = ChildRun()
    guard rc == 0 else {
        close(fds[0])
        run.exitStatus = -1
        return run
    }
    var pending = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    /// Reads until `stop` says so for a complete line, or EOF; returns whether it stopped.
    func readLines(until stop: (String) -> Bool) -> Bool {
        while true {
            while let nl = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                run.lines.append(line)
                if stop(line) { return true }
            }
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { return false }
            pending.append(contentsOf: chunk[..<n])
        }
    }
    switch plan {
    case .never:
        _ = readLines { _ in false }
    case .duringStart(let us):
        usleep(us)
        kill(pid, SIGKILL)
        run.killed = true
    case let .atUpdate(target, us):
        if readLines(until: { $0 == "ready" }),
           readLines(until: { $0.hasPrefix("m ") && Int($0.dropFirst(2)).map { $0 >= target } == true }) {
            usleep(us)
        }
        kill(pid, SIGKILL)
        run.killed = true
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    // The child is gone: what it wrote is all in the pipe.
    _ = readLines { _ in false }
    if !pending.isEmpty { /* a line cut by the kill: not a complete report, ignored */ }
    close(fds[0])
    run.exitStatus = status
    return run
}

@Suite("Recovery after SIGKILL: verified replay, same final state", .serialized)
struct RecoveryCrashTests {
    static let checkpointEvery = 150

    /// The uninterrupted run, in this process: the setup the child picks and the final state hash.
    static func reference(_ feed: [UInt8]) throws -> (setup: BacktestSetup, hash: UInt64, inputs: Int, updates: Int) {
        var setup = BacktestSetup()
        setup.maxSymbols = 3
        setup.checkpointEvery = checkpointEvery
        setup.sampleNanos = 50_000_000
        setup = feed.withUnsafeBytes { Backtest.chooseSymbols(setup, feed: $0) }
        let drill = feed.withUnsafeBytes { RecoveryDrill(setup: setup, feed: $0) }
        let c = Coordinator(desk: try setup.makeDesk(), journal: nil, checkpointEvery: setup.checkpointEvery,
                            sampleNanos: setup.sampleNanos)
        drill.run(c, from: 0)
        #expect(drill.runawayCloses == 0)
        return (setup, c.stateHash(), c.counters.inputs, drill.updates.count)
    }

    @Test("killed at random points, each restart recovers past everything written and ends in the uninterrupted state",
          arguments: [UInt64(0xA11CE), 0xB0B, 0xC0FFEE])
    func killAndRecover(seed: UInt64) throws {
        let exe = recoveryChildPath()
        try #require(FileManager.default.isExecutableFile(atPath: exe), "build the child first: \(exe)")
        let feed = TestDay.bytes(symbols: 4, messages: 24_000, seed: seed)
        let work = tempDirectory("recover-crash")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let feedPath = work + "/day.itch"
        #expect(FileManager.default.createFile(atPath: feedPath, contents: Data(feed)))
        let dir = work + "/journal"
        let ref = try Self.reference(feed)
        #expect(ref.inputs > ref.updates, "the desk traded (fills and closes are inputs too)")

        var rng = SplitMix(seed: seed)
        var everWritten: UInt64 = 0
        var recoveries = 0
        var midRunKills = 0
        var withOpenOrders = 0
        var rewrote = 0
        var seqs: [UInt64] = []
        // The furthest update any run reported: kills aim somewhere in what is left.
        var reached = 0
        // Small segments (256 KiB), so runs cross segment boundaries and restarts open later segments.
        let segment = 256 << 10
        for k in 0..<7 {
            let plan: KillPlan = k == 2
                ? .duringStart(delayUs: UInt32(rng.next() % 40_000))
                : .atUpdate(reached + Int(rng.next() % UInt64(max(1, (ref.updates - reached) / 3))),
                            delayUs: UInt32(rng.next() % 3_000))
            let run = runRecoveryChild(exe, dir: dir, feed: feedPath, checkpointEvery: Self.checkpointEvery,
                                       segmentBytes: segment, kill: plan)
            #expect(run.killed)
            let err = (try? String(contentsOfFile: dir + ".stderr", encoding: .utf8)) ?? ""
            #expect(!err.contains("recovery-child:"), "run \(k): \(err)")
            if let r = run.fields("recovered") {
                recoveries += 1
                // Everything the last run handed to the kernel survived its death and was replayed.
                let seq = UInt64(r["seq"] ?? "") ?? 0
                #expect(seq >= everWritten, "run \(k): recovered to \(seq), \(everWritten) was written before")
                seqs.append(seq)
                if r["open"] != "0" { withOpenOrders += 1 }
                if r["rewrote"] == "1" { rewrote += 1 }
                #expect((Int(r["checkpoints"] ?? "") ?? 0) >= Int(everWritten) / (Self.checkpointEvery + 1) - 1)
            }
            if run.lines.contains("ready") && run.lastWritten > 0 { midRunKills += 1 }
            everWritten = max(everWritten, run.lastWritten)
            reached = max(reached, run.lines.compactMap { $0.hasPrefix("m ") ? Int($0.dropFirst(2)) : nil }.max() ?? 0)
        }
        print("recovery crash seed \(String(seed, radix: 16)): recovered at sequences \(seqs), \(withOpenOrders) with open orders, "
              + "\(rewrote) lost checkpoints rewritten, \(midRunKills) kills mid-run")
        #expect(recoveries >= 5)
        #expect(midRunKills >= 4)

        // Then to the end, and the state is the uninterrupted run's.
        let last = runRecoveryChild(exe, dir: dir, feed: feedPath, checkpointEvery: Self.checkpointEvery,
                                    segmentBytes: segment, kill: .never)
        #expect(last.exitStatus == 0)
        let done = try #require(last.fields("done"))
        #expect(done["hash"] == String(ref.hash, radix: 16))
        #expect(done["inputs"] == String(ref.inputs))

        // An independent replay of the journal the seven deaths left verifies every checkpoint.
        let replay = try CoordinatorReplay.run(directory: dir)
        #expect(replay.mismatches == 0)
        #expect(replay.checkpointsChecked >= ref.inputs / Self.checkpointEvery)
        #expect(String(replay.lastSequence) == done["seq"])
        let again = try CoordinatorRecovery.recover(directory: dir)
        #expect(again.summary?.stateHash == ref.hash)
        #expect(again.summary?.openOrders.isEmpty == true)
    }
}

/// A small deterministic generator for the kill schedule.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
