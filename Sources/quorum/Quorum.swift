import ArgumentParser

// Minimal entry point for compiling the risk subcommand in this worktree; the lead's
// Sources/quorum/Quorum.swift replaces it and lists RiskCommand among its subcommands.
@main
struct Quorum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quorum",
        abstract: "Quorum: a low-latency trading engine in which a team of agents trades together.",
        subcommands: [RiskCommand.self]
    )
}
