import QuorumWire

// Applying a message straight from its wire bytes.
//
// `apply(_: ITCHMessage, …)` needs the message decoded first: the decoder switches on the type
// byte, copies every field of the type (up to 50 bytes) into the enum, and `apply` switches on
// the enum again. An order message needs only three to five of those fields, and the second
// switch is a second indirect branch to mispredict on a mixed flow. `apply(bytes:…)` switches
// once, on the type byte, and loads just the fields the book reads, big-endian at their spec
// offsets. Any other type, and any length that is not the spec's, goes through
// `ITCHMessage.decode` and `apply(_:…)`, so errors and effects are exactly the decoded path's.

extension BookManager {
    /// Applies one ITCH message given as its bytes (exactly one message, as a framing layer
    /// delivers it). Same effect on the books, counters, anomalies and events as
    /// `apply(try ITCHMessage.decode(bytes), sequence:, &events)`, and the same errors.
    /// - Parameters:
    ///   - bytes: one message, from its type byte to its end.
    ///   - sequence: as for `apply(_:sequence:_:)`.
    ///   - events: receives level, best bid/offer and trade events.
    /// - Throws: the decoder's `WireError` (truncated, unknown type, length mismatch); nothing
    ///   is applied then.
    /// - Complexity: as `apply(_:sequence:_:)`; never allocates except when a new symbol's
    ///   book is created.
    @inlinable @inline(__always)
    public mutating func apply<H: OrderBookEvents>(
        bytes: UnsafeRawBufferPointer, sequence: UInt64, _ events: inout H
    ) throws(WireError) {
        guard let p = bytes.baseAddress, bytes.count >= 19 else {
            return try apply(ITCHMessage.decode(bytes), sequence: sequence, &events)
        }
        let n = bytes.count
        // Every order message's stock locate is at 1 and its (original) reference at 11; 19
        // bytes (the shortest, D) cover both.
        let locate = StockLocate(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 1, as: UInt16.self)))
        let ref = UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 11, as: UInt64.self))
        switch p.load(as: UInt8.self) {
        case 0x41 where n == 36, 0x46 where n == 40:  // A, F: side 19, shares 20, stock 24, price 32
            counters.messages &+= 1  // &+= : as in apply(_:)
            _addOrder(locate, OrderRef(ref), Side(rawValue: p.load(fromByteOffset: 19, as: UInt8.self)),
                      Qty(Self._u32(p, 20)), Stock(rawValue: Self._u64(p, 24)), Price(Self._u32(p, 32)),
                      sequence, p.load(as: UInt8.self), &events)
        case 0x45 where n == 31:  // E: shares 19, match 23
            counters.messages &+= 1
            let slot = _slot(locate, sequence, 0x45, OrderRef(ref))
            if slot >= 0 {
                _note(_execute(slot, OrderRef(ref), Qty(Self._u32(p, 19)), MatchNumber(Self._u64(p, 23)),
                               price: nil, printable: true, &events),
                      sequence, 0x45, locate, OrderRef(ref))
            }
        case 0x43 where n == 36:  // C: shares 19, match 23, printable 31, price 32
            counters.messages &+= 1
            let slot = _slot(locate, sequence, 0x43, OrderRef(ref))
            if slot >= 0 {
                _note(_execute(slot, OrderRef(ref), Qty(Self._u32(p, 19)), MatchNumber(Self._u64(p, 23)),
                               price: Price(Self._u32(p, 32)), printable: p.load(fromByteOffset: 31, as: UInt8.self) == 0x59,
                               &events),
                      sequence, 0x43, locate, OrderRef(ref))
            }
        case 0x58 where n == 23:  // X: shares 19
            counters.messages &+= 1
            let slot = _slot(locate, sequence, 0x58, OrderRef(ref))
            if slot >= 0 {
                _note(_cancel(slot, ref, Self._u32(p, 19), &events), sequence, 0x58, locate, OrderRef(ref))
            }
        case 0x44 where n == 19:  // D
            counters.messages &+= 1
            let slot = _slot(locate, sequence, 0x44, OrderRef(ref))
            if slot >= 0 {
                _note(_delete(slot, ref, &events), sequence, 0x44, locate, OrderRef(ref))
            }
        case 0x55 where n == 35:  // U: new reference 19, shares 27, price 31
            counters.messages &+= 1
            let slot = _slot(locate, sequence, 0x55, OrderRef(ref))
            if slot >= 0 {
                _note(_replace(slot, ref, Self._u64(p, 19), Self._u32(p, 27), Self._u32(p, 31), &events),
                      sequence, 0x55, locate, OrderRef(ref))
            }
        default:
            try _applyDecoding(bytes, sequence, &events)
        }
    }

    /// Everything but a well-formed order message: decode, then `apply(_:…)`. Out of line so
    /// the order path stays small.
    @inlinable @inline(never)
    mutating func _applyDecoding<H: OrderBookEvents>(
        _ bytes: UnsafeRawBufferPointer, _ sequence: UInt64, _ events: inout H
    ) throws(WireError) {
        apply(try ITCHMessage.decode(bytes), sequence: sequence, &events)
    }

    @inlinable @inline(__always)
    static func _u32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable @inline(__always)
    static func _u64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
