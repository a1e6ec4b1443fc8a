"""A sweep measured as a race: the sweep document (``perfbench.sweep`` version 3) with the
race's typed document under ``race``, and conclusions taken from the race.

Every paired interval it prints or stores is the race's (:mod:`perfbench.stats.racing`):
epochs of fresh workers, the process level counted.  The best-throughput pick is the
race's answer; the best under ``--sla-ms`` is judged on each point's latency interval
over its epochs, and a point whose interval straddles the SLA is named "uncertain",
never picked.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from perfbench.results.race import Confirmation, RaceResult
from perfbench.results.sweep import SCHEMA_VERSION, SweepResult
from perfbench.runner.ab import MIN_EPOCH_ROUNDS
from perfbench.runner.side import SWITCH_WARMUP_S
from perfbench.results.types import (PERCENTILES, BenchmarkResult, Check, LatencyStats,
                                     Precision, SystemSummary, Trial, Window,
                                     steady_windows)
from perfbench.sizing import race as rules
from perfbench.sizing.capacity import Capacity
from perfbench.sizing.grid import PointSummary, pick_of
from perfbench.sizing.race import REFERENCE, Race
from perfbench.sizing.sweep import Sweep
from perfbench.stats.histogram import LogHistogram
from perfbench.stats.intervals import rate_ci, trials_fps_ci
from perfbench.stats.racing import MIN_DECISION_EPOCHS, contrast, pooled_variance
from perfbench.stats.support import unsupported_fields
from perfbench.system.checks import roofline_check, roofline_efficiency

#: What every interval of a race says of itself in the sweep's ``vs_default``.
INTERVAL_KIND = "two-level: epochs of fresh workers, process level counted"
#: The race's status → the sweep's.
_SWEEP_STATUS = {"won": "complete", "tied": "complete", "budget": "complete",
                 "interrupted": "interrupted", "failed": "failed", "running": "running"}


#: The confirmation A/B takes at most 1/CONFIRM_BUDGET_SHARE of a --budget.
CONFIRM_BUDGET_SHARE = 3
#: Confirmation blocks: this many times the race's, and at least CONFIRM_MIN_BLOCK_S.
CONFIRM_BLOCK_FACTOR = 10.0
CONFIRM_MIN_BLOCK_S = 1.0


def confirm_block_s(race_block_s: float | None) -> float:
    """The confirmation A/B's block length: ten times the race's, at least 1 s, so that
    its FPS is each side's sustained speed."""
    return max(CONFIRM_MIN_BLOCK_S, CONFIRM_BLOCK_FACTOR * (race_block_s or 0.1))


def confirm_floor_s(race_block_s: float | None) -> float:
    """The least measuring time of a confirmation that can give an interval: the
    MIN_DECISION_EPOCHS epochs a two-level interval needs, each of the A/B's
    MIN_EPOCH_ROUNDS rounds of two blocks (workers' start not counted: a lower bound)."""
    block = confirm_block_s(race_block_s)
    return MIN_DECISION_EPOCHS * MIN_EPOCH_ROUNDS * 2 * (block + SWITCH_WARMUP_S)


