/// Why a ring, seqlock or runner could not be created.
public enum RingError: Error, Equatable, CustomStringConvertible {
    /// A ring capacity must be a power of two in `1...RingCapacity.maximum`.
    case invalidCapacity(Int, allowed: String)
    /// A broadcast ring needs at least one reader.
    case invalidReaderCount(Int, allowed: String)
    /// The storage could not be allocated.
    case outOfMemory(bytes: Int)

    public var description: String {
        switch self {
        case .invalidCapacity(let value, let allowed):
            return "ring capacity \(value) is not allowed: expected \(allowed)"
        case .invalidReaderCount(let value, let allowed):
            return "broadcast reader count \(value) is not allowed: expected \(allowed)"
        case .outOfMemory(let bytes):
            return "could not allocate \(bytes) bytes of ring storage"
        }
    }
}

/// Capacity rules shared by every ring.
public enum RingCapacity {
    /// The largest capacity a ring accepts (2^30 slots).
    public static let maximum = 1 << 30

    /// Checks that `capacity` is a power of two in `minimum...maximum`.
    public static func validate(_ capacity: Int, minimum: Int = 1) throws(RingError) {
        guard capacity >= minimum, capacity <= maximum, capacity & (capacity - 1) == 0 else {
            throw .invalidCapacity(capacity, allowed: "a power of two in \(minimum)...\(maximum)")
        }
    }

    /// Whether `capacity` passes `validate(_:minimum:)`.
    public static func isValid(_ capacity: Int, minimum: Int = 1) -> Bool {
        capacity >= minimum && capacity <= maximum && capacity & (capacity - 1) == 0
    }
}
