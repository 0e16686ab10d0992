import ArgumentParser
import QuorumMarketTools

/// `quorum lobster …`: LOBSTER files (lobsterdata.com) in and out of Quorum's book.
struct LobsterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lobster",
        abstract: "Replay, check and convert LOBSTER message/orderbook files.",
        discussion: """
            LOBSTER publishes, per symbol and day, a message file (time, type, order id, size, \
            price × 10000, direction) and an orderbook file (per level: ask price, ask size, bid \
            price, bid size). Quorum replays the messages into its L3 book.
            """,
        subcommands: [Replay.self, ToItch.self]
    )

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay LOBSTER messages into the book and write the book after each message.",
            discussion: """
                Writes one row per message in LOBSTER's orderbook format (to --out, or standard \
                output). Orders that rested before the file's window have no add message: their \
                executions and deletions are applied to the level at their price, which exists \
                only if the book was seeded (--seed-orderbook).

                LOBSTER's message file only carries events inside its price window, so a \
                cumulative replay drifts where levels leave and re-enter the window. --check \
                therefore verifies every transition: orderbook row k−1 as the book, plus message \
                k, must equal row k on levels 1…N−1. It prints the count of matching transitions \
                and the first mismatch (row, level, side, expected, found); exit status 1 if any \
                transition differs, 2 on unreadable input.

                Example (the AAPL sample):
                  quorum lobster replay --messages AAPL_…_message_10.csv --levels 10 \\
                      --check AAPL_…_orderbook_10.csv
                """
        )

        @Option(help: ArgumentHelp("LOBSTER message file (CSV, 6 columns).", valueName: "M.csv"))
        var messages: String

        @Option(help: "Levels per side in the output and in the orderbook files.")
        var levels: Int = 10

        @Option(name: .customLong("seed-orderbook"),
                help: ArgumentHelp("Orderbook file whose first row (with message 1 undone) seeds the book.",
                                   valueName: "O.csv"))
        var seedOrderbook: String?

        @Option(help: ArgumentHelp("Where to write the replayed orderbook rows ('-' for stdout).", valueName: "FILE"))
        var out: String?

        @Option(help: ArgumentHelp("Orderbook file to check every transition against (levels 1…N−1).",
                                   valueName: "O.csv"))
        var check: String?

        func run() throws {
            let result: LobsterTools.ReplayResult
            do {
                result = try LobsterTools.replay(messagesPath: messages, levels: levels, seedOrderbookPath: seedOrderbook,
                                                 outPath: out ?? (check == nil ? "-" : nil), checkPath: check)
            } catch {
                ProgressLine.writeStderr("error: \(error)\n")
                throw ExitCode(2)
            }
            if result.rowsWritten > 0, out != nil || check == nil {
                ProgressLine.writeStderr("replayed \(result.rowsWritten) messages; \(result.unmatched) reductions had no order or seeded level"
                    + (result.anomalies > 0 ? "; \(result.anomalies) book anomalies (first: \(result.firstAnomaly ?? ""))" : "") + "\n")
            }
            if let report = result.check {
                print(report)
                if report.matched != report.transitions { throw ExitCode(1) }
            }
        }
    }

    struct ToItch: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "to-itch",
            abstract: "Convert LOBSTER messages to an ITCH 5.0 day file (2-byte length framing).",
            discussion: """
                add → A, partial cancel → X, delete → D, execution → E, hidden execution → P, \
                cross → Q, halt → H; framed by S, R and closing S messages. With \
                --seed-orderbook the book before message 1 becomes one add per level and \
                messages for pre-window orders are rewritten against those levels, so \
                `quorum itch book` on the result shows what `quorum lobster replay` shows.
                """
        )

        @Option(help: ArgumentHelp("LOBSTER message file.", valueName: "M.csv"))
        var messages: String

        @Option(help: "Symbol to put in the stock directory (default: the file name up to the first '_').")
        var symbol: String?

        @Option(name: .customLong("seed-orderbook"), help: ArgumentHelp("Orderbook file to seed levels from.", valueName: "O.csv"))
        var seedOrderbook: String?

        @Option(help: "Levels per side in the orderbook file.")
        var levels: Int = 10

        @Option(help: ArgumentHelp("ITCH file to write.", valueName: "FILE"))
        var out: String

        func run() throws {
            let name = symbol ?? String(messages.split(separator: "/").last?.split(separator: "_").first ?? "LOBSTER")
            do {
                let s = try LobsterToITCH.convert(messagesPath: messages, seedOrderbookPath: seedOrderbook, levels: levels,
                                                  symbol: name, outPath: out)
                print("wrote \(out): \(s.messagesOut) ITCH messages (\(s.bytes) bytes) from \(s.messagesIn) LOBSTER messages"
                    + (s.unmatched > 0 ? "; \(s.unmatched) reductions of pre-window orders had no seeded level" : ""))
            } catch {
                ProgressLine.writeStderr("error: \(error)\n")
                throw ExitCode(2)
            }
        }
    }
}
