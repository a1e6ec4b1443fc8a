"""Interleaved A/B: BASE and NEW measured alternately, in short blocks, compared in pairs.

Both sides live in their own worker process (:mod:`perfbench.runner.worker`), model
compiled once and pool ready, possibly under another interpreter (another OpenVINO).  Only
one side measures at a time while the other waits idle.  Rounds run in ABBA order (A B, then
B A, ...), so a linear drift within a pair of rounds cancels as well; each switch is followed
by a short unmeasured warm-up.  Statistics: :mod:`perfbench.stats.paired`.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from perfbench.errors import UsageError
from perfbench.runner.benchmark import log
from perfbench.runner.side import (MIN_BLOCK_S, Side, block_length,  # noqa: F401
                                   check_interpreter, check_python)
from perfbench.stats.paired import INTERIM_LEVEL, decided, final_verdict, paired_ratio

SCHEMA = "perfbench.ab"
SCHEMA_VERSION = 1
SWITCH_WARMUP_S = 0.03
DEFAULT_MAX_TIME_S = 120.0
DEFAULT_THRESHOLD_PCT = 2.0
DEFAULT_TARGET_PCT = 1.0


@dataclass
class Round:
    order: str                      # "AB" or "BA"
    base: dict
    new: dict

    def log_ratio(self, key: str) -> float:
        if key == "fps":
            return math.log((self.new["completed"] / self.new["duration_s"]) /
                            (self.base["completed"] / self.base["duration_s"]))
        return math.log(self.new[key] / self.base[key])


@dataclass
class ABRun:
    settings: dict
    threshold_pct: float = DEFAULT_THRESHOLD_PCT
    target_pct: float = DEFAULT_TARGET_PCT
    max_time_s: float = DEFAULT_MAX_TIME_S
    block_s: float | None = None
    early_stop: bool = True        # False: measure for max_time_s whatever the interval
    #: Which worker starts (and compiles) first; random unless forced, and recorded, since
    #: the process started second may run a little faster (see the README's A/B section).
    started_first: str = field(default_factory=lambda: random.choice(("base", "new")))
    timestamp: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(
        timespec="seconds"))
    rounds: list[Round] = field(default_factory=list)
    sides: dict = field(default_factory=dict)
    stop_reason: str = ""
    status: str = "running"

    def log_ratios(self, key: str = "fps") -> list[float]:
        return [r.log_ratio(key) for r in self.rounds]

    def to_dict(self) -> dict:
        early = self.stop_reason not in ("max_time", "interrupted")
        result = final_verdict(self.log_ratios("fps"), self.threshold_pct, early)
        judged = paired_ratio(self.log_ratios("fps"), final=not early)
        ratios = {key: _ratio_dict(paired_ratio(self.log_ratios(key)))
                  for key in ("fps", "median_ms", "p99_ms")}
        return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "status": self.status,
                "stop_reason": self.stop_reason, "verdict": result,
                "regression": result == "regression", "threshold_pct": self.threshold_pct,
                "verdict_interval": None if judged is None else {
                    "level": 0.95 if not early else INTERIM_LEVEL, "ci_low": judged.low,
                    "ci_high": judged.high},
                "target_pct": self.target_pct, "block_s": self.block_s,
                "started_first": self.started_first, "timestamp": self.timestamp,
                "ratios": ratios, "sides": self.sides, "settings": self.settings,
                "rounds": [{"order": r.order, "base": r.base, "new": r.new}
                           for r in self.rounds]}


def _ratio_dict(estimate) -> dict | None:
    if estimate is None:
        return None
    return {"ratio": estimate.ratio, "ci95_low": estimate.low, "ci95_high": estimate.high,
            "change_pct": estimate.change_pct, "half_width_pct": estimate.half_width_pct,
            "rounds": estimate.rounds, "round_spread_pct": estimate.spread_pct}


def run_ab(base: dict, new: dict, pythons: tuple[str, str], run: ABRun,
           stop_event: threading.Event | None = None,
           on_round: Callable[[ABRun], None] | None = None,
           clock: Callable[[], float] = time.monotonic) -> ABRun:
    """Measure until the verdict is decided, the interval is within ``target_pct``, or
    ``max_time_s`` has passed; a stop keeps the rounds done (status interrupted)."""
    stop_event = stop_event or threading.Event()
    sides: list[Side] = []
    specs = [("BASE", base, pythons[0]), ("NEW", new, pythons[1])]
    if run.started_first == "new":
        specs.reverse()
    try:
        for label, settings, python in specs:
            sides.append(Side(label, python, settings))
        sides.sort(key=lambda side: side.label != "BASE")
        _check_comparable(sides, base, new)
        run.sides = {s.label.lower(): dict(s.ready, python=s.python) for s in sides}
        _measure(sides, run, stop_event, on_round, clock)
    finally:
        for side in sides:
            side.close()
    return run


def _check_comparable(sides: list[Side], base: dict, new: dict) -> None:
    shapes = [[i["shape"] for i in side.ready["inputs"]] for side in sides]
    if (base.get("shape") or new.get("shape")) and shapes[0] != shapes[1]:
        raise UsageError(f"--shape gives the two sides different inputs: BASE {shapes[0]}, "
                         f"NEW {shapes[1]}")


def _measure(sides: list[Side], run: ABRun, stop_event, on_round, clock) -> None:
    base, new = sides
    if run.block_s is None:
        run.block_s = max(block_length(s.block(MIN_BLOCK_S, SWITCH_WARMUP_S, record=False))
                          for s in sides)
    started = clock()
    while True:
        if stop_event.is_set():
            run.status, run.stop_reason = "interrupted", "interrupted"
            return
        order = "AB" if len(run.rounds) % 2 == 0 else "BA"
        first, second = (base, new) if order == "AB" else (new, base)
        a = first.block(run.block_s, SWITCH_WARMUP_S)
        b = second.block(run.block_s, SWITCH_WARMUP_S)
        results = {first.label: a, second.label: b}
        run.rounds.append(Round(order, results["BASE"], results["NEW"]))
        log.info("ab round %d", len(run.rounds))
        if on_round is not None:
            on_round(run)
        reason = decided(run.log_ratios(), run.threshold_pct, run.target_pct) \
            if run.early_stop else None
        if reason is None and clock() - started >= run.max_time_s:
            reason = "max_time"
        if reason is not None:
            run.status, run.stop_reason = "complete", reason
            return
