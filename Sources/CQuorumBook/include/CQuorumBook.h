#ifndef CQUORUMBOOK_H
#define CQUORUMBOOK_H

// Cache hints for the order book, which Swift cannot spell. Static inline: each call compiles
// to one instruction in the Swift caller.

/// Asks for the cache line holding `p` ahead of a write (PREFETCHW-class hint, keep in all
/// cache levels). A hint only: never faults, even on a bad address.
static inline void cquorumbook_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

/// Asks for the cache line holding `p` ahead of a read.
static inline void cquorumbook_prefetch_read(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
