import Synchronization

// The state image: the bytes a snapshot's blob holds. Each stateful object writes its fields
// in a fixed order, plain values (numbers, enums, structs of them) as their in-memory bytes
// and each array or buffer as its element count followed by its elements; a section mark
// (a hash of the object's name) opens each object so that a reader out of step says where.
//
//  section  u64 FNV-1a of the name
//  value    MemoryLayout<T>.size bytes
//  array    u64 count · count × MemoryLayout<T>.stride bytes
//
// Padding bytes (between a struct's fields, and after its last field up to its stride) are
// written as zeros for the types that list their fields (`StateImagePadded`), so an image
// depends on the state alone, not on what the memory under a value held before; the same
// state makes the same bytes in any process.
//
// An image is tied to the build and the configuration that wrote it: the reader rebuilds
// the objects from the configuration first (the journal's session record) and then reads
// their state into them, refusing an array whose count does not fit the object's shape.

/// Why a state image could not be read back. Each case names the byte offset and the section.
public enum StateImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The image ended inside a value.
    case truncated(offset: Int, section: String, needed: Int, remaining: Int)
    /// An array's count does not match the shape of the object being restored.
    case shapeMismatch(offset: Int, section: String, expected: Int, found: Int)
    /// The next section is not the one the reader expected: image and reader are out of step.
    case unexpectedSection(offset: Int, expected: String, after: String)
    /// Bytes left over after the last section.
    case trailingBytes(offset: Int, count: Int)
    /// An object of the state cannot be imaged (e.g. a custom agent without `StateImaging`).
    case unsupported(String)

    public var description: String {
        switch self {
        case let .truncated(o, s, n, r):
            return "state image byte \(o) (section \(s)): needs \(n) bytes, \(r) remain"
        case let .shapeMismatch(o, s, e, f):
            return "state image byte \(o) (section \(s)): an array of \(f) elements where the configuration makes \(e)"
        case let .unexpectedSection(o, e, a):
            return "state image byte \(o): expected section \(e) after \(a), found another"
        case let .trailingBytes(o, c):
            return "state image byte \(o): \(c) bytes after the last section"
        case .unsupported(let what): return "state image: \(what)"
        }
    }
}

/// An object whose state can be written to an image and read back into a fresh instance
/// built from the same configuration.
public protocol StateImaging: AnyObject {
    /// Passes every field of the state (not the configuration) through `image`, in one fixed
    /// order: written when the image is being made, replaced when it is being read.
    func image(_ image: inout StateImage) throws(StateImageError)
}

/// A plain value whose layout has padding. The image writes its bytes with everything outside
/// `imageFields` zeroed (a padded field is zeroed by its own type's list in turn).
public protocol StateImagePadded {
    /// Every stored property.
    static var imageFields: [PartialKeyPath<Self>] { get }
}

extension StateImagePadded {
    /// Marks the bytes of `imageFields` in `bytes`, this type's value starting at `base`.
    static func _markFields(_ bytes: inout [Bool], at base: Int) {
        for field in imageFields {
            guard let offset = MemoryLayout<Self>.offset(of: field) else {
                preconditionFailure("\(Self.self).imageFields: \(field) is not a stored property")
            }
            let type = Swift.type(of: field).valueType
            if let padded = type as? any StateImagePadded.Type {
                padded._markFields(&bytes, at: base + offset)
            } else {
                for i in 0..<_StateImageLayout.size(of: type) { bytes[base + offset + i] = true }
            }
        }
    }
}

/// Layout facts the writer uses to zero padding, and to find padding nobody listed.
enum _StateImageLayout {
    /// Each padded type's field bytes, computed once per process: an image made after the
    /// first allocates nothing for them (images are made on the desk's thread).
    static let _fieldBytesByType = Mutex<[ObjectIdentifier: [Bool]]>([:])

    /// For a `StateImagePadded` type, one flag per byte of its stride: true for a field's byte.
    static func fieldBytes<T>(_: T.Type) -> [Bool]? {
        guard let padded = T.self as? any StateImagePadded.Type else { return nil }
        return _fieldBytesByType.withLock { known in
            if let bytes = known[ObjectIdentifier(T.self)] { return bytes }
            var bytes = [Bool](repeating: false, count: MemoryLayout<T>.stride)
            padded._markFields(&bytes, at: 0)
            known[ObjectIdentifier(T.self)] = bytes
            return bytes
        }
    }

    static func size(of type: Any.Type) -> Int {
        func size<U>(_: U.Type) -> Int { MemoryLayout<U>.size }
        return _openExistential(type, do: size)
    }

