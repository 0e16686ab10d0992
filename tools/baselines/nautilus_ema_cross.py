#!/usr/bin/env python3
"""Quorum's backtest vs nautilus_trader's BacktestEngine on the same ITCH day (issue 7).

What each side runs:
- nautilus_trader: the market updates Quorum's desk steps on, exported by
  `quorum backtest --feed DAY --export-ticks TICKS` (one row per BBO change or trade of a
  traded symbol, after Quorum's books rebuilt them from the ITCH messages), become
  QuoteTicks (every two-sided BBO change) and TradeTicks (every print). One EMA-cross
  strategy per instrument (fast/slow EMA of the mid, 12/26 like Quorum's trend analyst)
  buys or sells 100 shares at market on each cross; one simulated venue (netting, margin
  account), logging at ERROR. Timed: `engine.run()` only; building the tick objects,
  `add_data` and its sort are not timed.
- Quorum: `quorum backtest --feed DAY` — decode every ITCH message, apply it to the
  books, and step the whole desk (6 analysts, regime, correlation, portfolio, execution,
  risk, supervisor, 2 team leads) on each market update, with the fill model, order
  manager, P&L and a journal of every input. Timed: the loop (file already mapped).

Event counts, honestly:
- nautilus "events" = ticks it processed (quotes + trades).
- Quorum "market events" = feed messages it processed (every ITCH message through the
  books, the unit of work that produced those ticks); Quorum "desk inputs" = market
  updates + fills + closures the coordinator sequenced (comparable to nautilus's ticks).
Both figures are printed, and the ratio of time for the same day, which needs no choice
of unit: Quorum does strictly more work (the books) in its time.

Wall clock and CPU time are both reported. On a shared machine the wall clock is mostly
waiting for a core; CPU time is the steadier figure: nautilus's `engine.run()` measured
with `time.process_time()`, Quorum's whole `quorum backtest` process (including mapping
the file, choosing symbols and printing the report: an upper bound on its loop) with
`getrusage(RUSAGE_CHILDREN)`.

Usage (`make bench-nautilus` does all of this):
  python3 -m venv .build/nautilus-venv && .build/nautilus-venv/bin/pip install nautilus-trader==1.221.0
  quorum itch generate --symbols 50 --messages 1000000 --seed 7 --out /tmp/bt.itch
  .build/nautilus-venv/bin/python tools/baselines/nautilus_ema_cross.py /tmp/bt.itch --quorum .build/release/quorum
"""
import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.indicators.averages import ExponentialMovingAverage
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import QuoteTick, TradeTick
from nautilus_trader.model.enums import AccountType, AggressorSide, OmsType, OrderSide, PriceType
from nautilus_trader.model.identifiers import InstrumentId, Symbol, TradeId, TraderId, Venue
from nautilus_trader.model.instruments import Equity
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.trading.strategy import Strategy

# Mirrors QuorumEngine's BacktestTick (48-byte rows).
TICK_DTYPE = np.dtype([("ts", "<u8"), ("bid_sz", "<u8"), ("ask_sz", "<u8"), ("trade_sz", "<u8"),
                       ("locate", "<u2"), ("changes", "u1"), ("aggressor", "u1"),
                       ("bid_px", "<u4"), ("ask_px", "<u4"), ("trade_px", "<u4")])
assert TICK_DTYPE.itemsize == 48
TRADE_BIT = 4
# ITCH timestamps are nanoseconds since midnight; put the day on 2026-01-02 (UTC).
DAY_NS = 1_767_312_000 * 1_000_000_000
VENUE = Venue("XNAS")


class CrossConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    fast: int = 12
    slow: int = 26
    lot: int = 100


