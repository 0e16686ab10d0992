#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress display on stderr, only when stderr is a terminal (so logs and pipes
/// stay clean). Checks the clock only every 64 Ki ticks to keep it off long loops' profiles.
///
/// Not thread-safe.
public struct ProgressLine {
    let enabled: Bool
    let label: String
    let total: Int
    var ticks = 0
    var lastPrint: Double = 0
    let start: Double

    public init(_ label: String, total: Int, enabled: Bool? = nil) {
        self.enabled = enabled ?? (isatty(2) != 0)
        self.label = label
        self.total = total
        self.start = ProgressLine.now()
    }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    @inline(__always)
    public mutating func advance(to done: Int) {
        guard enabled, done & 0xFFFF == 0 else { return }
        let t = ProgressLine.now()
        if t - lastPrint < 0.2 { return }
        lastPrint = t
        let rate = Double(done) / Swift.max(t - start, 1e-9)
        let pct = total > 0 ? " \(Int(100 * Double(done) / Double(total)))%" : ""
        let line = "\r\(label)\(pct) \(done) msgs, \(Int(rate / 1000)) k/s   "
        ProgressLine.writeStderr(line)
    }

    public func finish() {
        guard enabled else { return }
        ProgressLine.writeStderr("\r" + String(repeating: " ", count: 70) + "\r")
    }

    /// Straight to fd 2: unbuffered, and no `stderr` global (shared mutable state in Swift 6).
    public static func writeStderr(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
