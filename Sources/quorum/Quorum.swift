// Minimal root command so the journal subcommands compile in this worktree; the real
// `quorum` root (run, sim, bench, replay, report, …) lists JournalCommand beside them.

import ArgumentParser

@main
struct Quorum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quorum",
        abstract: "Quorum: a low-latency trading engine.",
        subcommands: [JournalCommand.self]
    )
}
