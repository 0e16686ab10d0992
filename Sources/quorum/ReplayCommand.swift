// `quorum replay JOURNAL [--verify]`: rebuilds a backtest's state from its journal through a
// fresh desk and prints the same report; with --verify, exit status 1 names the first
// checkpoint whose hash did not match. Errors exit with status 2.

import ArgumentParser
import QuorumEngine
import QuorumMarketTools

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a coordinator journal, print the report, and check its checkpoints."
    )

    @Argument(help: "Journal directory written by `quorum backtest`.")
    var journal: String
    @Flag(name: .long, help: "Fail (exit 1) unless every checkpoint hash matched.")
    var verify = false
    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let result: CoordinatorReplay.Result
        do {
            result = try CoordinatorReplay.run(directory: journal)
        } catch {
            ProgressLine.writeStderr("quorum replay: \(error)\n")
            throw ExitCode(2)
        }
        if json {
            print(result.report.json)
        } else {
            print("replayed \(result.recordsApplied) records to sequence \(result.lastSequence) in "
                  + "\(String(format: "%.3f", result.seconds)) s; "
                  + "\(result.checkpointsChecked) checkpoints checked, \(result.mismatches) mismatched\n")
            print(result.report.render(), terminator: "")
        }
        if let m = result.firstMismatch {
            ProgressLine.writeStderr("quorum replay: checkpoint at sequence \(m.sequence) does not match: journal has "
                                     + "0x\(String(m.expected, radix: 16)), replay reached 0x\(String(m.actual, radix: 16))\n")
            if verify { throw ExitCode(1) }
        } else if verify {
            ProgressLine.writeStderr("verified: all \(result.checkpointsChecked) checkpoints match\n")
        }
    }
}
