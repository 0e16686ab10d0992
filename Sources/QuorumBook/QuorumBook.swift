// QuorumBook: the preallocated L3 order books.
//
// This module owns:
// - `OrderBook`: one symbol's order-by-order book — an order pool addressed by integer
//   handles, an order-reference → handle map with preallocated open addressing, price levels
//   with FIFO queues of orders, cached best bid/ask, top-N depth.
// - `BookManager`: the books of a whole ITCH feed keyed by stock locate, fed `ITCHMessage`s,
//   handling the stock directory (R), trading actions (H) and system events (S), and counting
//   (never throwing on) malformed flow.
// - `MarketUpdate`: the fixed-size event the feed handler publishes to agents.
// - `OrderBookEvents`: how book changes reach a caller without allocating — a generic handler
//   type parameter that the compiler specialises, not an existential or a closure.
//
// All storage is sized from `BookConfig` when a book is created; after that no operation
// allocates. Capacity limits are reported as statuses ("pool exhausted"), never by growing.
