import QuorumBook
import QuorumWire

/// One best bid/offer change, as written by `quorum itch bbo` (little-endian, 48-byte stride): `seq u64 · timestamp u64 · bid qty u64 · ask qty u64 · locate u16 · pad u16 ·
/// bid px u32 · ask px u32` (`numpyDtype`). An empty side has price 0 and quantity 0.
@frozen public struct BBORow: Equatable, Sendable, BitwiseCopyable {
    public var sequence: UInt64
    public var timestamp: UInt64
    public var bidQty: UInt64
    public var askQty: UInt64
    public var locate: UInt16
    public var bidPrice: UInt32
    public var askPrice: UInt32

    /// The byte layout `quorum itch bbo` writes, as a numpy structured dtype.
    public static let numpyDtype =
        "[('seq','<u8'),('ts','<u8'),('bid_sz','<u8'),('ask_sz','<u8'),('locate','<u2'),('pad','<u2'),('bid_px','<u4'),('ask_px','<u4'),('pad2','<u4')]"
}

/// Appends a `BBORow` for every best bid/offer change; the caller sets `sequence` and either
/// `timestamp` or `message` before applying each message.
public struct BBORecorder: OrderBookEvents {
    public var rows: [BBORow] = []
    public var sequence: UInt64 = 0
    /// Used when `message` is nil.
    public var timestamp: UInt64 = 0
    /// The message being applied (at least its 11-byte header readable): its timestamp is
    /// read only when a row is written, which is about one message in eight, rather than
    /// decoded for every message.
    public var message: UnsafeRawPointer?

    public init(reserving capacity: Int) { rows.reserveCapacity(capacity) }

    public mutating func bestChanged(_ locate: StockLocate, bid: BookQuote, ask: BookQuote) {
        let time = message.map { ITCH.Header(_unchecked: $0).timestamp.rawValue } ?? timestamp
        rows.append(BBORow(sequence: sequence, timestamp: time, bidQty: bid.qty, askQty: ask.qty,
                           locate: locate.rawValue, bidPrice: bid.price.rawValue, askPrice: ask.price.rawValue))
    }
}

extension ITCHFileTools {
    public struct BBOResult {
        public var rows: [BBORow]
        public var messages: Int
        public var decodeErrors: Int
        public var counters: FeedCounters
        /// Live orders at the end whose references overflowed the feed-wide table.
        public var overflowedOrders: Int
        /// Decode + book + recording, file already in memory.
        public var seconds: Double
    }

    /// Replays a day file to its sequence of best bid/offer changes. The file is mapped and
    /// paged in before the clock starts, so the time is decode + books + recording only.
    public static func bboChanges(path: String, config: BookConfig = BookConfig()) throws(MarketToolError) -> BBOResult {
        let file = try MappedFile(path: path)
        // Fault every page in first (untimed): compare processing, not disk.
        var touch: UInt8 = 0
        var i = 0
        while i < file.bytes.count {
            touch &+= file.bytes[i]
            i += 4096
        }
        var manager = BookManager(config: config)
        var recorder = BBORecorder(reserving: file.bytes.count / 24)
        var reader = PrefetchingDayFileReader(file.bytes)
        var messages = 0
        var errors = 0
        let start = ProgressLine.now()
        while true {
            do {
                guard let frame = try reader.next(hinting: manager) else { break }
                recorder.sequence = UInt64(messages)
                // Every message that can change a book has its header at 1..<11, and a shorter
                // one is rejected by `apply(bytes:)` before anything is recorded, so the header
                // is only ever read from a message long enough to hold it.
                recorder.message = frame.bytes.baseAddress
                try manager.apply(bytes: frame.bytes, sequence: UInt64(frame.offset), &recorder)
            } catch {
                errors += 1
            }
            messages += 1
        }
        let seconds = ProgressLine.now() - start
        return BBOResult(rows: recorder.rows, messages: messages + Int(touch & 0), decodeErrors: errors,
                         counters: manager.counters, overflowedOrders: manager.overflowedOrders, seconds: seconds)
    }
}
