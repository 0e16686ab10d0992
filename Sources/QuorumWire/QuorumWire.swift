// QuorumWire: market data and orders on the wire.
//
// This module owns the byte layouts Quorum reads and writes:
//
// - NASDAQ TotalView-ITCH 5.0 messages (all 23 types) as fixed-length structs that decode
//   from, and encode into, raw caller-owned buffers (`ITCH`, `ITCHMessage`).
// - MoldUDP64 downstream packets and re-request packets (`MoldUDP64`).
// - SoupBinTCP 3.00 logical packets, both directions (`SoupBinTCP`).
// - FIX 4.4 session and order-entry messages: an encoder into caller buffers (`FIXEncoder`)
//   and a validating zero-copy parser (`FIXParser`, `FIXMessageView`).
// - NASDAQ's recorded day-file framing: a 2-byte big-endian length before each
//   message (`ITCHDayFile`).
//
// Nothing here allocates on the decode or encode path. Fields are read in place from the
// caller's bytes with unaligned big-endian loads: the per-type structs are built by
// `@inlinable` initialisers, so a caller that reads one field pays for one load.
// Malformed input is reported as a `WireError` carrying the byte offset; decoding never
// traps on bad bytes.
