// QuorumAgents — the trading team: deterministic, preallocated agents and the ways they
// coordinate.
//
// This module owns:
// - the identifiers and fixed-size messages agents exchange (`AgentID`, `SymbolID`, `TeamID`,
//   `Signal`, `Observation`, `Target`, `ChildOrder`, `Directive`, `ConsensusDecision`,
//   `Outcome`, `DeskRecord`), roles and their default consensus weights (`Role`, `RoleWeights`);
// - the `Agent` protocol and the preallocated `AgentOutput` agents emit into, with output
//   validation (`OutputValidator`);
// - incremental indicators, each O(1) per update (`EMA`, `MACD`, `RSI`, `RollingMoments`,
//   `RollingVWAP`, `RollingExtremes`, `Microprice`) and the analysts built on them;
// - the specialists: `RegimeAgent`, `CorrelationAgent` (over QuorumRisk's EWMA covariance),
//   `PortfolioAgent`, `ExecutionAgent`, `RiskAgent` (over QuorumRisk's `RiskEngine`),
//   `Supervisor` and `TeamLead`s;
// - the coordination mechanisms, each a type with counters: `Scratchpad`, `AskBoard`,
//   `DelegationBoard` (setups handed to the execution agent, Desk+Delegation.swift),
//   `ConsensusBook`, `ConflictResolver`, `CollectiveMemory`, `FailureIsolation`;
// - `Desk`, which assembles all of it from a plain `DeskConfig` and runs one deterministic
//   step per input event, emitting every decision, order intent and coordination event as
//   `DeskRecord`s for the journal.
//
// Determinism: every step depends only on the inputs passed in (market updates, fills,
// order closures, directives, reported overruns) and the configuration. No wall clock, no
// unseeded randomness, no Dictionary iteration. Times are event times (ns) from the inputs.
//
// Not thread-safe: a `Desk` and everything in it has one owner (the coordinator loop).
// Storage is allocated in `init` and never grows; the per-event paths do not allocate,
// throw or log — bad output is dropped and counted.
//
// @exclusivity(unchecked) on the classes' stored properties: the dynamic exclusivity
// checks (swift_beginAccess per access) were about a third of a desk step (perf on
// AgentBenchmarks). Safe because every object has one owner, and no method holds an inout
// or modify access to a property across a call that can reach the same property: agents
// and mechanisms never call back into the desk, and the desk's own re-entrant paths (ask
// delivery → intake, scratchpad delivery → collect) touch disjoint state — the ask board's
// queue and the cursors are only read by value around those calls.

import QuorumBook
import QuorumRisk
import QuorumWire
