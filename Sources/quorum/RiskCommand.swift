import ArgumentParser
import QuorumEngine
import QuorumRisk
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `quorum risk …`: offline risk tools. All logic lives in QuorumRisk (`RiskReport`);
/// this file only maps flags to options and errors to exit status 2.
struct RiskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk",
        abstract: "Risk tools: VaR/ES, marginal and component VaR, correlations and stress tests.",
        subcommands: [Report.self]
    )

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Print VaR/ES, per-instrument VaR contributions, top correlations and stress results.",
            discussion: """
            Positions CSV: header `symbol,quantity,price` (optional 4th column `sector`), one row \
            per instrument, quantity signed (short < 0).
            Returns CSV: header of a time column then one column per symbol; one row of simple \
            returns per period, oldest first (0.012 means +1.2%).

            Parametric VaR/ES use the RiskMetrics EWMA covariance (normal, zero mean); historical \
            VaR/ES apply today's exposures to every row of returns. Both scale by √horizon.
            Bad input exits with status 2 and names the file, line, column, field and value.

            Example:
              quorum risk report --positions Config/examples/positions.csv \\
                                 --returns Config/examples/returns.csv --confidence 0.975
            """
        )

        @Option(name: .long, help: ArgumentHelp("Positions CSV: symbol,quantity,price[,sector].", valueName: "file"))
        var positions: String

        @Option(name: .long, help: ArgumentHelp("Returns CSV: time,SYM1,SYM2,… with one row of simple returns per period.", valueName: "file"))
        var returns: String

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        @Option(name: .long, help: ArgumentHelp(
            "Configuration whose [risk] section gives the defaults for confidence, horizon, λ and stress "
                + "(default: Config/demo.toml when present, else the built-in defaults).", valueName: "file"))
        var config: String?

        @Option(name: .long, help: ArgumentHelp("VaR/ES confidence level in (0.5, 1) (default: risk.confidence, 0.99).", valueName: "p"))
        var confidence: Double?

        @Option(name: .long, help: ArgumentHelp("Horizon in return periods, VaR scales by √horizon (default: risk.horizon, 1).", valueName: "periods"))
        var horizon: Double?

        @Option(name: .long, help: ArgumentHelp("EWMA decay λ in (0, 1) (default: risk.lambda, 0.94).", valueName: "λ"))
        var lambda: Double?

        @Option(name: .long, help: ArgumentHelp("How many correlation pairs to list, largest |ρ| first.", valueName: "n"))
        var top: Int = 5

        @Option(name: .long, help: ArgumentHelp(
            "Stress scenario, repeatable: 'NAME: TARGET=SHOCK, …' with TARGET all, sector:NAME or a symbol, "
                + "SHOCK like -0.05 or -5%. Default: risk.stress (all ±5%, all -10%).", valueName: "spec"))
        var stress: [String] = []

        func run() throws {
            let settings = try riskSettings()
            let options = RiskReport.Options(
                confidence: confidence ?? settings.confidence, horizon: horizon ?? settings.horizon,
                lambda: lambda ?? settings.lambda, topPairs: top,
                stress: stress.isEmpty ? settings.stress : stress)
            do {
                let text = try RiskReport.run(positionsPath: positions, returnsPath: returns, options: options, json: json)
                print(text, terminator: "")
            } catch {
                // Typed as RiskError: every message names what was wrong and where.
                // write(2) rather than fputs(stderr): Swift 6 rejects the global C stream.
                var message = "error: \(error)\n"
                message.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
                throw ExitCode(2)
            }
        }

        /// `[risk]` from --config, or from the default file when it is there.
        func riskSettings() throws -> QuorumConfig.Risk {
            if let config { return try loadConfig(config).risk }
            if FileManager.default.fileExists(atPath: defaultConfigPath) { return try loadConfig(defaultConfigPath).risk }
            return QuorumConfig.Risk()
        }
    }
}
