// The one place record types are registered: number, name, and the payload layout of every
// version that was ever written. Rules that keep old journals readable:
//  - a type number is never reused;
//  - a new version only appends fields after the previous version's (a v1 reader reads the
//    v1 prefix of a v2 record; a v2 reader decodes a v1 record with the v1 layout);
//  - the record header's `version` field says which layout its payload has.

/// A record type number (the header's `u16 type`).
@frozen
public struct JournalRecordType: RawRepresentable, Hashable, Sendable, Comparable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// A state hash after every record before it (replay proves it reaches the same state).
    @inlinable public static var checkpoint: JournalRecordType { JournalRecordType(1) }
    /// A timer tick the coordinator consumed.
    @inlinable public static var timerTick: JournalRecordType { JournalRecordType(2) }
    /// An operator command (UTF-8 text).
    @inlinable public static var operatorCommand: JournalRecordType { JournalRecordType(3) }
    /// A market update the coordinator acted on.
    @inlinable public static var marketUpdate: JournalRecordType { JournalRecordType(16) }
    /// An agent intent (signal, target, order request).
    @inlinable public static var agentIntent: JournalRecordType { JournalRecordType(17) }
    /// An execution report from the venue.
    @inlinable public static var executionReport: JournalRecordType { JournalRecordType(18) }
    /// Records written by `quorum journal demo-write` and the tests.
    @inlinable public static var demo: JournalRecordType { JournalRecordType(0xF000) }
    /// The coordinator's inputs (QuorumEngine's CoordinatorRecords, little-endian fields).
    @inlinable public static var coordinatorSession: JournalRecordType { JournalRecordType(0x0200) }
    @inlinable public static var coordinatorMarket: JournalRecordType { JournalRecordType(0x0201) }
    @inlinable public static var coordinatorFill: JournalRecordType { JournalRecordType(0x0202) }
    @inlinable public static var coordinatorOrderClosed: JournalRecordType { JournalRecordType(0x0203) }
    @inlinable public static var coordinatorDirective: JournalRecordType { JournalRecordType(0x0204) }
    @inlinable public static var coordinatorOverrun: JournalRecordType { JournalRecordType(0x0205) }
}

/// How one payload field is stored.
public enum JournalFieldKind: Sendable, Equatable {
    case u8, u16, u32, u64, i64, f64
    /// A price or quantity with 4 implied decimals (ITCH), stored as i64.
    case fixed4
    /// The rest of the payload as UTF-8 text.
    case utf8Rest
    /// The rest of the payload as bytes (shown in hex).
    case bytesRest

    var size: Int {
        switch self {
        case .u8: return 1
        case .u16: return 2
        case .u32: return 4
        case .u64, .i64, .f64, .fixed4: return 8
        case .utf8Rest, .bytesRest: return 0
        }
    }
}

public struct JournalField: Sendable, Equatable {
    public var name: String
    public var offset: Int
    public var kind: JournalFieldKind
    public init(_ name: String, _ offset: Int, _ kind: JournalFieldKind) {
        self.name = name
        self.offset = offset
        self.kind = kind
    }
}

/// One registered type: its name and the field list of each version (index 0 is v1).
public struct JournalRecordSchema: Sendable {
    public var type: JournalRecordType
    public var name: String
    public var versions: [[JournalField]]
    public var currentVersion: UInt16 { UInt16(versions.count) }

    /// The fields of `version`; a version newer than this reader knows is read with the
    /// newest layout it knows (newer versions only append fields).
    public func fields(version: UInt16) -> [JournalField] {
        let v = Int(max(1, min(version, currentVersion)))
        return versions[v - 1]
    }
}

