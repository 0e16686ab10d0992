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
