import QuorumRings

/// The validated assignment of the engine's loops to pinned threads: every loop exactly
/// once, every thread on cores this process may use. Building one is the start-up check
/// that keeps the engine from starting half-configured.
public struct ThreadPlan: Sendable, Equatable {
    public struct Thread: Sendable, Equatable {
        public var name: String
        public var cpus: CPUSet
        public var loops: [EngineLoop]
        public var wait: WaitStrategy
    }

    /// A problem in the plan, with the config key it concerns.
    public struct Issue: Error, Equatable {
        public var key: String
        public var expected: String
        public var found: String
    }

    public let threads: [Thread]

    /// Validates `threads` against the CPUs in `available`.
    public init(threads config: [QuorumConfig.ThreadConfig], available: CPUSet) throws(Issue) {
        var owner: [EngineLoop: (thread: String, index: Int)] = [:]
        var names: [String: Int] = [:]
        var threads: [Thread] = []
        let loopNames = EngineLoop.names.joined(separator: ", ")
        for (i, t) in config.enumerated() {
            let key = "threads[\(i)]"
            if let first = names[t.name] {
                throw Issue(key: "\(key).name", expected: "a thread name not used before (threads[\(first)] is \"\(t.name)\")", found: "\"\(t.name)\"")
            }
            names[t.name] = i
            for core in t.cores where !available.contains(core) {
                throw Issue(key: "\(key).cores", expected: "cores among the available \(available)", found: "\(core)")
            }
            var loops: [EngineLoop] = []
            for name in t.loops {
                guard let loop = EngineLoop(rawValue: name) else {
                    throw Issue(key: "\(key).loops", expected: "loop names among \(loopNames)", found: "\"\(name)\"")
                }
                if let first = owner[loop] {
                    throw Issue(key: "\(key).loops", expected: "each loop on one thread (\"\(name)\" is already on thread \"\(first.thread)\", threads[\(first.index)])", found: "\"\(name)\" mapped twice")
                }
                owner[loop] = (t.name, i)
                loops.append(loop)
            }
            threads.append(Thread(name: t.name, cpus: CPUSet(t.cores), loops: loops, wait: t.wait))
        }
        let unmapped = EngineLoop.allCases.filter { owner[$0] == nil }
        if !unmapped.isEmpty {
            throw Issue(key: "threads", expected: "every loop (\(loopNames)) mapped to a thread", found: "no thread for " + unmapped.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        self.threads = threads
    }
}

extension ThreadPlan {
    /// Builds one stopped `LoopRunner` per planned thread, running `loops[name]` for each
    /// loop the plan puts on it, in plan order.
    /// - Throws: `Issue` when a planned loop has no implementation in `loops`.
    public func makeRunners(_ loops: [EngineLoop: any Loop]) throws -> [LoopRunner] {
        try threads.enumerated().map { index, thread in
            let members = try thread.loops.map { loop throws(Issue) -> any Loop in
                guard let implementation = loops[loop] else {
                    throw Issue(key: "threads[\(index)].loops", expected: "a running implementation of every planned loop", found: "none for \"\(loop.rawValue)\"")
                }
                return implementation
            }
            return try LoopRunner(name: thread.name, loops: members, cpus: thread.cpus, wait: thread.wait)
        }
    }
}
