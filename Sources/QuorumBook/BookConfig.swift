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

    public init(ordersPerSymbol: Int = 1 << 16, levelsPerSide: Int = 4096, maxSymbols: Int = 1024) {
        self.ordersPerSymbol = ordersPerSymbol
        self.levelsPerSide = levelsPerSide
        self.maxSymbols = maxSymbols
    }

    /// Bytes one book preallocates.
    public var bytesPerBook: Int {
        let orders = ordersPerSymbol.nextPowerOfTwoAtLeast(2)
        return orders * MemoryLayout<_Order>.stride + 2 * orders * MemoryLayout<_MapSlot>.stride
            + 2 * levelsPerSide * (MemoryLayout<_Level>.stride + MemoryLayout<_LadderEntry>.stride)
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
