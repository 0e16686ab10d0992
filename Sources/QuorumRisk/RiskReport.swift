#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `quorum risk report`: reads a positions CSV and a returns CSV a user writes by hand,
/// and renders VaR/ES (parametric and historical), marginal and component VaR, the
/// largest correlations and stress results as a table or JSON.
///
/// Input formats (blank lines and lines starting with `#` are ignored; no quoting):
/// - positions: header `symbol,quantity,price` (an optional fourth column `sector` enables
///   sector stress shocks); one row per instrument, quantity signed (short < 0).
/// - returns: header `<time column>,SYM1,SYM2,…`; one row of simple returns per period,
///   oldest first. Every held symbol needs a column; extra columns are instruments with
///   zero exposure (they still appear in the correlations).
///
/// Model: Σ₀ is the equally weighted zero-mean second moment of all rows, then the
/// RiskMetrics recursion runs over the rows in order, so the last rows weigh most.
/// Historical VaR/ES apply today's exposures to every row (P&L = Σ wᵢrᵢ) and scale the
/// one-period figures by √horizon, like the parametric ones.
///
/// Not on the hot path: this allocates freely.
public enum RiskReport {
    public struct Options: Sendable, Equatable {
        public var confidence: Double
        public var horizon: Double
        public var lambda: Double
        /// How many correlation pairs to list (by |ρ|, largest first).
        public var topPairs: Int
        /// Stress specs, see ``StressSpec``; empty means the defaults.
        public var stress: [String]
        public init(confidence: Double = 0.99, horizon: Double = 1, lambda: Double = 0.94,
                    topPairs: Int = 5, stress: [String] = []) {
            self.confidence = confidence; self.horizon = horizon; self.lambda = lambda
            self.topPairs = topPairs; self.stress = stress
        }
    }

    /// Scenarios used when the user gives none.
    public static let defaultStress = ["all -5%: all=-5%", "all -10%: all=-10%", "all +5%: all=+5%"]

    public struct Position: Sendable, Equatable {
        public var symbol: String
        public var quantity: Double
        public var price: Double
        public var sector: String?
        public var line: Int
    }

    public struct Returns: Sendable, Equatable {
        public var symbols: [String]
        /// rows[t][i]: return of symbols[i] in period t.
        public var rows: [[Double]]
        public var times: [String]
    }

    public struct InstrumentLine: Sendable, Equatable {
        public var symbol: String
        public var quantity: Double
        public var price: Double
        public var exposure: Double
        public var volatility: Double
        public var marginalVaR: Double
        public var componentVaR: Double
        public var incrementalVaR: Double
    }

    public struct Pair: Sendable, Equatable {
        public var a: String, b: String, correlation: Double
    }

    public struct StressLine: Sendable, Equatable {
        public var name: String, pnl: Double
    }

    public struct Result: Sendable, Equatable {
        public var positionsPath: String, returnsPath: String
        public var periods: Int
        public var options: Options
        public var gross: Double, net: Double
        public var parametricVaR: Double, parametricES: Double
        public var historicalVaR: Double, historicalES: Double
        /// Worst periods the historical figures rest on: k = ⌈N(1−α)⌉.
        public var historicalTail: Int
        public var instruments: [InstrumentLine]
        public var pairs: [Pair]
        public var stress: [StressLine]
    }

    /// Reads both files, computes and renders.
    /// - Throws: `RiskError` naming file, line, column, field and value for bad input, or
    ///   the config field for a bad option.
    public static func run(positionsPath: String, returnsPath: String, options: Options = Options(),
                           json: Bool) throws(RiskError) -> String {
        let positions = try parsePositions(try readFile(positionsPath), file: positionsPath)
        let returns = try parseReturns(try readFile(returnsPath), file: returnsPath)
        let result = try compute(positions: positions, returns: returns, options: options,
                                 positionsPath: positionsPath, returnsPath: returnsPath)
        return json ? renderJSON(result) : renderTable(result)
    }

    // MARK: - Reading

