# Quorum — the two commands a newcomer needs are `make demo` and `make test`.
# Both install what is missing first (tools/bootstrap: Debian packages via apt).

SWIFT ?= swift
QUORUM := .build/release/quorum
# The ThreadSanitizer build lives apart from the normal one.
TSAN_SCRATCH := .build-tsan

.PHONY: all bootstrap build interop demo test test-unit test-tsan soak bench bench-check bench-tick-to-trade bench-rings bench-baselines clean

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

# Until the live team run exists (issue 7) the demo is the wire — the exchange simulator and
# Quorum's feed → book → order path over loopback, beside the C reflex — and then the team
# backtesting a generated day with its journal replayed and verified.
demo: build $(REFLEX)
	@echo "== Quorum demo: the exchange simulator publishes ITCH 5.0 over MoldUDP64 and Quorum's"
	@echo "== net loop answers with FIX 4.4 orders; the C reflex shows the kernel's own round trip."
	$(QUORUM) bench tick-to-trade --quick
	@echo
	$(QUORUM) bench feed --messages 1000000
	@echo
	@echo "== The team (analysts, regime, correlation, portfolio, execution, risk, supervisor) over a"
	@echo "== generated day, journaled; then the journal replayed and every checkpoint verified."
	$(QUORUM) itch generate --symbols 8 --messages 1000000 --seed 7 --out .build/demo-day.itch
	rm -rf .build/demo-journal
	$(QUORUM) backtest --feed .build/demo-day.itch --journal .build/demo-journal
	$(QUORUM) replay .build/demo-journal --verify

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

bench-rings: build
	$(QUORUM) bench rings --config Config/demo.toml

# Reference points measured on this machine, interleaved with Quorum's own figures: a
# C11 cache-line ping-pong and the LMAX Disruptor's one-producer-one-consumer test;
# prints the ratios against issue 2's targets (tools/baselines/compare).
bench-baselines: build
	tools/baselines/compare

clean:
	rm -rf .build $(TSAN_SCRATCH) Benchmarks/.build
