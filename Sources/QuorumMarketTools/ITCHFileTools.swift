import QuorumBook
import QuorumWire

/// What a pass over an ITCH day file saw.
public struct ITCHReplayReport: Sendable {
    public var path: String
    public var bytes: Int
    public var messages: UInt64 = 0
    /// Messages per type byte.
    public var countsByType: [UInt64] = Array(repeating: 0, count: 256)
    /// Messages that could not be decoded (unknown type, wrong length, truncated frame).
    public var decodeErrors: UInt64 = 0
    /// The first decode error, with its offset in the file.
    public var firstDecodeError: WireError?
    public var symbols: [SymbolState] = []
    public var liveOrders = 0
    public var counters = FeedCounters()
    /// Book anomalies; their `sequence` is the message's byte offset in the file.
    public var firstAnomaly: FeedAnomaly?
    public var lastAnomaly: FeedAnomaly?
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?
    public var seconds: Double = 0
    /// Set when the pass stopped at `until` before the end of the file.
    public var stoppedAtOffset: Int?

    public var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }

    static let typeNames: [UInt8: String] = [
        0x53: "system event", 0x52: "stock directory", 0x48: "stock trading action", 0x59: "Reg SHO restriction",
        0x4c: "market participant position", 0x56: "MWCB decline level", 0x57: "MWCB status",
        0x4b: "IPO quoting period", 0x4a: "LULD auction collar", 0x68: "operational halt", 0x41: "add order",
        0x46: "add order (MPID)", 0x45: "order executed", 0x43: "order executed with price", 0x58: "order cancel",
        0x44: "order delete", 0x55: "order replace", 0x50: "trade (non-cross)", 0x51: "cross trade",
        0x42: "broken trade", 0x49: "NOII", 0x4e: "RPII", 0x4f: "direct listing price discovery",
    ]

    /// The `quorum itch stats` text.
    public func render() -> String {
        var lines: [String] = []
        lines.append("file            \(path)")
        lines.append("bytes           \(bytes)")
        lines.append("messages        \(messages)")
        lines.append("by type:")
        for t in ITCHMessage.allTypes where countsByType[Int(t)] > 0 {
            let name = Self.typeNames[t] ?? "?"
            lines.append("  \(Character(Unicode.Scalar(t)))  \(pad(name, 32)) \(countsByType[Int(t)])")
        }
        lines.append("symbols         \(symbols.count)" + (symbols.isEmpty ? "" : ": "
            + symbols.prefix(20).map(\.stock.description).joined(separator: " ") + (symbols.count > 20 ? " …" : "")))
        lines.append("orders live     \(liveOrders) at end")
        if let f = firstTime, let l = lastTime { lines.append("exchange time   \(f) – \(l)") }
        lines.append("decode errors   \(decodeErrors)" + (firstDecodeError.map { " (first: \($0))" } ?? ""))
        lines.append("book anomalies  \(counters.anomalies)")
        let c = counters
        for (name, n) in [("unknown order reference", c.unknownOrderRef), ("duplicate order reference", c.duplicateOrderRef),
                          ("execution larger than order", c.executionExceedsOrder),
                          ("cancel larger than order", c.cancelExceedsOrder), ("order pool exhausted", c.orderPoolExhausted),
                          ("price levels exhausted", c.levelsExhausted), ("invalid side", c.invalidSide),
                          ("zero quantity", c.zeroQuantity), ("unknown stock locate", c.unknownLocate),
                          ("symbol capacity exhausted", c.symbolsExhausted)] where n > 0 {
            lines.append("  \(pad(name, 30)) \(n)")
        }
        if let a = firstAnomaly { lines.append("  first at byte offset \(a.sequence): \(describe(a))") }
        if let a = lastAnomaly, c.anomalies > 1 { lines.append("  last at byte offset \(a.sequence): \(describe(a))") }
        lines.append("elapsed         \(format(seconds, 3)) s, \(format(messagesPerSecond / 1e6, 2)) M msgs/s (decode + books)")
        return lines.joined(separator: "\n")
    }

    func describe(_ a: FeedAnomaly) -> String {
        "'\(Character(Unicode.Scalar(a.messageType)))' locate \(a.locate) order \(a.orderRef): \(a.kind)"
    }
}

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }

func format(_ x: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let v = (x * scale).rounded() / scale
    var s = String(v)
    if let dot = s.firstIndex(of: ".") {
        let have = s.distance(from: dot, to: s.endIndex) - 1
        if have < decimals { s += String(repeating: "0", count: decimals - have) }
    }
    return s
}

