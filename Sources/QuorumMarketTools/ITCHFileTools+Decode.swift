import QuorumWire

extension ITCHFileTools {
    /// What `decodeViews(path:)` found.
    public struct DecodeResult: Equatable, Sendable {
        /// Frames that were well-formed messages.
        public var messages: Int
        /// Frames that were not (unknown type, wrong length) plus a truncated final frame.
        public var errors: Int
        /// The first of them, with its byte offset in the file.
        public var firstError: WireError?
        /// Messages per type byte (256 entries).
        public var countsByType: [Int]
        /// Sum over all messages of type byte + stock locate: the two fields read from each
        /// view, so the work cannot be skipped; equal for equal files.
        public var checksum: UInt64
        /// Framing + checks + views, file already in memory.
        public var seconds: Double
    }

    /// Decodes a day file the zero-copy way and times it: for every frame, the framing, the
    /// type/spec-length check and an `ITCHMessageView`, from which the type and stock locate
    /// are read (nothing else is loaded or copied). The file is mapped and paged in before the
    /// clock starts. Malformed messages are counted and skipped; a truncated final frame ends
    /// the pass.
    /// - Throws: `MarketToolError` when the file cannot be opened or mapped.
    public static func decodeViews(path: String) throws(MarketToolError) -> DecodeResult {
        let file = try MappedFile(path: path)
        var touch: UInt8 = 0
        var i = 0
        while i < file.bytes.count {
            touch &+= file.bytes[i]  // fault every page in first (untimed)
            i += 4096
        }
        // Counted in place, outside any array: the loop below touches no Swift collection.
        var counts = InlineArray<256, Int>(repeating: 0)
        var reader = ITCHDayFile.Reader(file.bytes)
        var messages = 0
        var errors = 0
        var firstError: WireError?
        var checksum: UInt64 = UInt64(touch & 0)
        let start = ProgressLine.now()
        while true {
            do throws(WireError) {
                guard let (_, view) = try reader.nextView() else { break }
                let type = view.type
                counts[Int(type)] &+= 1  // &+= : fewer messages than a file has bytes
                checksum &+= UInt64(type) &+ UInt64(view.stockLocate.rawValue)  // &+= : a checksum, meant to wrap
                messages &+= 1
            } catch {
                errors += 1
                if firstError == nil { firstError = error }
            }
        }
        let seconds = ProgressLine.now() - start
        return DecodeResult(messages: messages, errors: errors, firstError: firstError,
                            countsByType: (0..<256).map { counts[$0] }, checksum: checksum, seconds: seconds)
    }
}
