import Synchronization

/// UTCTimestamp (`YYYYMMDD-HH:MM:SS.sss`) to and from nanoseconds since the Unix epoch,
/// by integer arithmetic on days (the proleptic Gregorian calendar), without Foundation.
public enum FIXTime {
    /// Bytes written by `write(_:at:)`.
    public static let length = 21

    /// Writes `YYYYMMDD-HH:MM:SS.sss` (milliseconds, truncated) for `nanos` at `p`.
    /// - Complexity: O(1); a handful of multiplications by reciprocals.
    @inlinable
    public static func write(_ nanos: UInt64, at p: UnsafeMutableRawPointer) {
        writeDate(days: Int64(nanos / 86_400_000_000_000), at: p)
        writeTimeOfDay(nanos, at: p + 8)
    }

    /// `YYYYMMDD` for a day number (days since 1970-01-01). The last day written (by any
    /// thread) is remembered, so a day's messages after its first copy 8 bytes.
    @inlinable @inline(__always)
    public static func writeDate(days: Int64, at p: UnsafeMutableRawPointer) {
        let cached = _lastDate.load(ordering: .relaxed)
        if days >= 0, cached >> 32 == UInt64(days) &+ 1 {
            p.storeBytes(of: _ascii(digits: UInt32(truncatingIfNeeded: cached)).littleEndian, as: UInt64.self)
        } else {
            _writeDate(days: days, at: p)
        }
    }

    /// One word: `(day + 1) << 32 | the 8 digits of YYYYMMDD as nibbles, first lowest`; 0 is
    /// empty. A single relaxed atomic word, so threads that encode share it without tearing.
    @usableFromInline static let _lastDate = Atomic<UInt64>(0)

    /// Eight nibbles (first digit lowest) → eight ASCII digits (first byte lowest).
    @inlinable @inline(__always)
    static func _ascii(digits n: UInt32) -> UInt64 {
        var x = UInt64(n)
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F
        return x | 0x3030_3030_3030_3030
    }

    @usableFromInline static func _writeDate(days: Int64, at p: UnsafeMutableRawPointer) {
        let (y, m, d) = civil(fromDays: days)
        put2(y / 100, at: p)
        put2(y % 100, at: p + 2)
        put2(m, at: p + 4)
        put2(d, at: p + 6)
        guard days >= 0, days < 0x7FFF_FFFF, y >= 0, y <= 9999 else { return }
        var nibbles: UInt32 = 0
        for k in 0..<8 { nibbles |= UInt32(p.load(fromByteOffset: k, as: UInt8.self) & 0x0F) << UInt32(4 * k) }
        _lastDate.store((UInt64(days) &+ 1) << 32 | UInt64(nibbles), ordering: .relaxed)
    }

    /// `-HH:MM:SS.sss` (13 bytes) for the time of day of `nanos`.
    @inlinable @inline(__always)
    public static func writeTimeOfDay(_ nanos: UInt64, at p: UnsafeMutableRawPointer) {
        let millis = nanos / 1_000_000
        let ms = Int(millis % 1000)
        var sod = Int((millis / 1000) % 86_400)
        p.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self)
        put2(sod / 3600, at: p + 1)
        sod %= 3600
        p.storeBytes(of: UInt8(ascii: ":"), toByteOffset: 3, as: UInt8.self)
        put2(sod / 60, at: p + 4)
        p.storeBytes(of: UInt8(ascii: ":"), toByteOffset: 6, as: UInt8.self)
        put2(sod % 60, at: p + 7)
        p.storeBytes(of: UInt8(ascii: "."), toByteOffset: 9, as: UInt8.self)
        p.storeBytes(of: UInt8(truncatingIfNeeded: ms / 100) &+ 0x30, toByteOffset: 10, as: UInt8.self)
        put2(ms % 100, at: p + 11)
    }

    /// Two decimal digits of `v` (0...99) in one 16-bit store.
    @inlinable @inline(__always)
    static func put2(_ v: Int, at p: UnsafeMutableRawPointer) {
        let hi = v / 10
        let lo = v &- hi &* 10
        p.storeBytes(of: UInt16(truncatingIfNeeded: (hi &+ 0x30) | ((lo &+ 0x30) << 8)).littleEndian, as: UInt16.self)
    }

    /// Parses `YYYYMMDD-HH:MM:SS` with an optional fraction of 3, 6 or 9 digits.
    /// Returns nil for anything else (wrong length, non-digits, month 13, second 61, …).
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        let n = bytes.count
        guard n == 17 || n == 21 || n == 24 || n == 27, let p = bytes.baseAddress else { return nil }
        @inline(__always) func digits(_ at: Int, _ k: Int) -> Int? {
            var v = 0
            for i in at..<(at + k) {
                let c = p.load(fromByteOffset: i, as: UInt8.self) &- 0x30
                guard c < 10 else { return nil }
                v = v * 10 + Int(c)
            }
            return v
        }
        @inline(__always) func byte(_ at: Int) -> UInt8 { p.load(fromByteOffset: at, as: UInt8.self) }
        guard byte(8) == UInt8(ascii: "-"), byte(11) == UInt8(ascii: ":"), byte(14) == UInt8(ascii: ":"),
            let y = digits(0, 4), let m = digits(4, 2), let d = digits(6, 2),
            let hh = digits(9, 2), let mm = digits(12, 2), let ss = digits(15, 2),
            (1...12).contains(m), d >= 1, d <= daysInMonth(year: y, month: m),
            hh < 24, mm < 60, ss <= 60  // 60: leap second
        else { return nil }
        var frac: UInt64 = 0
        if n > 17 {
            guard byte(17) == UInt8(ascii: "."), let f = digits(18, n - 18) else { return nil }
            switch n - 18 {
            case 3: frac = UInt64(f) * 1_000_000
            case 6: frac = UInt64(f) * 1_000
            default: frac = UInt64(f)
            }
        }
        let days = self.days(fromCivil: y, m, d)
        guard days >= 0 else { return nil }
        return (UInt64(days) * 86_400 + UInt64(hh * 3600 + mm * 60 + ss)) * 1_000_000_000 + frac
    }

    @inlinable static func daysInMonth(year y: Int, month m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 → (year, month, day). Eras of 400 years (146 097 days) make the
    /// calendar periodic; inside an era, a year starting in March puts the leap day last.
    @inlinable static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// (year, month, day) → days since 1970-01-01; the inverse of `civil(fromDays:)`.
    @inlinable static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