class EMACrossOnMid(Strategy):
    """Long `lot` when EMA(fast) of the mid is above EMA(slow), short when below; flips at
    market on each cross. Trade ticks are subscribed too (the engine processes them)."""

    def __init__(self, config: CrossConfig):
        super().__init__(config)
        self.fast = ExponentialMovingAverage(config.fast, price_type=PriceType.MID)
        self.slow = ExponentialMovingAverage(config.slow, price_type=PriceType.MID)
        self.side = 0  # +1 long, -1 short, 0 flat
        self.quotes = 0
        self.trades = 0
        self.orders = 0

    def on_start(self):
        iid = self.config.instrument_id
        self.instrument = self.cache.instrument(iid)
        self.register_indicator_for_quote_ticks(iid, self.fast)
        self.register_indicator_for_quote_ticks(iid, self.slow)
        self.subscribe_quote_ticks(iid)
        self.subscribe_trade_ticks(iid)

    def on_trade_tick(self, tick):
        self.trades += 1

    def on_quote_tick(self, tick):
        self.quotes += 1
        if not self.slow.initialized:
            return
        want = 1 if self.fast.value > self.slow.value else -1 if self.fast.value < self.slow.value else 0
        if want == 0 or want == self.side:
            return
        # Flat → one lot; flipping → two lots (close and open).
        qty = self.config.lot * (1 if self.side == 0 else 2)
        side = OrderSide.BUY if want > 0 else OrderSide.SELL
        self.submit_order(self.order_factory.market(self.config.instrument_id, side,
                                                    self.instrument.make_qty(qty)))
        self.orders += 1
        self.side = want

    def on_stop(self):
        pass


def load_ticks(path):
    rows = np.fromfile(path, dtype=TICK_DTYPE)
    return rows


def build_data(rows):
    instruments, data = {}, []
    trade_no = 0
    for loc in np.unique(rows["locate"]):
        iid = InstrumentId(Symbol(f"L{int(loc)}"), VENUE)
        instruments[int(loc)] = Equity(instrument_id=iid, raw_symbol=Symbol(f"L{int(loc)}"), currency=USD,
                                       price_precision=4, price_increment=Price.from_str("0.0001"),
                                       lot_size=Quantity.from_int(1), ts_event=0, ts_init=0)
    ts = rows["ts"].astype(np.int64) + DAY_NS
    for k in range(len(rows)):
        r = rows[k]
        inst = instruments[int(r["locate"])]
        iid = inst.id
        t = int(ts[k])
        bp, ap, bs, asz = int(r["bid_px"]), int(r["ask_px"]), int(r["bid_sz"]), int(r["ask_sz"])
        if bp > 0 and ap > 0 and bs > 0 and asz > 0:
            data.append(QuoteTick(iid, Price(bp / 10_000, 4), Price(ap / 10_000, 4),
                                  Quantity(bs, 0), Quantity(asz, 0), t, t))
        if int(r["changes"]) & TRADE_BIT and int(r["trade_sz"]) > 0 and int(r["trade_px"]) > 0:
            trade_no += 1
            aggr = {1: AggressorSide.BUYER, 2: AggressorSide.SELLER}.get(int(r["aggressor"]), AggressorSide.NO_AGGRESSOR)
            data.append(TradeTick(iid, Price(int(r["trade_px"]) / 10_000, 4), Quantity(int(r["trade_sz"]), 0),
                                  aggr, TradeId(str(trade_no)), t, t))
    return instruments, data


def run_nautilus(rows, runs):
    instruments, data = build_data(rows)
    best, stats = None, {}
    for _ in range(runs):
        engine = BacktestEngine(BacktestEngineConfig(trader_id=TraderId("BENCH-001"),
                                                     logging=LoggingConfig(log_level="ERROR")))
        engine.add_venue(venue=VENUE, oms_type=OmsType.NETTING, account_type=AccountType.MARGIN, base_currency=USD,
                         starting_balances=[Money(1_000_000_000, USD)])
        for inst in instruments.values():
            engine.add_instrument(inst)
        engine.add_data(data)
        strategies = [EMACrossOnMid(CrossConfig(instrument_id=i.id, strategy_id=f"EMA-{n:03d}"))
                      for n, i in enumerate(instruments.values())]
        engine.add_strategies(strategies)
        t0, c0 = time.perf_counter(), time.process_time()
        engine.run()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        stats = {"quotes": sum(s.quotes for s in strategies), "trades": sum(s.trades for s in strategies),
                 "orders": sum(s.orders for s in strategies),
                 "fills": len(engine.cache.orders_closed())}
        engine.dispose()
        best = (seconds, cpu) if best is None else (min(best[0], seconds), min(best[1], cpu))
    return best, len(data), stats