@dataclass
class RaceSweep(Sweep):
    race: Race | None = None
    capacity: Capacity | None = None
    confirmation: Confirmation | None = None

    def measured(self, key: str, result: BenchmarkResult) -> None:
        """An epoch's result of a point: pooled with the epochs before (:func:`pooled`), so
        the point's table figures (FPS and its interval, latency percentiles, CPU use)
        cover every epoch's blocks, as its paired ratio to the default does."""
        point = next(p for p in self.points if p.key == key)
        point.result = pooled(point.result, result)

    def race_budget_s(self) -> float | None:
        """The budget left to the race: the confirmation A/B's share is kept for it."""
        if self.spec.budget_s is None:
            return None
        return max(self.spec.budget_s - self.confirm_budget_s(), 0.0)

    def confirm_budget_s(self) -> float:
        """The time kept for the confirmation A/B while the race plans: ``--confirm-time``,
        but never more than a third of a budget (its full 60 s of a 90 s budget left a
        17-point race one epoch), and none when that third is too short for the A/B to
        give an interval (:func:`confirm_floor_s`): the race then has the whole budget.
        A ``--confirm-time`` asked below that floor is the user's, and is kept.
        The floor only grows once the race's block is known, so the race only gains."""
        if not self.spec.confirm:
            return 0.0
        if self.spec.budget_s is None:
            return self.spec.confirm_time_s
        asked = self.spec.confirm_time_s
        share = min(asked, self.spec.budget_s / CONFIRM_BUDGET_SHARE)
        return 0.0 if share < min(asked, confirm_floor_s(self.block_s)) else share

    def confirm_time_left_s(self) -> float:
        """The confirmation's time when the race has ended: ``--confirm-time``, within what
        is left of the budget (a race that ended early leaves more, one that overran its
        share less; a resumed race's earlier time counts, as ``started`` holds it)."""
        if self.spec.budget_s is None:
            return self.spec.confirm_time_s
        left = self.spec.budget_s - (self.clock() - self.started)
        return max(min(self.spec.confirm_time_s, left), 0.0)

    def finish(self) -> None:
        """The sweep's status and each point's reason, from the race."""
        self.status = _SWEEP_STATUS[self.race.status]
        exits = {x.key: x for x in self.race.exits}
        epochs = {k: sum(k in e.points for e in self.race.epochs) for k in self.race.keys}
        for point in self.points:
            if point.status == "failed" or point.key not in self.race.keys:
                continue        # failed, or not raced (excluded by a fidelity constraint)
            if point.result is None:
                point.status, point.reason = "interrupted", "no epoch measured it"
                continue
            point.status = "interrupted" if self.status == "interrupted" else "done"
            gone = exits.get(point.key)
            point.reason = (f"raced {epochs[point.key]} epochs; left after epoch "
                            f"{gone.epoch}: {gone.reason}" if gone else
                            f"raced {epochs[point.key]} epochs; still in the race")

    def document(self) -> RaceResult:
        latency = (rules.latency_judgements(self.race, self.spec.sla_ms)
                   if self.spec.sla_ms is not None else ())
        return rules.document(self.race, self.block_s, self.note, latency, self.confirmation)

    def _contrast(self, key: str, other: str, level: float = 0.95):
        pooled = pooled_variance(self.race.levels)
        if pooled is None or key not in self.race.keys or other not in self.race.keys:
            return None
        keys = self.race.keys
        return contrast(self.race.levels, keys.index(key), keys.index(other), 0, pooled,
                        level)

    def versus_default(self) -> dict[str, dict]:
        return {key: dict(c.to_dict(), interval=INTERVAL_KIND)
                for key, c in rules.versus_default(self.race).items()}

    def _ratio_low(self, point: PointSummary, top: PointSummary) -> float | None:
        found = self._contrast(point.key, top.key)
        return found.low if found is not None else None

    def _gain(self, point, base, precision: str) -> dict:
        others = {k: v for k, v in point.settings.items() if k != "precision"}
        found = self._contrast(point.key, base.key)
        return {"precision": precision, "versus": "f32", "settings": others,
                "fps_ratio": found.to_dict() if found else None, "p99_ratio": None}

    def conclusions(self) -> dict:
        out = super().conclusions()
        if out.get("withheld"):
            return out
        done = {s.key: s for s in self.summaries()}
        baseline = done.get(REFERENCE)
        versus = self.versus_default()
        picks = dict(out["recommendations"])
        excluded = self.excluded()
        winner = done.get(self.race.winner or "")
        if winner is not None and winner.key not in excluded:
            picks["best_throughput"] = _with_versus(
                pick_of(winner, baseline, self._race_why()), versus)
        elif winner is not None:        # the default: it races while excluded, as the
            picks["best_throughput"] = None     # reference; ``excluded`` says why
        out["race"] = {"status": self.race.status, "winner": self.race.winner,
                       "why": self.race.why}
        if self.spec.sla_ms is not None:
            picks["best_under_sla"], uncertain = self._under_sla(done, baseline, versus)
            out["race"]["uncertain_under_sla"] = uncertain
        out["recommendations"] = {k: _with_versus(v, versus) for k, v in picks.items()}
        out["sizing"] = self.plan_for(out["recommendations"])      # on the race's picks
        return out

    def _race_why(self) -> str:
        known = {"won": "won the race", "tied": self.race.why,
                 "budget": f"best so far ({self.race.why})"}
        return known.get(self.race.status, self.race.why or self.race.status)

    def _under_sla(self, done: dict, baseline, versus: dict) -> tuple[dict | None, list]:
        """The fastest point whose latency interval is within the SLA, and the points
        faster than it whose interval straddles the SLA: named, never picked."""
        label = f"p{self.spec.sla_percentile:g}"
        judged = {j.key: j for j in rules.latency_judgements(self.race, self.spec.sla_ms)}
        speed = {k: (versus[k]["ratio"] if k in versus else 1.0 if k == REFERENCE else 0.0)
                 for k in done}
        excluded = self.excluded()
        within = [k for k in done if judged.get(k) and judged[k].verdict == "within"
                  and k not in excluded]
        best = max(within, key=lambda k: speed[k], default=None)
        uncertain = [k for k in done if judged.get(k) and judged[k].verdict == "uncertain"
                     and k not in excluded and (best is None or speed[k] > speed[best])]
        if best is None:
            return None, uncertain
        interval = judged[best].interval
        why = (f"fastest point whose {label} interval [{interval.low:.4g}, "
               f"{interval.high:.4g}] ms is within {self.spec.sla_ms:g} ms")
        if uncertain:
            why += f"; uncertain (interval straddles the SLA): {', '.join(uncertain)}"
        pick = _with_versus(pick_of(done[best], baseline, why), versus)
        pick["latency_interval"] = interval.to_dict()
        pick["uncertain"] = uncertain
        return pick, uncertain

    def result(self) -> SweepResult:
        return dataclasses.replace(super().result(), race=self.document(),
                                   schema_version=SCHEMA_VERSION)


