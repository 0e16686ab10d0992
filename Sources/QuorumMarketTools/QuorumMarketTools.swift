// QuorumMarketTools: what a user runs to trust the market-data path on real and synthetic
// data. Kept out of QuorumWire/QuorumBook so the hot-path modules stay free of Foundation,
// files and strings.
//
// This module owns:
// - LOBSTER CSV reading, replay into an `OrderBook`, the per-transition check, and conversion
//   to an ITCH day file (`Lobster…`);
// - ITCH day-file statistics and depth-at-a-time (`ITCHFileTools`);
// - the deterministic synthetic day generator (`ITCHGenerator`);
// - progress on a terminal and typed errors that name file, line or byte offset, field, value.
//
// The `quorum lobster …` and `quorum itch …` commands are thin wrappers over this API.
