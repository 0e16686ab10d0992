/*
 * Quorum baseline: C11 cache-line ping-pong between two pinned threads.
 *
 * Thread A stores a sequence number into one cache line ("ping"), then spins
 * until thread B has copied it into a second line ("pong") 128 bytes away.
 * One round trip moves each line from one core to the other once, so
 * one-way = round trip / 2. This is the floor for any cross-core hop: a ring
 * that hands a message to another core cannot beat it.
 *
 * The run is a number of trials. Each trial starts two fresh threads pinned
 * to the two cores, puts its pair of lines in a page of its own (on a mesh
 * CPU the cost of a transfer can depend on which L3 slice is home to the
 * line, so a single placement is not representative), and then runs:
 *   warm-up - untimed round trips;
 *   timed   - every round trip is timestamped (rdtsc on x86-64, calibrated
 *             against CLOCK_MONOTONIC over the whole run; clock_gettime
 *             elsewhere) and its duration kept, for p50/p99/p99.9/max/mean;
 *   bulk    - the same number of round trips with no per-sample timing, only
 *             the total elapsed time, giving a mean free of timer overhead.
 * Percentiles pool the timed samples of all trials; each trial's p50 is
 * reported too, so the spread between placements is visible.
 *
 * Build: cc -O2 -std=c11 -pthread -o pingpong pingpong.c
 * Usage: pingpong [--cores A,B] [--roundtrips N] [--trials T] [--warmup W]
 *                 [--spin pause|busy]
 *        QUORUM_BASELINE_CORES=A,B is read when --cores is not given.
 * Output: one JSON object on stdout, a human-readable summary on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
static inline void cpu_relax(void) { _mm_pause(); }
static inline uint64_t ticks_now(void) { return __rdtsc(); }
#elif defined(__aarch64__)
#define HAVE_TSC 0
static inline void cpu_relax(void) { __asm__ __volatile__("yield" ::: "memory"); }
#else
#define HAVE_TSC 0
static inline void cpu_relax(void) { }
#endif

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if !HAVE_TSC
static inline uint64_t ticks_now(void) { return mono_ns(); }
#endif

/* The two lines, each alone in its own 128-byte block so that the
 * adjacent-line prefetcher does not pair them. */
struct line {
    alignas(128) _Atomic uint64_t value;
    char pad[128 - sizeof(uint64_t)];
};
/* A pair of lines 128 bytes apart in one page; each trial uses its own
 * page (see "placement" in main). */
struct pair {
    struct line ping;   /* written by A, read by B */
    struct line pong;   /* written by B, read by A */
};

#define STOP UINT64_MAX

struct config {
    int core_a, core_b;
    long roundtrips;     /* per trial, per phase */
    int trials;
    long warmup;
    int busy_spin;       /* 1: spin without pause */
};

struct trial_result {
    uint64_t timed_ticks;    /* sum of all timed round trips */
    uint64_t bulk_ns;        /* wall time of the untimed phase */
};

#define PAGE 4096

static struct config cfg;
static unsigned char *pages;         /* one page per trial, holding its pair */
static uint32_t *samples;            /* round-trip durations in ticks, all trials */
static struct trial_result *results;
static atomic_int observed_cpu_a = -1, observed_cpu_b = -1;
static atomic_int echo_ready;        /* 1: pinned, -1: pinning failed */

static struct pair *pair_for(int trial)
{
    return (struct pair *)(pages + (size_t)trial * PAGE);
}

static int pin_self(int core)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (rc != 0) {
        fprintf(stderr, "pingpong: cannot pin to core %d: %s\n", core, strerror(rc));
        return -1;
    }
    sched_yield();   /* let the scheduler move us now */
    return sched_getcpu();
}

static inline void wait_for(_Atomic uint64_t *where, uint64_t want)
{
    if (cfg.busy_spin) {
        while (atomic_load_explicit(where, memory_order_acquire) != want) { }
    } else {
        while (atomic_load_explicit(where, memory_order_acquire) != want)
            cpu_relax();
    }
}