def run_quorum(quorum, day, runs, symbols):
    best, line = None, ""
    for _ in range(runs):
        d = tempfile.mkdtemp(prefix="quorum-bt-")
        shutil.rmtree(d)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run([quorum, "backtest", "--feed", day, "--journal", d, "--symbols", str(symbols)],
                             check=True, capture_output=True, text=True).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        shutil.rmtree(d, ignore_errors=True)
        m = re.search(r"feed .*?: (\d+) messages, \d+ errors, (\d+) market updates in ([0-9.]+) s; .*?\((\d+) inputs\)", out)
        if not m:
            sys.exit(f"cannot read quorum backtest output:\n{out}")
        seconds = float(m.group(3))
        if best is None or seconds < best[0]:
            best = (seconds, int(m.group(1)), int(m.group(2)), int(m.group(4)), best[4] if best else cpu)
        best = best[:4] + (min(best[4], cpu),)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("day", help="ITCH 5.0 day file (2-byte length framing)")
    ap.add_argument("--quorum", default=".build/release/quorum")
    ap.add_argument("--symbols", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3, help="runs of each side; the best is reported (noisy machine)")
    ap.add_argument("--json", action="store_true", help="one JSON line instead of the table")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ticks = os.path.join(tmp, "ticks.bin")
        subprocess.run([args.quorum, "backtest", "--feed", args.day, "--symbols", str(args.symbols),
                        "--export-ticks", ticks], check=True, capture_output=True)
        rows = load_ticks(ticks)
    (n_seconds, n_cpu), n_events, n_stats = run_nautilus(rows, args.runs)
    q_seconds, q_messages, q_updates, q_inputs, q_cpu = run_quorum(args.quorum, args.day, args.runs, args.symbols)

    import nautilus_trader
    result = {
        "baseline": "nautilus_ema_cross", "nautilus_version": nautilus_trader.__version__, "day": args.day,
        "symbols": args.symbols, "nautilus_seconds": n_seconds, "nautilus_events": n_events,
        "nautilus_events_per_s": n_events / n_seconds, **{f"nautilus_{k}": v for k, v in n_stats.items()},
        "quorum_seconds": q_seconds, "quorum_feed_messages": q_messages, "quorum_market_updates": q_updates,
        "quorum_desk_inputs": q_inputs, "quorum_market_events_per_s": q_messages / q_seconds,
        "quorum_desk_inputs_per_s": q_inputs / q_seconds,
    }
    result["nautilus_cpu_seconds"] = n_cpu
    result["quorum_cpu_seconds_whole_process"] = q_cpu
    result["ratio_time"] = n_seconds / q_seconds
    result["ratio_cpu"] = n_cpu / q_cpu
    result["ratio_market_events_per_s"] = result["quorum_market_events_per_s"] / result["nautilus_events_per_s"]
    result["ratio_desk_inputs_per_s"] = result["quorum_desk_inputs_per_s"] / result["nautilus_events_per_s"]
    if args.json:
        print(json.dumps(result))
        return
    print(f"same day: {args.day}, {args.symbols} symbols, best of {args.runs}")
    print(f"  nautilus_trader {result['nautilus_version']}: {n_events} ticks ({n_stats['quotes']} quotes, "
          f"{n_stats['trades']} trades seen by the strategies, {n_stats['orders']} orders) in {n_seconds:.3f} s = "
          f"{result['nautilus_events_per_s']:,.0f} events/s")
    print(f"  Quorum: {q_messages} feed messages -> {q_updates} market updates, {q_inputs} desk inputs in "
          f"{q_seconds:.3f} s = {result['quorum_market_events_per_s']:,.0f} market events/s, "
          f"{result['quorum_desk_inputs_per_s']:,.0f} desk inputs/s")
    print(f"  ratio: {result['ratio_time']:.1f}x less time for the same day; market events/s vs nautilus events/s "
          f"{result['ratio_market_events_per_s']:.1f}x; desk inputs/s vs nautilus events/s "
          f"{result['ratio_desk_inputs_per_s']:.1f}x (target >= 10x)")
    print(f"  CPU time: nautilus engine.run() {n_cpu:.3f} s ({n_events / n_cpu:,.0f} events/s); Quorum whole process "
          f"{q_cpu:.3f} s ({q_messages / q_cpu:,.0f} market events/s, {q_inputs / q_cpu:,.0f} desk inputs/s); "
          f"ratio {result['ratio_cpu']:.1f}x less CPU for the same day")


if __name__ == "__main__":
    main()
