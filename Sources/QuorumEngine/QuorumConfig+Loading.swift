import Foundation
import QuorumRings
import QuorumRisk
import TOMLKit

extension QuorumConfig {
    /// Loads and validates the configuration at `path`, defaults filling every key the
    /// file leaves out.
    /// - Parameter available: the CPUs cores may name; the process's own by default.
    /// - Throws: `ConfigError` naming the file, line, key, what was expected and found:
    ///   for a missing file, invalid TOML, an unknown key, a wrong type, an out-of-range
    ///   value, or a thread plan that maps a loop twice, not at all, or onto a core that
    ///   does not exist.
    public static func load(path: String, available: CPUSet = .available) throws(ConfigError) -> QuorumConfig {
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let found = FileManager.default.fileExists(atPath: path) ? "an unreadable file" : "no such file"
            throw ConfigError(file: path, expected: "a readable TOML file", found: found)
        }
        return try parse(source, file: path, available: available)
    }

    /// Parses and validates TOML `source`; `file` names it in errors.
    public static func parse(_ source: String, file: String, available: CPUSet = .available) throws(ConfigError) -> QuorumConfig {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, expected: "valid TOML", found: "\(error.description)")
        } catch {
            throw ConfigError(file: file, expected: "valid TOML", found: "\(error)")
        }
        let lines = TOMLLineIndex(source: source)
        var root = _TableReader(table: table, path: "", file: file, lines: lines)
        var config = QuorumConfig()

        if var engine = try root.table("engine") {
            config.engine.name = try engine.string("name", default: config.engine.name, nonEmpty: true)
            try engine.finish()
        }
        if var rings = try root.table("rings") {
            config.rings.marketUpdates = try rings.capacity("market_updates", default: config.rings.marketUpdates)
            config.rings.intents = try rings.capacity("intents", default: config.rings.intents)
            config.rings.orders = try rings.capacity("orders", default: config.rings.orders)
            config.rings.scratchpad = try rings.capacity("scratchpad", default: config.rings.scratchpad)
            let placement = try rings.choice("placement", default: "numa-local", among: ["numa-local", "heap"])
            config.rings.placement = placement == "heap" ? .heap : .numaLocal
            try rings.finish()
        }
        if let threads = try root.arrayOfTables("threads") {
            config.threads = []
            for var thread in threads {
                let name = try thread.string("name", default: nil, nonEmpty: true)
                let cores = try thread.intArray("cores", allowedDescription: "CPU numbers")
                let loops = try thread.stringArray("loops")
                let wait = try thread.choice("wait", default: "busy-spin", among: WaitStrategy.configNames)
                try thread.finish()
                config.threads.append(.init(name: name, cores: cores, loops: loops, wait: WaitStrategy(configName: wait)!))
            }
        }
        if var risk = try root.table("risk") {
            let d = config.risk
            config.risk.instruments = try risk.int("instruments", default: d.instruments, range: 1...4096)
            config.risk.lambda = try risk.double("lambda", default: d.lambda)
            config.risk.confidence = try risk.double("confidence", default: d.confidence)
            config.risk.horizon = try risk.double("horizon", default: d.horizon)
            config.risk.pnlWindow = try risk.int("pnl_window", default: d.pnlWindow, range: 2...1_000_000)
            config.risk.stress = try risk.stringList("stress", default: d.stress, what: "stress scenarios 'NAME: TARGET=SHOCK, …'")
            // The risk module's own checks give the allowed ranges of λ, confidence, horizon.
            do {
                _ = try config.risk.riskConfig()
            } catch {
                guard case .invalidConfig(let field, let value, let reason) = error else {
                    throw ConfigError(file: file, key: "risk", expected: "a valid risk configuration", found: "\(error)")
                }
                let allowed = reason.hasPrefix("must be ") ? String(reason.dropFirst("must be ".count)) : reason
                throw risk.error(String(field.dropFirst("risk.".count)), expected: "a value \(allowed)", found: value)
            }
            for (i, spec) in config.risk.stress.enumerated() {
                do {
                    _ = try RiskReport.StressSpec.validateSyntax(spec)
                } catch {
                    throw risk.error("stress", expected: "stress scenario \(i + 1) as 'NAME: TARGET=SHOCK, …'", found: "\"\(spec)\" (\(error))")
                }
            }
            try risk.finish()
        }
        if var bench = try root.table("bench") {
            if var rings = try bench.table("rings") {
                let d = config.bench.rings
                config.bench.rings.messages = try rings.int("messages", default: d.messages, range: 1_000...10_000_000_000)
                config.bench.rings.runs = try rings.int("runs", default: d.runs, range: 1...100)
                config.bench.rings.capacity = try rings.capacity("capacity", default: d.capacity)
                config.bench.rings.latencySamples = try rings.int("latency_samples", default: d.latencySamples, range: 1_000...100_000_000)
                config.bench.rings.producerCore = try rings.int("producer_core", default: d.producerCore, range: 0...63)
                config.bench.rings.consumerCore = try rings.int("consumer_core", default: d.consumerCore, range: 0...63)
                try rings.finish()
            }
            try bench.finish()
        }
        try config.loadRoster(from: &root)
        try config.loadLive(&root)
        try root.finish()

        try config.validateMachine(file: file, lines: lines, available: available)
        return config
    }

    /// Checks what depends on this machine: cores exist, every loop has one thread.
    func validateMachine(file: String, lines: TOMLLineIndex, available: CPUSet) throws(ConfigError) {
        func fail(_ key: String, _ expected: String, _ found: String) -> ConfigError {
            ConfigError(file: file, line: lines.line(of: key), key: key, expected: expected, found: found)
        }
        do {
            _ = try ThreadPlan(threads: threads, available: available)
        } catch {
            throw fail(error.key, error.expected, error.found)
        }
        let b = bench.rings
        for (key, core) in [("bench.rings.producer_core", b.producerCore), ("bench.rings.consumer_core", b.consumerCore)]
        where !available.contains(core) {
            throw fail(key, "one of the available cores \(available)", "\(core)")
        }
        if b.producerCore == b.consumerCore && available.count > 1 {
            throw fail("bench.rings.consumer_core", "a core other than producer_core \(b.producerCore)", "\(b.consumerCore)")
        }
    }
}

