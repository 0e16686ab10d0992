import QuorumMarketTools

// Fault decisions for tests of the feed and session code: small seeded value types the
// socket glue consults per packet or message. They decide; the glue acts (drops, holds,
// closes, flips). Same seed, same decisions, always.

/// How often to hit: never, every Nth event (N, 2N, 3N, … counting from 1), or each event
/// independently with a probability.
@frozen public enum FaultRate: Equatable, Sendable {
    case never
    case everyNth(Int)
    case probability(Double)

    @inlinable
    func hits(_ index: UInt64, _ rng: inout SplitMix64) -> Bool {
        switch self {
        case .never: return false
        case .everyNth(let n): return n > 0 && index % UInt64(n) == 0
        case .probability(let p): return p > 0 && rng.unit() <= p
        }
    }
}

/// Drops and reorders the datagrams of a UDP stream.
///
/// The glue offers each packet under an id it keeps the bytes by (a slot index), then sends
/// the ids `nextToSend()` yields, in that order. A dropped id is never yielded (free its
/// slot); a held one comes out after 1…`reorderWindow − 1` later packets have gone, so no
/// packet moves more than `reorderWindow − 1` places. `finish()` releases what is held.
///
/// The queues are allocated at `init`; offering never allocates. Not thread-safe.
public struct PacketFaults {
    public struct Config: Equatable, Sendable {
        public var drop: FaultRate
        /// Packets to hold back and send late.
        public var reorder: FaultRate
        /// A held packet is overtaken by at most `reorderWindow − 1` packets (≥ 2 to reorder).
        public var reorderWindow: Int
        public var seed: UInt64

        public init(drop: FaultRate = .never, reorder: FaultRate = .never, reorderWindow: Int = 4, seed: UInt64 = 1) {
            self.drop = drop
            self.reorder = reorder
            self.reorderWindow = max(1, reorderWindow)
            self.seed = seed
        }
    }

    public let config: Config
    public private(set) var offered: UInt64 = 0
    public private(set) var dropped: UInt64 = 0
    public private(set) var held: UInt64 = 0
    var rng: SplitMix64
    /// Held ids and how many more packets must go out before each.
    var holding: [(id: Int, countdown: Int)]
    var out: [Int]
    var outHead = 0

    public init(_ config: Config) {
        self.config = config
        rng = SplitMix64(seed: config.seed)
        holding = []
        holding.reserveCapacity(config.reorderWindow)
        out = []
        out.reserveCapacity(2 * config.reorderWindow + 2)
    }

    /// Decides the fate of packet `id`; then call `nextToSend()` until nil.
    public mutating func offer(_ id: Int) {
        if outHead == out.count {
            out.removeAll(keepingCapacity: true)
            outHead = 0
        }
        offered += 1
        if config.drop.hits(offered, &rng) {
            dropped += 1
            return
        }
        // Draw the hold distance only when holding, so a drop decision never shifts it.
        if config.reorderWindow >= 2, holding.count < config.reorderWindow - 1, config.reorder.hits(offered, &rng) {
            held += 1
            holding.append((id, 1 + Int(rng.below(UInt64(config.reorderWindow - 1)))))
            return
        }
        _emit(id)
    }

    /// The next id to send now, or nil.
    public mutating func nextToSend() -> Int? {
        guard outHead < out.count else { return nil }
        defer { outHead += 1 }
        return out[outHead]
    }

    /// Releases every held packet (end of stream), oldest first.
    public mutating func finish() {
        if outHead == out.count {
            out.removeAll(keepingCapacity: true)
            outHead = 0
        }
        for h in holding { out.append(h.id) }
        holding.removeAll(keepingCapacity: true)
    }

    /// Sends `id`, counting it against every held packet; releases those whose turn came.
    mutating func _emit(_ id: Int) {
        out.append(id)
        for i in holding.indices { holding[i].countdown -= 1 }
        while let i = holding.firstIndex(where: { $0.countdown <= 0 }) {
            let h = holding.remove(at: i)
            out.append(h.id)
            for j in holding.indices { holding[j].countdown -= 1 }
        }
    }
}

/// Delays or cuts a TCP stream (FIX session) after a number of messages.
public struct StreamFaults: Equatable, Sendable {
    public struct Config: Equatable, Sendable {
        /// Delay the message after this many (the first N pass untouched); nil: never.
        public var delayAfter: Int?
        /// … and then every `delayEvery`-th message after it; nil: only once.
        public var delayEvery: Int?
        public var delayNanos: UInt64
        /// Cut the connection instead of sending the message after this many; nil: never.
        public var cutAfter: Int?

        public init(delayAfter: Int? = nil, delayEvery: Int? = nil, delayNanos: UInt64 = 0, cutAfter: Int? = nil) {
            self.delayAfter = delayAfter
            self.delayEvery = delayEvery
            self.delayNanos = delayNanos
            self.cutAfter = cutAfter
        }
    }

    @frozen public enum Action: Equatable, Sendable {
        case pass
        /// Hold this message (and what follows it) for this long.
        case delay(nanos: UInt64)
        /// Close the connection; do not send this message.
        case cut
    }

    public let config: Config
    public private(set) var messages: UInt64 = 0
    public private(set) var delayed: UInt64 = 0
    public private(set) var cuts: UInt64 = 0

    public init(_ config: Config) { self.config = config }

    /// What to do with the next message.
    public mutating func next() -> Action {
        messages += 1
        let k = Int(messages)
        if let c = config.cutAfter, k == c + 1 {
            cuts += 1
            return .cut
        }
        if let d = config.delayAfter, k > d {
            let since = k - d - 1
            if since == 0 || (config.delayEvery.map { $0 > 0 && since % $0 == 0 } ?? false) {
                delayed += 1
                return .delay(nanos: config.delayNanos)
            }
        }
        return .pass
    }

    /// Starts counting again (a new connection).
    public mutating func reset() { messages = 0 }
}

/// Corrupts messages (FIX) by flipping bits of one byte, seeded.
public struct MessageCorruptor: Sendable {
    public let rate: FaultRate
    public let seed: UInt64
    public private(set) var messages: UInt64 = 0
    public private(set) var corrupted: UInt64 = 0
    var rng: SplitMix64

    public init(rate: FaultRate, seed: UInt64 = 1) {
        self.rate = rate
        self.seed = seed
        rng = SplitMix64(seed: seed)
    }

    /// For the next message of `length` bytes: the byte to change and the non-zero mask to
    /// XOR it with, or nil to leave it intact.
    public mutating func decide(length: Int) -> (offset: Int, mask: UInt8)? {
        messages += 1
        guard length > 0, rate.hits(messages, &rng) else { return nil }
        corrupted += 1
        let offset = Int(rng.below(UInt64(length)))
        let mask = UInt8(1 + rng.below(255))
        return (offset, mask)
    }

    /// Decides and applies to `message` in place; returns the offset changed, if any.
    @discardableResult
    public mutating func corrupt(_ message: UnsafeMutableRawBufferPointer) -> Int? {
        guard let (offset, mask) = decide(length: message.count) else { return nil }
        message[offset] ^= mask
        return offset
    }
}
