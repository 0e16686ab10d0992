// QuorumEngine — configuration and the wiring of the engine's loops onto threads and cores.
//
// This module owns:
// - `QuorumConfig`, every key with its default, loaded from TOML with errors that name
//   the file, line, key, what was expected and what was found (`ConfigError`);
// - `ThreadPlan`, the validated mapping of the engine's loops to pinned threads and cores.
//
// The coordinator, order manager, positions and P&L join it with the engine issue.
