import ArgumentParser
import QuorumMarketTools
import QuorumBook
import QuorumWire

/// `quorum itch …`: ITCH 5.0 day files (NASDAQ's 2-byte length framing).
struct ItchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "itch",
        abstract: "Inspect and generate ITCH 5.0 day files.",
        subcommands: [Stats.self, Book.self, Generate.self, BBO.self, Decode.self]
    )

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count messages per type, symbols, orders live at the end, and replay speed.",
            discussion: """
                Decodes every message and maintains every book. Undecodable messages (unknown \
                type, wrong length, truncated frame) and book anomalies (unknown or duplicate \
                order reference, execution larger than the order, pool exhausted, …) are counted \
                and the first of each is shown with its byte offset. Exit status 2 if any message \
                could not be decoded.
                """
        )
        @Argument(help: ArgumentHelp("ITCH day file.", valueName: "FILE"))
        var file: String

        @Option(name: .customLong("orders-per-symbol"), help: "Order pool capacity per symbol (book config).")
        var ordersPerSymbol: Int = BookConfig().ordersPerSymbol

        @Option(name: .customLong("levels-per-side"), help: "Price levels per side per symbol (book config).")
        var levelsPerSide: Int = BookConfig().levelsPerSide

        var bookConfig: BookConfig { BookConfig(ordersPerSymbol: ordersPerSymbol, levelsPerSide: levelsPerSide) }

        func run() throws {
            do {
                let report = try ITCHFileTools.stats(path: file, config: bookConfig)
                print(report.render())
                if report.decodeErrors > 0 { throw ExitCode(2) }
            } catch let error as MarketToolError {
                ProgressLine.writeStderr("error: \(error)\n")
                throw ExitCode(2)
            }
        }
    }

    struct Book: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a symbol's depth at a time of day.",
            discussion: "Applies every message stamped at or before --at (the whole file without it) and prints the top levels."
        )
        @Argument(help: ArgumentHelp("ITCH day file.", valueName: "FILE"))
        var file: String

        @Option(name: .customLong("orders-per-symbol"), help: "Order pool capacity per symbol (book config).")
        var ordersPerSymbol: Int = BookConfig().ordersPerSymbol

        @Option(name: .customLong("levels-per-side"), help: "Price levels per side per symbol (book config).")
        var levelsPerSide: Int = BookConfig().levelsPerSide

        var bookConfig: BookConfig { BookConfig(ordersPerSymbol: ordersPerSymbol, levelsPerSide: levelsPerSide) }

        @Option(help: "Symbol, as in the stock directory (e.g. AAPL).")
        var symbol: String

        @Option(help: ArgumentHelp("Time of day, HH:MM:SS[.fraction] (exchange time).", valueName: "HH:MM:SS.nnn"))
        var at: String?

        @Option(help: "Levels per side to print.")
        var levels: Int = 10

        func run() throws {
            var when: Timestamp?
            if let at {
                guard let t = Timestamp(parsing: at) else {
                    ProgressLine.writeStderr("error: \(file): field --at = \"\(at)\": expected HH:MM:SS[.fraction]\n")
                    throw ExitCode(2)
                }
                when = t
            }
            do {
                print(try ITCHFileTools.depth(path: file, symbol: symbol, at: when, levels: levels, config: bookConfig))
            } catch {
                ProgressLine.writeStderr("error: \(error)\n")
                throw ExitCode(2)
            }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a deterministic synthetic trading day.",
            discussion: """
                Adds, deletes, partial cancels, partial and full executions (some at another \
                price), replaces and hidden trades over --symbols symbols, with heavy-tailed \
                distances from the touch and order sizes shaped like the LOBSTER AAPL sample. \
                The same --seed always gives the same bytes. Benchmarks and the simulator use it.

                Example: quorum itch generate --symbols 50 --messages 10000000 --seed 7 --out day.itch
                """
        )
        @Option(help: "Number of symbols.")
        var symbols: Int = 50

        @Option(help: "Total messages, system and directory messages included.")
        var messages: Int = 10_000_000

        @Option(help: "Random seed.")
        var seed: UInt64 = 7

        @Option(help: ArgumentHelp("File to write.", valueName: "FILE"))
        var out: String

        func validate() throws {
            guard symbols >= 1 && symbols < 65_535 else { throw ValidationError("--symbols must be 1…65534") }
            guard messages >= 1 else { throw ValidationError("--messages must be positive") }
        }

        func run() throws {
            do {
                let t0 = ProgressLine.now()
                let bytes = try SyntheticDay.write(options: .init(symbols: symbols, messages: messages, seed: seed), to: out)
                let dt = ProgressLine.now() - t0
                print("wrote \(out): \(messages) messages, \(bytes) bytes, \(symbols) symbols, seed \(seed) (\(Int(dt * 1000)) ms)")
            } catch {
                ProgressLine.writeStderr("error: \(error)\n")
                throw ExitCode(2)
            }
        }
    }
}

