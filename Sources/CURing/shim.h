// The C side of Quorum: liburing and libnuma as they are, plus the few helpers that
// Swift cannot import directly: the variadic syscall(2) behind affinity and futex, and
// the pause instruction.
#ifndef CURING_SHIM_H
#define CURING_SHIM_H

// Affinity goes through the raw system calls rather than pthread_setaffinity_np and the
// CPU_SET macros: those need _GNU_SOURCE, and defining it here changes glibc's struct
// definitions (fd_set) so that this module no longer agrees with Swift's Glibc module.
#include <errno.h>
// The kernel's io_uring.h first: liburing's bundled copy has the same include guard and is
// then skipped, so this module's io_uring structs are the very ones swift-system's CSystem
// declares, and a client that loads both modules (package-benchmark does) sees no clash.
#include <linux/io_uring.h>
#include <liburing.h>
#include <linux/futex.h>
#include <numa.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/// Room for 1024 CPUs, as the kernel's affinity calls want a mask at least as wide as
/// its configured CPU count.
#define CURING_CPU_WORDS 16

/// Pins the calling thread to the CPUs whose bits are set in `mask` (CPU i is bit i,
/// up to 64 CPUs). Returns 0 or an errno value.
static inline int curing_pin_current_thread(uint64_t mask) {
    unsigned long words[CURING_CPU_WORDS];
    memset(words, 0, sizeof(words));
    words[0] = (unsigned long)mask;
    // pid 0 with the raw call means "the calling thread", as pthread_setaffinity_np does.
    long rc = syscall(SYS_sched_setaffinity, 0, sizeof(words), words);
    return rc == 0 ? 0 : errno;
}

/// The first 64 CPUs of the calling thread's affinity, as a bit mask (0 on failure).
static inline uint64_t curing_current_thread_cpus(void) {
    unsigned long words[CURING_CPU_WORDS];
    memset(words, 0, sizeof(words));
    long rc = syscall(SYS_sched_getaffinity, 0, sizeof(words), words);
    return rc < 0 ? 0 : (uint64_t)words[0];
}

/// The first 64 CPUs this process may use (the main thread's affinity), as a bit mask.
static inline uint64_t curing_process_cpus(void) {
    unsigned long words[CURING_CPU_WORDS];
    memset(words, 0, sizeof(words));
    long rc = syscall(SYS_sched_getaffinity, (long)getpid(), sizeof(words), words);
    return rc < 0 ? 0 : (uint64_t)words[0];
}

/// The CPU the calling thread is running on right now.
static inline int curing_current_cpu(void) {
    unsigned cpu = 0;
    return syscall(SYS_getcpu, &cpu, NULL, NULL) == 0 ? (int)cpu : -1;
}

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

/// Hints the cache line at `p` for writing (no fault, no effect on state).
static inline void curing_prefetch_write(const void *p) {
    __builtin_prefetch(p, 1, 3);
}

/// Hints the submission queue entry the next io_uring_get_sqe will hand out, so a rare
/// send does not wait for it to come back into the cache.
static inline void curing_warm_next_sqe(const struct io_uring *ring) {
    const struct io_uring_sq *sq = &ring->sq;
    unsigned shift = (ring->flags & IORING_SETUP_SQE128) ? 1 : 0;
    __builtin_prefetch(&sq->sqes[(sq->sqe_tail & sq->ring_mask) << shift], 1, 3);
}

/// The spin-wait hint: tells the core a busy-wait loop is running (PAUSE on x86-64).
static inline void curing_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
// ThreadSanitizer's annotation entry points, declared here and referenced only from
// builds made with QUORUM_TSAN=1 (which link the TSan runtime): Swift's TSan does not
// instrument accesses made through unsafe pointers, which is all a ring's slots are.
void __tsan_read_range(void *address, unsigned long size);
void __tsan_write_range(void *address, unsigned long size);

#endif
}

/// CLOCK_MONOTONIC in nanoseconds (vDSO; no system call on x86-64).
static inline uint64_t curing_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// ThreadSanitizer's annotation entry points, declared here and referenced only from
// builds made with QUORUM_TSAN=1 (which link the TSan runtime): Swift's TSan does not
// instrument accesses made through unsafe pointers, which is all a ring's slots are.
void __tsan_read_range(void *address, unsigned long size);
void __tsan_write_range(void *address, unsigned long size);

// --- net: the io_uring flag macros Swift cannot import (they are built from enum constants).

/// Asks the kernel to pick this SQE's buffer from provided-buffer group `group`.
static inline void curing_sqe_select_buffer(struct io_uring_sqe *sqe, uint16_t group) {
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
}

/// The provided buffer's id carried by a CQE, or -1 when it carries none.
static inline int curing_cqe_buffer_id(uint32_t flags) {
    return (flags & IORING_CQE_F_BUFFER) ? (int)(flags >> IORING_CQE_BUFFER_SHIFT) : -1;
}

/// Whether a multishot request will post more CQEs after this one.
static inline int curing_cqe_has_more(uint32_t flags) {
    return (flags & IORING_CQE_F_MORE) != 0;
}

/// Cancels every request in flight on `fd`.
static inline void curing_prep_cancel_all_fd(struct io_uring_sqe *sqe, int fd) {
    io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
}

#endif
