# Quorum — the two commands a newcomer needs are `make demo` and `make test`.
# Both install what is missing first (tools/bootstrap: Debian packages via apt).

SWIFT ?= swift
QUORUM := .build/release/quorum
# The ThreadSanitizer build lives apart from the normal one.
TSAN_SCRATCH := .build-tsan

.PHONY: all bootstrap build interop demo test test-unit test-tsan soak bench bench-check bench-tick-to-trade bench-rings bench-baselines bench-nautilus bench-replay clean

all: build

bootstrap:
	@tools/bootstrap

build: bootstrap
	$(SWIFT) build -c release --product quorum

# The C reflex: the kernel-loopback floor `quorum bench tick-to-trade` measures beside Quorum.
REFLEX := .build/baselines/reflex
$(REFLEX): tools/baselines/reflex.c
	@mkdir -p $(dir $@)
	cc -O2 -Wall -o $@ $< -luring

# The team live: `quorum run` starts the exchange simulator in-process (ITCH 5.0 over MoldUDP64
# out, FIX 4.4 in, on loopback) and the desk trades against it for 30 s with a status line; the
# report ends with the internal tick-to-trade and the journal, which is then replayed and every
# checkpoint verified. The wire benchmarks (beside the C reflex) are `make bench-tick-to-trade`
# and `quorum bench feed`.
DEMO_JOURNAL := .build/demo-live-journal
demo: build
	@echo "== The team (analysts, regime, correlation, portfolio, execution, risk, supervisor) trading"
	@echo "== live against the exchange simulator over ITCH/MoldUDP64 and FIX 4.4 on loopback."
	rm -rf $(DEMO_JOURNAL)
	@echo "== Killed with SIGKILL after 15 s: a crash, no clean stop, no report."
	-timeout -s KILL 15 $(QUORUM) run --config Config/demo.toml --duration 30 --journal $(DEMO_JOURNAL)
	@echo
	@echo "== Started again on the same journal for 10 s: it recovers (newest snapshot, replay after it, checkpoints verified),"
	@echo "== reconciles the orders open at the crash with the venue, trades on and stops cleanly."
	$(QUORUM) run --config Config/demo.toml --duration 10 --journal $(DEMO_JOURNAL)
	@echo
	@echo "== Both runs' journal replayed through a fresh desk: the same report, every checkpoint verified."
	$(QUORUM) replay $(DEMO_JOURNAL) --verify

test: bootstrap test-unit test-tsan

# QuickFIX acceptor the FIX interop tests run against (Tests/Interop/quickfix-executor).
# QuickFIX 1.15's headers use dynamic exception specifications, gone in C++17.
INTEROP := .build/interop/quorum-qf-executor
interop: $(INTEROP)
$(INTEROP): Tests/Interop/quickfix-executor/executor.cpp
	@mkdir -p $(dir $@)
	g++ -std=c++14 -O2 -Wall -Wno-deprecated -o $@ $< -lquickfix -lpthread

test-unit: $(INTEROP)
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The ring tests under ThreadSanitizer, at a fraction of their message counts (TSan
# slows each access tenfold). QUORUM_TSAN=1 makes the rings report their slot reads
# and writes to TSan, so a missing acquire/release pairing shows up as a data race.
test-tsan:
	QUORUM_TSAN=1 $(SWIFT) build --build-tests --sanitize=thread --scratch-path $(TSAN_SCRATCH)
	QUORUM_TSAN=1 TSAN_OPTIONS=halt_on_error=1 QUORUM_STRESS_SCALE=0.02 $(SWIFT) test --skip-build --sanitize=thread --scratch-path $(TSAN_SCRATCH) --filter QuorumRingsTests

# The journal's heavy variants: 2000 SIGKILL crash trials and a 10M-record round trip.
soak: bootstrap
	tools/journal-soak.sh

# package-benchmark suites (malloc thresholds) and the user-facing ring benchmark.
bench: build
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark
	$(QUORUM) bench rings --config Config/demo.toml

# Runs the suites against the committed Benchmarks/Thresholds (mallocCountTotal 0);
# exits non-zero on a regression.
bench-check: bootstrap
	cd Benchmarks && $(SWIFT) package --disable-sandbox benchmark thresholds check

bench-tick-to-trade: build $(REFLEX)
	$(QUORUM) bench tick-to-trade --histogram-dir .build/tick-to-trade
	$(QUORUM) bench feed --messages 1000000

bench-rings: build
	$(QUORUM) bench rings --config Config/demo.toml

# Reference points measured on this machine, interleaved with Quorum's own figures: a
# C11 cache-line ping-pong and the LMAX Disruptor's one-producer-one-consumer test;
# prints the ratios against issue 2's targets (tools/baselines/compare).
bench-baselines: build
	tools/baselines/compare

# Quorum's backtest beside nautilus_trader's BacktestEngine (an EMA cross per instrument)
# on the same generated ITCH day: nautilus gets the quote and trade ticks Quorum's books
# rebuilt (`quorum backtest --export-ticks`). Installs nautilus-trader into a venv under
# .build on first use (PyPI; the 1.221.0 wheel supports CPython 3.11).
NAUTILUS_VENV := .build/nautilus-venv
NAUTILUS_VERSION ?= 1.221.0
NAUTILUS_DAY ?= .build/bench-day.itch
NAUTILUS_MESSAGES ?= 1000000
$(NAUTILUS_VENV)/.installed:
	python3 -m venv $(NAUTILUS_VENV)
	$(NAUTILUS_VENV)/bin/pip install --quiet nautilus-trader==$(NAUTILUS_VERSION)
	touch $@

bench-nautilus: build $(NAUTILUS_VENV)/.installed
	$(QUORUM) itch generate --symbols 50 --messages $(NAUTILUS_MESSAGES) --seed 7 --out $(NAUTILUS_DAY)
	$(NAUTILUS_VENV)/bin/python tools/baselines/nautilus_ema_cross.py $(NAUTILUS_DAY) --quorum $(QUORUM)

# A >= 10M-record coordinator journal (a 13.5M-message generated day through the default
# team with level changes on: 9.77M records, 1.1 GB, a snapshot every 1M inputs) and the time
# `quorum replay --verify` takes to rebuild it from the first record and check all 977
# checkpoints: on every core, in stretches joined at the snapshots (--threads 1: one thread).
REPLAY_DAY ?= .build/bench-replay-day.itch
REPLAY_JOURNAL ?= .build/bench-replay-journal
REPLAY_MESSAGES ?= 13500000
bench-replay: build
	$(QUORUM) itch generate --symbols 50 --messages $(REPLAY_MESSAGES) --seed 11 --out $(REPLAY_DAY)
	rm -rf $(REPLAY_JOURNAL)
	$(QUORUM) backtest --feed $(REPLAY_DAY) --levels --snapshot-every 1000000 --journal $(REPLAY_JOURNAL) | head -2
	$(QUORUM) replay $(REPLAY_JOURNAL) --verify | head -1

clean:
	rm -rf .build $(TSAN_SCRATCH) Benchmarks/.build
