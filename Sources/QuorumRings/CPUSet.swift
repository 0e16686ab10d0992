import CURing

#if canImport(Glibc)
import Glibc
#endif

/// A set of CPU numbers (the first 64 CPUs), as used for thread affinity.
@frozen
public struct CPUSet: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// Bit `i` set means CPU `i` is in the set.
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init<S: Sequence<Int>>(_ cpus: S) {
        var mask: UInt64 = 0
        for cpu in cpus where (0..<64).contains(cpu) { mask |= 1 << UInt64(cpu) }
        self.rawValue = mask
    }

    public static let empty = CPUSet(rawValue: 0)

    /// The CPUs this process may run on (the main thread's affinity mask when first
    /// asked, e.g. `0, 1` on a 2-core box). Read once: pinning a thread later, even the
    /// main one, does not shrink it.
    public static var available: CPUSet { _available }
    private static let _available = CPUSet(rawValue: curing_process_cpus())

    /// The CPUs the calling thread may run on right now.
    public static var currentThread: CPUSet { CPUSet(rawValue: curing_current_thread_cpus()) }

    public var cpus: [Int] { (0..<64).filter { rawValue & (1 << UInt64($0)) != 0 } }
    public var isEmpty: Bool { rawValue == 0 }
    public var count: Int { rawValue.nonzeroBitCount }
    public func contains(_ cpu: Int) -> Bool { (0..<64).contains(cpu) && rawValue & (1 << UInt64(cpu)) != 0 }
    public func isSubset(of other: CPUSet) -> Bool { rawValue & ~other.rawValue == 0 }

    /// `0, 1` style, or `none`.
    public var description: String { isEmpty ? "none" : cpus.map(String.init).joined(separator: ", ") }
}

/// Why a thread could not be pinned or started.
public enum ThreadError: Error, Equatable, CustomStringConvertible {
    /// The requested CPUs are not all available to this process.
    case unavailableCPUs(requested: CPUSet, available: CPUSet)
    /// The kernel refused the affinity (errno).
    case affinityFailed(CPUSet, errno: Int32)
    /// pthread_create failed (errno).
    case spawnFailed(name: String, errno: Int32)
    /// A runner was started twice.
    case alreadyStarted(name: String)

    public var description: String {
        switch self {
        case .unavailableCPUs(let requested, let available):
            return "CPUs \(requested) are not available: this process may use CPUs \(available)"
        case .affinityFailed(let set, let errno):
            return "pinning to CPUs \(set) failed: \(String(cString: strerror(errno)))"
        case .spawnFailed(let name, let errno):
            return "could not start thread \(name): \(String(cString: strerror(errno)))"
        case .alreadyStarted(let name):
            return "thread \(name) is already running"
        }
    }
}

/// Thread affinity for the calling thread.
public enum Affinity {
    /// Pins the calling thread to `cpus` and returns the set the kernel actually applied.
    /// - Throws: `ThreadError.unavailableCPUs` when `cpus` is empty or not a subset of
    ///   `CPUSet.available`; `.affinityFailed` when the kernel refuses.
    @discardableResult
    public static func pinCurrentThread(to cpus: CPUSet) throws(ThreadError) -> CPUSet {
        let available = CPUSet.available
        guard !cpus.isEmpty, cpus.isSubset(of: available) else {
            throw .unavailableCPUs(requested: cpus, available: available)
        }
        let rc = curing_pin_current_thread(cpus.rawValue)
        guard rc == 0 else { throw .affinityFailed(cpus, errno: rc) }
        return CPUSet.currentThread
    }

    /// The CPU the calling thread is running on at this instant.
    public static var currentCPU: Int { Int(curing_current_cpu()) }
}
