/// A fixed-capacity map from non-zero 64-bit keys (order references) to small values (order
/// handles, or other references):
/// open addressing, linear probing, backward-shift deletion (no tombstones, so probe lengths
/// never degrade over a long day). Capacity is a power of two at least twice the most keys
/// ever live, so probes stay short; it never grows. Key 0 marks an empty slot.
///
/// A handle over raw memory: copies share it, and `deallocate()` must be called once.
/// Not thread-safe.
@usableFromInline
struct _UnsafeRefMap<Value: BitwiseCopyable> {
    @usableFromInline let _keys: UnsafeMutablePointer<UInt64>
    @usableFromInline let _values: UnsafeMutablePointer<Value>
    /// What `find` returns for an absent key.
    @usableFromInline let _missing: Value
    @usableFromInline let _mask: Int
    /// log2(capacity).
    @usableFromInline let _bits: UInt64

    /// Room for `maxKeys` live keys.
    @usableFromInline
    init(maxKeys: Int, missing: Value) {
        _missing = missing
        var capacity = 16
        while capacity < 2 * maxKeys { capacity <<= 1 }
        _keys = .allocate(capacity: capacity)
        _keys.initialize(repeating: 0, count: capacity)
        _values = .allocate(capacity: capacity)
        _values.initialize(repeating: missing, count: capacity)
        _mask = capacity - 1
        _bits = UInt64(capacity.trailingZeroBitCount)
    }

    @usableFromInline
    func deallocate() {
        _keys.deallocate()
        _values.deallocate()
    }

    /// Empties the map. - Complexity: O(capacity).
    @usableFromInline
    func removeAll() {
        _keys.update(repeating: 0, count: _mask + 1)
    }

    /// The low bits, folded with the next two groups of bits. References are handed out in
    /// increasing order, so the live ones form a window: keys in a window narrower than the
    /// capacity land in distinct, neighbouring slots (no collisions, and recent orders share
    /// cache lines), where a multiplicative hash would scatter them over the whole table.
    /// The folding keeps strided keys (multiples of the capacity) from piling up.
    @inlinable @inline(__always)
    func _home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: key ^ (key >> _bits) ^ (key >> (2 &* _bits))) & _mask
    }

    /// The value stored for `key`, or `_missing`.
    @inlinable
    func find(_ key: UInt64) -> Value {
        var i = _home(key)
        while true {
            let k = _keys[i]
            if k == key { return _values[i] }
            if k == 0 { return _missing }
            i = (i + 1) & _mask
        }
    }

    /// Inserts or overwrites. The caller keeps live keys below half the capacity, so a free
    /// slot always exists.
    @inlinable
    func insert(_ key: UInt64, _ value: Value) {
        var i = _home(key)
        while true {
            let k = _keys[i]
            if k == 0 || k == key {
                _keys[i] = key
                _values[i] = value
                return
            }
            i = (i + 1) & _mask
        }
    }

    /// Removes `key` if present; returns whether it was.
    @inlinable
    @discardableResult
    func remove(_ key: UInt64) -> Bool {
        var i = _home(key)
        while true {
            let k = _keys[i]
            if k == 0 { return false }
            if k == key { break }
            i = (i + 1) & _mask
        }
        // Backward shift: pull later entries of the probe run into the hole when their home
        // lies at or before it (cyclically), so every remaining key stays reachable.
        var hole = i
        var j = (i + 1) & _mask
        while _keys[j] != 0 {
            let home = _home(_keys[j])
            if (j &- home) & _mask >= (j &- hole) & _mask {
                _keys[hole] = _keys[j]
                _values[hole] = _values[j]
                hole = j
            }
            j = (j + 1) & _mask
        }
        _keys[hole] = 0
        _values[hole] = _missing
        return true
    }
}
