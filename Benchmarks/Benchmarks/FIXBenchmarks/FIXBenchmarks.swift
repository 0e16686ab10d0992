import Benchmark
import QuorumWire

/// FIX 4.4 codec hot paths: encoding a NewOrderSingle into a preallocated buffer and
/// parsing + validating + decoding an ExecutionReport in place. Buffers and messages are
/// made before the measured region, so the malloc count reported is the steady state's
/// (held at 0 by `Thresholds/FIXBenchmarks.*.json`). Targets (issue 6): encode ≤ 100 ns,
/// parse ≤ 200 ns.
let benchmarks: @Sendable () -> Void = {
    let steadyState = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 20,
        thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p100: 0])]
    )
    let epoch: UInt64 = 1_700_000_000_123_000_000

    Benchmark("FIX.encode.NewOrderSingle", configuration: steadyState) { benchmark in
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: FIX.maxMessageLength, alignment: 64)
        defer { buffer.deallocate() }
        var header = FIXHeader(senderCompID: "QUORUM", targetCompID: "EXCH", msgSeqNum: 1, sendingTime: epoch)
        var order = FIXNewOrderSingle(clOrdID: FIXString(decimal: 1_000_000), symbol: "AAPL", side: .buy,
                                      transactTime: epoch, orderQty: Qty(100), ordType: .limit,
                                      price: Price(1_912_300), timeInForce: .day)
        var total = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            header.msgSeqNum = UInt64(i) &+ 2
            header.sendingTime = epoch &+ UInt64(i) &* 1_000
            order.transactTime = header.sendingTime
            order.clOrdID = FIXString(decimal: 1_000_000 &+ UInt64(i))
            total &+= FIXEncoder.encode(order, header: header, into: buffer)
        }
        benchmark.stopMeasurement()
        blackHole(total)
    }

    Benchmark("FIX.parse.ExecutionReport", configuration: steadyState) { benchmark in
        // 64 different reports (trade fills), parsed round-robin.
        let count = 64
        let stride = 512
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count * stride + FIX.maxMessageLength, alignment: 64)
        defer { buffer.deallocate() }
        var lengths = [Int](repeating: 0, count: count)
        for k in 0..<count {
            let header = FIXHeader(senderCompID: "EXCH", targetCompID: "QUORUM", msgSeqNum: UInt64(1000 + k),
                                   sendingTime: epoch &+ UInt64(k) &* 1_000_000)
            let report = FIXExecutionReport(
                orderID: FIXString(decimal: UInt64(900_000 + k)), clOrdID: FIXString(decimal: UInt64(1_000_000 + k)),
                execID: FIXString(decimal: UInt64(5_000_000 + k)), execType: .trade,
                ordStatus: k % 2 == 0 ? .filled : .partiallyFilled, symbol: "AAPL", side: .buy,
                orderQty: Qty(200), lastQty: Qty(100), lastPx: Price(1_912_300 + UInt32(k)),
                leavesQty: Qty(k % 2 == 0 ? 0 : 100), cumQty: Qty(k % 2 == 0 ? 200 : 100),
                avgPx: Price(1_912_300 + UInt32(k)))
            lengths[k] = FIXEncoder.encode(
                report, header: header, into: UnsafeMutableRawBufferPointer(rebasing: buffer[(k * stride)...]))
        }
        let parser = FIXParser()
        var sum: UInt64 = 0
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            let k = i & (count - 1)
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[(k * stride)..<(k * stride + lengths[k])])
            if case .message = parser.parse(bytes) {
                let report = FIXExecutionReport(parser.message)
                sum &+= UInt64(report.cumQty.rawValue) &+ UInt64(report.lastPx?.rawValue ?? 0)
            }
        }
        benchmark.stopMeasurement()
        blackHole(sum)
    }
}