/// Passes over ITCH day files (2-byte length framing) with a `BookManager`.
public enum ITCHFileTools {
    /// Decodes and applies every message of `file` (up to the first message stamped after
    /// `until`, if given). Decode errors and book anomalies are counted with their byte
    /// offsets; a truncated final frame ends the pass. Never throws on bad content.
    public static func replay<H: OrderBookEvents>(
        _ file: MappedFile, into manager: inout BookManager, until: Timestamp? = nil, events: inout H,
        progress: Bool? = nil
    ) -> ITCHReplayReport {
        var report = ITCHReplayReport(path: file.path, bytes: file.bytes.count)
        var reader = ITCHDayFile.Reader(file.bytes)
        var meter = ProgressLine("replaying \(file.path)", total: 0, enabled: progress)
        let start = ProgressLine.now()
        var n = 0
        var lastTime = Timestamp(0)
        var firstTime: Timestamp?
        while true {
            let frame: (offset: Int, bytes: UnsafeRawBufferPointer)
            do {
                guard let f = try reader.next() else { break }
                frame = f
            } catch {
                report.decodeErrors += 1
                if report.firstDecodeError == nil { report.firstDecodeError = error }
                break
            }
            let message: ITCHMessage
            do {
                message = try ITCHMessage.decode(frame.bytes)
            } catch {
                report.decodeErrors += 1
                if report.firstDecodeError == nil { report.firstDecodeError = error.shifted(by: frame.offset + 2) }
                continue
            }
            let t = message.header.timestamp
            if let until, t > until {
                report.stoppedAtOffset = frame.offset
                break
            }
            if firstTime == nil { firstTime = t }
            lastTime = t
            report.countsByType[Int(message.messageType)] += 1
            manager.apply(message, sequence: UInt64(frame.offset), &events)
            n += 1
            meter.advance(to: n)
        }
        meter.finish()
        report.seconds = ProgressLine.now() - start
        report.messages = UInt64(n)
        report.firstTime = firstTime
        report.lastTime = firstTime == nil ? nil : lastTime
        report.symbols = manager.symbols
        report.liveOrders = manager.totalOrders
        report.counters = manager.counters
        report.firstAnomaly = manager.firstAnomaly
        report.lastAnomaly = manager.lastAnomaly
        return report
    }

    /// `quorum itch stats FILE`.
    public static func stats(path: String, config: BookConfig = BookConfig(), progress: Bool? = nil)
        throws(MarketToolError) -> ITCHReplayReport
    {
        let file = try MappedFile(path: path)
        var manager = BookManager(config: config)
        var ev = IgnoreBookEvents()
        return replay(file, into: &manager, events: &ev, progress: progress)
    }

    /// `quorum itch book FILE --symbol S [--at T]`: the symbol's depth after every message
    /// stamped at or before `at` (the whole file without it).
    public static func depth(path: String, symbol: String, at: Timestamp?, levels: Int = 10,
                             config: BookConfig = BookConfig(), progress: Bool? = nil)
        throws(MarketToolError) -> String
    {
        let file = try MappedFile(path: path)
        var manager = BookManager(config: config)
        var ev = IgnoreBookEvents()
        let report = replay(file, into: &manager, until: at, events: &ev, progress: progress)
        guard let locate = manager.locate(of: Stock(symbol)) else {
            let known = report.symbols.prefix(10).map(\.stock.description).joined(separator: ", ")
            throw MarketToolError(file: path, field: "--symbol", value: symbol,
                                  reason: "no such symbol in the file (\(report.symbols.count) symbols: \(known)\(report.symbols.count > 10 ? ", …" : ""))")
        }
        let when = at.map { "at \($0)" } ?? "at end of file"
        var out = "\(symbol) \(when): \(report.messages) messages applied"
        if let t = report.lastTime { out += ", last at \(t)" }
        out += "\n"
        out += manager.withBook(locate) { book in renderDepth(book, levels: levels) } ?? ""
        if report.decodeErrors > 0 || report.counters.anomalies > 0 {
            out += "\n(\(report.decodeErrors) decode errors, \(report.counters.anomalies) book anomalies; see `quorum itch stats`)"
        }
        return out
    }

    /// A depth table, best prices on the first row.
    public static func renderDepth(_ book: borrowing OrderBook, levels: Int) -> String {
        func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        var lines = ["\(lpad("orders", 7)) \(lpad("bid qty", 10)) \(lpad("bid", 12)) | \(pad("ask", 12)) \(pad("ask qty", 10)) orders"]
        let n = max(book.levelCount(.buy), book.levelCount(.sell))
        for i in 0..<min(levels, n) {
            let b = book.level(.buy, i)
            let a = book.level(.sell, i)
            let left = b.map { "\(lpad(String($0.orderCount), 7)) \(lpad(String($0.qty), 10)) \(lpad($0.price.description, 12))" }
                ?? String(repeating: " ", count: 31)
            let right = a.map { "\(pad($0.price.description, 12)) \(pad(String($0.qty), 10)) \($0.orderCount)" } ?? ""
            lines.append("\(left) | \(right)")
        }
        if n == 0 { lines.append("(empty book)") }
        lines.append("\(book.orderCount) orders, \(book.levelCount(.buy)) bid levels, \(book.levelCount(.sell)) ask levels"
            + (book.isCrossed ? " (crossed)" : ""))
        return lines.joined(separator: "\n")
    }
}
