// QuorumNet — the net loop's parts: one io_uring reactor per loop, the MoldUDP64 and
// SoupBinTCP feed clients that turn packets into book updates, and the FIX 4.4 initiator
// session that carries orders out and execution reports back.