/// The registry. Adding a type: add a `JournalRecordType` constant above and a schema here.
public enum JournalRecordRegistry {
    public static let schemas: [JournalRecordSchema] = [
        JournalRecordSchema(type: .checkpoint, name: "checkpoint", versions: [
            [JournalField("state_hash", 0, .u64)],
        ]),
        JournalRecordSchema(type: .timerTick, name: "timer_tick", versions: [
            [JournalField("tick_ns", 0, .u64)],
        ]),
        JournalRecordSchema(type: .operatorCommand, name: "operator_command", versions: [
            [JournalField("text", 0, .utf8Rest)],
        ]),
        JournalRecordSchema(type: .marketUpdate, name: "market_update", versions: [
            [JournalField("symbol", 0, .u32), JournalField("side", 4, .u8), JournalField("kind", 5, .u8),
             JournalField("price", 8, .fixed4), JournalField("qty", 16, .fixed4), JournalField("exchange_ns", 24, .u64)],
        ]),
        JournalRecordSchema(type: .agentIntent, name: "agent_intent", versions: [
            [JournalField("agent", 0, .u32), JournalField("symbol", 4, .u32), JournalField("side", 8, .u8),
             JournalField("confidence", 16, .f64), JournalField("qty", 24, .fixed4)],
        ]),
        JournalRecordSchema(type: .executionReport, name: "execution_report", versions: [
            [JournalField("order_id", 0, .u64), JournalField("symbol", 8, .u32), JournalField("status", 12, .u8),
             JournalField("price", 16, .fixed4), JournalField("qty", 24, .fixed4)],
        ]),
        // The coordinator's inputs; layouts in QuorumEngine/CoordinatorRecords.swift.
        JournalRecordSchema(type: .coordinatorSession, name: "coordinator_session", versions: [
            [JournalField("setup", 0, .utf8Rest)],
        ]),
        JournalRecordSchema(type: .coordinatorMarket, name: "coordinator_market", versions: [
            [JournalField("locate", 0, .u16), JournalField("stock", 2, .u64), JournalField("feed_seq", 10, .u64),
             JournalField("exchange_ns", 18, .u64), JournalField("receive_ns", 26, .u64), JournalField("changes", 34, .u8),
             JournalField("bid_price", 35, .u32), JournalField("bid_qty", 39, .u64),
             JournalField("ask_price", 47, .u32), JournalField("ask_qty", 51, .u64)],
        ]),
        JournalRecordSchema(type: .coordinatorFill, name: "coordinator_fill", versions: [
            [JournalField("order", 0, .u64), JournalField("symbol", 8, .u16), JournalField("direction", 10, .u8),
             JournalField("qty", 11, .i64), JournalField("price_ticks", 19, .i64), JournalField("time_ns", 27, .u64)],
        ]),
        JournalRecordSchema(type: .coordinatorOrderClosed, name: "coordinator_order_closed", versions: [
            [JournalField("symbol", 0, .u16), JournalField("order", 2, .u64), JournalField("unfilled", 10, .i64),
             JournalField("time_ns", 18, .u64)],
        ]),
        JournalRecordSchema(type: .coordinatorDirective, name: "coordinator_directive", versions: [
            [JournalField("kind", 0, .u8), JournalField("team", 1, .u8), JournalField("issuer", 2, .u16),
             JournalField("fraction", 4, .f64), JournalField("time_ns", 12, .u64)],
        ]),
        JournalRecordSchema(type: .coordinatorOverrun, name: "coordinator_overrun", versions: [
            [JournalField("agent", 0, .u16), JournalField("nanos", 2, .u64), JournalField("time_ns", 10, .u64)],
        ]),
        // v1: a counter and filler; v2 appended `value` (see JournalDemo).
        JournalRecordSchema(type: .demo, name: "demo", versions: [
            [JournalField("counter", 0, .u64), JournalField("filler", 8, .bytesRest)],
            [JournalField("counter", 0, .u64), JournalField("value", 8, .i64), JournalField("filler", 16, .bytesRest)],
        ]),
    ]

    public static func schema(for type: JournalRecordType) -> JournalRecordSchema? {
        schemas.first { $0.type == type }
    }

    /// The registered name, or `type_0x1234` for an unknown type.
    public static func name(of type: JournalRecordType) -> String {
        schema(for: type)?.name ?? "type_0x" + String(type.rawValue, radix: 16)
    }

    /// The type a name (or a number, decimal or 0x-hex) refers to.
    public static func type(named name: String) -> JournalRecordType? {
        if let s = schemas.first(where: { $0.name == name }) { return s.type }
        if name.hasPrefix("type_0x"), let v = UInt16(name.dropFirst(7), radix: 16) { return JournalRecordType(v) }
        if name.hasPrefix("0x"), let v = UInt16(name.dropFirst(2), radix: 16) { return JournalRecordType(v) }
        return UInt16(name).map { JournalRecordType($0) }
    }

    /// Decoded `(name, value)` pairs of a payload, or nil for an unregistered type. Fields the
    /// payload is too short for are left out.
    public static func decode(type: JournalRecordType, version: UInt16, payload: UnsafeRawBufferPointer) -> [(String, String)]? {
        guard let schema = schema(for: type) else { return nil }
        var out: [(String, String)] = []
        for f in schema.fields(version: version) {
            let end = f.offset + f.kind.size
            guard end <= payload.count, let p = payload.baseAddress else { break }
            switch f.kind {
            case .u8: out.append((f.name, String(p.load(fromByteOffset: f.offset, as: UInt8.self))))
            case .u16: out.append((f.name, String(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: f.offset, as: UInt16.self)))))
            case .u32: out.append((f.name, String(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: f.offset, as: UInt32.self)))))
            case .u64: out.append((f.name, String(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: f.offset, as: UInt64.self)))))
            case .i64: out.append((f.name, String(Int64(littleEndian: p.loadUnaligned(fromByteOffset: f.offset, as: Int64.self)))))
            case .f64:
                let bits = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: f.offset, as: UInt64.self))
                out.append((f.name, String(Double(bitPattern: bits))))
            case .fixed4:
                let v = Int64(littleEndian: p.loadUnaligned(fromByteOffset: f.offset, as: Int64.self))
                out.append((f.name, _formatFixed4(v)))
            case .utf8Rest:
                let rest = UnsafeRawBufferPointer(rebasing: payload[f.offset...])
                out.append((f.name, String(decoding: rest, as: UTF8.self)))
            case .bytesRest:
                let rest = UnsafeRawBufferPointer(rebasing: payload[f.offset...])
                out.append((f.name, _hex(rest, limit: 32)))
            }
        }
        return out
    }
}

func _formatFixed4(_ v: Int64) -> String {
    let sign = v < 0 ? "-" : ""
    let m = v.magnitude
    let frac = String(m % 10_000)
    return sign + String(m / 10_000) + "." + String(repeating: "0", count: 4 - frac.count) + frac
}

/// Lower-case hex of `bytes`; with a limit, the first `limit` bytes and "…".
func _hex(_ bytes: UnsafeRawBufferPointer, limit: Int = .max) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    let n = min(bytes.count, limit)
    var out = [UInt8]()
    out.reserveCapacity(n * 2 + 3)
    for i in 0..<n {
        let b = bytes[i]
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    var s = String(decoding: out, as: UTF8.self)
    if n < bytes.count { s += "…" }
    return s
}
