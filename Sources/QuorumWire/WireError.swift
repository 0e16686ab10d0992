/// What was wrong with a piece of market data, and where.
///
/// `offset` is the byte offset of the offending message (or packet) from the start of the
/// buffer the caller handed in; readers that walk a file or packet add their own position so
/// that the offset a user sees is the offset in the file.
@frozen public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the message or header needs.
    case truncated(offset: Int, needed: Int, available: Int)
    /// A message type byte this codec does not know.
    case unknownType(offset: Int, type: UInt8)
    /// A framed message whose declared length differs from the spec length of its type.
    case lengthMismatch(offset: Int, type: UInt8, expected: Int, actual: Int)
    /// A field whose value the protocol does not allow (e.g. a non-numeric sequence number).
    case invalidField(offset: Int, field: StaticString, value: UInt64)

    public var offset: Int {
        switch self {
        case .truncated(let o, _, _), .unknownType(let o, _), .lengthMismatch(let o, _, _, _),
            .invalidField(let o, _, _):
            return o
        }
    }

    /// The same error with its offset moved by `base` bytes.
    @inlinable public func shifted(by base: Int) -> WireError {
        switch self {
        case .truncated(let o, let n, let a): return .truncated(offset: o + base, needed: n, available: a)
        case .unknownType(let o, let t): return .unknownType(offset: o + base, type: t)
        case .lengthMismatch(let o, let t, let e, let a):
            return .lengthMismatch(offset: o + base, type: t, expected: e, actual: a)
        case .invalidField(let o, let f, let v): return .invalidField(offset: o + base, field: f, value: v)
        }
    }

    public var description: String {
        func typeName(_ t: UInt8) -> String {
            (0x20..<0x7f).contains(t) ? "'\(Character(Unicode.Scalar(t)))' (0x\(String(t, radix: 16)))"
                : "0x\(String(t, radix: 16))"
        }
        switch self {
        case .truncated(let o, let n, let a):
            return "byte offset \(o): truncated message: needs \(n) bytes, \(a) available"
        case .unknownType(let o, let t):
            return "byte offset \(o): unknown message type \(typeName(t))"
        case .lengthMismatch(let o, let t, let e, let a):
            return "byte offset \(o): message type \(typeName(t)) has length \(a), spec length is \(e)"
        case .invalidField(let o, let f, let v):
            return "byte offset \(o): field \(f) has invalid value \(v)"
        }
    }

    public static func == (a: WireError, b: WireError) -> Bool {
        switch (a, b) {
        case let (.truncated(o1, n1, a1), .truncated(o2, n2, a2)): return o1 == o2 && n1 == n2 && a1 == a2
        case let (.unknownType(o1, t1), .unknownType(o2, t2)): return o1 == o2 && t1 == t2
        case let (.lengthMismatch(o1, t1, e1, a1), .lengthMismatch(o2, t2, e2, a2)):
            return o1 == o2 && t1 == t2 && e1 == e2 && a1 == a2
        case let (.invalidField(o1, f1, v1), .invalidField(o2, f2, v2)):
            return o1 == o2 && "\(f1)" == "\(f2)" && v1 == v2
        default: return false
        }
    }
}
