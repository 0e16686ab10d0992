#!/usr/bin/env python3
"""Generates Sources/QuorumWire/ITCH-Messages.swift from the field table below.

The table is the single written-down layout of ITCH 5.0 (offsets are from the type byte,
which is offset 0; every message starts with type, stock locate @1, tracking number @3 and a
6-byte timestamp @5, which the generated code handles as `ITCH.Header`). Keeping the layout
as data means the Swift offsets cannot drift from the lengths: the script asserts that the
fields tile each message exactly.

Run: python3 tools/codegen/itch_messages.py > Sources/QuorumWire/ITCH-Messages.swift
"""

# kind -> (swift type, width, load expr template, store expr template)
KINDS = {
    "char":   ("UInt8",       1, "_UnsafeBigEndian.u8(p, {o})",                   "_UnsafeBigEndian.put8(p, {o}, {v})"),
    "side":   ("Side",        1, "Side(rawValue: _UnsafeBigEndian.u8(p, {o}))",   "_UnsafeBigEndian.put8(p, {o}, {v}.rawValue)"),
    "u16":    ("UInt16",      2, "_UnsafeBigEndian.u16(p, {o})",                  "_UnsafeBigEndian.put16(p, {o}, {v})"),
    "u32":    ("UInt32",      4, "_UnsafeBigEndian.u32(p, {o})",                  "_UnsafeBigEndian.put32(p, {o}, {v})"),
    "u64":    ("UInt64",      8, "_UnsafeBigEndian.u64(p, {o})",                  "_UnsafeBigEndian.put64(p, {o}, {v})"),
    "qty":    ("Qty",         4, "Qty(_UnsafeBigEndian.u32(p, {o}))",             "_UnsafeBigEndian.put32(p, {o}, {v}.rawValue)"),
    "price":  ("Price",       4, "Price(_UnsafeBigEndian.u32(p, {o}))",           "_UnsafeBigEndian.put32(p, {o}, {v}.rawValue)"),
    "price8": ("Price8",      8, "Price8(_UnsafeBigEndian.u64(p, {o}))",          "_UnsafeBigEndian.put64(p, {o}, {v}.rawValue)"),
    "ref":    ("OrderRef",    8, "OrderRef(_UnsafeBigEndian.u64(p, {o}))",        "_UnsafeBigEndian.put64(p, {o}, {v}.rawValue)"),
    "match":  ("MatchNumber", 8, "MatchNumber(_UnsafeBigEndian.u64(p, {o}))",     "_UnsafeBigEndian.put64(p, {o}, {v}.rawValue)"),
    "stock":  ("Stock",       8, "Stock(rawValue: _UnsafeBigEndian.u64(p, {o}))", "_UnsafeBigEndian.put64(p, {o}, {v}.rawValue)"),
    "mpid":   ("MPID",        4, "MPID(rawValue: _UnsafeBigEndian.u32(p, {o}))",  "_UnsafeBigEndian.put32(p, {o}, {v}.rawValue)"),
}