    /// The bytes of `value` that belong to fields, counted through structs and tuples (an
    /// enum or optional counts whole): less than its size means padding inside.
    static func fieldByteCount(_ value: Any) -> Int {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct?, .tuple?: return mirror.children.reduce(0) { $0 + fieldByteCount($1.value) }
        default: return size(of: Swift.type(of: value))
        }
    }
}

/// One pass over an object's fields that either writes them to an image or reads them back
/// from one, so each type lists its state once and the two directions cannot drift apart.
public struct StateImage {
    var writer: StateImageWriter?
    var reader: StateImageReader?

    /// Making an image, into `buffer`'s storage (its contents dropped, its capacity kept).
    public init(writingInto buffer: consuming [UInt8] = []) {
        writer = buffer.capacity > 0 ? StateImageWriter(reusing: consume buffer) : StateImageWriter()
    }

    /// Reading `bytes` back.
    public init(reading bytes: [UInt8]) { reader = StateImageReader(bytes) }

    public var isReading: Bool { reader != nil }

    /// Writing: whether to note the plain values written whose padding no `StateImagePadded`
    /// list zeroes (tests; slow, through reflection).
    public var auditsPadding: Bool {
        get { writer?.auditsPadding ?? false }
        set { writer?.auditsPadding = newValue }
    }

    /// Writing, with `auditsPadding`: the types found (their names).
    public var unlistedPadding: Set<String> { writer?.unlistedPadding ?? [] }

    /// The image made so far (writing).
    public var bytes: [UInt8] { writer?.bytes ?? [] }

    /// Reading: checks that every byte was read.
    public func finish() throws(StateImageError) { try reader?.finish() }

    /// Opens (checks, when reading) the section of the object called `name`.
    public mutating func section(_ name: String) throws(StateImageError) {
        if reader != nil { try reader!.section(name) } else { writer!.section(name) }
    }

    /// One plain value.
    public mutating func value<T>(_ v: inout T) throws(StateImageError) {
        if reader != nil { try reader!.value(&v) } else { writer!.value(v) }
    }

    /// An array whose count the configuration fixes (a different count read is a shape mismatch).
    public mutating func array<T>(_ a: inout [T]) throws(StateImageError) {
        if reader != nil { try reader!.array(&a) } else { writer!.array(a) }
    }

    /// An array that grows with the run (read: its reserved capacity kept when large enough).
    public mutating func growingArray<T>(_ a: inout [T]) throws(StateImageError) {
        if reader != nil { try reader!.growingArray(&a) } else { writer!.array(a) }
    }

    /// `count` values at `base`.
    public mutating func buffer<T>(_ base: UnsafeMutablePointer<T>, count: Int) throws(StateImageError) {
        if reader != nil { try reader!.buffer(base, count: count) } else { writer!.buffer(base, count: count) }
    }
}

/// Builds a state image. Only plain values can be written: a value holding a reference
/// (an array, a string, an object) traps, since its bytes would be an address.
public struct StateImageWriter {
    public private(set) var bytes: [UInt8] = []
    /// Whether to note written values whose padding no `StateImagePadded` list zeroes.
    public var auditsPadding = false
    /// With `auditsPadding`: those values' types.
    public private(set) var unlistedPadding: Set<String> = []

    public init(reservingCapacity capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    /// Starts writing into `buffer`'s storage (its contents are dropped, its capacity kept:
    /// no allocation when the caller hands over its only reference).
    public init(reusing buffer: consuming [UInt8]) {
        bytes = consume buffer
        bytes.removeAll(keepingCapacity: true)
    }

    /// Opens the section of the object called `name`.
    public mutating func section(_ name: String) { value(_stateImageSectionTag(name)) }

    /// One plain value.
    /// - Complexity: O(size of T).
    public mutating func value<T>(_ v: T) {
        precondition(_isPOD(T.self), "state image: \(T.self) is not a plain value")
        let start = bytes.count
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
        zeroPadding(T.self, from: start, count: 1, span: MemoryLayout<T>.size, sample: v)
    }

    /// An array of plain values, with its count.
    /// - Complexity: O(a.count).
    public mutating func array<T>(_ a: [T]) {
        precondition(_isPOD(T.self), "state image: \(T.self) is not a plain value")
        value(UInt64(a.count))
        let start = bytes.count
        a.withUnsafeBytes { bytes.append(contentsOf: $0) }
        if let first = a.first { zeroPadding(T.self, from: start, count: a.count, span: MemoryLayout<T>.stride, sample: first) }
    }

    /// `count` plain values from `base`, with their count.
    /// - Complexity: O(count).
    public mutating func buffer<T>(_ base: UnsafePointer<T>, count: Int) {
        precondition(_isPOD(T.self), "state image: \(T.self) is not a plain value")
        value(UInt64(count))
        let start = bytes.count
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: base, count: count * MemoryLayout<T>.stride))
        if count > 0 { zeroPadding(T.self, from: start, count: count, span: MemoryLayout<T>.stride, sample: base.pointee) }
    }

    /// Zeroes the padding of the `count` values of type `T` written from `start` (the first
    /// `span` bytes of each: its size for a lone value, its stride in an array), or, with
    /// `auditsPadding`, notes `T` if it has padding and no list of its fields.
    mutating func zeroPadding<T>(_: T.Type, from start: Int, count: Int, span: Int, sample: T) {
        if let fields = _StateImageLayout.fieldBytes(T.self) {
            let stride = MemoryLayout<T>.stride
            bytes.withUnsafeMutableBufferPointer { b in
                for e in 0..<count {
                    let at = start + e * stride
                    for i in 0..<span where !fields[i] { b[at + i] = 0 }
                }
            }
        } else if auditsPadding && _StateImageLayout.fieldByteCount(sample) < span {
            unlistedPadding.insert("\(T.self)")
        }
    }
}

