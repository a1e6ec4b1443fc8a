"""Run a sweep: one full benchmark per grid point, within a time budget, saved after every
point so that an interrupted sweep resumes where it stopped.

The sweep document (schema ``perfbench.sweep``) holds every point with its status
("done", "interrupted", "failed", "skipped"), why it was skipped or shortened, and the full
``perfbench.result`` of each measured point.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import psutil

from perfbench.settings.config import BenchmarkConfig
from perfbench.errors import Interrupted, RunFailed, UsageError
from perfbench.files import write_json
from perfbench.results import BenchmarkResult, from_document
from perfbench.results.metrics import fps_estimate
from perfbench.sizing.spec import SweepSpec
from perfbench.runner.benchmark import log, run
from perfbench.stats.percentiles import field_for
from perfbench.sizing.grid import (LATENCY_GROWING, PointSummary, cut_off_reason,
                    expand, growing_key, line_of, pareto, point_key, recommend, sizing)

SCHEMA = "perfbench.sweep"
SCHEMA_VERSION = 1
MIN_POINT_S = 3.0


@dataclass
class Point:
    key: str
    settings: dict
    status: str = "pending"
    reason: str = ""
    time_cap_s: float | None = None
    result: BenchmarkResult | None = None

    def latency_at(self, percentile: float) -> float | None:
        if self.result is None:
            return None
        return getattr(self.result.latency, field_for(percentile))


    def to_dict(self) -> dict:
        return dict(dataclasses.asdict(self),
                    result=self.result.to_dict() if self.result is not None else None)


@dataclass
class Sweep:
    spec: SweepSpec
    points: list[Point]
    status: str = "running"
    clock: Callable[[], float] = time.monotonic
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def summaries(self) -> list[PointSummary]:
        return [PointSummary(p.key, p.settings, *_fps_then_latency(p, self.spec.sla_percentile))
                for p in self.points if p.status == "done"]

    def conclusions(self) -> dict:
        """Pareto frontier, recommendations and machines needed, from the finished points."""
        done = self.summaries()
        baseline = next((s for s in done if s.key == "default"), None)
        picks = recommend(done, baseline, self.spec.sla_ms, self.spec.sla_percentile)
        choice = picks.get("best_under_sla") or picks["best_throughput"]
        return {"pareto": pareto(done), "recommendations": picks,
                "sizing": sizing(choice, self.spec.target_fps, psutil.cpu_count() or 1)}

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "status": self.status,
                "spec": self.spec.to_dict(), "elapsed_s": self.clock() - self.started,
                "points": [p.to_dict() for p in self.points], **self.conclusions()}


def _fps_then_latency(point: Point, percentile: float) -> tuple:
    """(FPS, latency at the percentile, FPS low, FPS high): one estimator for the value
    and its interval, as compare and the exporters use."""
    fps, low, high = fps_estimate(point.result)
    return fps, point.latency_at(percentile), low, high


def plan(spec: SweepSpec, previous: dict | None = None) -> list[Point]:
    """The default throughput-hint point first (every pick is compared with it), then the
    grid; points already done in ``previous`` are kept, not re-run."""
    points = [Point("default", {})] + [Point(point_key(s), s) for s in expand(spec.grid)]
    unique = list({p.key: p for p in points}.values())
    if previous:
        done = {p["key"]: p for p in previous.get("points", []) if p.get("status") == "done"}
        for point in unique:
            if point.key in done:
                point.status = "done"
                point.result = from_document(done[point.key]["result"],
                                             f"--resume: point {point.key}")
                point.reason = "resumed"
    return unique


def load_previous(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise UsageError(f"--resume: {path} does not exist; nothing to resume") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"--resume: cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(f"--resume: {path} is not a perfbench sweep file")
    return data


#: Settings of the base config that change what a point measures; a resumed sweep must
#: agree on all of them, or its finished points are results of another experiment.
_RUN_FIELDS_THAT_DO_NOT_MATTER = ("time", "iterations", "max_time", "until_stable", "repeat",
                                  "recompile", "roofline", "perf_counters", "cache_dir")


def check_resumable(spec: SweepSpec, previous: dict, path: str) -> list[str]:
    """Refuse to resume a sweep of another model, device or fixed setting; return notes on
    grid points that the new grid drops (kept in the file, not re-run) or adds."""
    before = (previous.get("spec") or {}).get("base") or {}
    now = spec.base.to_dict()
    for key, value in now.items():
        if key not in _RUN_FIELDS_THAT_DO_NOT_MATTER and key in before and before[key] != value:
            raise UsageError(f"--resume: {path} is a sweep with {key}={before[key]!r}, not "
                             f"{value!r}; resume it with the same settings, or start a new "
                             "--json file")
    old_keys = {p.get("key") for p in previous.get("points", [])}
    new_keys = {p.key for p in plan(spec)}
    notes = []
    if old_keys - new_keys:
        notes.append(f"not in the new grid (left out): {', '.join(sorted(old_keys - new_keys))}")
    if new_keys - old_keys:
        notes.append(f"new in the grid: {', '.join(sorted(new_keys - old_keys))}")
    return notes


def _point_config(spec: SweepSpec, settings: dict, cap: float) -> BenchmarkConfig:
    base = dataclasses.replace(spec.base, time=None, iterations=None, repeat=1)
    return dataclasses.replace(base, until_stable=spec.until_stable_pct, max_time=cap,
                               **settings)


def time_cap(point_time_s: float, budget_s: float | None, elapsed_s: float,
             remaining: int) -> float | None:
    """Measuring time for the next point, or None when the budget cannot fit a useful one.

    Each point also compiles and warms up, so it gets ~75 % of its share of what is left.
    A point is useful from ``MIN_POINT_S`` on, or from ``point_time_s`` when the user asked
    for shorter points than that."""
    if budget_s is None:
        return point_time_s
    share = 0.75 * (budget_s - elapsed_s) / max(remaining, 1)
    cap = min(point_time_s, share)
    return cap if cap >= min(MIN_POINT_S, point_time_s) else None


def run_sweep(spec: SweepSpec, save: Callable[[Sweep], None], previous: dict | None = None,
              on_point: Callable[[int, int, Point], None] | None = None,
              on_window=None, stop_event: threading.Event | None = None,
              clock: Callable[[], float] = time.monotonic) -> Sweep:
    sweep = Sweep(spec, plan(spec, previous), clock=clock)
    if previous:       # the budget covers the whole sweep, the part before the stop too
        sweep.started -= float(previous.get("elapsed_s") or 0.0)
    grow = growing_key(spec.grid)
    lines: dict[str, list[tuple[float, float | None]]] = {}
    stop_event = stop_event or threading.Event()
    for index, point in enumerate(sweep.points):
        line = line_of(point.settings, grow) if point.key != "default" else "default"
        if point.status != "done":
            _run_point(sweep, point, index, lines.get(line, []), grow, on_point, on_window,
                       stop_event)
            save(sweep)
        if point.status == "done":
            lines.setdefault(line, []).append(
                (fps_estimate(point.result)[0], point.latency_at(spec.sla_percentile)))
        if stop_event.is_set():
            sweep.status = "interrupted"
            break
    else:
        sweep.status = "complete"
    save(sweep)
    return sweep


def _run_point(sweep: Sweep, point: Point, index: int, line_history, grow: str | None,
               on_point, on_window, stop_event) -> None:
    spec = sweep.spec
    reason = cut_off_reason(line_history, spec.sla_ms, spec.gain_cutoff_pct,
                            latency_grows=grow in LATENCY_GROWING)
    if reason:
        point.status, point.reason = "skipped", reason
        return
    remaining = sum(1 for p in sweep.points[index:] if p.status == "pending")
    cap = time_cap(spec.point_time_s, spec.budget_s, sweep.clock() - sweep.started, remaining)
    if cap is None:
        point.status, point.reason = "skipped", "budget exhausted"
        return
    point.time_cap_s = cap
    if cap < spec.point_time_s:
        point.reason = f"shortened to {cap:.1f} s by the budget"
    log.info("point %d/%d: %s (up to %.1f s)", index + 1, len(sweep.points), point.key, cap)
    if on_point is not None:
        on_point(index, len(sweep.points), point)
    try:
        result = run(_point_config(spec, point.settings, cap), on_window=on_window,
                     stop_event=stop_event)
    except Interrupted:
        point.status = "interrupted"
        return
    except (RunFailed, UsageError) as exc:
        point.status, point.reason = "failed", str(exc)
        return
    point.result = result
    point.status = "interrupted" if result.status == "interrupted" else "done"


def save_to(path: str | None) -> Callable[[Sweep], None]:
    def save(sweep: Sweep) -> None:
        if path:
            write_json(path, sweep.to_dict())
    return save
