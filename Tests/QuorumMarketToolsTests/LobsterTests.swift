import Testing
import QuorumBook
import QuorumWire
@testable import QuorumMarketTools

/// The LOBSTER sample sits beside the repository: `../shared/data/lobster/` from the package
/// root (the CI clone has the same layout). Located from this file's path, not the CWD.
enum Sample {
    static var packageRoot: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/QuorumMarketToolsTests/LobsterTests.swift
        return parts.joined(separator: "/")
    }
    static var directory: String { packageRoot + "/../shared/data/lobster" }
    static var messages: String { directory + "/AAPL_2012-06-21_34200000_57600000_message_10.csv" }
    static var orderbook: String { directory + "/AAPL_2012-06-21_34200000_57600000_orderbook_10.csv" }
}

@Suite struct LobsterTests {
    @Test func sampleFilesParse() throws {
        let messages = try Lobster.readMessages(path: Sample.messages)
        let rows = try Lobster.readBook(path: Sample.orderbook, levels: 10)
        #expect(messages.count == 999)
        #expect(rows.count == 999)
        #expect(messages[0] == Lobster.Message(time: Timestamp(34_200_004_241_176), type: .add, orderID: 16_113_575,
                                               size: 18, price: Price(5_853_300), side: .buy))
        #expect(rows[0].asks[0] == Lobster.Level(price: 5_859_400, size: 200))
        #expect(rows[0].bids[0] == Lobster.Level(price: 5_853_300, size: 18))
        let counts = Dictionary(grouping: messages, by: \.type.rawValue).mapValues(\.count)
        #expect(counts == [1: 471, 3: 369, 4: 98, 5: 61])
    }

    /// The acceptance check of issue 3: every one of the 998 transitions (row k−1 + message k
    /// = row k) matches on levels 1–9.
    @Test func all998TransitionsOfTheAAPLSampleMatchOnLevels1To9() throws {
        let messages = try Lobster.readMessages(path: Sample.messages)
        let rows = try Lobster.readBook(path: Sample.orderbook, levels: 10)
        let report = LobsterReplayer.checkTransitions(messages: messages, rows: rows, comparedLevels: 9)
        #expect(report.transitions == 998)
        #expect(report.matched == 998, "\(report)")
        #expect(report.firstMismatch == nil)
    }

    /// A corrupted expectation is caught and located.
    @Test func aWrongRowIsReportedWithRowLevelAndSide() throws {
        let messages = try Lobster.readMessages(path: Sample.messages)
        var rows = try Lobster.readBook(path: Sample.orderbook, levels: 10)
        rows[500].bids[2].size += 1
        let report = LobsterReplayer.checkTransitions(messages: messages, rows: rows, comparedLevels: 9)
        #expect(report.matched == 996)  // transitions into and out of row 501 break
        #expect(report.firstMismatch?.row == 501)
        #expect(report.firstMismatch?.level == 3)
        #expect(report.firstMismatch?.side == .buy)
    }

    /// Seeded from the book before message 1, a cumulative replay reproduces row 1 exactly and
    /// then drifts only where the message file cannot explain the orderbook (levels coming back
    /// into the window): most rows still match at level 1.
    @Test func seededCumulativeReplayStartsExactAndMostlyTracksLevel1() throws {
        let messages = try Lobster.readMessages(path: Sample.messages)
        let rows = try Lobster.readBook(path: Sample.orderbook, levels: 10)
        var replayer = LobsterReplayer()
        replayer.seed(LobsterReplayer.rowBefore(first: messages[0], after: rows[0]))
        var ev = IgnoreBookEvents()
        var level1Matches = 0
        for (k, m) in messages.enumerated() {
            replayer.apply(m, &ev)
            let got = replayer.snapshot(levels: 10)
            if k == 0 { #expect(got == rows[0]) }
            if got.asks[0] == rows[k].asks[0] && got.bids[0] == rows[k].bids[0] { level1Matches += 1 }
        }
        #expect(level1Matches > 900, "\(level1Matches) of 999 rows match at level 1")
        #expect(replayer.book.checkInvariants() == nil)
    }

    @Test func badCSVNamesFileLineFieldAndValue() throws {
        let path = "/tmp/quorum-bad-lobster-\(getpid()).csv"
        let out = try OutputFile(path: path)
        try out.write("34200.1,1,5,100,5853300,1\n34200.2,9,6,100,5853300,1\n")
        try out.close()
        defer { unlink(path) }
        #expect(throws: MarketToolError(file: path, line: 2, field: "type", value: "9", reason: "expected 1…7")) {
            try Lobster.readMessages(path: path)
        }
        #expect(throws: MarketToolError.self) { try Lobster.readBook(path: path, levels: 10) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
