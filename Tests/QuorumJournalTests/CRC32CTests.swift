import CQuorumCRC
import Testing
@testable import QuorumJournal

@Suite("CRC32C")
struct CRC32CTests {
    static func both(_ bytes: [UInt8], seed: UInt32 = 0) -> (hardware: UInt32, portable: UInt32, dispatched: UInt32) {
        bytes.withUnsafeBytes { b in
            let base = b.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!
            let hw = cquorum_crc32c_has_hardware() == 1 ? cquorum_crc32c_hardware_extend(seed, base, b.count)
                                                        : cquorum_crc32c_portable_extend(seed, base, b.count)
            return (hw, cquorum_crc32c_portable_extend(seed, base, b.count), CRC32C.checksum(b, continuing: seed))
        }
    }

    @Test("standard check values agree on the hardware and table paths")
    func checkValues() {
        let cases: [([UInt8], UInt32)] = [
            (Array("123456789".utf8), 0xE306_9283),
            ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
            ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
            ((0..<32).map { UInt8($0) }, 0x46DD_794E),
            ([], 0),
        ]
        for (bytes, expected) in cases {
            let r = Self.both(bytes)
            #expect(r.hardware == expected)
            #expect(r.portable == expected)
            #expect(r.dispatched == expected)
        }
    }

    @Test("this machine has SSE 4.2 and uses it")
    func hardwareInUse() {
        #expect(CRC32C.usesHardware)
    }

    @Test("paths agree at every length and alignment, and extending composes")
    func randomAgreement() {
        var rng = SystemRandomNumberGenerator()
        let data = (0..<600).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for start in 0..<9 {
            for length in stride(from: 0, to: 520, by: 7) {
                let slice = Array(data[start..<(start + length)])
                let r = Self.both(slice)
                #expect(r.hardware == r.portable)
                #expect(r.dispatched == r.portable)
                let cut = length / 3
                let first = Self.both(Array(slice[..<cut])).portable
                let whole = Self.both(Array(slice[cut...]), seed: first)
                #expect(whole.portable == r.portable && whole.hardware == r.portable)
            }
        }
    }
}

extension CRC32CTests {
    @Test("the one-pass record CRC equals CRC32C of length word ++ bytes 8..<32+length")
    func recordChecksum() {
        var rng = SystemRandomNumberGenerator()
        // Every tail (0-7 bytes), a market record's 254 and lengths around it, and long ones.
        for length in Array(0..<80) + Array(230..<290) + [4_000, 65_531] {
            let bytes = (0..<(32 + length + 8)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = Self.both(Array(bytes[8..<(32 + length)]), seed: Self.both(Array(bytes[0..<4])).portable).portable
            let got = bytes.withUnsafeBytes { cquorum_crc32c_record($0.baseAddress!, length) }
            #expect(got == expected)
        }
    }
}
