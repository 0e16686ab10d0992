import Testing
@testable import QuorumJournal

/// A small stateful object of the shape the desk's are: scalars, a fixed array, a growing
/// array, a raw buffer, a tuple of structs.
final class Sample: StateImaging {
    struct Pair: Equatable { var a: Int32; var b: Double }
    var count = 0
    var flag = false
    var fixed: [Double]
    var series: [Int64] = []
    let raw: UnsafeMutablePointer<UInt16>
    let rawCount: Int
    var pairs = (Pair(a: 0, b: 0), Pair(a: 0, b: 0))

    init(fixed: Int, raw: Int) {
        self.fixed = Array(repeating: 0, count: fixed)
        rawCount = raw
        self.raw = .allocate(capacity: raw)
        self.raw.initialize(repeating: 0, count: raw)
        series.reserveCapacity(64)
    }
    deinit { raw.deallocate() }

    func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("Sample")
        try image.value(&count); try image.value(&flag)
        try image.array(&fixed)
        try image.growingArray(&series)
        try image.buffer(raw, count: rawCount)
        try image.value(&pairs)
    }
}

@Suite("State images: one field list, written and read back")
struct StateImageTests {
    func filled() -> Sample {
        let s = Sample(fixed: 5, raw: 3)
        s.count = 42; s.flag = true
        s.fixed = [1.5, -2, .infinity, 0, 7e300]
        s.series = [9, 8, 7]
        for i in 0..<3 { s.raw[i] = UInt16(100 + i) }
        s.pairs = (Sample.Pair(a: -1, b: 0.25), Sample.Pair(a: 2, b: .nan))
        return s
    }

    func bytes(_ s: Sample) throws -> [UInt8] {
        var w = StateImage()
        try s.image(&w)
        return w.bytes
    }

    @Test func everyFieldComesBackAndTheImageIsTheSameBytes() throws {
        let a = filled()
        let blob = try bytes(a)
        // section 8 + count 8 + flag 1 + fixed 8+40 + series 8+24 + raw 8+6 + pairs 32
        #expect(blob.count == 8 + 8 + 1 + 48 + 32 + 14 + MemoryLayout<(Sample.Pair, Sample.Pair)>.size)
        let b = Sample(fixed: 5, raw: 3)
        var r = StateImage(reading: blob)
        try b.image(&r)
        try r.finish()
        #expect(b.count == 42 && b.flag && b.fixed == a.fixed && b.series == [9, 8, 7])
        #expect((0..<3).map { b.raw[$0] } == [100, 101, 102])
        #expect(b.pairs.0 == a.pairs.0 && b.pairs.1.a == 2 && b.pairs.1.b.isNaN)
        #expect(b.series.capacity >= 64)  // the reserved storage is kept
        #expect(try bytes(b) == blob)
    }

    @Test func anImageMadeInAHandedOverBufferKeepsItsStorage() throws {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        buffer.append(contentsOf: [1, 2, 3])
        let storage = buffer.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        // Handed over (the caller keeps no reference), the storage is written in place.
        var w = StateImage(writingInto: consume buffer)
        try filled().image(&w)
        let made = w.bytes
        #expect(made.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == storage)
        let back = Sample(fixed: 5, raw: 3)
        var r = StateImage(reading: made)
        try back.image(&r)
        try r.finish()
        #expect(back.count == 42 && back.series == [9, 8, 7] && back.fixed == filled().fixed)
    }

    @Test func aDifferentShapeIsRefusedWithTheSectionAndOffset() throws {
        let blob = try bytes(filled())
        var r = StateImage(reading: blob)
        #expect(throws: StateImageError.shapeMismatch(offset: 17, section: "Sample", expected: 4, found: 5)) {
            try Sample(fixed: 4, raw: 3).image(&r)
        }
    }

    @Test func aCutImageIsTruncatedAtEveryLengthAndTrailingBytesAreCounted() throws {
        let blob = try bytes(filled())
        for n in 0..<blob.count {
            var r = StateImage(reading: Array(blob[0..<n]))
            #expect(throws: StateImageError.self) { try Sample(fixed: 5, raw: 3).image(&r) }
        }
        var r = StateImage(reading: blob + [0, 0])
        try Sample(fixed: 5, raw: 3).image(&r)
        #expect(throws: StateImageError.trailingBytes(offset: blob.count, count: 2)) { try r.finish() }
    }

    @Test func anotherObjectsSectionIsNamed() throws {
        var w = StateImage()
        try w.section("Other")
        var r = StateImage(reading: w.bytes)
        let e = #expect(throws: StateImageError.self) { try Sample(fixed: 5, raw: 3).image(&r) }
        #expect(e == .unexpectedSection(offset: 0, expected: "Sample", after: "(start)"))
        #expect(e?.description == "state image byte 0: expected section Sample after (start), found another")
    }
}

/// 1 byte, 7 of padding, 8, 2, then 6 of tail padding up to its stride of 24.
struct Gappy: StateImagePadded, Equatable {
    var tag: UInt8
    var value: UInt64
    var small: UInt16
    static var imageFields: [PartialKeyPath<Gappy>] { [\.tag, \.value, \.small] }