/* Thread B: copies every new value of ping into pong, until STOP. */
static void *echo_thread(void *arg)
{
    struct pair *P = arg;
    int cpu = pin_self(cfg.core_b);
    atomic_store(&observed_cpu_b, cpu);
    if (cpu < 0) {
        atomic_store(&echo_ready, -1);
        return NULL;
    }
    atomic_store(&echo_ready, 1);
    uint64_t last = 0;
    for (;;) {
        uint64_t v = atomic_load_explicit(&P->ping.value, memory_order_acquire);
        if (v != last) {
            atomic_store_explicit(&P->pong.value, v, memory_order_release);
            if (v == STOP)
                break;
            last = v;
        } else if (!cfg.busy_spin) {
            cpu_relax();
        }
    }
    return NULL;
}

/* Thread A: one trial = warm-up, timed phase, bulk phase. */
static void *ping_thread(void *arg)
{
    int t = (int)(intptr_t)arg;
    struct pair *P = pair_for(t);
    int cpu = pin_self(cfg.core_a);
    atomic_store(&observed_cpu_a, cpu);
    if (cpu < 0) {
        atomic_store_explicit(&P->ping.value, STOP, memory_order_release);
        return (void *)1;
    }
    int ready;
    while ((ready = atomic_load(&echo_ready)) == 0)
        sched_yield();
    if (ready < 0)
        return (void *)1;

    uint64_t seq = 0;
    for (long i = 0; i < cfg.warmup; i++) {
        seq++;
        atomic_store_explicit(&P->ping.value, seq, memory_order_release);
        wait_for(&P->pong.value, seq);
    }

    /* timed phase: one timestamp per round trip; consecutive stamps
     * bracket exactly one round trip. */
    uint32_t *out = samples + (size_t)t * (size_t)cfg.roundtrips;
    uint64_t prev = ticks_now();
    uint64_t first = prev;
    for (long i = 0; i < cfg.roundtrips; i++) {
        seq++;
        atomic_store_explicit(&P->ping.value, seq, memory_order_release);
        wait_for(&P->pong.value, seq);
        uint64_t now = ticks_now();
        uint64_t d = now - prev;
        *out++ = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
        prev = now;
    }
    results[t].timed_ticks = prev - first;

    /* bulk phase: no per-sample timing */
    uint64_t b0 = mono_ns();
    for (long i = 0; i < cfg.roundtrips; i++) {
        seq++;
        atomic_store_explicit(&P->ping.value, seq, memory_order_release);
        wait_for(&P->pong.value, seq);
    }
    results[t].bulk_ns = mono_ns() - b0;

    atomic_store_explicit(&P->ping.value, STOP, memory_order_release);
    return NULL;
}

/* Runs one trial on fresh threads; returns 0 on success. */
static int run_trial(int t)
{
    pthread_t ta, tb;
    void *ra = NULL;
    atomic_store(&echo_ready, 0);
    if (pthread_create(&tb, NULL, echo_thread, pair_for(t)) != 0)
        return -1;
    if (pthread_create(&ta, NULL, ping_thread, (void *)(intptr_t)t) != 0) {
        atomic_store_explicit(&pair_for(t)->ping.value, STOP, memory_order_release);
        pthread_join(tb, NULL);
        return -1;
    }
    pthread_join(ta, &ra);
    pthread_join(tb, NULL);
    return ra == NULL ? 0 : -1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* nearest-rank percentile of a sorted array */
static uint32_t pct(const uint32_t *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: pingpong [--cores A,B] [--roundtrips N] [--trials T] [--warmup W]\n"
        "                [--spin pause|busy]\n"
        "  --cores A,B      cores for the ping and echo threads (default 0,1,\n"
        "                   or $QUORUM_BASELINE_CORES)\n"
        "  --roundtrips N   timed round trips per trial (default 500000);\n"
        "                   each trial also runs N untimed ones for the bulk mean\n"
        "  --trials T       trials (default 10), each on fresh threads and a fresh\n"
        "                   page; percentiles pool all trials\n"
        "  --warmup W       untimed round trips at the start of each trial\n"
        "                   (default 100000)\n"
        "  --spin MODE      pause (default: pause instruction in the spin loop)\n"
        "                   or busy (no pause)\n");
}

static int parse_cores(const char *s, int *a, int *b)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end != ',')
        return -1;
    const char *s2 = end + 1;
    long y = strtol(s2, &end, 10);
    if (errno || end == s2 || *end != '\0')
        return -1;
    if (x < 0 || y < 0 || x >= CPU_SETSIZE || y >= CPU_SETSIZE)
        return -1;
    *a = (int)x;
    *b = (int)y;
    return 0;
}

