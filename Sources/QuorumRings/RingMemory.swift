import CURing

#if canImport(Glibc)
import Glibc
#endif

/// The size of the block that keeps two shared counters from interfering: two 64-byte
/// cache lines, because x86 cores prefetch the adjacent line of a pair.
public let cacheLinePairSize = 128

/// Where ring storage is placed.
public enum MemoryPlacement: Sendable, Equatable {
    /// On the NUMA node of the calling thread (libnuma), falling back to page-aligned
    /// heap memory when the kernel has no NUMA support.
    case numaLocal
    /// Page-aligned heap memory.
    case heap
}

/// A block of zeroed, page-aligned memory owned by exactly one ring. Not copyable: it is
/// freed once, in `deinit`.
@usableFromInline
struct _UnsafeRingMemory: ~Copyable {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let byteCount: Int
    /// Whether `base` came from libnuma (and must go back to `numa_free`).
    let fromNUMA: Bool

    init(byteCount requested: Int, placement: MemoryPlacement) throws(RingError) {
        let pageSize = 4096
        let byteCount = (max(requested, 1) + pageSize - 1) & ~(pageSize - 1)
        if placement == .numaLocal, numa_available() >= 0, let p = numa_alloc_local(byteCount) {
            // numa_alloc_local maps fresh pages: page-aligned and already zero.
            self.base = p
            self.fromNUMA = true
        } else {
            var p: UnsafeMutableRawPointer?
            guard posix_memalign(&p, pageSize, byteCount) == 0, let p else {
                throw .outOfMemory(bytes: byteCount)
            }
            memset(p, 0, byteCount)
            self.base = p
            self.fromNUMA = false
        }
        self.byteCount = byteCount
    }

    deinit {
        if fromNUMA {
            numa_free(base, byteCount)
        } else {
            free(base)
        }
    }
}

/// Rounds `value` up to a multiple of `alignment` (a power of two).
@inlinable @inline(__always)
func _roundUp(_ value: Int, to alignment: Int) -> Int {
    (value + alignment - 1) & ~(alignment - 1)
}