def _with_versus(pick: dict | None, versus: dict) -> dict | None:
    """The pick's change against the default is the race's paired figure (one definition:
    the unpaired FPS of the two points' last epochs would say another thing)."""
    if pick is not None and pick["key"] in versus:
        pick["fps_vs_default_paired"] = versus[pick["key"]]
        pick["fps_vs_default_pct"] = 100 * (versus[pick["key"]]["ratio"] - 1)
    return pick


def pooled(before: BenchmarkResult | None, latest: BenchmarkResult) -> BenchmarkResult:
    """A point's result over the epochs so far: ``latest`` (this epoch's blocks, one fresh
    worker) added to ``before`` (the earlier epochs pooled).

    Each epoch is one trial: its blocks are its windows, after the earlier epochs' on the
    timeline; FPS is the images over the time of all of them, its interval from every
    epoch's steady blocks (as a run's, ``rate_ci``), and its interval between trials from
    every epoch's FPS (``trials_fps_ci``: the process level); latency percentiles are
    those of the pooled latency histograms (as ``ab`` pools its sides'), the moments
    pooled exactly; the load's achieved rate and requests over the SLA from the pooled
    counts; the roofline efficiency that of the pooled FPS; compile and first-inference
    times the mean over the epochs' fresh workers; CPU use is weighted by each epoch's
    seconds; a noise check failed in any epoch stays failed.  What cannot be pooled (the
    perf counters' layer pass) is the latest epoch's, and the result says so
    (:data:`LAST_EPOCH_ONLY`).  Without a histogram on both (a file written before
    histograms), the latest epoch stands alone."""
    if before is None or before.latency_histogram is None or latest.latency_histogram is None:
        return latest
    histogram = LogHistogram.from_dict(before.latency_histogram).merge(
        LogHistogram.from_dict(latest.latency_histogram))
    windows = before.windows + _after(before.windows, latest.windows)
    latency = _pooled_latency(before.latency, latest.latency, histogram)
    trials = before.trials + latest.trials
    epochs = (max(len(before.trials), 1), max(len(latest.trials), 1))
    result = dataclasses.replace(
        latest, duration_s=before.duration_s + latest.duration_s,
        completed_requests=before.completed_requests + latest.completed_requests,
        compile_ms=_mean_over_epochs(before.compile_ms, latest.compile_ms, epochs),
        first_inference_ms=_mean_over_epochs(before.first_inference_ms,
                                             latest.first_inference_ms, epochs),
        latency=latency, windows=windows, trials=trials,
        precision=_pooled_precision(latest, windows, trials, latency.count),
        system=_pooled_system(before.system, latest.system),
        checks=_pooled_checks(before.checks, latest.checks),
        warnings=_pooled_warnings(before, latest),
        warmup_inferences=before.warmup_inferences + latest.warmup_inferences,
        driver_cpu_s=None if None in (before.driver_cpu_s, latest.driver_cpu_s) else
        (before.driver_cpu_s or 0.0) + (latest.driver_cpu_s or 0.0),
        latency_histogram=histogram.to_dict())
    return _pooled_roofline(dataclasses.replace(result, load=_pooled_load(
        before.load, latest.load, result)))


