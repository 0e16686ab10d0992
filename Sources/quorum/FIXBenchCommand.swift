import ArgumentParser
import Foundation
import QuorumNet
import QuorumWire

extension BenchCommand {
    /// The FIX 4.4 codec on its own: encode a NewOrderSingle, parse + validate + decode an
    /// ExecutionReport. The same work as Benchmarks/FIXBenchmarks, as a command a user can run
    /// (and run under `valgrind --tool=callgrind` for instruction counts).
    struct FIX: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fix",
            abstract: "FIX 4.4 encode (NewOrderSingle) and parse (ExecutionReport) speed.",
            discussion: """
                Encodes NewOrderSingles into one preallocated buffer and parses 64 different \
                ExecutionReports (trade fills) round-robin: checksum, BodyLength, every field \
                validated, then decoded into the report struct. Prints nanoseconds per message, \
                the median and best of --runs runs of --messages each. Targets (issue 6): encode \
                ≤ 100 ns, parse ≤ 200 ns.
                """
        )

        @Option(help: "Messages per run and operation.")
        var messages: Int = 2_000_000

        @Option(help: "Runs; the median and the best are reported.")
        var runs: Int = 7

        @Flag(help: "Print one JSON object instead of the table.")
        var json = false

        func validate() throws {
            if messages < 1_000 { throw ValidationError("--messages must be at least 1000, found \(messages)") }
            if !(1...100).contains(runs) { throw ValidationError("--runs must be in 1...100, found \(runs)") }
        }

        func run() throws {
            let bench = FIXCodecBench()
            var encode: [Double] = [], parse: [Double] = []
            for _ in 0..<runs {
                encode.append(bench.encodeNanos(messages))
                parse.append(bench.parseNanos(messages))
            }
            guard bench.parsed == UInt64(runs) * UInt64(messages) else {
                printError("error: \(UInt64(runs) * UInt64(messages) - bench.parsed) ExecutionReports did not parse")
                throw ExitCode(1)
            }
            encode.sort()
            parse.sort()
            let rows = [("encode NewOrderSingle", encode), ("parse ExecutionReport", parse)]
            if json {
                let fields = rows.map { name, v in
                    "\"\(name.replacingOccurrences(of: " ", with: "_"))\":{\"median_ns\":\(fmt(v[v.count / 2])),\"best_ns\":\(fmt(v[0]))}"
                }
                print("{\"messages\":\(messages),\"runs\":\(runs)," + fields.joined(separator: ",") + "}")
                return
            }
            print("FIX 4.4 codec: \(messages) messages per run, \(runs) runs; nanoseconds per message")
            print("")
            print("                           median      best")
            for (name, v) in rows {
                print(name.padding(toLength: 24, withPad: " ", startingAt: 0)
                      + fmt(v[v.count / 2]).leftPadded(9) + fmt(v[0]).leftPadded(10))
            }
            print("")
            print("targets: encode ≤ 100 ns, parse ≤ 200 ns")
        }

        func fmt(_ x: Double) -> String { String(format: "%.1f", x) }
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

/// Messages and buffers made once; each run only encodes or parses.
final class FIXCodecBench {
    static let epoch: UInt64 = 1_700_000_000_123_000_000
    static let reports = 64
    static let stride = 512
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: QuorumWire.FIX.maxMessageLength, alignment: 64)
    let input = UnsafeMutableRawBufferPointer.allocate(byteCount: reports * stride + QuorumWire.FIX.maxMessageLength,
                                                       alignment: 64)
    var lengths = [Int](repeating: 0, count: reports)
    let parser = FIXParser()
    private(set) var parsed: UInt64 = 0
    var sink: UInt64 = 0

    init() {
        for k in 0..<Self.reports {
            let header = FIXHeader(senderCompID: "EXCH", targetCompID: "QUORUM", msgSeqNum: UInt64(1000 + k),
                                   sendingTime: Self.epoch &+ UInt64(k) &* 1_000_000)
            let report = FIXExecutionReport(
                orderID: FIXString(decimal: UInt64(900_000 + k)), clOrdID: FIXString(decimal: UInt64(1_000_000 + k)),
                execID: FIXString(decimal: UInt64(5_000_000 + k)), execType: .trade,
                ordStatus: k % 2 == 0 ? .filled : .partiallyFilled, symbol: "AAPL", side: .buy,
                orderQty: Qty(200), lastQty: Qty(100), lastPx: Price(1_912_300 + UInt32(k)),
                leavesQty: Qty(k % 2 == 0 ? 0 : 100), cumQty: Qty(k % 2 == 0 ? 200 : 100),
                avgPx: Price(1_912_300 + UInt32(k)))
            lengths[k] = FIXEncoder.encode(report, header: header,
                                           into: UnsafeMutableRawBufferPointer(rebasing: input[(k * Self.stride)...]))
        }
    }

    deinit {
        out.deallocate()
        input.deallocate()
    }

    func encodeNanos(_ n: Int) -> Double {
        var header = FIXHeader(senderCompID: "QUORUM", targetCompID: "EXCH", msgSeqNum: 1, sendingTime: Self.epoch)
        var order = FIXNewOrderSingle(clOrdID: FIXString(decimal: 1_000_000), symbol: "AAPL", side: .buy,
                                      transactTime: Self.epoch, orderQty: Qty(100), ordType: .limit,
                                      price: Price(1_912_300), timeInForce: .day)
        var total = 0
        let start = NetClock.now()
        for i in 0..<n {
            header.msgSeqNum = UInt64(i) &+ 2
            header.sendingTime = Self.epoch &+ UInt64(i) &* 1_000
            order.transactTime = header.sendingTime
            order.clOrdID = FIXString(decimal: 1_000_000 &+ UInt64(i))
            total &+= FIXEncoder.encode(order, header: header, into: out)
        }
        let elapsed = NetClock.now() &- start
        sink &+= UInt64(total)
        return Double(elapsed) / Double(n)
    }

    func parseNanos(_ n: Int) -> Double {
        var sum: UInt64 = 0, ok: UInt64 = 0
        let start = NetClock.now()
        for i in 0..<n {
            let k = i & (Self.reports - 1)
            let bytes = UnsafeRawBufferPointer(rebasing: input[(k * Self.stride)..<(k * Self.stride + lengths[k])])
            if case .message = parser.parse(bytes) {
                let report = FIXExecutionReport(parser.message)
                sum &+= UInt64(report.cumQty.rawValue) &+ UInt64(report.lastPx?.rawValue ?? 0)
                ok &+= 1
            }
        }
        let elapsed = NetClock.now() &- start
        sink &+= sum
        parsed &+= ok
        return Double(elapsed) / Double(n)
    }
}