/// Reads a state image back into objects built from the configuration that wrote it.
public struct StateImageReader {
    let bytes: [UInt8]
    public private(set) var offset = 0
    var currentSection = "(start)"

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset == bytes.count }

    /// Checks that the next section is `name`.
    public mutating func section(_ name: String) throws(StateImageError) {
        let at = offset
        var tag: UInt64 = 0
        try value(&tag)
        guard tag == _stateImageSectionTag(name) else {
            throw .unexpectedSection(offset: at, expected: name, after: currentSection)
        }
        currentSection = name
    }

    /// Checks that every byte was read.
    public func finish() throws(StateImageError) {
        guard isAtEnd else { throw .trailingBytes(offset: offset, count: bytes.count - offset) }
    }

    /// Reads one plain value into `v`.
    public mutating func value<T>(_ v: inout T) throws(StateImageError) {
        precondition(_isPOD(T.self), "state image: \(T.self) is not a plain value")
        let n = MemoryLayout<T>.size
        try need(n)
        let from = offset
        withUnsafeMutableBytes(of: &v) { dst in
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[from..<from + n])) }
        }
        offset += n
    }

    /// Reads an array written by `StateImageWriter.array(_:)` into `a`, whose count the
    /// configuration fixed: a different count is a shape mismatch.
    public mutating func array<T>(_ a: inout [T]) throws(StateImageError) {
        let count = try count(of: T.self, expected: a.count)
        let from = offset
        a.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[from..<from + count * MemoryLayout<T>.stride]))
            }
        }
        offset += count * MemoryLayout<T>.stride
    }

    /// Reads an array that grows with the run (a series, a list of open orders) into `a`,
    /// keeping `a`'s reserved capacity when it is large enough.
    public mutating func growingArray<T>(_ a: inout [T]) throws(StateImageError) {
        let count = try count(of: T.self, expected: nil)
        let from = offset
        let copied = [T](unsafeUninitializedCapacity: count) { dst, initialized in
            bytes.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(dst).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: src[from..<from + count * MemoryLayout<T>.stride]))
            }
            initialized = count
        }
        a.removeAll(keepingCapacity: true)
        a.append(contentsOf: copied)
        offset += count * MemoryLayout<T>.stride
    }

    /// Reads `count` values written by `StateImageWriter.buffer(_:count:)` into `base`.
    public mutating func buffer<T>(_ base: UnsafeMutablePointer<T>, count: Int) throws(StateImageError) {
        let n = try self.count(of: T.self, expected: count)
        let from = offset
        bytes.withUnsafeBytes { src in
            UnsafeMutableRawPointer(base).copyMemory(from: src.baseAddress! + from, byteCount: n * MemoryLayout<T>.stride)
        }
        offset += n * MemoryLayout<T>.stride
    }

    private mutating func count<T>(of: T.Type, expected: Int?) throws(StateImageError) -> Int {
        precondition(_isPOD(T.self), "state image: \(T.self) is not a plain value")
        let at = offset
        var raw: UInt64 = 0
        try value(&raw)
        guard raw <= UInt64(Int.max / max(1, MemoryLayout<T>.stride)) else {
            throw .truncated(offset: at, section: currentSection, needed: Int.max, remaining: bytes.count - offset)
        }
        let n = Int(raw)
        if let expected, n != expected {
            throw .shapeMismatch(offset: at, section: currentSection, expected: expected, found: n)
        }
        try need(n * MemoryLayout<T>.stride)
        return n
    }

    private func need(_ n: Int) throws(StateImageError) {
        guard bytes.count - offset >= n else {
            throw .truncated(offset: offset, section: currentSection, needed: n, remaining: bytes.count - offset)
        }
    }
}

/// FNV-1a of a section name: the mark that opens each object's state.
func _stateImageSectionTag(_ name: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }  // FNV-1a: wrapping by definition
    return h
}
