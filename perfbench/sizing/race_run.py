"""A racing sweep with real workers: each epoch starts a fresh worker per point of its
wave (:class:`perfbench.runner.side.Side`, in the epoch's random start order, at most as
many compiling at once as there are cores), measures rounds of one short block per point
in fresh random order, asks each worker for its blocks as a result, and closes them all;
then the race looks (:mod:`perfbench.sizing.race`).

A worker that dies is reported and its point dropped; the race goes on.  A stop (Ctrl-C)
ends the epoch after the block in progress; the sweep file keeps every round, and
``--resume`` goes on with the next epoch.  The sweep is saved after every epoch.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
import openvino as ov
import psutil

from perfbench.errors import RunFailed, UsageError
from perfbench.model.prepare import prepare_model
from perfbench.results import from_document
from perfbench.results.sweep import SweepResult
from perfbench.runner.ab_cache import snap_block_down_s, snap_block_s
from perfbench.runner.benchmark import log
from perfbench.runner.side import (BLOCK_REQUESTS, MIN_BLOCK_S, SWITCH_WARMUP_S, Side,
                                   block_length, probe_block)
from perfbench.sizing import capacity as memory
from perfbench.sizing import fidelity as fidelity_rules
from perfbench.sizing import race_design
from perfbench.sizing.race import (
    DEFAULT_EPOCH_S,
    MAX_PLANNED_EPOCHS,
    REFERENCE,
    MIN_DECISION_EPOCHS,
    Race,
    block_floor,
    block_within_budget,
    RaceRules,
    end_of_budget,
    epoch_rounds,
    play_epoch,
    restore,
    round_order,
    rounds_within_budget,
    waves_needed,
)
from perfbench.sizing.race_sweep import RaceSweep
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point, plan
from perfbench.stats.percentiles import field_for

EpochCallback = Callable[[RaceSweep], None]


def worker_settings(spec: SweepSpec, point: Point) -> dict:
    base = dataclasses.replace(spec.base, time=None, iterations=None, repeat=1,
                               until_stable=None)
    return dataclasses.replace(base, **point.settings).to_dict()


def raced_settings(sweep: RaceSweep) -> dict[str, dict]:
    """Each raced point's settings as its worker runs them: what keys the race's design."""
    points = {p.key: p for p in sweep.points}
    return {key: worker_settings(sweep.spec, points[key]) for key in sweep.race.keys}


def new_race(spec: SweepSpec, previous: SweepResult | None,
             excluded: dict[str, str] | None = None) -> tuple[Race, list[Point]]:
    """The race of this grid, or the one saved in ``previous`` (``--resume``), and the
    sweep's points (those measured before keep their results).  A point in ``excluded``
    (its precision fails a fidelity constraint) is not raced: it could never be picked;
    it stays in the sweep's points, skipped with the reason.  The default always races:
    every ratio is to it."""
    every = plan(spec)
    left_out = [p for p in every if p.key in (excluded or {}) and p.key != REFERENCE]
    for point in left_out:
        point.status, point.reason = "skipped", (excluded or {})[point.key]
    points = [p for p in every if p not in left_out]
    settings = {p.key: p.settings for p in points}
    saved = previous.race if previous is not None else None
    race = restore(saved, settings) if saved is not None else None
    # a race stopped before its first epoch (while measuring fidelity) has nothing to
    # resume: it starts again, on the points this grid and its constraints admit
    if race is not None and race.epochs:
        if list(race.keys) != [p.key for p in points]:
            why = (f" (the fidelity constraint now leaves out "
                   f"{', '.join(p.key for p in left_out)})" if left_out else "")
            raise UsageError("--resume: the saved race has other points than this grid"
                             f"{why}; resume it with the same grid and constraints, or "
                             "start a new --json file")
        done = {p.key: p for p in previous.points if p.result is not None}
        for point in points:
            if point.key in done:
                point.result, point.status = done[point.key].result, done[point.key].status
        return race, points + left_out
    rules = RaceRules(margin_pct=spec.tie_margin_pct,
                      epoch_s=spec.epoch_s if spec.epoch_s is not None else DEFAULT_EPOCH_S,
                      max_epochs=spec.max_epochs or RaceRules().max_epochs)
    return Race([p.key for p in points], settings, rules, spec.base.seed), points + left_out


def model_size(config) -> tuple[float, float]:
    """(weights, one request's inputs) in MiB, read before any worker compiles: the model
    is read (or built), never compiled."""
    prepared = prepare_model(dataclasses.replace(config, precision=None), ov.Core())
    constants = sum(op.get_byte_size() for op in prepared.model.get_ops()
                    if op.get_type_name() == "Constant")
    inputs = sum(int(np.prod(spec.shape)) * 4 for spec in prepared.inputs)
    return memory.weights_mb(config.model, constants), inputs / memory.MB


def fit(spec: SweepSpec, points: list[Point], weights_mb: float, input_mb: float,
        available_mb: float | None = None, cores: int | None = None) -> memory.Capacity:
    """How many workers a wave holds, from each point's estimate (one line if none fit)."""
    cores = cores or psutil.cpu_count(logical=False) or psutil.cpu_count() or 1
    available = available_mb if available_mb is not None else \
        psutil.virtual_memory().available / memory.MB
    prints = [memory.footprint(p.key, p.settings, weights_mb, input_mb, cores)
              for p in points]
    return memory.capacity(prints, available, cores)



class Epochs:
    """Measures one epoch with real workers; the race's ``measure`` for play_epoch.  Its
    time is the sweep's clock (the budget's), so the epoch's wall time and the budget's
    checks read one clock, and a test can run the race on a simulated one."""

    def __init__(self, sweep: RaceSweep, stop_event: threading.Event,
                 side: Callable[..., Side], python: str):
        self.sweep, self.stop, self.side, self.python = sweep, stop_event, side, python
        self.points = {p.key: p for p in sweep.points}

    def __call__(self, keys, order, rounds, rng, failed) -> tuple[list[dict], float]:
        began = self.sweep.clock()
        sides = self._start(order, failed)
        try:
            if self.sweep.block_s is None and sides:
                self._probe(sides, failed)
                self._fit_block(len(sides), self.sweep.clock() - began)
            if self.sweep.race.design is None and self.sweep.block_s is not None and sides \
                    and not any(e.rounds for e in self.sweep.race.epochs):
                self._choose_design(len(sides))
            count = self._within_budget(rounds or epoch_rounds(
                self.sweep.race.rules, len(sides), self.sweep.block_s or MIN_BLOCK_S,
                SWITCH_WARMUP_S), len(sides), self.sweep.clock() - began)
            measured = self._rounds(sides, count, rng, failed)
            self.latest = self._results(sides, failed)
        finally:
            for worker in sides.values():
                worker.close()
        return measured, self.sweep.clock() - began

    def _within_budget(self, count: int, points: int, start_s: float) -> int:
        """Fewer rounds when the epochs an interval needs would overrun the race's budget
        (:func:`rounds_within_budget`): the first epoch, which holds every point, is the
        longest."""
        budget = self.sweep.race_budget_s()
        if budget is None or not points:
            return count
        left = budget - (self.sweep.clock() - self.sweep.started)
        round_s = points * ((self.sweep.block_s or MIN_BLOCK_S) + SWITCH_WARMUP_S)
        return rounds_within_budget(count, left, round_s, start_s,
                                    len(self.sweep.race.epochs))

    def _choose_design(self, points: int) -> None:
        """The race's rounds per epoch, before its first round (race_design): sized from
        earlier races of the grid unless --epoch-time or the spec's max_epochs fixes the
        epochs, within what the --budget leaves each point."""
        sweep, spec = self.sweep, self.sweep.spec
        budget = sweep.race_budget_s()
        per_point = None if budget is None else \
            max(budget - (sweep.clock() - sweep.started), 0.0) / max(len(sweep.race.keys), 1)
        fixed_by = (f"--epoch-time {spec.epoch_s:g}" if spec.epoch_s is not None else
                    f"the spec's max_epochs {spec.max_epochs}"
                    if spec.max_epochs is not None else None)
        race_design.choose(sweep.race, raced_settings(sweep), points,
                           waves_needed(sweep.race, sweep.capacity.workers), sweep.block_s,
                           SWITCH_WARMUP_S, spec.point_time_s, fixed_by is None, per_point,
                           fixed_by)

    def _fit_block(self, points: int, start_s: float) -> None:
        """Shorter blocks when the probe's would not let the epochs an interval needs fit
        the budget (:func:`block_within_budget`); said in the sweep's note."""
        budget, probed = self.sweep.race_budget_s(), self.sweep.block_s
        if budget is None or probed is None:
            return
        left = budget - (self.sweep.clock() - self.sweep.started)
        floor = block_floor(probed, BLOCK_REQUESTS, MIN_BLOCK_S)
        fitted = block_within_budget(probed, left, points, start_s, SWITCH_WARMUP_S, floor)
        if self.sweep.spec.epoch_s is None and snap_block_down_s(fitted) >= floor:
            fitted = snap_block_down_s(fitted)    # on the cache's grid, as the probe's is
        if fitted < probed:
            self.sweep.block_s = fitted
            short = (" — still too long: the budget is too small for this many points of "
                     "this model, and the race may end before an interval"
                     if fitted > block_within_budget(probed, left, points, start_s,
                                                     SWITCH_WARMUP_S, 0.0) else "")
            self.sweep.note = "; ".join(x for x in (self.sweep.note, (
                f"blocks shortened to {fitted:.2f} s (the probe asked for {probed:.2f} s) "
                f"so that the epochs an interval needs fit the budget{short}")) if x)

    def _start(self, order: list[str], failed: dict) -> dict[str, Side]:
        """Workers in the epoch's start order, at most ``compiling`` at once."""
        sides: dict[str, Side] = {}
        group = max(self.sweep.capacity.compiling, 1)
        try:
            for i in range(0, len(order), group):
                batch = {k: self.side(k, self.python,
                                      worker_settings(self.sweep.spec, self.points[k]),
                                      wait=False) for k in order[i:i + group]}
                sides.update(batch)
                for key in batch:
                    try:
                        sides[key].wait_ready()
                    except (RunFailed, UsageError) as exc:
                        failed[key] = str(exc)
                        sides.pop(key).close()
        except BaseException:
            for worker in sides.values():
                worker.close()
            raise
        return sides

    def _probe(self, sides: dict[str, Side], failed: dict) -> None:
        """The block length that suits the slowest point (as ``ab`` chooses it), from an
        unrecorded probe of each long enough to complete a few requests (``probe_block``):
        the budget's block floor, 5 requests of the slowest point, follows from it."""
        lengths = []
        for key in list(sides):
            try:
                lengths.append(block_length(probe_block(sides[key], SWITCH_WARMUP_S)))
            except (RunFailed, UsageError) as exc:
                failed[key] = str(exc)
                sides.pop(key).close()
        longest = max(lengths, default=None)
        # a dimensioned race's on the A/B cache's grid, so the next race of its grid finds
        # its components (a fixed --epoch-time keeps the probe's own)
        if longest is not None and self.sweep.spec.epoch_s is None:
            longest = snap_block_s(longest)
        self.sweep.block_s = longest

    def _rounds(self, sides: dict[str, Side], count: int, rng, failed: dict) -> list[dict]:
        out = []
        for index in range(count):
            if self.stop.is_set() or not sides:
                break
            order = round_order(rng, sorted(sides))
            fps, blocks = {}, []
            for key in order:
                if self.stop.is_set():
                    break
                try:
                    block = sides[key].block(self.sweep.block_s, SWITCH_WARMUP_S)
                except (RunFailed, UsageError) as exc:
                    failed[key] = str(exc)
                    sides.pop(key).close()
                    continue
                fps[key] = block["fps"]
                blocks.append({"key": key, "t_start": block["t_start"],
                               "t_end": block["t_end"], "fps": block["fps"],
                               "median_ms": block["median_ms"], "p99_ms": block["p99_ms"]})
            if len(fps) == len(order):          # a round cut by a stop is not kept
                out.append({"order": order, "fps": fps, "blocks": blocks})
            log.info("race epoch %d round %d/%d", len(self.sweep.race.epochs) + 1,
                     index + 1, count)
        return out

    def _results(self, sides: dict[str, Side], failed: dict) -> dict[str, float]:
        """Each worker's blocks as this epoch's result of its point (pooled with the earlier
        epochs', ``RaceSweep.measured``), and each point's latency at the SLA percentile
        in this epoch."""
        percentile = field_for(self.sweep.spec.sla_percentile)
        latency = {}
        interrupted = self.stop.is_set()
        for key, worker in list(sides.items()):
            try:
                document = worker.result(interrupted)
            except (RunFailed, UsageError) as exc:
                if "no block was measured" not in str(exc):
                    failed[key] = str(exc)
                continue
            result = from_document(document, f"point {key}")
            self.sweep.measured(key, result)        # pooled with its earlier epochs
            latency[key] = getattr(result.latency, percentile)
        return latency


def run_race(spec: SweepSpec, save: Callable[[RaceSweep], None],
             previous: SweepResult | None = None, on_epoch: EpochCallback | None = None,
             stop_event: threading.Event | None = None,
             clock: Callable[[], float] = time.monotonic,
             side: Callable[..., Side] = Side, weights_mb: float = 0.0,
             input_mb: float = 0.0, available_mb: float | None = None,
             on_fidelity: Callable[[str], None] | None = None) -> RaceSweep:
    """Race the grid until it is decided, the planned epochs are spent, the budget is
    reached, or a stop; the sweep is saved after every epoch and whatever happens."""
    stop_event = stop_event or threading.Event()
    began = clock()
    measured = fidelity_rules.for_sweep(spec, [p.settings for p in plan(spec)], previous,
                                        stop_event, on_fidelity)
    fidelity, errors = measured if measured is not None else ((), {})
    excluded = fidelity_rules.exclusions(spec, fidelity,
                                         [(p.key, p.settings) for p in plan(spec)], errors)
    race, points = new_race(spec, previous, excluded)
    raced = [p for p in points if p.key in race.keys]
    room = fit(spec, raced, weights_mb, input_mb, available_mb)
    sweep = RaceSweep(spec, points, clock=clock, mode="race", race=race, capacity=room,
                      fidelity=fidelity, fidelity_errors=errors)
    sweep.started -= clock() - began        # the budget covers measuring fidelity too
    if previous is not None:
        sweep.started -= previous.elapsed_s
        sweep.block_s = previous.race.block_s if previous.race is not None else None
    # (fidelity measured None: a stop, which the loop below sees)
    sweep.note = "; ".join(x for x in (room.note(len(raced)),
                                       fidelity_rules.unmeasured_note(errors)) if x)
    epochs = Epochs(sweep, stop_event, side, sys.executable)
    played_before = len(race.epochs)        # a resumed race's are stored once, when it ended
    rng = np.random.default_rng([spec.base.seed, len(race.epochs)])
    try:
        while race.status == "running" and not stop_event.is_set():
            if _out_of_budget(sweep, clock):
                end_of_budget(race, "budget reached")
                break
            _play(sweep, epochs, rng)
            _plan_epochs(sweep, clock)
            save(sweep)
            if on_epoch is not None:
                on_epoch(sweep)
        if stop_event.is_set() and race.status == "running":
            race.status = "interrupted"
    except BaseException as exc:
        race.status = "failed"
        sweep.note = "; ".join(x for x in (sweep.note, f"failed after {len(race.epochs)} "
                                           f"epochs: {exc or type(exc).__name__}") if x)
        raise
    finally:
        sweep.finish()
        save(sweep)
    if race.status in ("won", "tied", "budget") and len(race.epochs) > played_before and \
            race.design is not None and race.design.chosen_by != "fixed" and \
            sweep.block_s is not None and snap_block_s(sweep.block_s) == sweep.block_s:
        _remember(sweep)
    return sweep


def _remember(sweep: RaceSweep) -> None:
    """The finished race's components for the next race of its grid (a dimensioned or
    defaults race's whose block is on the cache's grid: an ``--epoch-time`` race's, a
    resumed version-3 race's, or one a budget shortened below the grid's step, would be
    stored under a key no race looks up); never the race's answer's cost (its document
    is saved): a failure is a warning."""
    try:
        race_design.store(sweep.race, raced_settings(sweep), sweep.block_s, SWITCH_WARMUP_S)
    except Exception as exc:
        log.warning("race: its components were not stored for the next race (%s)", exc)


def _play(sweep: RaceSweep, epochs: Epochs, rng) -> None:
    race = sweep.race
    epochs.latest = {}
    epoch = play_epoch(race, epochs, sweep.capacity.workers, rng, 0)
    epoch.latency_ms = dict(epochs.latest)
    for key, message in ((x.key, x.reason) for x in race.exits
                         if x.reason.startswith("worker failed")):
        point = next(p for p in sweep.points if p.key == key)
        if point.status != "failed":
            point.status, point.reason = "failed", message
            log.warning("race: point %s dropped (%s)", key, message)
    if not race.live() and race.status == "running":
        race.status, race.why = "failed", "every point's worker failed"


def _out_of_budget(sweep: RaceSweep, clock) -> bool:
    """Would one more epoch (at the pace of the last) overrun the race's part of the
    budget (the confirmation A/B's time is kept for it)?"""
    budget = sweep.race_budget_s()
    if budget is None or not sweep.race.epochs:
        return False
    last = sweep.race.epochs[-1].wall_s
    return clock() - sweep.started + last > budget


def _plan_epochs(sweep: RaceSweep, clock) -> None:
    """After the first epoch, before any look can decide, the planned epochs are fixed
    (the family's looks with them): enough for a point that stays in the race to get
    about ``--point-time`` of blocks (a dimensioned race: as many as fit the default
    design's wall time, :mod:`perfbench.sizing.race_design`), and no more than the
    budget fits at the first epoch's pace (which holds every point, so later epochs are
    no slower)."""
    race, budget, spec = sweep.race, sweep.race_budget_s(), sweep.spec
    if len(race.epochs) != 1 or spec.max_epochs is not None or not race.epochs[0].rounds:
        return
    planned = race_design.default_epochs(len(race.epochs[0].rounds),
                                         sweep.block_s or MIN_BLOCK_S, spec.point_time_s)
    design = race.design
    if design is not None and design.chosen_by == "dimensioned" and design.expected_epochs:
        planned = design.expected_epochs     # the default design's wall time (race_design)
    if budget is not None:
        pace = max(race.epochs[0].wall_s, 1e-3)
        planned = min(planned, int((budget - (clock() - sweep.started)) // pace) + 1)
    race.rules = dataclasses.replace(race.rules, max_epochs=int(
        min(max(planned, MIN_DECISION_EPOCHS), MAX_PLANNED_EPOCHS)))

