import QuorumBook
import QuorumWire

/// `quorum lobster replay` as a library call.
public enum LobsterTools {
    public struct ReplayResult: Sendable {
        /// Set when `--check` was given.
        public var check: LobsterCheckReport?
        public var rowsWritten: Int
        /// Reductions the message file could not explain (see `LobsterReplayer.unmatched`).
        public var unmatched: Int
        public var anomalies: Int
        public var firstAnomaly: String?
    }

    /// Replays `messagesPath` cumulatively, writing one LOBSTER orderbook row of `levels`
    /// levels per message to `outPath` ("-" for stdout, nil for nowhere); optionally seeds from
    /// the book before message 1 (`seedOrderbookPath`, reconstructed from its first row) and
    /// checks every transition against `checkPath` on levels 1…levels−1.
    public static func replay(messagesPath: String, levels: Int, seedOrderbookPath: String?, outPath: String?,
                              checkPath: String?, progress: Bool? = nil) throws(MarketToolError) -> ReplayResult
    {
        guard levels >= 1 else {
            throw MarketToolError(file: messagesPath, field: "--levels", value: String(levels), reason: "must be at least 1")
        }
        let messages = try Lobster.readMessages(path: messagesPath)
        var result = ReplayResult(check: nil, rowsWritten: 0, unmatched: 0, anomalies: 0)
        if let checkPath {
            let rows = try Lobster.readBook(path: checkPath, levels: levels)
            if rows.count != messages.count {
                throw MarketToolError(file: checkPath, value: "\(rows.count) rows",
                                      reason: "the orderbook file must have one row per message (\(messages.count))")
            }
            result.check = LobsterReplayer.checkTransitions(messages: messages, rows: rows,
                                                            comparedLevels: max(1, levels - 1))
        }
        guard outPath != nil || checkPath == nil else { return result }
        var replayer = LobsterReplayer()
        if let seedOrderbookPath, let first = messages.first {
            let rows = try Lobster.readBook(path: seedOrderbookPath, levels: levels)
            if let row = rows.first { replayer.seed(LobsterReplayer.rowBefore(first: first, after: row)) }
        }
        let out = try OutputFile(path: outPath ?? "-")
        var meter = ProgressLine("replaying", total: messages.count, enabled: progress)
        var ev = IgnoreBookEvents()
        for (i, m) in messages.enumerated() {
            replayer.apply(m, &ev)
            try out.write(Lobster.format(replayer.snapshot(levels: levels)) + "\n")
            meter.advance(to: i + 1)
        }
        meter.finish()
        try out.close()
        result.rowsWritten = messages.count
        result.unmatched = replayer.unmatched
        result.anomalies = replayer.anomalies
        result.firstAnomaly = replayer.firstAnomaly
        return result
    }
}