# (type char, Swift name, case name, spec length, doc, [(field, kind, doc)])
MESSAGES = [
    ("S", "SystemEvent", "systemEvent", 12, "System Event: start/end of messages, system hours, market hours.",
     [("eventCode", "char", "O, S, Q, M, E or C.")]),
    ("R", "StockDirectory", "stockDirectory", 39, "Stock Directory: one per symbol at start of day; binds a stock locate to a symbol.",
     [("stock", "stock", ""), ("marketCategory", "char", ""), ("financialStatusIndicator", "char", ""),
      ("roundLotSize", "u32", ""), ("roundLotsOnly", "char", ""), ("issueClassification", "char", ""),
      ("issueSubType", "u16", "Two ASCII characters, kept as their big-endian integer."),
      ("authenticity", "char", ""), ("shortSaleThresholdIndicator", "char", ""), ("ipoFlag", "char", ""),
      ("luldReferencePriceTier", "char", ""), ("etpFlag", "char", ""), ("etpLeverageFactor", "u32", ""),
      ("inverseIndicator", "char", "")]),
    ("H", "StockTradingAction", "stockTradingAction", 25, "Stock Trading Action: halted, paused, quotation-only or trading.",
     [("stock", "stock", ""), ("tradingState", "char", "H, P, Q or T."), ("reserved", "char", ""),
      ("reason", "u32", "Four ASCII characters, kept as their big-endian integer.")]),
    ("Y", "RegSHORestriction", "regSHORestriction", 20, "Reg SHO Short Sale Price Test Restricted Indicator.",
     [("stock", "stock", ""), ("regSHOAction", "char", "")]),
    ("L", "MarketParticipantPosition", "marketParticipantPosition", 26, "Market Participant Position.",
     [("mpid", "mpid", ""), ("stock", "stock", ""), ("primaryMarketMaker", "char", ""),
      ("marketMakerMode", "char", ""), ("marketParticipantState", "char", "")]),
    ("V", "MWCBDeclineLevel", "mwcbDeclineLevel", 35, "Market-Wide Circuit Breaker decline levels (8 implied decimals).",
     [("level1", "price8", ""), ("level2", "price8", ""), ("level3", "price8", "")]),
    ("W", "MWCBStatus", "mwcbStatus", 12, "Market-Wide Circuit Breaker breach.",
     [("breachedLevel", "char", "")]),
    ("K", "IPOQuotingPeriodUpdate", "ipoQuotingPeriodUpdate", 28, "IPO Quoting Period Update.",
     [("stock", "stock", ""), ("ipoQuotationReleaseTime", "u32", "Seconds since midnight."),
      ("ipoQuotationReleaseQualifier", "char", ""), ("ipoPrice", "price", "")]),
    ("J", "LULDAuctionCollar", "luldAuctionCollar", 35, "Limit Up – Limit Down Auction Collar.",
     [("stock", "stock", ""), ("auctionCollarReferencePrice", "price", ""), ("upperAuctionCollarPrice", "price", ""),
      ("lowerAuctionCollarPrice", "price", ""), ("auctionCollarExtension", "u32", "")]),
    ("h", "OperationalHalt", "operationalHalt", 21, "Operational Halt on one market centre.",
     [("stock", "stock", ""), ("marketCode", "char", ""), ("operationalHaltAction", "char", "")]),
    ("A", "AddOrder", "addOrder", 36, "Add Order without MPID attribution.",
     [("orderRef", "ref", ""), ("side", "side", ""), ("shares", "qty", ""), ("stock", "stock", ""), ("price", "price", "")]),
    ("F", "AddOrderMPID", "addOrderMPID", 40, "Add Order with MPID attribution.",
     [("orderRef", "ref", ""), ("side", "side", ""), ("shares", "qty", ""), ("stock", "stock", ""), ("price", "price", ""),
      ("attribution", "mpid", "")]),
    ("E", "OrderExecuted", "orderExecuted", 31, "Order Executed at the order's own price.",
     [("orderRef", "ref", ""), ("executedShares", "qty", ""), ("matchNumber", "match", "")]),
    ("C", "OrderExecutedWithPrice", "orderExecutedWithPrice", 36, "Order Executed at a price other than the order's.",
     [("orderRef", "ref", ""), ("executedShares", "qty", ""), ("matchNumber", "match", ""), ("printable", "char", "Y or N."),
      ("executionPrice", "price", "")]),
    ("X", "OrderCancel", "orderCancel", 23, "Order Cancel: removes part of an order's shares.",
     [("orderRef", "ref", ""), ("cancelledShares", "qty", "")]),
    ("D", "OrderDelete", "orderDelete", 19, "Order Delete: removes the whole order.",
     [("orderRef", "ref", "")]),
    ("U", "OrderReplace", "orderReplace", 35, "Order Replace: cancels an order and adds a new one on the same side (priority lost).",
     [("originalOrderRef", "ref", ""), ("newOrderRef", "ref", ""), ("shares", "qty", ""), ("price", "price", "")]),
    ("P", "Trade", "trade", 44, "Trade (non-cross) against a non-displayed order; does not change the visible book.",
     [("orderRef", "ref", ""), ("side", "side", ""), ("shares", "qty", ""), ("stock", "stock", ""), ("price", "price", ""),
      ("matchNumber", "match", "")]),
    ("Q", "CrossTrade", "crossTrade", 40, "Cross Trade: the opening, closing, IPO or halt cross.",
     [("shares", "u64", ""), ("stock", "stock", ""), ("crossPrice", "price", ""), ("matchNumber", "match", ""),
      ("crossType", "char", "")]),
    ("B", "BrokenTrade", "brokenTrade", 19, "Broken Trade.",
     [("matchNumber", "match", "")]),
    ("I", "NOII", "noii", 50, "Net Order Imbalance Indicator.",
     [("pairedShares", "u64", ""), ("imbalanceShares", "u64", ""), ("imbalanceDirection", "char", ""), ("stock", "stock", ""),
      ("farPrice", "price", ""), ("nearPrice", "price", ""), ("currentReferencePrice", "price", ""), ("crossType", "char", ""),
      ("priceVariationIndicator", "char", "")]),
    ("N", "RetailPriceImprovementIndicator", "retailPriceImprovementIndicator", 20, "Retail Price Improvement Indicator.",
     [("stock", "stock", ""), ("interestFlag", "char", "")]),
    ("O", "DirectListingWithCapitalRaise", "directListingWithCapitalRaise", 48,
     "Direct Listing with Capital Raise Price Discovery.",
     [("stock", "stock", ""), ("openEligibilityStatus", "char", ""), ("minimumAllowablePrice", "price", ""),
      ("maximumAllowablePrice", "price", ""), ("nearExecutionPrice", "price", ""), ("nearExecutionTime", "u64", ""),
      ("lowerPriceRangeCollar", "price", ""), ("upperPriceRangeCollar", "price", "")]),
]

