import QuorumWire

/// Capacities of the books. The engine maps its TOML config onto this; the defaults suit a
/// NASDAQ day of a few hundred active symbols on a machine with a few GB to spare.
public struct BookConfig: Sendable, Equatable {
    /// Orders one symbol's book can hold at once (its order pool). Rounded up to a power of two.
    public var ordersPerSymbol: Int
    /// Distinct price levels one side of one book can hold.
    public var levelsPerSide: Int
    /// Books (symbols) the manager can hold.
    public var maxSymbols: Int
    /// Slots of the manager's feed-wide order-reference table (8 bytes each), rounded up to a
    /// power of two; 0 keeps every reference in its book's map. An order whose slot was
    /// taken by a live order that many references older goes to its book's map instead, so
    /// this should exceed the span of live references (ITCH references increase feed-wide).
    public var feedRefSlots: Int

    public init(ordersPerSymbol: Int = 1 << 16, levelsPerSide: Int = 4096, maxSymbols: Int = 1024,
                feedRefSlots: Int = 1 << 20) {
        self.ordersPerSymbol = ordersPerSymbol
        self.levelsPerSide = levelsPerSide
        self.maxSymbols = maxSymbols
        self.feedRefSlots = feedRefSlots
    }

    /// Bytes one book preallocates.
    public var bytesPerBook: Int {
        let orders = ordersPerSymbol.nextPowerOfTwoAtLeast(2)
        return orders * MemoryLayout<_Order>.stride + 2 * orders * MemoryLayout<_MapSlot>.stride
            + 2 * levelsPerSide * (MemoryLayout<_Level>.stride + MemoryLayout<_LadderEntry>.stride)
            + 2 * (2 * Swift.max(levelsPerSide, 1)).nextPowerOfTwoAtLeast(4) * MemoryLayout<_MapSlot>.stride
            + 2 * MemoryLayout<_SideState>.stride
    }
}

extension Int {
    @usableFromInline
    func nextPowerOfTwoAtLeast(_ minimum: Int) -> Int {
        var n = Swift.max(minimum, 1)
        while n < self { n <<= 1 }
        return n
    }
}
