import ArgumentParser

// Stand-in entry point for the market-data branch; the lead merges these subcommands into the
// real `quorum` command.
@main
struct Quorum: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quorum",
        abstract: "Quorum: a low-latency trading engine.",
        subcommands: [LobsterCommand.self, ItchCommand.self]
    )
}
