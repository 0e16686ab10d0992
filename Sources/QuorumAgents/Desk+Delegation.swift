// Delegation: an agent hands a setup (symbol, side, size, entry limit, deadline in event
// time) to the execution agent and moves on; the execution agent works it one child order at
// a time — resting at the limit until the deadline, then cancelling or crossing per the
// setup — and reports the outcome (units filled and not, average price, shortfall, status)
// to the delegator on the scratchpad and as a `.delegationOutcome` record.
//
// Delegated inventory is the delegator's own: its fills reach the risk engine (real
// exposure) and the coordinator's books, but not the consensus book's `position`, so the
// portfolio's targets neither unwind it nor count it. Everything runs in event time inside
// the desk's steps, so replay reproduces it; a deadline passes at the first step whose time
// is beyond it, whatever that step is about.

extension Desk {
    /// Setups the agent that just ran put into `output`, and — for an analyst configured with
    /// a `DelegationPolicy` — the setups its valid signals imply. Called from `collect(from:)`.
    /// - Complexity: O(outputs + open tasks); no allocation.
    func collectSetups(from a: AgentID) {
        guard output.setupCount > 0 || delegations.anyPolicy else { return }
        for k in 0..<output.setupCount { delegate(output.setup(k), from: a) }
        guard a.index < delegations.policies.count, let policy = delegations.policies[a.index] else { return }
        let n = symbolCount
        for k in 0..<output.signalCount {
            let sig = output.signal(k)
            guard OutputValidator.check(sig, from: a, symbolCount: n, covers: { covers[a.index * n + $0] }) == nil else { continue }
            let s = sig.symbol
            guard !delegations.hasOpenTask(a, s) else { continue }
            let need = sig.direction.sign * policy.quantity - delegations.held(a, s)
            let b = bid[s.index], o = ask[s.index]
            guard need != 0, !b.isEmpty, !o.isEmpty else { continue }
            let d = Direction.of(need)
            let limit = d == .long ? Int64(b.price.rawValue) + policy.offsetTicks : Int64(o.price.rawValue) - policy.offsetTicks
            delegate(Setup(symbol: s, direction: d, quantity: abs(need), limitTicks: limit, deadline: now &+ policy.deadlineNanos,
                           onExpiry: policy.onExpiry, agent: a, time: now), from: a)
        }
    }

    /// Posts one setup after checking it; refusals are counted and recorded (`.refused`,
    /// detail 4 invalid, 5 not in normal mode, 6 board full).
    func delegate(_ x: Setup, from a: AgentID) {
        let n = symbolCount
        let valid = x.agent == a && x.symbol.index < n && x.direction != .flat && x.quantity > 0 && x.limitTicks > 0
            && x.deadline > now && (a.index >= analystCount || covers[a.index * n + x.symbol.index])
        var refusal: UInt8 = 0
        if !valid { refusal = 4 } else if mode != .normal { refusal = 5 }
        if refusal == 0, let id = delegations.post(x, arrivalMid: mid[x.symbol.index]) {
            records.append(DeskRecord(.delegation, time: x.deadline, agent: a, other: execution.id, symbol: x.symbol,
                                      direction: x.direction, detail: x.onExpiry.rawValue, id: id, quantity: x.quantity,
                                      value: Double(x.limitTicks)))
            return
        }
        if refusal == 0 { refusal = 6 } else { delegations.refused &+= 1 }
        records.append(DeskRecord(.refused, time: now, agent: a, symbol: x.symbol.index < n ? x.symbol : .none,
                                  direction: x.direction, detail: refusal, quantity: x.quantity))
    }

    /// Works every open setup at this step: deadlines first, then a child for each setup of
    /// `symbol` (or any setup due to cross) that has none out. Called on every market update.
    /// - Complexity: O(open tasks²) worst case for removals, open tasks ≤ capacity; no allocation.
    func workDelegations(_ symbol: SymbolID) {
        var k = 0
        while k < delegations.count {
            var t = delegations.tasks[k]
            if mode == .emergency {
                // The cancel-all takes the children; forget them like the execution plans.
                if !t.reported { report(&t, .cancelled) }
                t.workingID = 0
            }
            if !t.reported && now > t.setup.deadline && t.workingID == 0 {
                if t.setup.onExpiry == .cancel || t.remaining == 0 {
                    report(&t, .expired)
                } else if t.crossSent {
                    report(&t, .crossed)
                }
            } else if !t.reported && now > t.setup.deadline && t.setup.onExpiry == .cancel {
                // Expired with a child still out: report now, never wait for it; a late fill is counted.
                report(&t, .expired)
            }
            if !t.reported && t.workingID == 0 && t.remaining > 0 {
                let crossing = now > t.setup.deadline
                if crossing || t.setup.symbol == symbol { send(&t, crossing: crossing) }
            }
            delegations.tasks[k] = t
            if t.reported && t.workingID == 0 { delegations.remove(k) } else { k += 1 }
        }
    }

