"""Interleaved sweep: every point measured in every round, so drift hits all points alike.

A sequential sweep measures point after point; on a shared VM whose speed drifts 10-60 %
within an hour, which point wins then depends on when each ran.  Here each point lives in
its own worker process (:class:`perfbench.runner.side.Side`: model compiled once, pool ready)
and the sweep runs rounds; each round measures one short block of every point, in a fresh
random order, each block after a short unmeasured warm-up, while the others wait idle.

Every comparison is then paired by round: FPS(p) / FPS(q) per round, combined on the log
scale with a lag-1-corrected t interval (:meth:`perfbench.sizing.sweep.Sweep.paired`).  The
picks and "vs default" ratios use those paired intervals; each point's own figures
(latency percentiles, its unpaired FPS interval) come from its blocks pooled into one
``perfbench.result`` by its worker.
"""

from __future__ import annotations

import dataclasses
import math
import random
import sys
import threading
import time
from typing import Callable

from perfbench.errors import RunFailed, UsageError
from perfbench.results import from_document
from perfbench.runner.benchmark import log
from perfbench.runner.side import MIN_BLOCK_S, SWITCH_WARMUP_S, Side, block_length
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point, Sweep, plan

#: Beyond this many points a sweep runs sequentially unless --interleave is given: every
#: point holds a compiled model and a worker process, and rounds get long.
AUTO_MAX_POINTS = 12
#: Fewer rounds than this give no usable interval.
MIN_ROUNDS = 10

RoundCallback = Callable[[int, int, Sweep], None]


def interleave_by_default(points: int) -> bool:
    return points <= AUTO_MAX_POINTS


def run_interleaved(spec: SweepSpec, save: Callable[[Sweep], None],
                    on_round: RoundCallback | None = None,
                    stop_event: threading.Event | None = None,
                    clock: Callable[[], float] = time.monotonic,
                    side: Callable[..., Side] = Side) -> Sweep:
    """Start every point's worker, measure rounds until each point has had about
    ``point_time_s`` (or the budget or a stop ends it), then collect each point's result.

    The sweep is saved whatever happens: a step that fails after some rounds (a callback,
    a worker's answer) marks the sweep failed and keeps the rounds, then the error goes on
    to the caller.  ``side`` makes a point's worker (tests wrap :class:`Side`)."""
    stop_event = stop_event or threading.Event()
    sweep = Sweep(spec, plan(spec), clock=clock, mode="interleaved")
    sides: dict[str, Side] = {}
    try:
        _start_workers(sweep, sides, side)
        if sides and not stop_event.is_set():
            _measure_rounds(sweep, sides, on_round, stop_event, clock)
        interrupted = stop_event.is_set()
        _collect_results(sweep, sides, interrupted)
        sweep.status = "interrupted" if interrupted else _finished_status(sweep)
    except BaseException as exc:
        sweep.status = "failed"
        sweep.note = "; ".join(x for x in (sweep.note, f"failed after {len(sweep.rounds)} "
                                           f"rounds: {exc or type(exc).__name__}") if x)
        raise
    finally:
        for worker in sides.values():
            worker.close()
        save(sweep)
    return sweep


def _finished_status(sweep: Sweep) -> str:
    """"incomplete" when the budget cut the rounds below what gives a usable interval:
    then nothing may be recommended from them (see :meth:`Sweep.conclusions`)."""
    if len(sweep.rounds) < MIN_ROUNDS:
        sweep.note = "; ".join(x for x in (sweep.note, f"fewer than {MIN_ROUNDS} rounds "
                                           "give no usable interval") if x)
        return "incomplete"
    return "complete"


def _point_settings(spec: SweepSpec, point: Point) -> dict:
    base = dataclasses.replace(spec.base, time=None, iterations=None, repeat=1,
                               until_stable=None)
    return dataclasses.replace(base, **point.settings).to_dict()