extension ItchCommand {
    struct BBO: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bbo",
            abstract: "Replay a day file to its sequence of best bid/offer changes and time it.",
            discussion: """
                One row per change of best bid or best ask price or size, in feed order. The \
                file is paged in before the clock starts, so the time printed is decode + books \
                + recording. With --out the rows are written as fixed 48-byte little-endian \
                records (seq, timestamp, bid size, ask size u64; locate u16, pad; bid price, ask \
                price u32) for tools/baselines/itch_book_compare.py.

                With --threads N the symbols are split over N threads by message count (each \
                thread walks the whole file and keeps the books of its symbols); the rows are \
                merged back into feed order and equal the single thread's. The time then \
                includes the split and the merge; the books are created before the clock \
                starts, as with one thread.
                """
        )
        @Argument(help: ArgumentHelp("ITCH day file.", valueName: "FILE"))
        var file: String

        @Option(name: .customLong("orders-per-symbol"), help: "Order pool capacity per symbol (book config).")
        var ordersPerSymbol: Int = BookConfig().ordersPerSymbol

        @Option(name: .customLong("levels-per-side"), help: "Price levels per side per symbol (book config).")
        var levelsPerSide: Int = BookConfig().levelsPerSide

        @Option(name: .customLong("feed-ref-slots"), help: "Slots of the feed-wide order-reference table (book config).")
        var feedRefSlots: Int = BookConfig().feedRefSlots

        var bookConfig: BookConfig {
            BookConfig(ordersPerSymbol: ordersPerSymbol, levelsPerSide: levelsPerSide, feedRefSlots: feedRefSlots)
        }

        @Option(help: ArgumentHelp("Binary file for the rows.", valueName: "FILE"))
        var out: String?

        @Option(help: ArgumentHelp(
            "Threads to split the symbols over (each keeps the books of its symbols, pinned to a core of its own when there are enough); the rows are merged back into feed order.",
            valueName: "N"))
        var threads: Int = 1

        func validate() throws {
            guard (1...64).contains(threads) else {
                throw ValidationError("--threads: expected 1...64, found \(threads)")
            }
        }

        func run() throws {
            do {
                let r = try ITCHFileTools.bboChanges(path: file, config: bookConfig, threads: threads)
                let rate = Double(r.messages) / r.seconds / 1e6
                var line = "\(r.messages) messages, \(r.rows.count) BBO changes, \(r.decodeErrors) decode errors, "
                line += "\(r.counters.anomalies) book anomalies, \(r.seconds) s, \(rate) M msgs/s, "
                line += "\(r.overflowedOrders) orders live in book maps at the end"
                print(line)
                if let out {
                    let o = try OutputFile(path: out)
                    try o.write(r.rows.withUnsafeBytes { Array($0) })
                    try o.close()
                }
            } catch {
                ProgressLine.writeStderr("error: \(error)\n")
                throw ExitCode(2)
            }
        }
    }
}

extension ItchCommand {
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every message of a day file and time decoding alone.",
            discussion: """
                Decoding as a zero-copy reader does it: framing, the type and spec-length check, \
                and a view over the message's bytes from which only the fields asked for are \
                read (here the type and stock locate). No book. The file is paged in before the \
                clock starts. Prints messages per type and the first malformed message with its \
                byte offset; exit status 2 if any message is malformed.
                """
        )
        @Argument(help: ArgumentHelp("ITCH day file.", valueName: "FILE"))
        var file: String

        func run() throws {
            let r: ITCHFileTools.DecodeResult
            do {
                r = try ITCHFileTools.decodeViews(path: file)
            } catch {
                ProgressLine.writeStderr("error: \(error)\n")
                throw ExitCode(2)
            }
            let rate = Double(r.messages + r.errors) / r.seconds / 1e6
            var types = ""
            for t in 0..<256 where r.countsByType[t] > 0 {
                types += " \(Character(Unicode.Scalar(UInt8(t)))):\(r.countsByType[t])"
            }
            print("\(r.messages) messages, \(r.errors) malformed, \(r.seconds) s, \(rate) M msgs/s, checksum \(r.checksum)")
            print("by type:\(types)")
            if let e = r.firstError { print("first malformed: \(e)") }
            if r.errors > 0 { throw ExitCode(2) }
        }
    }
}
