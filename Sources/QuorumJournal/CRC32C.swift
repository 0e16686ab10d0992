import CQuorumCRC

/// CRC32C (Castagnoli). The SSE 4.2 instruction when the CPU has it, a table otherwise;
/// both give the same value (the check value of "123456789" is 0xE3069283).
public enum CRC32C {
    /// CRC32C of `bytes`, continued from `crc` (the CRC32C of whatever preceded them).
    /// - Complexity: O(n).
    @inline(__always)
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return cquorum_crc32c_extend(crc, base, bytes.count)
    }

    @inline(__always)
    static func checksum(_ base: UnsafeRawPointer, _ count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        cquorum_crc32c_extend(crc, base, count)
    }

    /// Whether the hardware path is the one in use.
    public static var usesHardware: Bool { cquorum_crc32c_has_hardware() == 1 }
}