/// Reads one TOML table, remembering which keys were consumed so that anything left over
/// is reported as unknown.
struct _TableReader {
    let table: TOMLTable
    let path: String
    let file: String
    let lines: TOMLLineIndex
    private var consumed: Set<String> = []

    init(table: TOMLTable, path: String, file: String, lines: TOMLLineIndex) {
        self.table = table
        self.path = path
        self.file = file
        self.lines = lines
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, expected: String, found: String) -> ConfigError {
        let full = keyPath(key)
        return ConfigError(file: file, line: lines.line(of: full), key: full, expected: expected, found: found)
    }

    func describe(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: return "the string \"\(value.string ?? "")\""
        case .int: return "the integer \(value.int ?? 0)"
        case .double: return "the number \(value.double ?? 0)"
        case .bool: return "\(value.bool ?? false)"
        default: return "a \(value.type)"
        }
    }

    mutating func value(_ key: String) -> TOMLValueConvertible? {
        consumed.insert(key)
        return table[key]
    }

    mutating func table(_ key: String) throws(ConfigError) -> _TableReader? {
        guard let v = value(key) else { return nil }
        guard let t = v.table else { throw error(key, expected: "a table [\(keyPath(key))]", found: describe(v)) }
        return _TableReader(table: t, path: keyPath(key), file: file, lines: lines)
    }

    mutating func arrayOfTables(_ key: String) throws(ConfigError) -> [_TableReader]? {
        guard let v = value(key) else { return nil }
        guard let array = v.array else { throw error(key, expected: "an array of tables [[\(keyPath(key))]]", found: describe(v)) }
        var readers: [_TableReader] = []
        for (i, element) in array.enumerated() {
            guard let t = element.table else {
                throw error("\(key)[\(i)]", expected: "a table", found: describe(element))
            }
            readers.append(_TableReader(table: t, path: "\(keyPath(key))[\(i)]", file: file, lines: lines))
        }
        return readers
    }

    mutating func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let v = value(key) else { return fallback }
        guard v.type == .int, let n = v.int else { throw error(key, expected: "an integer in \(range)", found: describe(v)) }
        guard range.contains(n) else { throw error(key, expected: "an integer in \(range)", found: "\(n)") }
        return n
    }

    /// A number; integers are accepted where a fractional value is expected.
    mutating func double(_ key: String, default fallback: Double) throws(ConfigError) -> Double {
        guard let v = value(key) else { return fallback }
        if v.type == .double, let x = v.double { return x }
        if v.type == .int, let n = v.int { return Double(n) }
        throw error(key, expected: "a number", found: describe(v))
    }

    /// An array of strings (possibly empty).
    mutating func stringList(_ key: String, default fallback: [String], what: String) throws(ConfigError) -> [String] {
        guard let v = value(key) else { return fallback }
        guard let array = v.array else { throw error(key, expected: "an array of \(what)", found: describe(v)) }
        var result: [String] = []
        for element in array {
            guard element.type == .string, let s = element.string else { throw error(key, expected: "an array of \(what)", found: describe(element)) }
            result.append(s)
        }
        return result
    }

    mutating func capacity(_ key: String, default fallback: Int) throws(ConfigError) -> Int {
        guard let v = value(key) else { return fallback }
        let allowed = "a power of two in 1...\(RingCapacity.maximum)"
        guard v.type == .int, let n = v.int else { throw error(key, expected: allowed, found: describe(v)) }
        guard RingCapacity.isValid(n) else { throw error(key, expected: allowed, found: "\(n)") }
        return n
    }

    mutating func string(_ key: String, default fallback: String?, nonEmpty: Bool) throws(ConfigError) -> String {
        guard let v = value(key) else {
            if let fallback { return fallback }
            throw error(key, expected: "a string", found: "nothing (the key is required)")
        }
        guard v.type == .string, let s = v.string else { throw error(key, expected: "a string", found: describe(v)) }
        if nonEmpty && s.isEmpty { throw error(key, expected: "a non-empty string", found: "an empty string") }
        return s
    }

    mutating func choice(_ key: String, default fallback: String, among choices: [String]) throws(ConfigError) -> String {
        let expected = "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let v = value(key) else { return fallback }
        guard v.type == .string, let s = v.string else { throw error(key, expected: expected, found: describe(v)) }
        guard choices.contains(s) else { throw error(key, expected: expected, found: "\"\(s)\"") }
        return s
    }

    mutating func intArray(_ key: String, allowedDescription: String) throws(ConfigError) -> [Int] {
        let expected = "a non-empty array of \(allowedDescription)"
        guard let v = value(key) else { throw error(key, expected: expected, found: "nothing (the key is required)") }
        guard let array = v.array, !array.isEmpty else { throw error(key, expected: expected, found: describe(v)) }
        var result: [Int] = []
        for element in array {
            guard element.type == .int, let n = element.int else { throw error(key, expected: expected, found: describe(element)) }
            result.append(n)
        }
        return result
    }

    mutating func stringArray(_ key: String) throws(ConfigError) -> [String] {
        let expected = "a non-empty array of loop names (\(EngineLoop.names.joined(separator: ", ")))"
        guard let v = value(key) else { throw error(key, expected: expected, found: "nothing (the key is required)") }
        guard let array = v.array, !array.isEmpty else { throw error(key, expected: expected, found: describe(v)) }
        var result: [String] = []
        for element in array {
            guard element.type == .string, let s = element.string else { throw error(key, expected: expected, found: describe(element)) }
            result.append(s)
        }
        return result
    }

    /// Fails on the first key of this table that nothing read.
    func finish() throws(ConfigError) {
        let known = consumed.sorted()
        for key in table.keys.sorted() where !consumed.contains(key) {
            let expected = known.isEmpty ? "no keys here" : "one of the keys " + known.joined(separator: ", ")
            throw error(key, expected: expected, found: "unknown key '\(key)'")
        }
    }
}
