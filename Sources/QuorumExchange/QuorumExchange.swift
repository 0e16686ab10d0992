// QuorumExchange — the exchange simulator behind `quorum sim`: a price-time-priority
// matching engine per symbol, the ITCH 5.0 over MoldUDP64 publisher with its
// retransmission store, the FIX 4.4 acceptor, and background flow.
