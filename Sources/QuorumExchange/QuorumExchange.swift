// QuorumExchange — the pure core of the exchange simulator behind `quorum sim`. It owns:
//
// - `MatchingEngine`: one symbol's price-time-priority matching (limit, market, IOC, FOK,
//   cancel, replace, partial fills) on a preallocated order pool, reporting order events and
//   the ITCH 5.0 messages a venue publishes to a generic `MatchingEvents` sink;
// - `Exchange`: the multi-symbol front (symbol table by locate and ticker, session S/R
//   messages, order references and match numbers unique over the day);
// - `MoldPublisher`: ITCH messages packed into MoldUDP64 packets, heartbeats, end of session,
//   and the retransmission store that answers re-requests, writing to a `MoldPacketSink`;
// - `BackgroundFlow` and `FlowPacer`: synthetic or replayed ITCH turned into order entry at a
//   configured rate;
// - fault decisions (`PacketFaults`, `StreamFaults`, `MessageCorruptor`) the socket glue
//   consults per packet or message.
//
// Nothing here touches a socket or FIX: the lead's `quorum sim` binds sinks to the reactor
// and the FIX acceptor. Everything is single-threaded ("Not thread-safe"): one loop owns it.