    /// `values` in an array whose storage held 0xEE before the fields were stored: garbage
    /// in every element's padding, as memory reused from other data has.
    static func garbled(_ values: [Gappy]) -> [Gappy] {
        [Gappy](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.initializeMemory(as: UInt8.self, repeating: 0xEE)
            for (i, v) in values.enumerated() {
                let at = i * MemoryLayout<Gappy>.stride
                raw.storeBytes(of: v.tag, toByteOffset: at + MemoryLayout<Gappy>.offset(of: \.tag)!, as: UInt8.self)
                raw.storeBytes(of: v.value, toByteOffset: at + MemoryLayout<Gappy>.offset(of: \.value)!, as: UInt64.self)
                raw.storeBytes(of: v.small, toByteOffset: at + MemoryLayout<Gappy>.offset(of: \.small)!, as: UInt16.self)
            }
            initialized = values.count
        }
    }
}

/// A padded value inside another.
struct Wrapped: StateImagePadded, Equatable {
    var inner: Gappy
    var flag: Bool
    static var imageFields: [PartialKeyPath<Wrapped>] { [\.inner, \.flag] }
}

struct Unlisted { var tag: UInt8; var value: UInt64 }
struct Dense { var a: UInt32; var b: UInt32 }

@Suite("State images: padding is written as zeros")
struct StateImagePaddingTests {
    let g = Gappy(tag: 0x11, value: 0x2222_3333_4444_5555, small: 0x6677)

    @Test func aListedValueIsWrittenWithItsPaddingZeroedAndReadsBack() throws {
        var w = StateImageWriter()
        w.value(g)
        #expect(w.bytes == [0x11, 0, 0, 0, 0, 0, 0, 0, 0x55, 0x55, 0x44, 0x44, 0x33, 0x33, 0x22, 0x22, 0x77, 0x66])

        // An array's elements take their stride: the padding after the last field too.
        let garbled = Gappy.garbled([g, Gappy(tag: 1, value: 2, small: 3)])
        try #require(garbled.withUnsafeBytes { $0[1] == 0xEE && $0[47] == 0xEE }, "the test array carries garbage")
        var a = StateImageWriter()
        a.array(garbled)
        #expect(a.bytes.count == 8 + 2 * 24)
        for e in 0..<2 {
            let at = 8 + 24 * e
            #expect(a.bytes[(at + 1)..<(at + 8)].allSatisfy { $0 == 0 } && a.bytes[(at + 18)..<(at + 24)].allSatisfy { $0 == 0 })
        }
        var back = [Gappy](repeating: Gappy(tag: 0, value: 0, small: 0), count: 2)
        var r = StateImage(reading: a.bytes)
        try r.array(&back)
        #expect(back == [g, Gappy(tag: 1, value: 2, small: 3)])
        var b = StateImageWriter()
        garbled.withUnsafeBufferPointer { b.buffer($0.baseAddress!, count: 2) }
        #expect(b.bytes == a.bytes)

        // A listed value inside another: the inner list zeroes the inner padding.
        let inner = Gappy.garbled([g])
        let wrapped = UnsafeMutablePointer<Wrapped>.allocate(capacity: 1)
        defer { wrapped.deallocate() }
        UnsafeMutableRawPointer(wrapped).initializeMemory(as: UInt8.self, repeating: 0xEE, count: MemoryLayout<Wrapped>.stride)
        UnsafeMutableRawPointer(wrapped).copyMemory(from: inner.withUnsafeBytes { $0.baseAddress! }, byteCount: 24)
        UnsafeMutableRawPointer(wrapped).storeBytes(of: true, toByteOffset: MemoryLayout<Wrapped>.offset(of: \.flag)!, as: Bool.self)
        var n = StateImageWriter()
        n.buffer(wrapped, count: 1)
        #expect(n.bytes.count == 8 + MemoryLayout<Wrapped>.stride)
        // Swift packs `flag` into the tail padding of `inner` (offset 18 of a 24-byte stride).
        let flagAt = 8 + MemoryLayout<Wrapped>.offset(of: \.flag)!
        #expect(n.bytes[9..<16].allSatisfy { $0 == 0 } && n.bytes[8] == 0x11 && n.bytes[flagAt] == 1)
        #expect(n.bytes[(flagAt + 1)...].allSatisfy { $0 == 0 } && n.bytes.count == flagAt + 6)
    }

    @Test func theAuditNamesPaddedValuesWithoutAListAndOnlyThose() {
        var w = StateImage()
        w.auditsPadding = true
        var u = Unlisted(tag: 1, value: 2), d = Dense(a: 1, b: 2), gg = g, t: (UInt8, UInt64) = (1, 2), x = 7.5
        try? w.value(&u); try? w.value(&d); try? w.value(&gg); try? w.value(&t); try? w.value(&x)
        var ds = [Dense(a: 1, b: 2)], us = [Unlisted(tag: 1, value: 2)]
        try? w.array(&ds); try? w.array(&us)
        #expect(w.unlistedPadding == ["Unlisted", "(UInt8, UInt64)"])
        #expect(_StateImageLayout.fieldBytes(Gappy.self)?.filter { $0 }.count == 11)
        #expect(_StateImageLayout.fieldBytes(Unlisted.self) == nil)
    }
}