static long parse_count(const char *opt, const char *s, long min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min) {
        fprintf(stderr, "pingpong: %s expects an integer >= %ld, got '%s'\n", opt, min, s);
        exit(2);
    }
    return v;
}

/* The 1-minute load average, or -1; a busy machine makes every figure worse. */
static double load_average(void)
{
    double l = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1.0;
        fclose(f);
    }
    return l;
}

static void describe_allowed(char *buf, size_t len)
{
    cpu_set_t set;
    buf[0] = '\0';
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return;
    size_t used = 0;
    for (int c = 0; c < CPU_SETSIZE && used + 8 < len; c++)
        if (CPU_ISSET(c, &set))
            used += (size_t)snprintf(buf + used, len - used, "%s%d", used ? "," : "", c);
}

int main(int argc, char **argv)
{
    cfg.core_a = 0;
    cfg.core_b = 1;
    cfg.roundtrips = 500000;
    cfg.trials = 10;
    cfg.warmup = 100000;
    cfg.busy_spin = 0;

    const char *env = getenv("QUORUM_BASELINE_CORES");
    if (env && *env && parse_cores(env, &cfg.core_a, &cfg.core_b) != 0) {
        fprintf(stderr, "pingpong: QUORUM_BASELINE_CORES must be A,B (two core numbers), got '%s'\n", env);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "pingpong: unknown option or missing value: %s\n", o);
            usage(stderr);
            return 2;
        }
        if (!strcmp(o, "--cores")) {
            if (parse_cores(v, &cfg.core_a, &cfg.core_b) != 0) {
                fprintf(stderr, "pingpong: --cores expects A,B (two core numbers), got '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(o, "--roundtrips")) {
            cfg.roundtrips = parse_count(o, v, 1000);
        } else if (!strcmp(o, "--trials")) {
            cfg.trials = (int)parse_count(o, v, 1);
        } else if (!strcmp(o, "--warmup")) {
            cfg.warmup = parse_count(o, v, 0);
        } else if (!strcmp(o, "--spin")) {
            if (!strcmp(v, "pause")) cfg.busy_spin = 0;
            else if (!strcmp(v, "busy")) cfg.busy_spin = 1;
            else {
                fprintf(stderr, "pingpong: --spin expects pause or busy, got '%s'\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "pingpong: unknown option %s\n", o);
            usage(stderr);
            return 2;
        }
        i++;
    }

    char allowed[512];
    describe_allowed(allowed, sizeof allowed);
    if (cfg.core_a == cfg.core_b) {
        fprintf(stderr, "pingpong: the two threads need two different cores, got %d,%d (available: %s)\n",
                cfg.core_a, cfg.core_b, allowed);
        return 2;
    }
    {
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof set, &set) == 0) {
            int bad = !CPU_ISSET(cfg.core_a, &set) ? cfg.core_a
                    : !CPU_ISSET(cfg.core_b, &set) ? cfg.core_b : -1;
            if (bad >= 0) {
                fprintf(stderr, "pingpong: core %d is not available (available: %s)\n", bad, allowed);
                return 2;
            }
        }
    }

    size_t nsamples = (size_t)cfg.roundtrips * (size_t)cfg.trials;
    samples = malloc(nsamples * sizeof *samples);
    results = calloc((size_t)cfg.trials, sizeof *results);
    pages = aligned_alloc(PAGE, (size_t)cfg.trials * PAGE);
    if (!samples || !results || !pages) {
        fprintf(stderr, "pingpong: out of memory for %zu samples\n", nsamples);
        return 1;
    }
    memset(samples, 0, nsamples * sizeof *samples);   /* fault the pages in now */
    memset(pages, 0, (size_t)cfg.trials * PAGE);

    double load_at_start = load_average();

    /* Calibration brackets the whole run: ticks and CLOCK_MONOTONIC. */
    uint64_t cal_ns0 = mono_ns(), cal_t0 = ticks_now();

    for (int t = 0; t < cfg.trials; t++)
        if (run_trial(t) != 0)
            return 2;

    uint64_t cal_t1 = ticks_now(), cal_ns1 = mono_ns();
    double ns_per_tick = (double)(cal_ns1 - cal_ns0) / (double)(cal_t1 - cal_t0);

    /* Cost of one back-to-back timestamp, for the reader's judgement. */
    uint64_t ov0 = ticks_now();
    for (int i = 0; i < 1000000; i++) {
        volatile uint64_t sink = ticks_now();
        (void)sink;
    }
    double timer_overhead_ns = (double)(ticks_now() - ov0) * ns_per_tick / 1000000.0;

    /* Per-trial figures. */
    double *trial_p50 = malloc((size_t)cfg.trials * sizeof(double));
    double *trial_mean_total = malloc((size_t)cfg.trials * sizeof(double));
    uint64_t timed_ticks_all = 0, bulk_ns_all = 0;
    for (int t = 0; t < cfg.trials; t++) {
        uint32_t *chunk = samples + (size_t)t * (size_t)cfg.roundtrips;
        qsort(chunk, (size_t)cfg.roundtrips, sizeof *chunk, cmp_u32);
        trial_p50[t] = pct(chunk, (size_t)cfg.roundtrips, 0.50) * ns_per_tick / 2.0;
        trial_mean_total[t] = (double)results[t].bulk_ns / (2.0 * (double)cfg.roundtrips);
        timed_ticks_all += results[t].timed_ticks;
        bulk_ns_all += results[t].bulk_ns;
    }
    qsort(samples, nsamples, sizeof *samples, cmp_u32);

    double k = ns_per_tick / 2.0;   /* round-trip ticks -> one-way ns */
    double p50 = pct(samples, nsamples, 0.50) * k;
    double p99 = pct(samples, nsamples, 0.99) * k;
    double p999 = pct(samples, nsamples, 0.999) * k;
    double pmax = samples[nsamples - 1] * k;
    double pmin = samples[0] * k;
    double mean = (double)timed_ticks_all * k / (double)nsamples;
    double mean_total = (double)bulk_ns_all / (2.0 * (double)nsamples);

    printf("{\"baseline\":\"c_pingpong\",\"cores\":[%d,%d],\"observed_cpus\":[%d,%d],"
           "\"spin\":\"%s\",\"trials\":%d,\"roundtrips\":%zu,\"warmup_roundtrips_per_trial\":%ld,"
           "\"oneway_p50_ns\":%.1f,\"oneway_p99_ns\":%.1f,\"oneway_p999_ns\":%.1f,"
           "\"oneway_max_ns\":%.1f,\"oneway_min_ns\":%.1f,\"oneway_mean_ns\":%.1f,"
           "\"oneway_mean_from_total_ns\":%.1f,\"trial_oneway_p50_ns\":[",
           cfg.core_a, cfg.core_b, atomic_load(&observed_cpu_a), atomic_load(&observed_cpu_b),
           cfg.busy_spin ? "busy" : "pause", cfg.trials, nsamples, cfg.warmup,
           p50, p99, p999, pmax, pmin, mean, mean_total);
    for (int t = 0; t < cfg.trials; t++)
        printf("%s%.1f", t ? "," : "", trial_p50[t]);
    printf("],\"trial_oneway_mean_from_total_ns\":[");
    for (int t = 0; t < cfg.trials; t++)
        printf("%s%.1f", t ? "," : "", trial_mean_total[t]);
    printf("],\"timer\":\"%s\",\"ticks_per_ns\":%.4f,\"timer_overhead_ns\":%.1f,"
           "\"loadavg_1m_at_start\":%.2f}\n",
           HAVE_TSC ? "rdtsc" : "clock_gettime_monotonic", 1.0 / ns_per_tick, timer_overhead_ns,
           load_at_start);
    fflush(stdout);

    double tmin = trial_p50[0], tmax = trial_p50[0];
    for (int t = 1; t < cfg.trials; t++) {
        if (trial_p50[t] < tmin) tmin = trial_p50[t];
        if (trial_p50[t] > tmax) tmax = trial_p50[t];
    }
    fprintf(stderr,
            "c_pingpong: cores %d,%d (%s spin), %d trials x %ld round trips: one-way p50 %.1f ns "
            "(trials %.1f-%.1f), p99 %.1f, p99.9 %.1f, max %.1f, mean %.1f; "
            "mean from total %.1f ns (timer %s, %.1f ns per read)\n",
            cfg.core_a, cfg.core_b, cfg.busy_spin ? "busy" : "pause", cfg.trials, cfg.roundtrips,
            p50, tmin, tmax, p99, p999, pmax, mean, mean_total,
            HAVE_TSC ? "rdtsc" : "clock_gettime", timer_overhead_ns);

    free(trial_p50);
    free(trial_mean_total);
    free(samples);
    free(results);
    free(pages);
    return 0;
}
