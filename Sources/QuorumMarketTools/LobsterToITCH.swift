import QuorumBook
import QuorumWire

/// Converts LOBSTER messages to an ITCH 5.0 day file for one symbol (stock locate 1).
///
/// Mapping: add → A, partial cancel → X, delete → D, visible execution → E, hidden
/// execution → P, cross → Q, halt → H (−1 halted, 0 quotation only, 1 trading). The file
/// starts with S `O`, an R for the symbol and S `Q`, and ends with S `M`, `E`, `C`.
///
/// With a seed book, each seeded level becomes one A with a reference from
/// `LobsterReplayer.syntheticBase` up, and messages for orders that rested before the window
/// are rewritten against that level's synthetic order (as `quorum lobster replay` applies
/// them), so an ITCH replay of the output shows the same book as a LOBSTER replay. Without a
/// seed they keep their LOBSTER ids, and an ITCH book will count them as unknown references.
public enum LobsterToITCH {
    public struct Summary: Sendable {
        public var messagesIn: Int
        public var messagesOut: Int
        public var bytes: Int
        /// Reductions of pre-window orders with no seeded level to apply them to.
        public var unmatched: Int
    }

    /// Calls `emit` with each ITCH message in order.
    public static func convert(_ messages: [Lobster.Message], symbol: String, seed: Lobster.BookRow?,
                               emit: (ITCHMessage) throws(MarketToolError) -> Void) throws(MarketToolError) -> Summary
    {
        let stock = Stock(symbol)
        let locate = StockLocate(1)
        var replayer = LobsterReplayer()
        var ev = IgnoreBookEvents()
        var out = 0
        var match: UInt64 = 1
        let start = messages.first?.time ?? Timestamp(34_200_000_000_000)
        func h(_ t: Timestamp) -> ITCH.Header { ITCH.Header(stockLocate: locate, trackingNumber: 0, timestamp: t) }
        func put(_ m: ITCHMessage) throws(MarketToolError) {
            try emit(m)
            out += 1
        }
        try put(.systemEvent(.init(header: ITCH.Header(stockLocate: StockLocate(0), timestamp: start), eventCode: UInt8(ascii: "O"))))
        try put(.stockDirectory(.init(
            header: h(start), stock: stock, marketCategory: UInt8(ascii: "Q"), financialStatusIndicator: UInt8(ascii: "N"),
            roundLotSize: 100, roundLotsOnly: UInt8(ascii: "N"), issueClassification: UInt8(ascii: "C"),
            issueSubType: 0x5A20, authenticity: UInt8(ascii: "P"), shortSaleThresholdIndicator: UInt8(ascii: "N"),
            ipoFlag: UInt8(ascii: " "), luldReferencePriceTier: UInt8(ascii: "1"), etpFlag: UInt8(ascii: "N"),
            etpLeverageFactor: 0, inverseIndicator: UInt8(ascii: "N"))))
        try put(.systemEvent(.init(header: ITCH.Header(stockLocate: StockLocate(0), timestamp: start), eventCode: UInt8(ascii: "Q"))))
        if let seed {
            replayer.seed(seed)
            for (side, levels) in [(Side.sell, seed.asks), (Side.buy, seed.bids)] {
                for l in levels where l.size > 0 {
                    let key = LobsterReplayer.SyntheticKey(side: side.rawValue, price: UInt32(clamping: l.price))
                    guard let r = replayer.synthetic[key] else { continue }
                    try put(.addOrder(.init(header: h(start), orderRef: OrderRef(r), side: side,
                                            shares: Qty(UInt32(clamping: l.size)), stock: stock,
                                            price: Price(UInt32(clamping: l.price)))))
                }
            }
        }
        for m in messages {
            let ref = OrderRef(m.orderID)
            let known = replayer.book.order(ref) != nil
            let addressed = replayer.apply(m, &ev)
            let hd = h(m.time)
            switch m.type {
            case .add:
                try put(.addOrder(.init(header: hd, orderRef: ref, side: m.side, shares: Qty(m.size), stock: stock, price: m.price)))
            case .partialCancel, .delete, .visibleExecution:
                if !known, let a = addressed {
                    if m.type == .visibleExecution {
                        try put(.orderExecuted(.init(header: hd, orderRef: a.syntheticRef, executedShares: Qty(a.qty),
                                                     matchNumber: MatchNumber(match))))
                        match += 1
                    } else if a.removed {
                        try put(.orderDelete(.init(header: hd, orderRef: a.syntheticRef)))
                    } else {
                        try put(.orderCancel(.init(header: hd, orderRef: a.syntheticRef, cancelledShares: Qty(a.qty))))
                    }
                } else if m.type == .partialCancel {
                    try put(.orderCancel(.init(header: hd, orderRef: ref, cancelledShares: Qty(m.size))))
                } else if m.type == .delete {
                    try put(.orderDelete(.init(header: hd, orderRef: ref)))
                } else {
                    try put(.orderExecuted(.init(header: hd, orderRef: ref, executedShares: Qty(m.size),
                                                 matchNumber: MatchNumber(match))))
                    match += 1
                }
            case .hiddenExecution:
                try put(.trade(.init(header: hd, orderRef: ref, side: m.side, shares: Qty(m.size), stock: stock,
                                     price: m.price, matchNumber: MatchNumber(match))))
                match += 1
            case .cross:
                try put(.crossTrade(.init(header: hd, shares: UInt64(m.size), stock: stock, crossPrice: m.price,
                                          matchNumber: MatchNumber(match), crossType: UInt8(ascii: "H"))))
                match += 1
            case .halt:
                let state: Character = m.haltCode < 0 ? "H" : (m.haltCode == 0 ? "Q" : "T")
                try put(.stockTradingAction(.init(header: hd, stock: stock, tradingState: UInt8(ascii: state.unicodeScalars.first!),
                                                  reserved: 0x20, reason: 0x2020_2020)))
            }
        }
        let end = messages.last?.time ?? start
        for code in ["M", "E", "C"] as [Unicode.Scalar] {
            try put(.systemEvent(.init(header: ITCH.Header(stockLocate: StockLocate(0), timestamp: end), eventCode: UInt8(ascii: code))))
        }
        return Summary(messagesIn: messages.count, messagesOut: out, bytes: 0, unmatched: replayer.unmatched)
    }