#: Said by a pooled result that holds a figure of its latest epoch only: the perf
#: counters' layer pass runs once per worker and its counts are not the blocks'.
LAST_EPOCH_ONLY = ("perf counters (layer times) are the last epoch's layer pass only; "
                   "every other figure is pooled over the point's epochs")


def _mean_over_epochs(before: float, latest: float, epochs: tuple[int, int]) -> float:
    """A per-worker figure (compile, first inference) as the mean over every epoch's
    fresh worker: ``before`` is already the mean of ``epochs[0]`` of them."""
    return (before * epochs[0] + latest * epochs[1]) / (epochs[0] + epochs[1])


def _pooled_warnings(before: BenchmarkResult, latest: BenchmarkResult) -> tuple[str, ...]:
    """Every epoch's warnings, once each (a failed check's message with its check, which
    stays failed), the roofline's left to :func:`_pooled_roofline` (its figure is the
    pool's), and the last-epoch note when perf counters were taken."""
    roofline = {c.message for c in before.checks + latest.checks
                if c.name == "roofline_efficiency" and c.message}
    kept = [w for w in before.warnings + latest.warnings
            if w not in roofline and w != LAST_EPOCH_ONLY]
    if latest.layers:
        kept.append(LAST_EPOCH_ONLY)
    return tuple(dict.fromkeys(kept))


def _pooled_load(before: dict | None, latest: dict | None, result: BenchmarkResult
                 ) -> dict | None:
    """The achieved rate over the pooled time and the requests over the SLA summed (a
    race measures the offline scenario: the load generator's own figures, from the
    server scenario, are left as the latest epoch's)."""
    if before is None or latest is None:
        return latest
    load = dict(latest, achieved_rate=result.completed_requests / result.duration_s
                if result.duration_s else 0.0)
    if before.get("missed_sla") is not None and latest.get("missed_sla") is not None:
        missed = before["missed_sla"] + latest["missed_sla"]
        load.update(missed_sla=missed, missed_sla_pct=100 * missed / result.latency.count
                    if result.latency.count else None)
    return load


def _pooled_roofline(result: BenchmarkResult) -> BenchmarkResult:
    """The roofline efficiency of the pooled FPS (against the latest epoch's peak, the
    cache's now), and its check and warning judged on that figure, not on an epoch's."""
    if result.roofline is None:
        return result
    roofline = roofline_efficiency(result.roofline, result.effective_gflops)
    check = roofline_check(roofline)
    checks = tuple(c for c in result.checks if c.name != check.name) + (check,)
    warnings = result.warnings + ((check.message,) if not check.ok else ())
    return dataclasses.replace(result, roofline=roofline, checks=checks, warnings=warnings)


