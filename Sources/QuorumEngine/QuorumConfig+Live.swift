import QuorumNet

extension QuorumConfig {
    /// `[live]`: `quorum run` — the venue, the journal, the run's length, the desk.
    public struct Live: Sendable, Equatable {
        /// `simulator`: start the exchange simulator in-process (free loopback ports);
        /// `connect`: trade against the endpoints below.
        public var venue = "simulator"
        /// Connect mode: where the engine receives the MoldUDP64 feed (bind).
        public var feed = "127.0.0.1:31001"
        /// Connect mode: the venue's MoldUDP64 retransmission server.
        public var retransmission = "127.0.0.1:31002"
        /// Connect mode: the venue's FIX 4.4 acceptor.
        public var fix = "127.0.0.1:31003"
        public var senderCompID = "QUORUM"
        public var targetCompID = "SIM"
        public var heartbeatSeconds = 30
        /// Each run journals into `<journal_root>/live-<unix seconds>` unless `--journal` names a directory.
        public var journalRoot = "journal"
        /// Seconds to run; 0 runs until SIGINT (or the end of the feed).
        public var durationSeconds = 30.0
        /// Connect mode: the feed locate codes to trade (empty: 1…max_symbols).
        public var locates: [Int] = []
        /// Symbols traded (simulator mode: the most active of its day).
        public var maxSymbols = 8
        public var capital = 1_000_000.0
        public var checkpointEvery = 10_000
        /// Inputs between snapshots of the coordinator's state beside the journal (and one at
        /// a clean stop): a restart restores the newest and replays only the records after it.
        /// 0: no snapshots (a restart replays the whole journal).
        public var snapshotEvery = 100_000
        /// `quorum run` times each analyst's market call on one update in this many and counts
        /// confirmed overruns of its time budget (`--time-agents` overrides); 0: no timing.
        public var timeAgents = 16
        /// A working order older than this is cancelled (passive orders; IOC ones close at once).
        public var orderTTLMilliseconds = 250
        /// Wait between FIX connection attempts.
        public var reconnectMilliseconds = 250
        /// While idle, the net loop encodes the last order sent again (not sending it) at
        /// most this often, so the order path is still in the cache for the next one; 0: never.
        public var warmMicroseconds = 20
        public var simulator = Simulator()

        public init() {}

        /// `[live.simulator]`: the in-process venue's synthetic day and pace.
        public struct Simulator: Sendable, Equatable {
            public var symbols = 8
            /// Messages in the generated day (its end ends the run early).
            public var messages = 4_000_000
            public var seed: UInt64 = 7
            public var liveOrders = 500
            /// Flow messages per second; 0: as fast as it goes.
            public var rate = 100_000
            /// Microseconds between the flow's bursts (0: a message as soon as it is due);
            /// the venue thread sleeps between bursts instead of preempting the net loop.
            public var burstMicroseconds = 250
            public init() {}
        }
    }
}

