import Glibc

/// The clock for receive and send stamps: CLOCK_MONOTONIC in nanoseconds, read through the
/// vDSO (no system call on x86-64). Stamps from different threads of one machine compare.
public enum NetClock {
    // Glibc rather than CURing's curing_monotonic_ns, so that clients inlining this do not
    // load CURing (whose liburing io_uring.h clashes with swift-system's linux/io_uring.h).
    @inlinable @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Real-time minus monotonic nanoseconds, read once: `now() &+ offset` is UTC
    /// nanoseconds since the epoch (FIX SendingTime/TransactTime) without another clock read.
    public static func realTimeOffset() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return (UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)) &- now()
    }
}