    /// `quorum lobster to-itch`: reads the CSV files, writes a day file.
    public static func convert(messagesPath: String, seedOrderbookPath: String?, levels: Int, symbol: String,
                               outPath: String) throws(MarketToolError) -> Summary
    {
        let messages = try Lobster.readMessages(path: messagesPath)
        var seed: Lobster.BookRow?
        if let seedOrderbookPath, let first = messages.first {
            let rows = try Lobster.readBook(path: seedOrderbookPath, levels: levels)
            if let row = rows.first { seed = LobsterReplayer.rowBefore(first: first, after: row) }
        }
        let out = try OutputFile(path: outPath)
        var bytes = 0
        var scratch = [UInt8](repeating: 0, count: 2 + ITCH.maxMessageLength)
        var summary = try convert(messages, symbol: symbol, seed: seed) { (m: ITCHMessage) throws(MarketToolError) in
            let n = scratch.withUnsafeMutableBytes { raw -> Int in
                var w = ITCHDayFile.Writer(raw)
                try! w.append(m)  // the scratch buffer fits the largest message
                return w.position
            }
            try out.write(Array(scratch[0..<n]))
            bytes += n
        }
        try out.close()
        summary.bytes = bytes
        return summary
    }
}

extension OutputFile {
    public func write(_ bytes: [UInt8]) throws(MarketToolError) {
        let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        guard n == bytes.count else { throw MarketToolError(file: path, reason: "write failed") }
    }
}

#if canImport(Glibc)
import Glibc
#endif
