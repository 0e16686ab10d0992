// QuorumNet — the net loop's parts: one io_uring reactor per loop, the MoldUDP64 and
// SoupBinTCP feed clients that turn packets into book updates (and `MarketUpdateFeed`, which
// publishes them to a ring), and the FIX 4.4 session — initiator for Quorum's orders,
// acceptor for the simulator — bound to a reactor connection by `FIXTCPHandler`.