out = []
w = out.append
w("// GENERATED by tools/codegen/itch_messages.py from its field table — edit the table, not this file.")
w("//")
w("// One struct per ITCH 5.0 message type. Offsets count from the type byte (offset 0); bytes")
w("// 1..<11 are the common header (stock locate, tracking number, 6-byte timestamp).")
w("")
for (ch, name, case, length, doc, fields) in MESSAGES:
    off = 11
    layout = []
    for (f, k, d) in fields:
        layout.append((f, k, d, off))
        off += KINDS[k][1]
    assert off == length, (name, off, length)
    w("extension ITCH {")
    w(f"    /// `{ch}` — {doc}")
    w("    ///")
    w(f"    /// Spec length {length} bytes. Layout (offset: field):")
    w("    /// `0: type · 1: stockLocate · 3: trackingNumber · 5: timestamp(6)` then")
    w("    /// `" + " · ".join(f"{o}: {f}" for (f, k, d, o) in layout) + "`.")
    w(f"    @frozen public struct {name}: ITCHMessageBody {{")
    w(f"        public static let messageType: UInt8 = 0x{ord(ch):02x}  // '{ch}'")
    w(f"        public static let length = {length}")
    w("        public var header: ITCH.Header")
    for (f, k, d, o) in layout:
        if d:
            w(f"        /// {d}")
        w(f"        public var {f}: {KINDS[k][0]}")
    w("")
    params = ", ".join(f"{f}: {KINDS[k][0]}" for (f, k, d, o) in layout)
    w("        @inlinable")
    w(f"        public init(header: ITCH.Header, {params}) {{")
    w("            self.header = header")
    for (f, k, d, o) in layout:
        w(f"            self.{f} = {f}")
    w("        }")
    w("")
    w("        /// Reads the fields in place. The caller has checked that `p` has `length` bytes.")
    w("        @inlinable @inline(__always)")
    w("        public init(_unchecked p: UnsafeRawPointer) {")
    w("            self.header = ITCH.Header(_unchecked: p)")
    for (f, k, d, o) in layout:
        w(f"            self.{f} = " + KINDS[k][2].format(o=o))
    w("        }")
    w("")
    w("        /// Writes all `length` bytes. The caller has checked that `p` has room for them.")
    w("        @inlinable @inline(__always)")
    w("        public func _encode(unchecked p: UnsafeMutableRawPointer) {")
    w("            _UnsafeBigEndian.put8(p, 0, Self.messageType)")
    w("            header._encode(unchecked: p)")
    for (f, k, d, o) in layout:
        w("            " + KINDS[k][3].format(o=o, v="self." + f))
    w("        }")
    w("    }")
    w("}")
    w("")

