import QuorumRings

extension QuorumConfig {
    /// The resolved configuration as TOML: every key, defaults included, in the order of
    /// the reference in README.md. Loading it again gives the same configuration.
    public func renderTOML() -> String {
        var out = """
            [engine]
            name = "\(engine.name)"

            [rings]
            market_updates = \(rings.marketUpdates)
            intents = \(rings.intents)
            orders = \(rings.orders)
            scratchpad = \(rings.scratchpad)
            placement = "\(rings.placement == .heap ? "heap" : "numa-local")"

            """
        for t in threads {
            out += """

                [[threads]]
                name = "\(t.name)"
                cores = [\(t.cores.map(String.init).joined(separator: ", "))]
                loops = [\(t.loops.map { "\"\($0)\"" }.joined(separator: ", "))]
                wait = "\(t.wait.configName)"

                """
        }
        out += """

            [risk]
            instruments = \(risk.instruments)
            lambda = \(risk.lambda)
            confidence = \(risk.confidence)
            horizon = \(risk.horizon)
            pnl_window = \(risk.pnlWindow)
            stress = [\(risk.stress.map { "\"\($0)\"" }.joined(separator: ", "))]

            """
        let b = bench.rings
        out += """

            [bench.rings]
            messages = \(b.messages)
            runs = \(b.runs)
            capacity = \(b.capacity)
            latency_samples = \(b.latencySamples)
            producer_core = \(b.producerCore)
            consumer_core = \(b.consumerCore)

            """
        out += roster.renderTOML()
        out += renderLiveTOML()
        return out
    }
}
