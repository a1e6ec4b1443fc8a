"""Run a sweep: one full benchmark per grid point, within a time budget, saved after every
point so that an interrupted sweep resumes where it stopped.

The sweep document (schema ``perfbench.sweep``) holds every point with its status
("done", "interrupted", "failed", "skipped"), why it was skipped or shortened, and the full
``perfbench.result`` of each measured point.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import psutil

from perfbench.settings.config import BenchmarkConfig
from perfbench.errors import Interrupted, RunFailed, UsageError
from perfbench.files import fallback_path, write_json
from perfbench.results import BenchmarkResult
from perfbench.results.registry import read_document
from perfbench.results.metrics import fps_estimate
from perfbench.results.sweep import (SCHEMA, Pick, PrecisionFidelity, PrecisionGain,
                                     SizingPlan, SweepPoint, SweepResult, VersusDefault,
                                     point_precision)
from perfbench.sizing import fidelity as fidelity_rules
from perfbench.sizing.spec import SweepSpec
from perfbench.runner.benchmark import log, run
from perfbench.stats.paired import PairedRatio, paired_ratio
from perfbench.sizing.grid import (LATENCY_GROWING, PointSummary, _pick, cut_off_reason,
                    expand, growing_key, line_of, pareto, point_key, recommend, sizing,
                    unpaired_ratio_low)
from perfbench.tracking.verdict import (DEFAULT_NOISE_FLOORS_PCT, disturbed, ratio_interval,
                                        samples_for)

MIN_POINT_S = 3.0
BUDGET_EXHAUSTED = "budget exhausted"
#: What a sweep says when it keeps the default: no point's FPS is better than the default's
#: by its 95 % interval (paired by round when interleaved), so none is worth recommending.
NO_POINT_BEATS_DEFAULT = "no point beats the default beyond noise"


@dataclass
class Point:
    key: str
    settings: dict
    status: str = "pending"
    reason: str = ""
    time_cap_s: float | None = None
    result: BenchmarkResult | None = None

    def latency_at(self, percentile: float) -> float | None:
        return self.record().latency_at(percentile)

    def record(self) -> SweepPoint:
        """The point as the sweep document holds it."""
        return SweepPoint(self.key, dict(self.settings), self.status, self.reason,
                          self.time_cap_s, self.result)

    def to_dict(self) -> dict:
        return self.record().to_dict()


@dataclass
class Sweep:
    spec: SweepSpec
    points: list[Point]
    status: str = "running"
    clock: Callable[[], float] = time.monotonic
    #: "sequential" (point after point), "race" (:mod:`perfbench.sizing.race_sweep`), or
    #: "interleaved": a v1 file's round-level sweep, read back only (``rounds``, ``block_s``).
    mode: str = "sequential"
    rounds: list[dict] = field(default_factory=list)
    block_s: float | None = None
    note: str = ""
    #: Each precision's fidelity against f32, measured once (:mod:`perfbench.sizing.fidelity`).
    fidelity: tuple[PrecisionFidelity, ...] = ()
    #: precision → why its fidelity could not be measured (its points, under a
    #: constraint, are excluded with it).
    fidelity_errors: dict = field(default_factory=dict)
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def summaries(self) -> list[PointSummary]:
        return [self._summary(p) for p in self.points if p.status == "done"]

    def _summary(self, point: Point) -> PointSummary:
        fps, latency, low, high = _fps_then_latency(point, self.spec.sla_percentile)
        return PointSummary(point.key, point.settings, fps, latency, low, high,
                            fidelity_rules.vector(self.fidelity_of(point.settings)))

    def fidelity_of(self, settings: dict) -> PrecisionFidelity | None:
        precision = point_precision(settings, {"base": self.spec.base.to_dict()})
        return next((f for f in self.fidelity if f.precision == precision), None)

    def excluded(self) -> dict[str, str]:
        """Point key → why its precision's fidelity keeps it out of the picks."""
        return fidelity_rules.exclusions(self.spec, self.fidelity,
                                         [(p.key, p.settings) for p in self.points],
                                         self.fidelity_errors)

    def admitted(self, done: list[PointSummary]) -> list[PointSummary]:
        excluded = self.excluded()
        return [s for s in done if s.key not in excluded]

    def paired(self, key: str, other: str) -> PairedRatio | None:
        """FPS(key) / FPS(other) paired by round (interleaved sweeps only)."""
        logs = [math.log(r["fps"][key] / r["fps"][other]) for r in self.rounds
                if r["fps"].get(key, 0) > 0 and r["fps"].get(other, 0) > 0]
        return paired_ratio(logs)

    def _ratio_low(self, point: PointSummary, top: PointSummary) -> float | None:
        estimate = self.paired(point.key, top.key)
        return estimate.low if estimate is not None else None

    def versus_default(self) -> dict[str, dict]:
        """Each point's FPS as a ratio to the default's, paired by round, with its 95 %
        interval; empty for a sequential sweep (unpaired figures are in the points).

        The interval is round-level only: each point is one worker process for the whole
        sweep, so the process level (which ``perfbench ab`` samples with epochs) is not in
        it, and each entry says so."""
        if self.mode != "interleaved":
            return {}
        ratios = {}
        for point in self.points:
            estimate = self.paired(point.key, "default") if point.key != "default" else None
            if estimate is not None:
                ratios[point.key] = {"ratio": estimate.ratio, "low": estimate.low,
                                     "high": estimate.high, "level": 0.95,
                                     "rounds": estimate.rounds,
                                     "interval": "round-level only"}
        return ratios

    def paired_p99(self, key: str, other: str) -> PairedRatio | None:
        """p99(key) / p99(other), per round's blocks (interleaved sweeps only)."""
        logs = []
        for r in self.rounds:
            p99 = {b["key"]: b.get("p99_ms") for b in r.get("blocks", [])}
            if (p99.get(key) or 0) > 0 and (p99.get(other) or 0) > 0:
                logs.append(math.log(p99[key] / p99[other]))
        return paired_ratio(logs)

    def precision_gains(self) -> list[dict]:
        """Each precision against f32 at the same other settings: FPS and p99 ratios,
        paired by round in an interleaved sweep (with 95 % intervals), else from each
        point's own figures (FPS interval from the two points' intervals)."""
        done = {p.key: p for p in self.points if p.status == "done"}
        gains = []
        for point in done.values():
            precision = point.settings.get("precision")
            if precision in (None, "f32"):
                continue
            rest = dict(point.settings, precision="f32")
            base = next((q for q in done.values() if q.settings == rest), None)
            if base is not None:
                gains.append(self._gain(point, base, precision))
        return gains

    def _gain(self, point: Point, base: Point, precision: str) -> dict:
        others = {k: v for k, v in point.settings.items() if k != "precision"}
        gain = {"precision": precision, "versus": "f32", "settings": others}
        if self.mode == "interleaved":
            paired = self.paired(point.key, base.key)
            gain["fps_ratio"] = _interval(paired)
            gain["p99_ratio"] = _interval(self.paired_p99(point.key, base.key))
            return gain
        fps, low, high = fps_estimate(point.result)
        base_fps, base_low, base_high = fps_estimate(base.result)
        ratio = fps / base_fps if base_fps else None
        interval = None
        if ratio and None not in (low, high, base_low, base_high):
            spread = math.hypot(math.log(high / fps), math.log(base_high / base_fps))
            interval = {"ratio": ratio, "low": ratio * math.exp(-spread),
                        "high": ratio * math.exp(spread), "level": 0.95}
        gain["fps_ratio"] = interval or (_no_interval(ratio) if ratio else None)
        gain["p99_ratio"] = _no_interval(point.result.latency.p99 / base.result.latency.p99)
        return gain

    def conclusions(self) -> dict:
        """Pareto frontier, recommendations and machines needed, from the finished points.

        An incomplete sweep (the budget skipped points, or left too few rounds) recommends
        nothing: a best among the points it happened to measure is not the grid's best,
        and ``withheld`` says why."""
        done = self.summaries()
        baseline = next((s for s in done if s.key == "default"), None)
        ratio_low = self._ratio_low if self.mode == "interleaved" else unpaired_ratio_low
        picks = recommend(self.admitted(done), baseline, self.spec.sla_ms,
                          self.spec.sla_percentile, ratio_low)
        if self.status == "incomplete":
            return {"pareto": pareto(done), "recommendations": dict.fromkeys(picks),
                    "withheld": f"sweep incomplete: {self.note}", "vs_default":
                    self.versus_default(), "precision_gains": self.precision_gains(),
                    "sizing": None}
        picks = self._default_unless_beaten(picks, baseline)
        versus = self.versus_default()
        for pick in picks.values():
            if pick is not None and pick["key"] in versus:
                pick["fps_vs_default_paired"] = versus[pick["key"]]
        return {"pareto": pareto(done), "recommendations": picks, "vs_default": versus,
                "precision_gains": self.precision_gains(), "sizing": self.plan_for(picks),
                "disturbed": self.disturbed_points()}

    def plan_for(self, picks: dict) -> dict | None:
        """The machines needed at the recommended point: best under the SLA, else best
        throughput (the picks as the document states them, so the plan is built on the
        point it names)."""
        choice = picks.get("best_under_sla") or picks["best_throughput"]
        plan = sizing(choice, self.spec.target_fps, psutil.cpu_count() or 1)
        if plan is not None:
            plan["disturbed"] = self.disturbed_points().get(plan["from"], [])
        return plan

    def disturbed_points(self) -> dict[str, list[str]]:
        """Each measured point whose machine was taken by others while it ran (other
        processes' CPU, steal: the checks a verdict names), with the failed checks: a
        figure built on such a point says so."""
        found = {}
        for point in self.points:
            if point.result is not None:
                remarks = disturbed(point.result, point.key)
                if remarks:
                    found[point.key] = remarks
        return found

    def fps_vs_default_low(self, key: str) -> float | None:
        """The low end of the 95 % interval of FPS(key) / FPS(default): paired by round in
        an interleaved sweep; else as ``perfbench compare`` judges one run a side
        (:func:`perfbench.tracking.verdict.ratio_interval` with the run-to-run noise floor
        of :data:`~perfbench.tracking.verdict.DEFAULT_NOISE_FLOORS_PCT`): each point of a
        sequential sweep is one run, whose windows see within-run noise only, while full
        runs repeat 3.3-15.7 % apart (issue 26).  None when there is no interval."""
        if self.mode == "interleaved":
            estimate = self.paired(key, "default")
            return None if estimate is None else estimate.low
        points = {p.key: p for p in self.points if p.status == "done"}
        if key not in points or "default" not in points:
            return None
        floor = DEFAULT_NOISE_FLOORS_PCT["fps"]
        interval = ratio_interval(samples_for([points["default"].result], "fps", floor),
                                  samples_for([points[key].result], "fps", floor))
        return None if interval is None else interval[0]

    def _default_unless_beaten(self, picks: dict, baseline: PointSummary | None) -> dict:
        """A throughput pick stands only when its FPS beats the default's by its interval
        (:meth:`fps_vs_default_low` above 1: in a sequential sweep with the run-to-run
        noise floor, so that "beats the default" says no more than the data); else the
        default stays the pick, with :data:`NO_POINT_BEATS_DEFAULT` and the point that came
        closest.  Under an SLA the
        rule holds where the default itself meets the SLA."""
        if baseline is None or baseline.key in self.excluded():
            return picks        # an excluded default is no fallback: the admitted pick stands
        for name in ("best_throughput", "best_under_sla"):
            pick = picks.get(name)
            if pick is None or pick["key"] == "default":
                continue
            if name == "best_under_sla" and baseline.latency_ms > self.spec.sla_ms:
                continue
            low = self.fps_vs_default_low(pick["key"])
            if low is not None and low > 1:
                continue
            closest = (f"{pick['key']} at {pick['fps_vs_default_pct']:+.1f} % FPS, its 95 % "
                       f"low end {'unknown' if low is None else f'{100 * (low - 1):+.1f} %'}"
                       + ("" if self.mode in ("interleaved", "race") else
                          " with the run-to-run noise floor"))
            picks[name] = dict(_pick(baseline, baseline, f"{NO_POINT_BEATS_DEFAULT} "
                                                         f"(closest: {closest})"),
                               beats_default=False, runner_up=pick["key"])
        return picks

    def result(self) -> SweepResult:
        """The sweep's typed document: every figure (ratios, picks, the front, whether a
        pick beat the default) computed here, once; the reporters read it."""
        found = self.conclusions()
        excluded = self.excluded()
        if excluded:        # a pick is the best of the admitted points: its why says so
            for pick in found["recommendations"].values():
                if pick is not None:
                    pick["why"] += (f"; among the points that meet the fidelity constraint "
                                    f"({len(excluded)} excluded: {', '.join(excluded)})")
        return SweepResult(
            self.status, self.mode, self.block_s, self.note, self.spec.to_dict(),
            self.clock() - self.started, tuple(p.record() for p in self.points),
            tuple(self.rounds), tuple(found["pareto"]),
            {k: Pick.from_dict(v, f"sweep.recommendations.{k}")
             for k, v in found["recommendations"].items()},
            {k: VersusDefault.from_dict(v, f"sweep.vs_default.{k}")
             for k, v in found["vs_default"].items()},
            tuple(PrecisionGain.from_dict(g, f"sweep.precision_gains[{i}]")
                  for i, g in enumerate(found["precision_gains"])),
            SizingPlan.from_dict(found["sizing"], "sweep.sizing"), found.get("withheld"),
            found.get("disturbed"), tuple((found.get("race") or {}).get(
                "uncertain_under_sla") or ()), fidelity=self.fidelity,
            excluded=excluded)

    def to_dict(self) -> dict:
        return self.result().to_dict()


