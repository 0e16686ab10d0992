import QuorumJournal

// The risk engine's state for snapshots: what its inputs built up (marks, Σ, exposures, the
// P&L window, breakers, the gate's mode), in one fixed order. Scratch buffers that every call
// rewrites before reading are not state and are not imaged.

extension RiskEngine: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("RiskEngine")
        try image.buffer(pendingMarks, count: config.instrumentCapacity)
        try sampler.image(&image)
        try portfolio.image(&image)
        try pnl.image(&image)
        try breakers.image(&image)
        try gate.image(&image)
    }
}

extension ReturnSampler: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("ReturnSampler")
        try image.buffer(lastMid, count: dimension)
        try image.buffer(baseMid, count: dimension)
        try image.value(&ticks); try image.value(&unknownInstrumentUpdates); try image.value(&invalidPriceUpdates)
    }
}

extension Portfolio: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("Portfolio")
        try image.value(&capital)
        try image.buffer(position, count: dimension)
        try image.buffer(markTicks, count: dimension)
        try image.buffer(mark, count: dimension)
        try image.buffer(sectorGross, count: sectorCount)
        try image.buffer(teamGross, count: teamCount)
        try image.value(&gross); try image.value(&net); try image.value(&rejectedUpdates)
        try risk.image(&image)
    }
}

extension PortfolioRisk: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("PortfolioRisk")
        try image.buffer(w, count: dimension)
        try image.buffer(sw, count: dimension)
        try image.value(&variance); try image.value(&lastPeriodPnL); try image.value(&rejectedExposures)
        try covariance.image(&image)
    }
}

extension EWMACovariance: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("EWMACovariance")
        try image.buffer(storage, count: dimension * dimension)
        try image.value(&updates); try image.value(&rejectedUpdates)
        _diagonalChanged()  // after a restore; harmless after a write
    }
}

extension PnLWindow: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("PnLWindow")
        try image.buffer(ring, count: capacity)
        try image.value(&head); try image.value(&count); try image.value(&rejected)
    }
}

extension CircuitBreakers: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("CircuitBreakers")
        try image.value(&dayStartEquity); try image.value(&peakEquity); try image.value(&rejectedObservations)
        // One at a time: a tuple cannot list its fields, each status can.
        try image.value(&statuses.0); try image.value(&statuses.1); try image.value(&statuses.2); try image.value(&statuses.3)
    }
}

extension RiskGate: StateImaging {
    public func image(_ image: inout StateImage) throws(StateImageError) {
        try image.section("RiskGate")
        try image.value(&mode)
    }
}

extension BreakerStatus: StateImagePadded {
    public static var imageFields: [PartialKeyPath<Self>] {
        [\.kind, \.state, \.lastValue, \.triggerValue, \.triggeredAtNanos]
    }
}
