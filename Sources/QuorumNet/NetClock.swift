import CURing

/// The clock for receive and send stamps: CLOCK_MONOTONIC in nanoseconds, read through the
/// vDSO (no system call on x86-64). Stamps from different threads of one machine compare.
public enum NetClock {
    @inlinable @inline(__always)
    public static func now() -> UInt64 { curing_monotonic_ns() }
}