def _no_interval(ratio: float) -> dict:
    """A ratio between two points without intervals of their own: the interval's spelling
    with its bounds null, as every document writes a figure without one."""
    return {"ratio": ratio, "low": None, "high": None, "level": None}


def _interval(estimate: PairedRatio | None) -> dict | None:
    if estimate is None:
        return None
    return {"ratio": estimate.ratio, "low": estimate.low, "high": estimate.high, "level": 0.95}


def _fps_then_latency(point: Point, percentile: float) -> tuple:
    """(FPS, latency at the percentile, FPS low, FPS high): one estimator for the value
    and its interval, as compare and the exporters use."""
    fps, low, high = fps_estimate(point.result)
    return fps, point.latency_at(percentile), low, high


def plan(spec: SweepSpec, previous: SweepResult | None = None) -> list[Point]:
    """The default throughput-hint point first (every pick is compared with it), then the
    grid; points already done in ``previous`` are kept, not re-run."""
    points = [Point("default", {})] + [Point(point_key(s), s) for s in expand(spec.grid)]
    unique = list({p.key: p for p in points}.values())
    if previous is not None:
        done = {p.key: p for p in previous.points
                if p.status == "done" and p.result is not None}
        for point in unique:
            if point.key in done:
                point.status, point.result = "done", done[point.key].result
                point.reason = "resumed"
    return unique


