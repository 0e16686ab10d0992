import Testing
@testable import QuorumRisk

/// Config/examples, found from this file's path so the test runs from any directory.
let examples: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // ReportTests.swift, QuorumRiskTests, Tests
    return parts.joined(separator: "/") + "/Config/examples"
}()

func csvError(_ body: () throws -> Void) -> (String, Int, Int, String, String)? {
    do { try body() } catch {
        if case let .csv(file, line, column, field, value, _)? = error as? RiskError { return (file, line, column, field, value) }
        Issue.record("expected a CSV error, got \(error)")
    }
    return nil
}

@Suite("quorum risk report")
struct ReportTests {
    // Expected figures recomputed independently with numpy in the session that wrote this
    // test: S = RᵀR/T, then S ← 0.94·S + 0.06·rrᵀ over the rows; σ = √(wᵀSw);
    // VaR = norm.ppf(0.99)·σ, ES = norm.pdf(z)/0.01·σ; component = z·w∘(Sw)/σ;
    // historical = worst loss of R·w (k = ⌈30·0.01⌉ = 1).
    @Test("the example CSV pair reproduces the numpy figures")
    func exampleFigures() throws {
        let p = try RiskReport.parsePositions(try RiskReport.readFile(examples + "/positions.csv"), file: "positions.csv")
        let r = try RiskReport.parseReturns(try RiskReport.readFile(examples + "/returns.csv"), file: "returns.csv")
        let result = try RiskReport.compute(positions: p, returns: r, options: .init())
        #expect(relativeError(result.parametricVaR, 10949.223460801555) < 1e-9)
        #expect(relativeError(result.parametricES, 12544.13684002616) < 1e-9)
        #expect(relativeError(result.historicalVaR, 5402.325000000001) < 1e-9)
        let components = [6757.11747677, -1836.72622297, 5806.87010041, 221.96210659]
        for (line, expected) in zip(result.instruments, components) {
            #expect(abs(line.componentVaR - expected) < 1e-6)
        }
        #expect(result.pairs.first?.a == "BTC" && result.pairs.first?.b == "SOL")
        #expect(result.stress.map(\.name) == ["all -5%", "all -10%", "all +5%"])
        #expect(abs(result.stress[0].pnl - (-0.05 * 162_050)) < 1e-6)
    }

    @Test("table and JSON both state confidence, horizon and λ")
    func rendering() throws {
        let table = try RiskReport.run(positionsPath: examples + "/positions.csv", returnsPath: examples + "/returns.csv",
                                       options: .init(confidence: 0.975, horizon: 10, lambda: 0.97), json: false)
        #expect(table.contains("λ = 0.97"))
        #expect(table.contains("confidence 97.50%"))
        #expect(table.contains("horizon 10.00"))
        let json = try RiskReport.run(positionsPath: examples + "/positions.csv", returnsPath: examples + "/returns.csv",
                                      options: .init(confidence: 0.975, horizon: 10, lambda: 0.97), json: true)
        #expect(json.contains("\"lambda\": 0.97"))
        #expect(json.contains("\"confidence\": 0.975"))
        #expect(json.contains("\"horizon\": 10.0"))
        #expect(json.hasPrefix("{") && json.hasSuffix("}\n"))
        #expect(!json.contains("nan") && !json.contains("inf"))
    }

    @Test("bad positions name file, line, column, field and value")
    func badPositions() {
        let e1 = csvError { _ = try RiskReport.parsePositions("symbol,quantity,price\nBTC,1,-5\n", file: "p.csv") }
        #expect(e1?.0 == "p.csv" && e1?.1 == 2 && e1?.2 == 3 && e1?.3 == "price" && e1?.4 == "-5")
        let e2 = csvError { _ = try RiskReport.parsePositions("# c\nsymbol,quantity,price\n\nBTC,abc,5\n", file: "p.csv") }
        #expect(e2?.1 == 4 && e2?.2 == 2 && e2?.3 == "quantity" && e2?.4 == "abc")
        let e3 = csvError { _ = try RiskReport.parsePositions("sym,qty,px\nBTC,1,5\n", file: "p.csv") }
        #expect(e3?.1 == 1 && e3?.3 == "header")
        let e4 = csvError { _ = try RiskReport.parsePositions("symbol,quantity,price\nBTC,1,5\nBTC,2,5\n", file: "p.csv") }
        #expect(e4?.1 == 3 && e4?.3 == "symbol" && e4?.4 == "BTC")
        let e5 = csvError { _ = try RiskReport.parsePositions("symbol,quantity,price\nBTC,1\n", file: "p.csv") }
        #expect(e5?.1 == 2 && e5?.2 == 3 && e5?.3 == "price")
        let e6 = csvError { _ = try RiskReport.parsePositions("symbol,quantity,price\nBTC,nan,5\n", file: "p.csv") }
        #expect(e6?.3 == "quantity" && e6?.4 == "nan")
    }

