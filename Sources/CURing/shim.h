// The C side of Quorum: liburing and libnuma as they are, plus the few helpers that
// Swift cannot import directly (GNU-only affinity calls and CPU_SET macros, the variadic
// syscall(2) behind futex, and the pause instruction).
#ifndef CURING_SHIM_H
#define CURING_SHIM_H

// pthread_setaffinity_np and the CPU_SET macros are only declared under _GNU_SOURCE.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <liburing.h>
#include <linux/futex.h>
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/// Pins the calling thread to the CPUs whose bits are set in `mask` (CPU i is bit i,
/// up to 64 CPUs). Returns 0 or an errno value.
static inline int curing_pin_current_thread(uint64_t mask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu = 0; cpu < 64; cpu++) {
        if (mask & ((uint64_t)1 << cpu)) CPU_SET(cpu, &set);
    }
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/// The CPUs the calling thread may run on, as a bit mask (CPU i is bit i, first 64 CPUs).
/// Returns 0 when the affinity cannot be read.
static inline uint64_t curing_current_thread_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return 0;
    uint64_t mask = 0;
    for (int cpu = 0; cpu < 64; cpu++) {
        if (CPU_ISSET(cpu, &set)) mask |= (uint64_t)1 << cpu;
    }
    return mask;
}

/// The CPUs this process may use (its affinity at start-up), as a bit mask.
static inline uint64_t curing_process_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    uint64_t mask = 0;
    for (int cpu = 0; cpu < 64; cpu++) {
        if (CPU_ISSET(cpu, &set)) mask |= (uint64_t)1 << cpu;
    }
    return mask;
}

/// The CPU the calling thread is running on right now.
static inline int curing_current_cpu(void) { return sched_getcpu(); }

/// Sleeps while `*word == expected`, for at most `timeout_ns` (0: no limit).
/// Returns 0 when woken, or an errno value (EAGAIN: the word had changed; ETIMEDOUT).
static inline int curing_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts;
    struct timespec *tsp = NULL;
    if (timeout_ns > 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tsp = &ts;
    }
    long rc = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, tsp, NULL, 0);
    return rc == 0 ? 0 : errno;
}

/// Wakes up to `count` threads sleeping on `word`. Returns how many were woken.
static inline int curing_futex_wake(uint32_t *word, int count) {
    long rc = syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
    return rc < 0 ? 0 : (int)rc;
}

/// The spin-wait hint: tells the core a busy-wait loop is running (PAUSE on x86-64).
static inline void curing_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// CLOCK_MONOTONIC in nanoseconds (vDSO; no system call on x86-64).
static inline uint64_t curing_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