    /// Sends the task's next child through the risk gate: resting at the limit, or across the
    /// spread for the remainder once the deadline has passed.
    func send(_ t: inout DelegatedTask, crossing: Bool) {
        let s = t.setup.symbol, i = s.index
        let d = t.setup.direction
        guard !bid[i].isEmpty, !ask[i].isEmpty, orderCount < orders.count else { return }
        let limit = crossing ? Int64(d == .long ? ask[i].price.rawValue : bid[i].price.rawValue) : t.setup.limitTicks
        var c = ChildOrder(id: execution.nextOrderID, symbol: s, direction: d, quantity: t.remaining, limitTicks: limit,
                           style: crossing ? .immediate : .passive, time: now)
        switch risk.check(c) {
        case .approve:
            break
        case .resize(let q, let reason):
            counters.resizes &+= 1
            records.append(DeskRecord(.resize, time: now, agent: risk.id, symbol: s, direction: d, detail: reason.rawValue,
                                      quantity: q, value: Double(c.quantity)))
            c.quantity = q
        case .reject(let reason):
            counters.vetoes &+= 1
            records.append(DeskRecord(.veto, time: now, agent: risk.id, symbol: s, direction: d, detail: reason.rawValue,
                                      quantity: c.quantity))
            report(&t, .vetoed)
            return
        }
        guard c.quantity > 0 else { return }
        execution.nextOrderID &+= 1  // one id space with the execution plans' children
        if crossing { t.crossSent = true }
        t.workingID = c.id
        t.workingLeft = c.quantity
        orders[orderCount] = c
        orderCount += 1
        counters.childOrders &+= 1
        delegations.childOrders &+= 1
        records.append(DeskRecord(.childOrder, time: now, agent: execution.id, other: t.setup.agent, symbol: s, direction: d,
                                  detail: c.style.rawValue, id: c.id, quantity: c.quantity, value: Double(c.limitTicks)))
    }

    /// The outcome, to the delegator: a record and a scratchpad entry.
    func report(_ t: inout DelegatedTask, _ status: DelegationStatus) {
        t.reported = true
        delegations.outcomes[Int(status.rawValue)] &+= 1
        records.append(DeskRecord(.delegationOutcome, time: now, agent: execution.id, other: t.setup.agent, symbol: t.setup.symbol,
                                  direction: t.setup.direction, detail: status.rawValue, id: t.id, quantity: t.filled,
                                  value: t.averageTicks, value2: t.shortfall))
        scratchpad.publish(ScratchpadEntry(kind: .delegation, agent: t.setup.agent, symbol: t.setup.symbol,
                                           direction: t.setup.direction, value: Double(t.filled), value2: Double(t.remaining),
                                           time: now, detail: status.rawValue))
    }

    /// A fill of a delegated child: applied to its task and the delegator's inventory, the
    /// risk engine told; true when `f` was one. Called from `onFill(_:)`.
    func routeDelegatedFill(_ f: Fill) -> Bool {
        guard delegations.count > 0, let k = delegations.index(ofOrder: f.order) else { return false }
        var t = delegations.tasks[k]
        guard f.symbol == t.setup.symbol, f.direction == t.setup.direction else { return false }
        risk.onFill(f)
        let q = f.quantity
        t.filled += q
        t.filledTicks += Double(q) * Double(f.priceTicks)
        if t.arrivalMid > 0 { t.shortfall += Double(f.direction.sign) * (Double(f.priceTicks) / 10_000 - t.arrivalMid) * Double(q) }
        t.workingLeft -= q
        if t.workingLeft <= 0 { t.workingID = 0; t.workingLeft = 0 }
        delegations.addHeld(t.setup.agent, f.symbol, f.direction.sign * q)
        delegations.filledQuantity &+= q
        if t.reported { delegations.lateFills &+= 1 }
        records.append(DeskRecord(.fill, time: now, agent: execution.id, other: t.setup.agent, symbol: f.symbol,
                                  direction: f.direction, id: f.order, quantity: q, value: Double(f.priceTicks), value2: t.shortfall))
        if !t.reported && t.remaining <= 0 { report(&t, t.crossSent ? .crossed : .filled) }
        delegations.tasks[k] = t
        if t.reported && t.workingID == 0 { delegations.remove(k) }
        deliverScratchpad()
        updateMode()
        evaluateDirty()
        return true
    }

    /// A delegated child was closed (cancelled, expired, rejected); true when `order` was one.
    /// The setup is worked again on its symbol's next update; a crossing child closing ends it.
    /// Called from `onOrderClosed(symbol:order:unfilled:time:)`.
    func routeDelegatedClose(_ s: SymbolID, order: UInt64) -> Bool {
        guard delegations.count > 0, let k = delegations.index(ofOrder: order) else { return false }
        var t = delegations.tasks[k]
        t.workingID = 0
        t.workingLeft = 0
        if !t.reported && t.crossSent { report(&t, .crossed) }
        delegations.tasks[k] = t
        if t.reported { delegations.remove(k) }
        deliverScratchpad()
        return true
    }
}