extension QuorumConfig {
    /// Reads `[live]` and `[live.simulator]` from the root table (one call in `parse`).
    mutating func loadLive(_ root: inout _TableReader) throws(ConfigError) {
        guard var t = try root.table("live") else { return }
        let d = live
        live.venue = try t.choice("venue", default: d.venue, among: ["simulator", "connect"])
        for (key, keyPath) in [("feed", \Live.feed), ("retransmission", \Live.retransmission), ("fix", \Live.fix)] {
            let text = try t.string(key, default: d[keyPath: keyPath], nonEmpty: true)
            do { _ = try SocketAddress(parsing: text) } catch {
                throw t.error(key, expected: "an IPv4 address HOST:PORT", found: "\"\(text)\"")
            }
            live[keyPath: keyPath] = text
        }
        live.senderCompID = try t.string("sender_comp_id", default: d.senderCompID, nonEmpty: true)
        live.targetCompID = try t.string("target_comp_id", default: d.targetCompID, nonEmpty: true)
        for (key, value) in [("sender_comp_id", live.senderCompID), ("target_comp_id", live.targetCompID)]
        where value.utf8.count > 32 || value.contains("\u{1}") || value.contains("=") {
            throw t.error(key, expected: "a FIX CompID of at most 32 bytes without SOH or '='", found: "\"\(value)\"")
        }
        live.heartbeatSeconds = try t.int("heartbeat_seconds", default: d.heartbeatSeconds, range: 1...3600)
        live.journalRoot = try t.string("journal_root", default: d.journalRoot, nonEmpty: true)
        live.durationSeconds = try t.double("duration_seconds", default: d.durationSeconds)
        if !(live.durationSeconds >= 0 && live.durationSeconds <= 7 * 86_400) {
            throw t.error("duration_seconds", expected: "seconds in 0...604800 (0: until SIGINT)", found: "\(live.durationSeconds)")
        }
        let locates = try t.intList("locates", default: d.locates, range: 1...65_535)
        live.locates = locates
        live.maxSymbols = try t.int("max_symbols", default: d.maxSymbols, range: 1...64)
        live.capital = try t.double("capital", default: d.capital)
        if !(live.capital > 0) { throw t.error("capital", expected: "a positive amount", found: "\(live.capital)") }
        live.checkpointEvery = try t.int("checkpoint_every", default: d.checkpointEvery, range: 1...100_000_000)
        live.snapshotEvery = try t.int("snapshot_every", default: d.snapshotEvery, range: 0...1_000_000_000)
        live.timeAgents = try t.int("time_agents", default: d.timeAgents, range: 0...1_000_000)
        live.orderTTLMilliseconds = try t.int("order_ttl_ms", default: d.orderTTLMilliseconds, range: 1...3_600_000)
        live.reconnectMilliseconds = try t.int("reconnect_ms", default: d.reconnectMilliseconds, range: 1...600_000)
        live.warmMicroseconds = try t.int("warm_us", default: d.warmMicroseconds, range: 0...1_000_000)
        if var s = try t.table("simulator") {
            let ds = d.simulator
            live.simulator.symbols = try s.int("symbols", default: ds.symbols, range: 1...64)
            live.simulator.messages = try s.int("messages", default: ds.messages, range: 1_000...200_000_000)
            live.simulator.seed = UInt64(try s.int("seed", default: Int(ds.seed), range: 0...Int.max))
            live.simulator.liveOrders = try s.int("live_orders", default: ds.liveOrders, range: 1...100_000)
            live.simulator.rate = try s.int("rate", default: ds.rate, range: 0...100_000_000)
            live.simulator.burstMicroseconds = try s.int("burst_us", default: ds.burstMicroseconds, range: 0...100_000)
            try s.finish()
        }
        try t.finish()
    }

    /// `[live]` as TOML (one call in `renderTOML`).
    func renderLiveTOML() -> String {
        let l = live
        let s = l.simulator
        return """

            [live]
            venue = "\(l.venue)"
            feed = "\(l.feed)"
            retransmission = "\(l.retransmission)"
            fix = "\(l.fix)"
            sender_comp_id = "\(l.senderCompID)"
            target_comp_id = "\(l.targetCompID)"
            heartbeat_seconds = \(l.heartbeatSeconds)
            journal_root = "\(l.journalRoot)"
            duration_seconds = \(l.durationSeconds)
            locates = [\(l.locates.map(String.init).joined(separator: ", "))]
            max_symbols = \(l.maxSymbols)
            capital = \(l.capital)
            checkpoint_every = \(l.checkpointEvery)
            snapshot_every = \(l.snapshotEvery)
            time_agents = \(l.timeAgents)
            order_ttl_ms = \(l.orderTTLMilliseconds)
            reconnect_ms = \(l.reconnectMilliseconds)
            warm_us = \(l.warmMicroseconds)

            [live.simulator]
            symbols = \(s.symbols)
            messages = \(s.messages)
            seed = \(s.seed)
            live_orders = \(s.liveOrders)
            rate = \(s.rate)
            burst_us = \(s.burstMicroseconds)

            """
    }
}

extension _TableReader {
    /// An array of integers in `range` (possibly empty).
    mutating func intList(_ key: String, default fallback: [Int], range: ClosedRange<Int>) throws(ConfigError) -> [Int] {
        guard let v = value(key) else { return fallback }
        let expected = "an array of integers in \(range)"
        guard let array = v.array else { throw error(key, expected: expected, found: describe(v)) }
        var result: [Int] = []
        for element in array {
            guard element.type == .int, let n = element.int else { throw error(key, expected: expected, found: describe(element)) }
            guard range.contains(n) else { throw error(key, expected: expected, found: "\(n)") }
            result.append(n)
        }
        return result
    }
}
