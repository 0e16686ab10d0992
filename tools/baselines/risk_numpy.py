#!/usr/bin/env python3
"""Baseline for the risk benchmarks: how long numpy takes to recompute VaR in full.

For each n it times the full recomputation the pre-trade gate avoids: the incremental VaR
of a proposed order (instrument i, exposure change d) computed as
    z * (sqrt(w'ᵀ Σ w') - sqrt(wᵀ Σ w)),  w' = w + d·eᵢ
with Σ dense n×n float64 — two O(n²) quadratic forms (the wᵀΣw one cached, as a fair
baseline would), so the timed work is one copy, one update and one `w' @ Σ @ w'`.
Also times the bare `w @ S @ w` VaR. Prints median ns per call.

Usage: python3 tools/baselines/risk_numpy.py [--repeat 2000]
"""
import argparse
import statistics
import time

import numpy as np

Z99 = 2.3263478740408408  # norm.ppf(0.99)


def make(n, rng):
    betas = 0.5 + rng.random(n)
    f = 0.01 * rng.standard_normal(600)
    r = np.outer(f, betas) + 0.005 * rng.standard_normal((600, n))
    s = np.zeros((n, n))
    for row in r:  # EWMA, λ = 0.94, like the Swift fixture
        s = 0.94 * s + 0.06 * np.outer(row, row)
    w = (rng.random(n) - 0.5) * 2e5
    return s, w


def median_ns(fn, repeat):
    for _ in range(200):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples), sorted(samples)[int(0.99 * len(samples))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2000)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    print(f"numpy {np.__version__}")
    for n in (100, 500):
        s, w = make(n, rng)
        base = Z99 * np.sqrt(w @ s @ w)

        def full_var():
            return Z99 * np.sqrt(w @ s @ w)

        def incremental_by_full(i=7, d=1000.0):
            w2 = w.copy()
            w2[i] += d
            return Z99 * np.sqrt(w2 @ s @ w2) - base

        p50, p99 = median_ns(full_var, args.repeat)
        print(f"n={n} full VaR (w@S@w)              p50 {p50:>9.0f} ns  p99 {p99:>9.0f} ns")
        p50, p99 = median_ns(incremental_by_full, args.repeat)
        print(f"n={n} order's VaR change, full recompute p50 {p50:>9.0f} ns  p99 {p99:>9.0f} ns")


if __name__ == "__main__":
    main()