def _after(before: tuple[Window, ...], latest: tuple[Window, ...]) -> tuple[Window, ...]:
    """``latest``'s windows as the next trial, placed after ``before``'s on the timeline."""
    end = max((w.end_s for w in before), default=0.0)
    trial = max((w.trial for w in before), default=-1) + 1
    return tuple(dataclasses.replace(w, start_s=w.start_s + end, end_s=w.end_s + end,
                                     trial=trial) for w in latest)


def _pooled_latency(a: LatencyStats, b: LatencyStats, histogram: LogHistogram) -> LatencyStats:
    count = a.count + b.count
    if count == 0:
        return b
    mean = (a.count * a.mean + b.count * b.mean) / count
    square = sum(max(s.count - 1, 0) * s.std ** 2 + s.count * (s.mean - mean) ** 2
                 for s in (a, b))
    low, high = min(a.min, b.min), max(a.max, b.max)
    points = {name: min(max(histogram.percentile(p), low), high)
              for name, p in PERCENTILES.items()}
    return LatencyStats(count=count, min=low, mean=mean,
                        std=math.sqrt(square / (count - 1)) if count > 1 else 0.0,
                        max=high, exact=False, **points)


def _pooled_precision(latest: BenchmarkResult, windows: tuple[Window, ...],
                      trials: tuple[Trial, ...], count: int) -> Precision | None:
    """FPS's interval from every epoch's steady windows (each epoch's first and last block
    are its ramp-up and drain), in images, and between the epochs' FPS; the percentile
    intervals of one epoch are not the pool's, so none is stated."""
    if latest.precision is None:
        return None
    numbers = sorted({w.trial for w in windows})
    steady = [w for t in numbers for w in steady_windows([w for w in windows if w.trial == t])]
    estimate = rate_ci(steady, correlated=True)
    batch = latest.model.batch
    fps = None if estimate is None else dataclasses.replace(
        estimate, value=estimate.value * batch, low=estimate.low * batch,
        high=estimate.high * batch)
    return dataclasses.replace(latest.precision, fps_windows=fps,
                               fps_trials=trials_fps_ci(trials), latency_ci_ms={},
                               latency_unsupported=tuple(unsupported_fields(count)))


def _pooled_system(a: SystemSummary | None, b: SystemSummary | None) -> SystemSummary | None:
    """The monitor's shares weighted by each epoch's seconds; peaks the larger."""
    if a is None or b is None or a.seconds + b.seconds <= 0:
        return b if b is not None else a
    total = a.seconds + b.seconds

    def weighted(x: float | None, y: float | None) -> float | None:
        return None if x is None or y is None else (x * a.seconds + y * b.seconds) / total
    return dataclasses.replace(
        b, seconds=total, cpu_total_pct=weighted(a.cpu_total_pct, b.cpu_total_pct),
        cpu_own_pct=weighted(a.cpu_own_pct, b.cpu_own_pct),
        cpu_other_pct=weighted(a.cpu_other_pct, b.cpu_other_pct),
        cpu_steal_pct=weighted(a.cpu_steal_pct, b.cpu_steal_pct),
        per_core_pct=[weighted(x, y) for x, y in zip(a.per_core_pct, b.per_core_pct)]
        if len(a.per_core_pct) == len(b.per_core_pct) else b.per_core_pct,
        rss_peak_bytes=max(a.rss_peak_bytes, b.rss_peak_bytes),
        memory_used_pct_peak=max(a.memory_used_pct_peak, b.memory_used_pct_peak))


def _pooled_checks(a: tuple[Check, ...], b: tuple[Check, ...]) -> tuple[Check, ...]:
    """The latest epoch's checks, but one that failed in an earlier epoch stays failed."""
    failed = {c.name: c for c in a if not c.ok}
    return tuple(failed.get(c.name, c) if c.ok else c for c in b) + \
        tuple(c for name, c in failed.items() if name not in {x.name for x in b})