def load_previous(path: str) -> SweepResult:
    """The sweep file to resume, read through the registry (an older version upgraded, as
    every reader gets it), typed; bad input is one line."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise UsageError(f"--resume: {path} does not exist; nothing to resume") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"--resume: cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(f"--resume: {path} is not a perfbench sweep file")
    return read_document(data, f"--resume: {path}", SCHEMA)


#: Settings of the base config that change what a point measures; a resumed sweep must
#: agree on all of them, or its finished points are results of another experiment.
_RUN_FIELDS_THAT_DO_NOT_MATTER = ("time", "iterations", "max_time", "until_stable", "repeat",
                                  "recompile", "roofline", "perf_counters", "cache_dir")


def check_resumable(spec: SweepSpec, previous: SweepResult, path: str) -> list[str]:
    """Refuse to resume a sweep of another model, device or fixed setting; return notes on
    grid points that the new grid drops (kept in the file, not re-run) or adds."""
    before = (previous.spec or {}).get("base") or {}
    now = spec.base.to_dict()
    for key, value in now.items():
        if key not in _RUN_FIELDS_THAT_DO_NOT_MATTER and key in before and before[key] != value:
            raise UsageError(f"--resume: {path} is a sweep with {key}={before[key]!r}, not "
                             f"{value!r}; resume it with the same settings, or start a new "
                             "--json file")
    old_keys = {p.key for p in previous.points}
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


def run_sweep(spec: SweepSpec, save: Callable[[Sweep], None],
              previous: SweepResult | None = None,
              on_point: Callable[[int, int, Point, "Sweep"], None] | None = None,
              on_window=None, stop_event: threading.Event | None = None,
              clock: Callable[[], float] = time.monotonic,
              on_fidelity: Callable[[str], None] | None = None) -> Sweep:
    sweep = Sweep(spec, plan(spec, previous), clock=clock)
    if previous is not None:    # the budget covers the whole sweep, before the stop too
        sweep.started -= previous.elapsed_s
    grow = growing_key(spec.grid)
    lines: dict[str, list[tuple[float, float | None]]] = {}
    stop_event = stop_event or threading.Event()
    if not measure_fidelity(sweep, previous, stop_event, on_fidelity):
        sweep.status = "interrupted"
        save(sweep)
        return sweep
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
        sweep.status = _finished_status(sweep)
    save(sweep)
    return sweep


def measure_fidelity(sweep: Sweep, previous: SweepResult | None, stop_event: threading.Event,
                     on_precision: Callable[[str], None] | None = None) -> bool:
    """Each precision's fidelity, once, before the points (within the budget: the sweep's
    clock runs); False when a stop came meanwhile.  Nothing when the sweep neither varies
    precision nor has a fidelity constraint."""
    measured = fidelity_rules.for_sweep(sweep.spec, [p.settings for p in sweep.points],
                                        previous, stop_event, on_precision)
    if measured is None:
        return False
    sweep.fidelity, sweep.fidelity_errors = measured
    sweep.note = "; ".join(x for x in (sweep.note,
                                       fidelity_rules.unmeasured_note(sweep.fidelity_errors))
                           if x)
    return True


def _finished_status(sweep: Sweep) -> str:
    """"incomplete" when the budget skipped points: the sweep did not measure its grid,
    so :meth:`Sweep.conclusions` recommends nothing (points cut off by the search rules
    were skipped on purpose and do not count)."""
    skipped = sum(p.reason == BUDGET_EXHAUSTED for p in sweep.points)
    if skipped:
        sweep.note = "; ".join(x for x in (
            f"{BUDGET_EXHAUSTED}: {skipped} of {len(sweep.points)} points skipped",
            sweep.note) if x)
        return "incomplete"
    return "complete"


def _run_point(sweep: Sweep, point: Point, index: int, line_history, grow: str | None,
               on_point, on_window, stop_event) -> None:
    spec = sweep.spec
    reason = cut_off_reason(line_history, spec.sla_ms, spec.gain_cutoff_pct,
                            latency_grows=grow in LATENCY_GROWING)
    if reason:
        point.status, point.reason = "skipped", reason
        return
    if not _budget_cap(sweep, point, index):
        return
    cap = point.time_cap_s
    log.info("point %d/%d: %s (up to %.1f s)", index + 1, len(sweep.points), point.key, cap)
    if on_point is not None:
        on_point(index, len(sweep.points), point, sweep)
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


def _budget_cap(sweep: Sweep, point: Point, index: int) -> bool:
    """Set the point's time cap from the budget; False when it is skipped instead.

    The default is always measured (every pick is compared with it), at least for
    ``MIN_POINT_S``.  Once one point is skipped for the budget, every later one is too:
    the skipped points leave their time to the rest, whose shares would otherwise grow
    until the last points of the grid run alone."""
    spec = sweep.spec
    if any(p.reason == BUDGET_EXHAUSTED for p in sweep.points[:index]):
        point.status, point.reason = "skipped", BUDGET_EXHAUSTED
        return False
    remaining = sum(1 for p in sweep.points[index:] if p.status == "pending")
    cap = time_cap(spec.point_time_s, spec.budget_s, sweep.clock() - sweep.started, remaining)
    if cap is None and point.key == "default":
        cap = min(MIN_POINT_S, spec.point_time_s)
        point.reason = f"{cap:.1f} s beyond the budget: the default is always measured"
    elif cap is None:
        point.status, point.reason = "skipped", BUDGET_EXHAUSTED
        return False
    elif cap < spec.point_time_s:
        point.reason = f"shortened to {cap:.1f} s by the budget"
    point.time_cap_s = cap
    return True


class SweepFile:
    """Writes the sweep after every point to a file; never to stdout (``-``): the command
    writes that once, after the race's confirmation, so stdout holds exactly one document
    (a race saved itself at its end and again after the confirmation: two documents).  A
    write that fails (a full disk, a removed directory) is named on one line and the sweep
    goes on being saved to a fallback file instead: no measured point is lost to it, and
    ``moved`` tells the command (whose exit status it raises to 1) where it went."""

    def __init__(self, path: str | None):
        self.asked = self.path = path

    @property
    def moved(self) -> bool:
        return self.path != self.asked

    def __call__(self, sweep: Sweep) -> None:
        if not self.path or self.path == "-":
            return          # stdout: the command writes it once, when the sweep has ended
        try:
            write_json(self.path, sweep.to_dict())
        except OSError as exc:
            fallback = fallback_path("sweep")
            print(f"perfbench: could not write {self.path}: "
                  f"{exc.strerror or exc}; the sweep is saved in {fallback}", file=sys.stderr)
            self.path = fallback
            write_json(fallback, sweep.to_dict())


def save_to(path: str | None) -> SweepFile:
    return SweepFile(path)
