import Atomics
import CURing

/// Tells ThreadSanitizer about a plain read of ring memory (QUORUM_TSAN builds only).
/// Swift's TSan instruments class and global accesses but not unsafe-pointer ones, so
/// without these calls it could not see a slot read racing its write.
@inlinable @inline(__always)
func _tsanRead(_ address: UnsafeRawPointer, _ byteCount: Int) {
    #if QUORUM_TSAN
    __tsan_read_range(UnsafeMutableRawPointer(mutating: address), UInt(byteCount))
    #endif
}

/// Tells ThreadSanitizer about a plain write of ring memory (QUORUM_TSAN builds only).
@inlinable @inline(__always)
func _tsanWrite(_ address: UnsafeRawPointer, _ byteCount: Int) {
    #if QUORUM_TSAN
    __tsan_write_range(UnsafeMutableRawPointer(mutating: address), UInt(byteCount))
    #endif
}

/// Makes an `UnsafeAtomic<Int>` that lives at `pointer` inside ring storage, initialised
/// to `value`. The storage outlives the atomic; nothing is destroyed separately.
@inlinable
func _atomicInt(at pointer: UnsafeMutableRawPointer, initialValue value: Int) -> UnsafeAtomic<Int> {
    let typed = pointer.bindMemory(to: Int.AtomicRepresentation.self, capacity: 1)
    typed.initialize(to: Int.AtomicRepresentation(value))
    return UnsafeAtomic(at: typed)
}

/// Copies between memory that another thread may write concurrently, one relaxed atomic
/// word at a time. Racing plain loads and stores are undefined behaviour (and
/// ThreadSanitizer says so); relaxed atomics compile to the same moves on x86-64 and
/// leave the caller to validate the copy with a sequence check.
@usableFromInline
enum _RacyCopy {
    /// Reads a `T` from `source` (8-byte aligned, `_roundUp(size, 8)` bytes readable).
    @inlinable
    static func load<T: BitwiseCopyable>(_: T.Type, from source: UnsafeRawPointer) -> T {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: _words(T.self)) { words in
            let src = UnsafeMutableRawPointer(mutating: source)
            for i in 0..<words.count {
                let cell = UnsafeAtomic<UInt64>(
                    at: (src + i &* 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
                words[i] = cell.load(ordering: .relaxed)
            }
            return UnsafeRawPointer(words.baseAddress!).loadUnaligned(as: T.self)
        }
    }

    /// Writes `value` to `destination` (8-byte aligned, `_roundUp(size, 8)` bytes writable).
    @inlinable
    static func store<T: BitwiseCopyable>(_ value: T, to destination: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: _words(T.self)) { words in
            words.initialize(repeating: 0)
            UnsafeMutableRawPointer(words.baseAddress!).storeBytes(of: value, as: T.self)
            for i in 0..<words.count {
                let cell = UnsafeAtomic<UInt64>(
                    at: (destination + i &* 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
                cell.store(words[i], ordering: .relaxed)
            }
        }
    }

    @inlinable @inline(__always)
    static func _words<T>(_: T.Type) -> Int { max(1, _roundUp(MemoryLayout<T>.size, to: 8) / 8) }
}

/// How many positions from `start` on are published, at most `limit`, probing as few
/// slots as it can.
///
/// A producer publishes positions in order with releasing stores, so a reader that
/// acquires "p is published" also sees every position before p published: the published
/// positions form a prefix and one probe vouches for all before it. The first few slots
/// are checked one by one: a reader that keeps up finds only a few new entries, and
/// probing further ahead would pull in lines the producer is about to write. A reader
/// that finds them all published is behind, so it gallops (8, 16, 32, … past the start)
/// and bisects, finding a long prefix in O(log n) probes instead of one per slot.
@inlinable @inline(__always)
func _publishedPrefix(from start: Int, limit: Int, _ isPublished: (Int) -> Bool) -> Int {
    let linear = min(limit, 8)
    var known = 0
    while known < linear, isPublished(start &+ known) { known &+= 1 }
    if known < linear || known == limit { return known }
    // Invariant: offsets below `known` are published; offset `unknown` is not (or is
    // past the limit).
    var unknown = limit
    var step = known
    while known < limit {
        let probe = min(known &+ step, limit) &- 1
        if isPublished(start &+ probe) {
            known = probe &+ 1
            step &<<= 1
        } else {
            unknown = probe
            break
        }
    }
    while known < unknown {
        let probe = known &+ (unknown &- known) / 2
        if isPublished(start &+ probe) { known = probe &+ 1 } else { unknown = probe }
    }
    return known
}
