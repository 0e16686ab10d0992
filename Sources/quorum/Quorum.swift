import ArgumentParser

/// The one binary: every tool Quorum offers is a subcommand here.
@main
struct Quorum: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "quorum",
        abstract: "A low-latency trading engine in which a team of agents trades together.",
        discussion: """
            Configuration is TOML; Config/demo.toml is the default and every key has a \
            default. Errors in a configuration name the file, line, key, what was expected \
            and what was found, and exit with status 2.
            """,
        version: version,
        subcommands: [
            ConfigCommand.self, BenchCommand.self, RiskCommand.self, LobsterCommand.self,
            ItchCommand.self, JournalCommand.self, SimCommand.self, BacktestCommand.self,
            ReplayCommand.self, RunCommand.self,
        ]
    )
}

/// The configuration file a command reads when none is given.
let defaultConfigPath = "Config/demo.toml"