    @Test("bad returns name file, line, column, symbol and value")
    func badReturns() {
        let e1 = csvError { _ = try RiskReport.parseReturns("t,A,B\n1,0.01,0.02\n2,0.01,NaN\n", file: "r.csv") }
        #expect(e1?.0 == "r.csv" && e1?.1 == 3 && e1?.2 == 3 && e1?.3 == "B" && e1?.4 == "NaN")
        let e2 = csvError { _ = try RiskReport.parseReturns("t,A,B\n1,0.01,0.02\n2,-1.5,0\n", file: "r.csv") }
        #expect(e2?.1 == 3 && e2?.2 == 2 && e2?.3 == "A" && e2?.4 == "-1.5")
        let e3 = csvError { _ = try RiskReport.parseReturns("t,A,B\n1,0.01,0.02\n", file: "r.csv") }
        #expect(e3?.3 == "time")
        let e4 = csvError { _ = try RiskReport.parseReturns("t,A,A\n1,0,0\n2,0,0\n", file: "r.csv") }
        #expect(e4?.1 == 1 && e4?.2 == 3 && e4?.4 == "A")
        let e5 = csvError { _ = try RiskReport.parseReturns("t,A,B\r\n1,0.01,0.02\r\n2,0.01,inf\r\n", file: "r.csv") }
        #expect(e5?.1 == 3 && e5?.4 == "inf")
    }

    @Test("a held symbol without a returns column is an error on the positions line")
    func missingColumn() throws {
        let p = try RiskReport.parsePositions("symbol,quantity,price\nA,1,5\nZ,1,5\n", file: "p.csv")
        let r = try RiskReport.parseReturns("t,A,B\n1,0.01,0.02\n2,0.01,0\n", file: "r.csv")
        let e = csvError { _ = try RiskReport.compute(positions: p, returns: r, options: .init(), positionsPath: "p.csv") }
        #expect(e?.0 == "p.csv" && e?.1 == 3 && e?.3 == "symbol" && e?.4 == "Z")
    }

    @Test("bad options and files are config/read errors, not crashes")
    func badOptions() throws {
        #expect(throws: RiskError.invalidConfig(field: "risk.lambda", value: "1.0", reason: "must be in the open interval (0, 1)")) {
            _ = try RiskReport.run(positionsPath: examples + "/positions.csv", returnsPath: examples + "/returns.csv",
                                   options: .init(lambda: 1), json: false)
        }
        #expect(throws: RiskError.self) {
            _ = try RiskReport.run(positionsPath: "/nonexistent/p.csv", returnsPath: "/nonexistent/r.csv", options: .init(), json: false)
        }
        #expect(throws: RiskError.self) {
            _ = try RiskReport.run(positionsPath: examples + "/positions.csv", returnsPath: examples + "/returns.csv",
                                   options: .init(stress: ["crash: DOGE=-50%"]), json: false)
        }
    }

    @Test("stress specs: percent and decimal shocks, symbol over sector over all")
    func stressSpec() throws {
        let s = try RiskReport.StressSpec.parse("crash: all=-35%, sector:majors=-0.25, BTC=-20%",
                                                symbols: ["BTC", "ETH", "SOL"], sectors: ["majors", "alts"])
        #expect(s.name == "crash")
        #expect(s.shock(instrument: 0, sector: 0) == -0.20)
        #expect(s.shock(instrument: 1, sector: 0) == -0.25)
        #expect(abs(s.shock(instrument: 2, sector: 1) - (-0.35)) < 1e-15)
        #expect(throws: RiskError.self) { try RiskReport.StressSpec.parse("no colon", symbols: [], sectors: []) }
        #expect(throws: RiskError.self) { try RiskReport.StressSpec.parse("x: all=abc", symbols: [], sectors: []) }
    }

    @Test("number formatting groups thousands and rounds")
    func formatting() {
        #expect(RiskReport.fixed(1234567.891, 2) == "1,234,567.89")
        #expect(RiskReport.fixed(-0.004, 2) == "0.00")
        #expect(RiskReport.fixed(-1234.5, 1) == "-1,234.5")
        #expect(RiskReport.fixed(999, 0) == "999")
    }
}