# The tagged union and its dispatch.
w("/// Any ITCH 5.0 message, decoded. Fixed size, no references: safe to copy into rings.")
w("@frozen public enum ITCHMessage: Equatable, Sendable, BitwiseCopyable {")
for (ch, name, case, length, doc, fields) in MESSAGES:
    w(f"    case {case}(ITCH.{name})")
w("}")
w("")
w("extension ITCHMessage {")
w("    /// The spec length of a message type, or nil if the type is unknown.")
w("    ///")
w("    /// - Complexity: O(1).")
w("    @inlinable")
w("    public static func specLength(ofType type: UInt8) -> Int? {")
w("        switch type {")
for (ch, name, case, length, doc, fields) in MESSAGES:
    w(f"        case 0x{ord(ch):02x}: return {length}  // '{ch}'")
w("        default: return nil")
w("        }")
w("    }")
w("")
w("    /// Every message type byte of ITCH 5.0, in spec order.")
w("    public static let allTypes: [UInt8] = [" + ", ".join(f"0x{ord(ch):02x}" for (ch, *_ ) in MESSAGES) + "]")
w("")
w("    /// Decodes one message whose bytes are exactly `bytes` (as delivered by a framing layer).")
w("    ///")
w("    /// Reports a truncated buffer, an unknown type, or a length other than the spec's; the")
w("    /// offsets in the error are relative to `bytes`.")
w("    /// - Complexity: O(1); reads only the message's own bytes; never allocates.")
w("    @inlinable")
w("    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> ITCHMessage {")
w("        guard let p = bytes.baseAddress, bytes.count > 0 else {")
w("            throw .truncated(offset: 0, needed: 1, available: 0)")
w("        }")
w("        let type = _UnsafeBigEndian.u8(p, 0)")
w("        let n = bytes.count")
w("        switch type {")
for (ch, name, case, length, doc, fields) in MESSAGES:
    w(f"        case 0x{ord(ch):02x}:")
    w(f"            guard n == {length} else {{ throw ITCHMessage._sizeError(type, {length}, n) }}")
    w(f"            return .{case}(ITCH.{name}(_unchecked: p))")
w("        default:")
w("            throw .unknownType(offset: 0, type: type)")
w("        }")
w("    }")
w("")
w("    /// The message's type byte.")
w("    @inlinable public var messageType: UInt8 {")
w("        switch self {")
for (ch, name, case, length, doc, fields) in MESSAGES:
    w(f"        case .{case}: return 0x{ord(ch):02x}")
w("        }")
w("    }")
w("")
w("    /// The spec length of this message.")
w("    @inlinable public var length: Int {")
w("        switch self {")
for (ch, name, case, length, doc, fields) in MESSAGES:
    w(f"        case .{case}: return {length}")
w("        }")
w("    }")
w("")
w("    /// The common header (stock locate, tracking number, timestamp).")
w("    @inlinable public var header: ITCH.Header {")
w("        switch self {")
for (ch, name, case, length, doc, fields) in MESSAGES:
    w(f"        case .{case}(let m): return m.header")
w("        }")
w("    }")
w("")
w("    /// Writes the message into the start of `buffer` and returns the number of bytes written.")
w("    ///")
w("    /// - Complexity: O(1); never allocates.")
w("    @inlinable")
w("    public func encode(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {")
w("        let n = length")
w("        guard let p = buffer.baseAddress, buffer.count >= n else {")
w("            throw .truncated(offset: 0, needed: n, available: buffer.count)")
w("        }")
w("        switch self {")
for (ch, name, case, length, doc, fields) in MESSAGES:
    w(f"        case .{case}(let m): m._encode(unchecked: p)")
w("        }")
w("        return n")
w("    }")
w("}")
print("\n".join(out))
