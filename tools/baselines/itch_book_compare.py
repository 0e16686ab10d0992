#!/usr/bin/env python3
"""Quorum vs PyPI `itch-book` (C++23 core) on the same ITCH day file, to best bid/offer.

Both replay the whole file (decode + every book) and record one row per change of best bid
or best ask (price or size), in feed order. The harness times each, checks that the two
sequences of (locate, bid price, bid size, ask price, ask size) are identical, and prints
both times and the ratio.

Timing, kept comparable:
- itch-book: the file is read into a numpy array first (untimed); the timed call is
  `Session.feed(array)` with only the `bbo` table enabled (its C++ parser, books and BBO
  rows, GIL released), as its README's own throughput figures do.
- Quorum: `quorum itch bbo FILE` maps the file and pages it in (untimed), then times decode,
  books and recording, and prints the seconds.
Each side runs --runs times, interleaved; every round is printed with its ratio, then the
best time of each, the ratio in the quietest round (the one where itch-book, which does not
change between builds, was fastest) and the spread of the per-round ratios (the machine is
shared and noisy). --baseline BINARY adds a second Quorum binary (e.g. the previous main
build) to every round, so a change is judged by same-round ratios, not across runs;
--baseline-args gives it other arguments (the same binary with `--threads 1` against
`--threads 2` in --quorum-args).

Usage:
  python3 -m venv /tmp/ib && /tmp/ib/bin/pip install itch-book==0.2.1
  quorum itch generate --symbols 50 --messages 10000000 --seed 7 --out /tmp/day7.itch
  /tmp/ib/bin/python tools/baselines/itch_book_compare.py /tmp/day7.itch --quorum .build/release/quorum \
      [--baseline /tmp/old/quorum] [--runs 5]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
from itch_book._core import Session

QUORUM_DTYPE = np.dtype([("seq", "<u8"), ("ts", "<u8"), ("bid_sz", "<u8"), ("ask_sz", "<u8"),
                         ("locate", "<u2"), ("pad", "<u2"), ("bid_px", "<u4"), ("ask_px", "<u4"),
                         ("pad2", "<u4")])


def run_itch_book(path, runs):
    data = np.fromfile(path, dtype=np.uint8)
    best, bbo, stats = None, None, None
    for _ in range(runs):
        s = Session(tables=["bbo"], depth=0, symbols=[])
        s.reserve(len(data) // 24)
        t0 = time.perf_counter()
        s.feed(data)
        t1 = time.perf_counter()
        bbo = s.take_bbo()
        stats = s.stats()
        best = t1 - t0 if best is None else min(best, t1 - t0)
    return best, bbo, stats


def run_quorum(quorum, path, runs, extra):
    best, rows, line = None, None, ""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bbo.bin")
        for _ in range(runs):
            r = subprocess.run([quorum, "itch", "bbo", path, "--out", out] + extra, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"quorum failed ({r.returncode}): {r.stderr}")
            line = r.stdout.strip()
            secs = float(re.search(r", ([0-9.e-]+) s,", line).group(1))
            best = secs if best is None else min(best, secs)
        rows = np.fromfile(out, dtype=QUORUM_DTYPE)
    return best, rows, line


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--quorum", default=".build/release/quorum")
    ap.add_argument("--baseline", help="a second quorum binary to time in the same rounds")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quorum-args", default="", help="extra arguments for quorum itch bbo, e.g. the book capacities")
    ap.add_argument("--baseline-args", default=None,
                    help="extra arguments for the baseline's quorum itch bbo (default: --quorum-args); with the same "
                         "binary as --baseline this compares two settings, e.g. --threads 2 against --threads 1")
    args = ap.parse_args()

    # Interleave single runs so both sides see the same (shared, noisy) machine.
    rounds = []
    for r in range(args.runs):
        qs, q, q_line = run_quorum(args.quorum, args.file, 1, args.quorum_args.split())
        ibs, ib, ib_stats = run_itch_book(args.file, 1)
        b_args = (args.quorum_args if args.baseline_args is None else args.baseline_args).split()
        bs = run_quorum(args.baseline, args.file, 1, b_args)[0] if args.baseline else None
        rounds.append((qs, ibs, bs))
        load = os.getloadavg()[0]
        extra = f"  baseline {bs:.3f} s ({ibs / bs:.2f}x, quorum/baseline speed {bs / qs:.2f})" if bs else ""
        print(f"round {r + 1} (load {load:.1f}): quorum {qs:.3f} s  itch-book {ibs:.3f} s  ratio {ibs / qs:.2f}x{extra}",
              flush=True)
    messages = int(ib_stats["messages"])
    q_secs = min(x[0] for x in rounds)
    ib_secs = min(x[1] for x in rounds)
    quiet = min(rounds, key=lambda x: x[1])
    ratios = [x[1] / x[0] for x in rounds]

    print(f"file: {args.file} ({os.path.getsize(args.file)} bytes, {messages} messages)")
    print(f"quorum:    {q_secs:.3f} s  {messages / q_secs / 1e6:.2f} M msgs/s  {len(q)} BBO changes  [{q_line}]")
    print(f"itch-book: {ib_secs:.3f} s  {messages / ib_secs / 1e6:.2f} M msgs/s  {len(ib['locate'])} BBO changes")
    print(f"ratio (itch-book time / quorum time): best/best {ib_secs / q_secs:.2f}x, quietest round "
          f"{quiet[1] / quiet[0]:.2f}x, rounds {min(ratios):.2f}x..{max(ratios):.2f}x")
    if args.baseline:
        b_ratios = [x[1] / x[2] for x in rounds]
        print(f"baseline:  best {min(x[2] for x in rounds):.3f} s, ratio quietest round {quiet[1] / quiet[2]:.2f}x, "
              f"rounds {min(b_ratios):.2f}x..{max(b_ratios):.2f}x")

    cols = [("locate", "locate"), ("bid_px", "bid_px"), ("bid_sz", "bid_sz"), ("ask_px", "ask_px"), ("ask_sz", "ask_sz")]
    same = len(q) == len(ib["locate"])
    first_diff = None
    if same:
        for qc, ic in cols:
            a = q[qc].astype(np.int64)
            b = np.asarray(ib[ic]).astype(np.int64)
            diff = np.nonzero(a != b)[0]
            if len(diff):
                same = False
                i = int(diff[0])
                first_diff = i if first_diff is None else min(first_diff, i)
    else:
        n = min(len(q), len(ib["locate"]))
        for i in range(n):
            if any(int(q[qc][i]) != int(ib[ic][i]) for qc, ic in cols):
                first_diff = i
                break
    if same:
        print("BBO sequences: identical")
        return 0
    print(f"BBO sequences differ (lengths {len(q)} vs {len(ib['locate'])}); first difference at row {first_diff}")
    if first_diff is not None:
        i = first_diff
        print("  quorum:   ", {qc: int(q[qc][i]) for qc, _ in cols})
        print("  itch-book:", {ic: int(ib[ic][i]) for _, ic in cols})
    return 1


if __name__ == "__main__":
    sys.exit(main())
