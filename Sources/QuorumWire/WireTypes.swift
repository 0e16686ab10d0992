// Strong types for the integers that travel in market-data messages. Each wraps exactly the
// width ITCH puts on the wire so a decoded struct has no padding surprises and a price can
// never be passed where a quantity was meant.

/// A price with ITCH's 4 implied decimals (`Price(4)`): 91.14 USD is `Price(911400)`.
@frozen public struct Price: RawRepresentable, Hashable, Comparable, Sendable, BitwiseCopyable,
    CustomStringConvertible
{
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public static func < (a: Price, b: Price) -> Bool { a.rawValue < b.rawValue }
    @inlinable public static var zero: Price { Price(0) }
    /// The largest price ITCH can carry; also the "market order" sentinel in some feeds.
    public static let max = Price(UInt32.max)
    public var description: String {
        let whole = rawValue / 10_000
        let frac = rawValue % 10_000
        let f = String(frac)
        return "\(whole)." + String(repeating: "0", count: 4 - f.count) + f
    }
}

/// A price with 8 implied decimals (`Price(8)`), used only by the MWCB decline levels.
@frozen public struct Price8: RawRepresentable, Hashable, Sendable, BitwiseCopyable {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }
}

/// A number of shares as carried by order messages (4 bytes on the wire).
@frozen public struct Qty: RawRepresentable, Hashable, Comparable, Sendable, BitwiseCopyable,
    CustomStringConvertible
{
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public static func < (a: Qty, b: Qty) -> Bool { a.rawValue < b.rawValue }
    @inlinable public static var zero: Qty { Qty(0) }
    public var description: String { String(rawValue) }
}

/// The order reference number: unique per day across all symbols.
@frozen public struct OrderRef: RawRepresentable, Hashable, Sendable, BitwiseCopyable,
    CustomStringConvertible
{
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// The per-day integer NASDAQ assigns to a symbol in the stock directory (R) message.
/// Locate 0 is reserved for messages that concern no symbol (system events).
@frozen public struct StockLocate: RawRepresentable, Hashable, Sendable, BitwiseCopyable,
    CustomStringConvertible
{
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// Nanoseconds since midnight (48 bits on the wire).
@frozen public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable,
    BitwiseCopyable, CustomStringConvertible
{
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public static func < (a: Timestamp, b: Timestamp) -> Bool { a.rawValue < b.rawValue }
    /// The largest value a 6-byte timestamp can hold.
    public static let max48 = Timestamp((1 << 48) - 1)

    /// `HH:MM:SS.nnnnnnnnn`.
    public var description: String {
        let ns = rawValue % 1_000_000_000
        var s = rawValue / 1_000_000_000
        let h = s / 3600
        s %= 3600
        func pad(_ v: UInt64, _ w: Int) -> String {
            let t = String(v)
            return String(repeating: "0", count: Swift.max(0, w - t.count)) + t
        }
        return "\(pad(h, 2)):\(pad(s / 60, 2)):\(pad(s % 60, 2)).\(pad(ns, 9))"
    }

    /// Parses `HH:MM:SS`, `HH:MM:SS.f…` (up to 9 fractional digits). Returns nil on anything else.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let h = UInt64(parts[0]), let m = UInt64(parts[1]), h < 24, m < 60
        else { return nil }
        let secParts = parts[2].split(separator: ".", omittingEmptySubsequences: false)
        guard secParts.count <= 2, let s = UInt64(secParts[0]), s < 60 else { return nil }
        var ns: UInt64 = 0
        if secParts.count == 2 {
            let frac = secParts[1]
            guard !frac.isEmpty, frac.count <= 9, let f = UInt64(frac) else { return nil }
            ns = f
            for _ in frac.count..<9 { ns *= 10 }
        }
        self.rawValue = ((h * 60 + m) * 60 + s) * 1_000_000_000 + ns
    }
}

/// The match number NASDAQ gives each execution (unique per day).
@frozen public struct MatchNumber: RawRepresentable, Hashable, Sendable, BitwiseCopyable {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }
}

/// Buy/sell indicator as its wire byte. Not an enum: a byte that is neither `B` nor `S`
/// must survive decode → encode unchanged and be rejected by the book, not by the codec.
@frozen public struct Side: RawRepresentable, Hashable, Sendable, BitwiseCopyable,
    CustomStringConvertible
{
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    // Computed, not stored: a cross-module `static let` is read through an addressor call.
    @inlinable public static var buy: Side { Side(rawValue: 0x42) }  // "B"
    @inlinable public static var sell: Side { Side(rawValue: 0x53) }  // "S"
    @inlinable public var isValid: Bool { self == .buy || self == .sell }
    @inlinable public var opposite: Side { self == .buy ? .sell : .buy }
    public var description: String { self == .buy ? "buy" : self == .sell ? "sell" : "side(\(rawValue))" }
}

/// An 8-byte, space-padded, left-justified ASCII symbol, kept as the big-endian integer of
/// its bytes so that comparing and hashing symbols costs one integer operation.
@frozen public struct Stock: RawRepresentable, Hashable, Sendable, BitwiseCopyable,
    CustomStringConvertible
{
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Pads with spaces; characters past the eighth are dropped.
    public init(_ text: String) {
        var v: UInt64 = 0
        var bytes = Array(text.utf8.prefix(8))
        while bytes.count < 8 { bytes.append(0x20) }
        for b in bytes { v = v << 8 | UInt64(b) }
        rawValue = v
    }

    /// The symbol without its padding.
    public var description: String {
        var bytes: [UInt8] = []
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: rawValue >> UInt64(56 - 8 * i))) }
        while let last = bytes.last, last == 0x20 || last == 0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A 4-byte ASCII market participant identifier (MPID / attribution).
@frozen public struct MPID: RawRepresentable, Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ text: String) {
        var v: UInt32 = 0
        var bytes = Array(text.utf8.prefix(4))
        while bytes.count < 4 { bytes.append(0x20) }
        for b in bytes { v = v << 8 | UInt32(b) }
        rawValue = v
    }
    public var description: String {
        var bytes: [UInt8] = []
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: rawValue >> UInt32(24 - 8 * i))) }
        while let last = bytes.last, last == 0x20 || last == 0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