    static func readFile(_ path: String) throws(RiskError) -> String {
        guard let f = fopen(path, "rb") else {
            throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, 65_536, f) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < 65_536 { break }
            if bytes.count > 512 * 1024 * 1024 { throw .unreadableFile(path: path, reason: "larger than 512 MiB") }
        }
        if ferror(f) != 0 { throw .unreadableFile(path: path, reason: "read error") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Non-empty, non-comment lines with their 1-based line numbers, fields trimmed.
    static func records(_ text: String) -> [(line: Int, fields: [String])] {
        var out: [(Int, [String])] = []
        var lineNo = 0
        // isNewline, not "\n": in Swift "\r\n" is one Character, so splitting on "\n" would
        // leave Windows-edited files as one line.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNo += 1
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            out.append((lineNo, line.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingSpaces) }))
        }
        return out
    }

    static func number(_ s: String) -> Double? {
        guard !s.isEmpty, let v = Double(s), v.isFinite else { return nil }
        return v
    }

    /// Parses a positions CSV.
    /// - Throws: `RiskError.csv` naming file, line, column, field and value.
    public static func parsePositions(_ text: String, file: String) throws(RiskError) -> [Position] {
        let recs = records(text)
        guard let header = recs.first else {
            throw .csv(file: file, line: 1, column: 1, field: "header", value: "", reason: "file is empty; expected header symbol,quantity,price")
        }
        let names = header.fields.map { $0.lowercased() }
        guard names.count >= 3, Array(names[0..<3]) == ["symbol", "quantity", "price"],
              names.count == 3 || (names.count == 4 && names[3] == "sector") else {
            throw .csv(file: file, line: header.line, column: 1, field: "header", value: header.fields.joined(separator: ","),
                       reason: "expected header symbol,quantity,price (optionally ,sector)")
        }
        var out: [Position] = []
        var seen: [String: Int] = [:]
        for rec in recs.dropFirst() {
            guard rec.fields.count == names.count else {
                throw .csv(file: file, line: rec.line, column: min(rec.fields.count, names.count) + 1,
                           field: rec.fields.count < names.count ? names[rec.fields.count] : "(extra)",
                           value: rec.fields.joined(separator: ","),
                           reason: "expected \(names.count) fields, found \(rec.fields.count)")
            }
            let symbol = rec.fields[0]
            guard !symbol.isEmpty else {
                throw .csv(file: file, line: rec.line, column: 1, field: "symbol", value: symbol, reason: "empty symbol")
            }
            if let first = seen[symbol] {
                throw .csv(file: file, line: rec.line, column: 1, field: "symbol", value: symbol,
                           reason: "duplicate symbol (first on line \(first))")
            }
            guard let q = number(rec.fields[1]) else {
                throw .csv(file: file, line: rec.line, column: 2, field: "quantity", value: rec.fields[1], reason: "not a finite number")
            }
            guard let p = number(rec.fields[2]), p > 0 else {
                throw .csv(file: file, line: rec.line, column: 3, field: "price", value: rec.fields[2], reason: "must be a finite number > 0")
            }
            seen[symbol] = rec.line
            out.append(Position(symbol: symbol, quantity: q, price: p,
                                sector: names.count == 4 ? rec.fields[3] : nil, line: rec.line))
        }
        guard !out.isEmpty else {
            throw .csv(file: file, line: header.line + 1, column: 1, field: "symbol", value: "", reason: "no positions after the header")
        }
        return out
    }

    /// Parses a returns CSV.
    /// - Throws: `RiskError.csv` naming file, line, column, field and value.
    public static func parseReturns(_ text: String, file: String) throws(RiskError) -> Returns {
        let recs = records(text)
        guard let header = recs.first else {
            throw .csv(file: file, line: 1, column: 1, field: "header", value: "", reason: "file is empty; expected header time,SYM1,SYM2,...")
        }
        guard header.fields.count >= 2 else {
            throw .csv(file: file, line: header.line, column: 2, field: "header", value: header.fields.joined(separator: ","),
                       reason: "expected a time column then at least one symbol column")
        }
        let symbols = Array(header.fields.dropFirst())
        var seen: [String: Int] = [:]
        for (k, s) in symbols.enumerated() {
            guard !s.isEmpty else {
                throw .csv(file: file, line: header.line, column: k + 2, field: "header", value: s, reason: "empty symbol name")
            }
            if let c = seen[s] {
                throw .csv(file: file, line: header.line, column: k + 2, field: "header", value: s, reason: "duplicate symbol (also column \(c))")
            }
            seen[s] = k + 2
        }
        var rows: [[Double]] = [], times: [String] = []
        for rec in recs.dropFirst() {
            guard rec.fields.count == header.fields.count else {
                let col = min(rec.fields.count, header.fields.count) + 1
                throw .csv(file: file, line: rec.line, column: col,
                           field: col - 1 < header.fields.count ? header.fields[col - 1] : "(extra)",
                           value: rec.fields.joined(separator: ","),
                           reason: "expected \(header.fields.count) fields, found \(rec.fields.count)")
            }
            var row: [Double] = []
            row.reserveCapacity(symbols.count)
            for (k, s) in rec.fields.dropFirst().enumerated() {
                guard let r = number(s), r > -1 else {
                    throw .csv(file: file, line: rec.line, column: k + 2, field: symbols[k], value: s,
                               reason: "not a finite simple return > -1")
                }
                row.append(r)
            }
            rows.append(row)
            times.append(rec.fields[0])
        }
        guard rows.count >= 2 else {
            throw .csv(file: file, line: (recs.last?.line ?? 1) + 1, column: 1, field: "time", value: "",
                       reason: "need at least 2 rows of returns, found \(rows.count)")
        }
        return Returns(symbols: symbols, rows: rows, times: times)
    }

    // MARK: - Stress specs

    /// `NAME: TARGET=SHOCK[, TARGET=SHOCK…]`, TARGET one of `all`, `sector:NAME` or a symbol,
    /// SHOCK a simple return as a decimal (`-0.05`) or percentage (`-5%`). The most specific
    /// target wins (symbol over sector over all). Example: `crash: all=-35%, BTC=-20%`.
    public enum StressSpec {
        /// Checks a spec's shape and numbers without knowing the portfolio: every target
        /// it names is taken as known. Used where scenarios are configured ahead of time.
        public static func validateSyntax(_ spec: String) throws(RiskError) -> StressScenario {
            var symbols: [String] = []
            var sectors: [String] = []
            if let colon = spec.firstIndex(of: ":") {
                for part in spec[spec.index(after: colon)...].split(separator: ",") {
                    let target = String(part.split(separator: "=", maxSplits: 1).first?.trimmingSpaces ?? "")
                    if target.lowercased().hasPrefix("sector:") { sectors.append(String(target.dropFirst(7))) } else { symbols.append(target) }
                }
            }
            return try parse(spec, symbols: symbols, sectors: sectors)
        }

        public static func parse(_ spec: String, symbols: [String], sectors: [String]) throws(RiskError) -> StressScenario {
            func bad(_ why: String) -> RiskError {
                .invalidConfig(field: "--stress", value: spec, reason: why)
            }
            guard let colon = spec.firstIndex(of: ":") else { throw bad("expected NAME: TARGET=SHOCK, ...") }
            let name = String(spec[..<colon].trimmingSpaces)
            guard !name.isEmpty else { throw bad("empty scenario name") }
            var shocks: [StressScenario.Shock] = []
            for part in spec[spec.index(after: colon)...].split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map { String($0.trimmingSpaces) }
                guard kv.count == 2 else { throw bad("'\(part.trimmingSpaces)' is not TARGET=SHOCK") }
                var v = kv[1]
                var scale = 1.0
                if v.hasSuffix("%") { v.removeLast(); scale = 0.01 }
                guard let x = Double(v.hasPrefix("+") ? String(v.dropFirst()) : v), x.isFinite else {
                    throw bad("shock '\(kv[1])' is not a number")
                }
                let target: StressScenario.Target
                if kv[0].lowercased() == "all" {
                    target = .all
                } else if kv[0].lowercased().hasPrefix("sector:") {
                    let sec = String(kv[0].dropFirst(7))
                    guard let k = sectors.firstIndex(of: sec) else { throw bad("unknown sector '\(sec)'") }
                    target = .sector(k)
                } else {
                    guard let k = symbols.firstIndex(of: kv[0]) else { throw bad("unknown symbol '\(kv[0])'") }
                    target = .instrument(k)
                }
                shocks.append(.init(target, x * scale))
            }
            guard !shocks.isEmpty else { throw bad("no shocks") }
            return try StressScenario(name: name, shocks: shocks)
        }
    }

    // MARK: - Computing

    public static func compute(positions: [Position], returns: Returns, options: Options,
                               positionsPath: String = "positions.csv",
                               returnsPath: String = "returns.csv") throws(RiskError) -> Result {
        let n = returns.symbols.count
        let config = try RiskConfig(instrumentCapacity: n, lambda: options.lambda, confidence: options.confidence,
                                    horizon: options.horizon, pnlWindow: max(2, returns.rows.count))
        var exposure = [Double](repeating: 0, count: n)
        var quantity = [Double](repeating: 0, count: n)
        var price = [Double](repeating: 0, count: n)
        var sectorNames: [String] = []
        var sectorOf = [Int](repeating: -1, count: n)
        for p in positions {
            guard let i = returns.symbols.firstIndex(of: p.symbol) else {
                throw .csv(file: positionsPath, line: p.line, column: 1, field: "symbol", value: p.symbol,
                           reason: "no column for this symbol in \(returnsPath)")
            }
            exposure[i] = p.quantity * p.price
            quantity[i] = p.quantity
            price[i] = p.price
            if let s = p.sector {
                if let k = sectorNames.firstIndex(of: s) { sectorOf[i] = k } else { sectorNames.append(s); sectorOf[i] = sectorNames.count - 1 }
            }
        }

        let risk = PortfolioRisk(config: config)
        // Seed Σ₀ with the sample second moment so early rows do not start from zero.
        var seed = [Double](repeating: 0, count: n * n)
        for r in returns.rows { for i in 0..<n { for j in 0..<n { seed[i * n + j] += r[i] * r[j] } } }
        let t = Double(returns.rows.count)
        for k in 0..<(n * n) { seed[k] /= t }
        try risk.covariance.override(covariance: seed)
        for i in 0..<n { risk.setExposure(i, exposure[i]) }
        risk.recompute()
        for r in returns.rows { risk.update(returns: r) }

        let window = try PnLWindow(capacity: max(2, returns.rows.count))
        for r in returns.rows {
            var pnl = 0.0
            for i in 0..<n { pnl += r[i] * exposure[i] }
            window.record(pnl)
        }
        let hist = window.measures(confidence: options.confidence)
        let root = options.horizon.squareRoot()

        var lines: [InstrumentLine] = []
        for i in 0..<n {
            lines.append(InstrumentLine(
                symbol: returns.symbols[i], quantity: quantity[i], price: price[i], exposure: exposure[i],
                volatility: risk.covariance.volatility(i), marginalVaR: risk.marginalVaR(i),
                componentVaR: risk.componentVaR(i), incrementalVaR: risk.incrementalVaR(of: i)))
        }
        var pairs: [Pair] = []
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) {
            pairs.append(Pair(a: returns.symbols[i], b: returns.symbols[j], correlation: risk.covariance.correlation(i, j)))
        } }
        pairs.sort { abs($0.correlation) != abs($1.correlation) ? abs($0.correlation) > abs($1.correlation)
                                                                  : ($0.a, $0.b) < ($1.a, $1.b) }
        pairs = Array(pairs.prefix(max(0, options.topPairs)))

        var stress: [StressLine] = []
        for spec in options.stress.isEmpty ? defaultStress : options.stress {
            let s = try StressSpec.parse(spec, symbols: returns.symbols, sectors: sectorNames)
            stress.append(StressLine(name: s.name, pnl: s.pnl(exposures: exposure, sectors: sectorOf)))
        }

        return Result(
            positionsPath: positionsPath, returnsPath: returnsPath, periods: returns.rows.count, options: options,
            gross: exposure.reduce(0) { $0 + abs($1) }, net: exposure.reduce(0, +),
            parametricVaR: risk.valueAtRisk, parametricES: risk.expectedShortfall,
            historicalVaR: hist.valueAtRisk * root, historicalES: hist.expectedShortfall * root,
            historicalTail: PnLWindow.tailCount(observations: returns.rows.count, confidence: options.confidence),
            instruments: lines, pairs: pairs, stress: stress)
    }

    // MARK: - Rendering

    /// Fixed-point formatting with thousands separators, without Foundation.
    static func fixed(_ x: Double, _ digits: Int, grouping: Bool = true) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e18 else { return "\(x)" }
        let v = UInt64(scaled)
        let unit = UInt64(scale)
        var intPart = String(v / unit)
        if grouping && intPart.count > 3 {
            var grouped = ""
            for (k, ch) in intPart.enumerated() {
                if k > 0 && (intPart.count - k) % 3 == 0 { grouped.append(",") }
                grouped.append(ch)
            }
            intPart = grouped
        }
        var s = (x < 0 && v != 0 ? "-" : "") + intPart
        if digits > 0 {
            var frac = String(v % unit)
            while frac.count < digits { frac = "0" + frac }
            s += "." + frac
        }
        return s
    }

    static func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let n = s.count
        if n >= width { return s }
        let sp = String(repeating: " ", count: width - n)
        return left ? s + sp : sp + s
    }

    public static func renderTable(_ r: Result) -> String {
        let o = r.options
        var out = "Quorum risk report\n"
        out += "  positions   \(r.positionsPath)\n  returns     \(r.returnsPath) (\(r.periods) periods)\n"
        out += "  model       EWMA λ = \(o.lambda), confidence \(fixed(o.confidence * 100, 2))%, horizon \(fixed(o.horizon, 2, grouping: false)) period(s)\n"
        out += "  exposure    gross \(fixed(r.gross, 2)), net \(fixed(r.net, 2))\n\n"
        out += pad("", 14, left: true) + pad("VaR", 16) + pad("ES", 16) + "\n"
        out += pad("parametric", 14, left: true) + pad(fixed(r.parametricVaR, 2), 16) + pad(fixed(r.parametricES, 2), 16) + "\n"
        out += pad("historical", 14, left: true) + pad(fixed(r.historicalVaR, 2), 16) + pad(fixed(r.historicalES, 2), 16)
            + "   (worst \(r.historicalTail) of \(r.periods) periods)\n\n"
        let cols: [(String, Int)] = [("symbol", 10), ("quantity", 14), ("price", 12), ("exposure", 16), ("vol/period", 11),
                                     ("marginal VaR", 13), ("component VaR", 15), ("% of VaR", 9), ("incr. VaR", 14)]
        out += cols.enumerated().map { pad($1.0, $1.1, left: $0 == 0) }.joined(separator: " ") + "\n"
        for l in r.instruments {
            let share = r.parametricVaR > 0 ? l.componentVaR / r.parametricVaR * 100 : 0
            let cells = [l.symbol, fixed(l.quantity, 4), fixed(l.price, 4), fixed(l.exposure, 2), fixed(l.volatility * 100, 3) + "%",
                         fixed(l.marginalVaR, 4), fixed(l.componentVaR, 2), fixed(share, 1) + "%", fixed(l.incrementalVaR, 2)]
            out += zip(cells, cols).enumerated().map { pad($1.0, $1.1.1, left: $0 == 0) }.joined(separator: " ") + "\n"
        }
        out += "\nlargest correlations (EWMA, by |ρ|)\n"
        for p in r.pairs { out += "  " + pad("\(p.a) / \(p.b)", 24, left: true) + pad(fixed(p.correlation, 4), 8) + "\n" }
        out += "\nstress scenarios (instantaneous, P&L on current exposures)\n"
        for s in r.stress { out += "  " + pad(s.name, 24, left: true) + pad(fixed(s.pnl, 2), 16) + "\n" }
        return out
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// Shortest round-trip decimal; JSON has no NaN/∞, so those become null.
    static func jsonNumber(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }

    public static func renderJSON(_ r: Result) -> String {
        let o = r.options
        var out = "{\n"
        out += "  \"positions\": \(jsonString(r.positionsPath)),\n  \"returns\": \(jsonString(r.returnsPath)),\n"
        out += "  \"periods\": \(r.periods),\n"
        out += "  \"model\": {\"estimator\": \"ewma\", \"lambda\": \(jsonNumber(o.lambda)), \"confidence\": \(jsonNumber(o.confidence)), \"horizon\": \(jsonNumber(o.horizon))},\n"
        out += "  \"exposure\": {\"gross\": \(jsonNumber(r.gross)), \"net\": \(jsonNumber(r.net))},\n"
        out += "  \"parametric\": {\"var\": \(jsonNumber(r.parametricVaR)), \"es\": \(jsonNumber(r.parametricES))},\n"
        out += "  \"historical\": {\"var\": \(jsonNumber(r.historicalVaR)), \"es\": \(jsonNumber(r.historicalES)), \"tail_periods\": \(r.historicalTail)},\n"
        out += "  \"instruments\": [\n"
        out += r.instruments.map { l in
            "    {\"symbol\": \(jsonString(l.symbol)), \"quantity\": \(jsonNumber(l.quantity)), \"price\": \(jsonNumber(l.price)), "
                + "\"exposure\": \(jsonNumber(l.exposure)), \"volatility\": \(jsonNumber(l.volatility)), "
                + "\"marginal_var\": \(jsonNumber(l.marginalVaR)), \"component_var\": \(jsonNumber(l.componentVaR)), "
                + "\"incremental_var\": \(jsonNumber(l.incrementalVaR))}"
        }.joined(separator: ",\n")
        out += "\n  ],\n  \"correlations\": [\n"
        out += r.pairs.map { "    {\"a\": \(jsonString($0.a)), \"b\": \(jsonString($0.b)), \"rho\": \(jsonNumber($0.correlation))}" }
            .joined(separator: ",\n")
        out += "\n  ],\n  \"stress\": [\n"
        out += r.stress.map { "    {\"name\": \(jsonString($0.name)), \"pnl\": \(jsonNumber($0.pnl))}" }.joined(separator: ",\n")
        out += "\n  ]\n}\n"
        return out
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
