// `quorum replay JOURNAL [--verify] [--from-snapshot] [--threads N]`: rebuilds a run's state
// from its journal through a fresh desk and prints the same report; with --verify, exit status
// 1 names the first checkpoint whose hash did not match. With snapshots beside the journal the
// records are replayed in stretches joined at them, on every core (CoordinatorReplay+Stretches).
// --from-snapshot starts from the newest snapshot that restores to its recorded hash instead of
// the first record. Errors exit with status 2.

import ArgumentParser
import QuorumEngine
import QuorumMarketTools
import QuorumRings

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a coordinator journal, print the report, and check its checkpoints."
    )

    @Argument(help: "Journal directory written by `quorum backtest` or `quorum run`.")
    var journal: String
    @Flag(name: .long, help: "Fail (exit 1) unless every checkpoint hash matched.")
    var verify = false
    @Flag(name: .long, help: ArgumentHelp(
        "Start from the newest snapshot (written by `quorum run`) instead of the first record.",
        discussion: "The snapshot must restore to the state hash it recorded; the records after it are replayed and their checkpoints checked."))
    var fromSnapshot = false
    @Option(name: .long, help: ArgumentHelp(
        "Threads to replay on (default: the cores this process may use).",
        discussion: "With snapshots beside the journal (quorum run writes them; quorum backtest with --snapshot-every), the records are replayed in stretches joined at snapshots, up to eight per thread, each thread taking the next stretch left: at every join the replay must reach the state hash the snapshot recorded, and the snapshot must restore to it. Every record is replayed and every checkpoint checked either way; if a join does not hold, one thread replays from the first record and says why. Without snapshots, or with 1, one thread replays from the first record."))
    var threads: Int = max(1, CPUSet.available.cpus.count)
    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be in 1...256") }
    }

    func run() throws {
        let result: CoordinatorReplay.Result
        do {
            result = try CoordinatorReplay.run(directory: journal, fromSnapshot: fromSnapshot, threads: threads)
        } catch {
            ProgressLine.writeStderr("quorum replay: \(error)\n")
            throw ExitCode(2)
        }
        for why in result.snapshotsRejected { ProgressLine.writeStderr("quorum replay: snapshot passed over: \(why)\n") }
        if fromSnapshot && result.snapshotSequence == nil {
            ProgressLine.writeStderr("quorum replay: no usable snapshot in \(journal); replaying from the first record\n")
        }
        if json {
            print(result.report.json)
        } else {
            let from = result.snapshotSequence.map { "from the snapshot at sequence \($0), " } ?? ""
            let joined = result.joinedAt.isEmpty ? ""
                : " (\(result.joinedAt.count + 1) stretches on \(result.threads) threads, joined at the snapshots at sequence "
                  + result.joinedAt.map(String.init).joined(separator: ", ") + ", each at the state hash the replay reached there)"
            print("replayed \(from)\(result.recordsApplied) records to sequence \(result.lastSequence) in "
                  + "\(String(format: "%.3f", result.seconds)) s\(joined); "
                  + "\(result.checkpointsChecked) checkpoints checked, \(result.mismatches) mismatched\n")
            print(result.report.render(), terminator: "")
        }
        if let m = result.firstMismatch {
            ProgressLine.writeStderr("quorum replay: checkpoint at sequence \(m.sequence) does not match: journal has "
                                     + "0x\(String(m.expected, radix: 16)), replay reached 0x\(String(m.actual, radix: 16))\n")
            if verify { throw ExitCode(1) }
        } else if verify {
            let from = result.snapshotSequence.map { "the snapshot at sequence \($0) restored to its recorded hash; " } ?? ""
            ProgressLine.writeStderr("verified: \(from)all \(result.checkpointsChecked) checkpoints match\n")
        }
    }
}
