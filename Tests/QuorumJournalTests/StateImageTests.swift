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
