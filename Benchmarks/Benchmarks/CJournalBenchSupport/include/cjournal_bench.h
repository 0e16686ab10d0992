// Timing helpers for the journal benchmarks: the time-stamp counter, for timing single
// operations far shorter than a clock_gettime pair.
#ifndef CJOURNAL_BENCH_H
#define CJOURNAL_BENCH_H

#include <stdint.h>

#if defined(__x86_64__)
#include <x86intrin.h>
/// RDTSCP: waits for the instructions before it to finish, so the operation is inside the pair.
static inline uint64_t cjournal_bench_tsc(void) {
    unsigned int aux;
    return __rdtscp(&aux);
}
#else
#include <time.h>
static inline uint64_t cjournal_bench_tsc(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

#endif
