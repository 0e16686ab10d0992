import Atomics
import CURing

#if canImport(Glibc)
import Glibc
#endif

/// The spin-wait hint (PAUSE on x86-64): lets the sibling hyper-thread run and saves
/// power inside a busy-wait loop.
@inlinable @inline(__always)
public func spinPause() { curing_cpu_relax() }

/// How a loop runner waits when none of its loops found work.
public enum WaitStrategy: Sendable, Equatable, CustomStringConvertible {
    /// Spin with the pause instruction: lowest latency, burns its core.
    case busySpin
    /// Spin `spins` times, then give the core away with `sched_yield` on each idle poll.
    case yield(spins: Int)
    /// Spin, then sleep on a futex until woken through `Wakeup` or `timeout` passes. For
    /// loops that are not latency-critical.
    case park(spins: Int, timeoutNanoseconds: Int)

    public static let defaultYield = WaitStrategy.yield(spins: 100)
    public static let defaultPark = WaitStrategy.park(spins: 1000, timeoutNanoseconds: 1_000_000)

    /// The name used in configuration files.
    public var configName: String {
        switch self {
        case .busySpin: "busy-spin"
        case .yield: "yield"
        case .park: "park"
        }
    }

    /// Parses a configuration name: `busy-spin`, `yield` or `park`.
    public init?(configName: String) {
        switch configName {
        case "busy-spin": self = .busySpin
        case "yield": self = .defaultYield
        case "park": self = .defaultPark
        default: return nil
        }
    }

    public static let configNames = ["busy-spin", "yield", "park"]

    public var description: String { configName }
}

/// Offsets in a `Wakeup`'s storage: the futex word and the sleeper count share a line
/// that both sides touch only when a sleep is involved.
public enum WakeupDescriptor {
    public static let epochOffset = 0
    public static let sleepersOffset = 8
}

/// Wakes a parked loop runner. A producer that publishes into a ring read by a parked
/// runner calls `wake()` afterwards; when nobody sleeps that costs one atomic increment
/// and one load, never a system call.
///
/// The protocol that makes a lost wake-up impossible: a sleeper announces itself
/// (`sleepers += 1`), reads the epoch, polls its work once more, and only then sleeps on
/// the futex "while epoch is unchanged". A waker bumps the epoch and then looks for
/// sleepers. Both steps are sequentially consistent, so either the waker sees the sleeper
/// (and calls futex wake) or the sleeper's final poll sees the published work.
public final class Wakeup: @unchecked Sendable {
    @usableFromInline let epoch: UnsafeAtomic<UInt32>
    @usableFromInline let sleepers: UnsafeAtomic<Int>
    @usableFromInline let epochWord: UnsafeMutablePointer<UInt32>
    private let memory: _UnsafeRingMemory

    public init() throws(RingError) {
        let memory = try _UnsafeRingMemory(byteCount: cacheLinePairSize, placement: .heap)
        let word = (memory.base + WakeupDescriptor.epochOffset).bindMemory(to: UInt32.AtomicRepresentation.self, capacity: 1)
        word.initialize(to: UInt32.AtomicRepresentation(0))
        self.epoch = UnsafeAtomic(at: word)
        self.epochWord = UnsafeMutableRawPointer(word).assumingMemoryBound(to: UInt32.self)
        self.sleepers = _atomicInt(at: memory.base + WakeupDescriptor.sleepersOffset, initialValue: 0)
        self.memory = memory
    }

    /// Wakes the runner if it sleeps. Call after publishing work for it.
    @inlinable
    public func wake() {
        epoch.wrappingIncrement(ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            _ = curing_futex_wake(epochWord, Int32.max)
        }
    }

    /// Sleeps unless `stillIdle` (the caller's last poll of its work, run after the
    /// sleeper is announced) finds something to do. Returns after a wake-up, a timeout or
    /// a signal.
    public func park(timeoutNanoseconds: Int, stillIdle: () -> Bool) {
        sleepers.wrappingIncrement(ordering: .sequentiallyConsistent)
        let seen = epoch.load(ordering: .sequentiallyConsistent)
        if stillIdle() {
            _ = curing_futex_wait(epochWord, seen, Int64(timeoutNanoseconds))
        }
        sleepers.wrappingDecrement(ordering: .sequentiallyConsistent)
    }
}
