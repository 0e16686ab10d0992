extension ITCH {
    /// The fields an order book reads, from any ITCH 5.0 message, decoded without a branch per
    /// type.
    ///
    /// `ITCHMessage.decode` switches on the type byte and copies every field of the type. On a
    /// feed, where the next type is close to random among A, D, E, U, X …, that switch is an
    /// indirect branch the predictor mostly misses, and a miss costs more than decoding. This
    /// decoder looks the type's layout up instead (a `switch` returning constants, which the
    /// compiler turns into a table load) and reads each field at the layout's offset, masking
    /// to zero the fields the type does not have. Its only branch, the length check, is always
    /// taken on a valid feed.
    ///
    /// Fields by type (offsets from the type byte; absent fields are zero):
    /// ```
    ///        orderRef  newOrderRef  side  shares  price  matchNumber  printable
    ///   A F     11          -        19     20      32        -           -
    ///   E       11          -         -     19       -       23           -
    ///   C       11          -         -     19      32       23          31
    ///   X       11          -         -     19       -        -           -
    ///   D       11          -         -      -       -        -           -
    ///   U       11         19         -     27      31        -           -
    ///   P       11          -        19     20      32       36           -
    /// ```
    /// Every other type decodes to its type, locate and timestamp with the rest zero; use
    /// `ITCHMessage.decode` for its own fields.
    @frozen public struct OrderFields: Equatable, Sendable, BitwiseCopyable {
        public var messageType: UInt8
        /// `B`/`S` for A, F, P; 0 otherwise.
        public var side: Side
        /// The C message's printable flag (`Y`/`N`); 0 otherwise.
        public var printable: UInt8
        public var stockLocate: StockLocate
        public var timestamp: Timestamp
        /// The order's reference (U: the original order's).
        public var orderRef: OrderRef
        /// U: the replacing order's reference.
        public var newOrderRef: OrderRef
        /// A F P: the order's shares; E C: shares executed; X: shares cancelled; U: the new
        /// order's shares.
        public var shares: Qty
        /// A F P U: the order's price; C: the execution price.
        public var price: Price
        public var matchNumber: MatchNumber

        @inlinable
        public init(messageType: UInt8, side: Side = Side(rawValue: 0), printable: UInt8 = 0,
                    stockLocate: StockLocate, timestamp: Timestamp, orderRef: OrderRef = OrderRef(0),
                    newOrderRef: OrderRef = OrderRef(0), shares: Qty = Qty(0), price: Price = .zero,
                    matchNumber: MatchNumber = MatchNumber(0)) {
            self.messageType = messageType
            self.side = side
            self.printable = printable
            self.stockLocate = stockLocate
            self.timestamp = timestamp
            self.orderRef = orderRef
            self.newOrderRef = newOrderRef
            self.shares = shares
            self.price = price
            self.matchNumber = matchNumber
        }

        /// Decodes the order fields of one message whose bytes are exactly `bytes`.
        ///
        /// Reports what `ITCHMessage.decode` reports: a truncated buffer, an unknown type, or a
        /// length other than the spec's.
        /// - Complexity: O(1); reads only the message's own bytes; never allocates.
        @inlinable @inline(__always)
        public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> OrderFields {
            guard let p = bytes.baseAddress, bytes.count > 0 else {
                throw .truncated(offset: 0, needed: 1, available: 0)
            }
            let type = _UnsafeBigEndian.u8(p, 0)
            let layout = _layout(type)
            guard bytes.count == Int(truncatingIfNeeded: layout & 0xFF) else {
                throw _layoutError(type, bytes.count)
            }
            // Each offset is a byte of `layout`; 0 means the type has no such field. Offset 0
            // is always readable (the length check passed) and its value is masked away.
            @inline(__always) func offset(_ shift: UInt64) -> Int { Int(truncatingIfNeeded: (layout >> shift) & 0xFF) }
            @inline(__always) func mask64(_ shift: UInt64) -> UInt64 { 0 &- (((layout >> shift) & 0xFF) &+ 0xFF) >> 8 }
            // &- and &+ : the mask is 0 - (1 if the offset is nonzero else 0), all ones or zero.
            let ref = _UnsafeBigEndian.u64(p, offset(8)) & mask64(8)
            let newRef = _UnsafeBigEndian.u64(p, offset(16)) & mask64(16)
            let side = _UnsafeBigEndian.u8(p, offset(24)) & UInt8(truncatingIfNeeded: mask64(24))
            let shares = _UnsafeBigEndian.u32(p, offset(32)) & UInt32(truncatingIfNeeded: mask64(32))
            let price = _UnsafeBigEndian.u32(p, offset(40)) & UInt32(truncatingIfNeeded: mask64(40))
            let match = _UnsafeBigEndian.u64(p, offset(48)) & mask64(48)
            let printable = _UnsafeBigEndian.u8(p, offset(56)) & UInt8(truncatingIfNeeded: mask64(56))
            return OrderFields(
                messageType: type, side: Side(rawValue: side), printable: printable,
                stockLocate: StockLocate(_UnsafeBigEndian.u16(p, 1)), timestamp: Timestamp(_UnsafeBigEndian.u48(p, 5)),
                orderRef: OrderRef(ref), newOrderRef: OrderRef(newRef), shares: Qty(shares), price: Price(price),
                matchNumber: MatchNumber(match))
        }

        /// A type's spec length and field offsets packed in one integer, byte by byte from the
        /// lowest: length, orderRef, newOrderRef, side, shares, price, matchNumber, printable.
        /// Length 0: unknown type. A switch of constants compiles to one table load.
        @inlinable @inline(__always)
        static func _layout(_ type: UInt8) -> UInt64 {
            switch type {
            case 0x41: return 0x00_00_20_14_13_00_0B_24  // A 36
            case 0x46: return 0x00_00_20_14_13_00_0B_28  // F 40
            case 0x45: return 0x00_17_00_13_00_00_0B_1F  // E 31
            case 0x43: return 0x1F_17_20_13_00_00_0B_24  // C 36
            case 0x58: return 0x00_00_00_13_00_00_0B_17  // X 23
            case 0x44: return 0x00_00_00_00_00_00_0B_13  // D 19
            case 0x55: return 0x00_00_1F_1B_00_13_0B_23  // U 35
            case 0x50: return 0x00_24_20_14_13_00_0B_2C  // P 44
            case 0x53: return 12  // S
            case 0x52: return 39  // R
            case 0x48: return 25  // H
            case 0x59: return 20  // Y
            case 0x4c: return 26  // L
            case 0x56: return 35  // V
            case 0x57: return 12  // W
            case 0x4b: return 28  // K
            case 0x4a: return 35  // J
            case 0x68: return 21  // h
            case 0x51: return 40  // Q
            case 0x42: return 19  // B
            case 0x49: return 50  // I
            case 0x4e: return 20  // N
            case 0x4f: return 48  // O
            default: return 0
            }
        }

        /// Out of line: only malformed input gets here.
        @usableFromInline @inline(never)
        static func _layoutError(_ type: UInt8, _ count: Int) -> WireError {
            guard let expected = ITCHMessage.specLength(ofType: type) else { return .unknownType(offset: 0, type: type) }
            return ITCHMessage._sizeError(type, expected, count)
        }
    }
}
