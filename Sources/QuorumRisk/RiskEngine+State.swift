import QuorumJournal

// The risk engine's state for snapshots: what its inputs built up (marks, Σ, exposures, the
// P&L window, breakers, the gate's mode), written and read in one fixed order. Scratch
// buffers that every call rewrites before reading are not state and are not written.

extension RiskEngine: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("RiskEngine")
        image.buffer(pendingMarks, count: config.instrumentCapacity)
        sampler.writeState(to: &image)
        portfolio.writeState(to: &image)
        pnl.writeState(to: &image)
        breakers.writeState(to: &image)
        gate.writeState(to: &image)
    }

    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("RiskEngine")
        try image.buffer(pendingMarks, count: config.instrumentCapacity)
        try sampler.readState(from: &image)
        try portfolio.readState(from: &image)
        try pnl.readState(from: &image)
        try breakers.readState(from: &image)
        try gate.readState(from: &image)
    }
}

extension ReturnSampler: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("ReturnSampler")
        image.buffer(lastMid, count: dimension)
        image.buffer(baseMid, count: dimension)
        image.value(ticks); image.value(unknownInstrumentUpdates); image.value(invalidPriceUpdates)
    }

    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("ReturnSampler")
        try image.buffer(lastMid, count: dimension)
        try image.buffer(baseMid, count: dimension)
        try image.value(&ticks); try image.value(&unknownInstrumentUpdates); try image.value(&invalidPriceUpdates)
    }
}

extension Portfolio: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("Portfolio")
        image.value(capital)
        image.buffer(position, count: dimension)
        image.buffer(markTicks, count: dimension)
        image.buffer(mark, count: dimension)
        image.buffer(sectorGross, count: sectorCount)
        image.buffer(teamGross, count: teamCount)
        image.value(gross); image.value(net); image.value(rejectedUpdates)
        risk.writeState(to: &image)
    }

    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("Portfolio")
        try image.value(&capital)
        try image.buffer(position, count: dimension)
        try image.buffer(markTicks, count: dimension)
        try image.buffer(mark, count: dimension)
        try image.buffer(sectorGross, count: sectorCount)
        try image.buffer(teamGross, count: teamCount)
        try image.value(&gross); try image.value(&net); try image.value(&rejectedUpdates)
        try risk.readState(from: &image)
    }
}

extension PortfolioRisk: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("PortfolioRisk")
        image.buffer(w, count: dimension)
        image.buffer(sw, count: dimension)
        image.value(variance); image.value(lastPeriodPnL); image.value(rejectedExposures)
        covariance.writeState(to: &image)
    }

    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("PortfolioRisk")
        try image.buffer(w, count: dimension)
        try image.buffer(sw, count: dimension)
        try image.value(&variance); try image.value(&lastPeriodPnL); try image.value(&rejectedExposures)
        try covariance.readState(from: &image)
    }
}

extension EWMACovariance: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("EWMACovariance")
        image.buffer(storage, count: dimension * dimension)
        image.value(updates); image.value(rejectedUpdates)
    }

    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("EWMACovariance")
        try image.buffer(storage, count: dimension * dimension)
        try image.value(&updates); try image.value(&rejectedUpdates)
    }
}

extension PnLWindow: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("PnLWindow")
        image.buffer(ring, count: capacity)
        image.value(head); image.value(count); image.value(rejected)
    }

    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("PnLWindow")
        try image.buffer(ring, count: capacity)
        try image.value(&head); try image.value(&count); try image.value(&rejected)
    }
}

extension CircuitBreakers: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("CircuitBreakers")
        image.value(dayStartEquity); image.value(peakEquity); image.value(rejectedObservations)
        image.value(statuses)
    }

    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("CircuitBreakers")
        try image.value(&dayStartEquity); try image.value(&peakEquity); try image.value(&rejectedObservations)
        try image.value(&statuses)
    }
}

extension RiskGate: StateImaging {
    public func writeState(to image: inout StateImageWriter) {
        image.section("RiskGate")
        image.value(mode)
    }

    public func readState(from image: inout StateImageReader) throws(StateImageError) {
        try image.section("RiskGate")
        try image.value(&mode)
    }
}
