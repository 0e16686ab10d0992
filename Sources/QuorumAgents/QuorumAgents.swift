// QuorumAgents — the trading team: deterministic, preallocated agents (analysts, regime,
// correlation, portfolio, execution, risk, supervisor and team leads) and the ways they
// coordinate (scratchpad, ask/delegate, consensus, conflicts, collective memory,
// quarantine).