def _start_workers(sweep: Sweep, sides: dict[str, Side], side: Callable[..., Side]) -> None:
    """All workers compile at once; a point whose model or setting fails is marked failed
    with its message, and the others go on."""
    starting = {p.key: side(p.key, sys.executable, _point_settings(sweep.spec, p), wait=False)
                for p in sweep.points}
    sides.update(starting)
    for point in sweep.points:
        try:
            sides[point.key].wait_ready()
        except (RunFailed, UsageError) as exc:
            _fail(point, sides, str(exc))


def _fail(point: Point, sides: dict[str, Side], message: str) -> None:
    point.status, point.reason = "failed", message
    sides.pop(point.key).close()


def _measure_rounds(sweep: Sweep, sides: dict[str, Side], on_round: RoundCallback | None,
                    stop_event: threading.Event, clock) -> None:
    spec = sweep.spec
    points = {p.key: p for p in sweep.points}
    block_s = _probe_block_s(sides, points)
    if block_s is None:
        return
    sweep.block_s = block_s
    planned = max(MIN_ROUNDS, math.ceil(spec.point_time_s / block_s))
    rng = random.Random(spec.base.seed)
    started = clock()
    for index in range(planned):
        if stop_event.is_set() or not sides:
            return
        if index and spec.budget_s is not None and _over_budget(sweep, started, index, clock):
            sweep.note = f"budget reached after {index} of {planned} rounds"
            return
        order = rng.sample(sorted(sides), len(sides))
        sweep.rounds.append(_round(order, sides, points, block_s))
        log.info("sweep round %d/%d", index + 1, planned)
        if on_round is not None:
            on_round(index, planned, sweep)


def _probe_block_s(sides: dict[str, Side], points: dict[str, Point]) -> float | None:
    """The block length that suits the slowest point, from one unrecorded block of each;
    a point whose probe fails is marked failed and the others go on (None: none left)."""
    lengths = []
    for key in list(sides):
        try:
            lengths.append(block_length(sides[key].block(MIN_BLOCK_S, SWITCH_WARMUP_S,
                                                         record=False)))
        except (RunFailed, UsageError) as exc:
            _fail(points[key], sides, str(exc))
    return max(lengths, default=None)


def _over_budget(sweep: Sweep, started: float, done: int, clock) -> bool:
    """Would one more round overrun the budget (at the pace of the rounds so far)?"""
    now = clock()
    pace = (now - started) / done if done else 0.0
    return now - sweep.started + pace > sweep.spec.budget_s


def _round(order: list[str], sides: dict[str, Side], points: dict[str, Point],
           block_s: float) -> dict:
    blocks, fps = [], {}
    for key in order:
        try:
            block = sides[key].block(block_s, SWITCH_WARMUP_S)
        except (RunFailed, UsageError) as exc:
            _fail(points[key], sides, str(exc))
            continue
        rate = block["fps"]
        fps[key] = rate
        blocks.append({"key": key, "t_start": block["t_start"], "t_end": block["t_end"],
                       "fps": rate, "median_ms": block["median_ms"], "p99_ms": block["p99_ms"]})
    return {"order": order, "fps": fps, "blocks": blocks}


def _collect_results(sweep: Sweep, sides: dict[str, Side], interrupted: bool) -> None:
    """Each point's blocks pooled into its result; a worker that fails to answer fails its
    own point only."""
    for point in sweep.points:
        side = sides.get(point.key)
        if side is None:
            continue
        if not any(point.key in r["fps"] for r in sweep.rounds):
            point.status, point.reason = "interrupted", "stopped before its first round"
            continue
        try:
            document = side.result(interrupted)
        except (RunFailed, UsageError) as exc:
            _fail(point, sides, str(exc))
            continue
        point.result = from_document(document, f"point {point.key}")
        point.status = "interrupted" if interrupted else "done"
        point.reason = f"interleaved: {len(sweep.rounds)} rounds of {sweep.block_s:.2f} s"
