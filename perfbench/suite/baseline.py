"""A suite against a baseline: an earlier suite directory (``--baseline``) or a history
database (``--history``, the last run of each entry's configuration).

Each entry is judged by :func:`perfbench.tracking.verdict.compare`, the statistics
``perfbench compare`` uses (its gate, thresholds and noise floors).  The suite's figure is
the geomean of the per-entry FPS ratios with the interval of
:func:`perfbench.stats.geomean.separate_runs` (run-level noise counted once).
"""

from __future__ import annotations

import dataclasses
import math
import os

from perfbench.results import BenchmarkResult
from perfbench.results.interval import Interval
from perfbench.results.io import load
from perfbench.results.suite import (ABBlock, BaselineBlock, BaselineRow, EntryRecord,
                                     Geomean, Judged, MetricChange, NotComparable,
                                     SuiteDocument)
from perfbench.stats.geomean import satterthwaite, separate_runs
from perfbench.stats.intervals import family_level
from perfbench.suite.document import FAILED, geomean_figure
from perfbench.tracking.verdict import (DEFAULT_GATE, DEFAULT_NOISE_FLOORS_PCT,  # noqa: F401
                                        DEFAULT_THRESHOLD_PCT, DISTURBED, compare, disturbed,
                                        geomean_verdict, like_with_like,
                                        samples_for)
from perfbench.suite.document import read_suite
from perfbench.tracking.history import last_run


#: The confidence the entries hold *together*: the gate fails when any entry regresses, so
#: each of N entries is judged at 1 − (1 − FAMILY_LEVEL)/N (Bonferroni).  The geomean is one
#: more test at 95 %.  An entry gates on FPS, p50 and p90 (GFLOP/s is FPS times a constant);
#: in a closed loop the latencies move with FPS, so a false regression comes about 2.5 % of
#: the time from the entries together (at most three times that if the three moved
#: independently) and 2.5 % from the geomean, when the noise floors hold.
FAMILY_LEVEL = 0.95

#: A regression measured while NEW's machine was disturbed.  Under load (other processes at
#: 20–66 % of the CPU) unchanged entries read as low as 0.47 of their baseline, so such a
#: verdict is not the change's until a quiet re-run confirms it.  A disturbed *baseline*
#: reads slow, which pushes NEW/BASE up: it can hide a regression, never make one.
UNCONFIRMED = "unconfirmed regression"


def entry_level(family_size: int) -> float:
    """The level each entry is judged at when ``family_size`` entries are judged together."""
    return family_level(FAMILY_LEVEL, max(family_size, 1))


def _compare(base: BenchmarkResult, new: BenchmarkResult, threshold_pct: float,
             level: float):
    thresholds = dict.fromkeys(DEFAULT_NOISE_FLOORS_PCT, threshold_pct)
    return compare([base], [new], ["baseline"], ["new"], thresholds, gate=DEFAULT_GATE,
                   level=level)


def entry_verdict(name: str, base: BenchmarkResult, new: BenchmarkResult,
                  threshold_pct: float = DEFAULT_THRESHOLD_PCT,
                  family_size: int = 1) -> tuple[BaselineRow, float, float]:
    """(entry row, log FPS ratio, its variance): regression when any gating metric
    regresses at the entry's share of the family's level, else the FPS verdict.  The row
    keeps compare's own 95 % FPS interval (what ``perfbench compare`` prints for these two
    files) beside the one judged on, and each regressed metric with its judged interval
    (a p90 regression is not read off an FPS interval)."""
    level = entry_level(family_size)
    judged = _compare(base, new, threshold_pct, level)
    fps = _fps(judged)
    new_noise = disturbed(new, "new")
    # compare's rule: an interval too wide to exclude a regression is inconclusive (exit 3).
    verdict = "regression" if judged.regressions else \
        "inconclusive" if judged.undecided else fps.verdict
    if verdict == "regression" and new_noise:
        verdict = UNCONFIRMED
    ratio = fps.new / fps.baseline if fps.baseline else None
    variance, dof = _log_variance(base, new)
    row = BaselineRow(
        name, verdict,
        None if ratio is None else
        Interval.of(ratio, *_bounds(_fps(_compare(base, new, threshold_pct, 0.95)))),
        Judged(ratio, *_bounds(fps), level), family_size,
        tuple(c.name for c in judged.regressions),
        tuple(_change(c, level) for c in judged.regressions),
        tuple(disturbed(base, "baseline") + new_noise), bool(new_noise), **_sides(judged),
        log_dof=None if math.isinf(dof) else dof,    # None: compare's known floor
        in_geomean=bool(ratio) and not _server(new))
    return row, math.log(ratio) if ratio else 0.0, variance


def _sides(comparison) -> dict:
    """BASE's and NEW's FPS and p50 as compare read them (the row's ratio is of these)."""
    out = {}
    for change in comparison.changes:
        if change.name in ("fps", "p50"):
            unit = "fps" if change.name == "fps" else "p50_ms"
            out.update({f"base_{unit}": change.baseline, f"new_{unit}": change.new})
    return out


def _server(result: BenchmarkResult) -> bool:
    return (result.load or {}).get("scenario") == "server"


def _fps(comparison):
    return next(c for c in comparison.changes if c.name == "fps")


def _change(change, level: float) -> MetricChange:
    """A regressed metric as the row keeps it: its change and judged interval, in %."""
    low, high = change.diff_ci_pct or (None, None)
    return MetricChange(change.name, Interval.of(change.change_pct, low, high, level))


def _log_variance(base: BenchmarkResult, new: BenchmarkResult) -> tuple[float, float]:
    """The FPS log-ratio's variance and its Satterthwaite dof (infinite: compare's floor)."""
    floor = DEFAULT_NOISE_FLOORS_PCT["fps"]
    sides = [samples_for([r], "fps", floor) for r in (base, new)]
    parts = [(s.variance_of_mean / s.mean ** 2, None if s.floored else len(s.values) - 1)
             for s in sides]
    return sum(v for v, _ in parts), satterthwaite(parts)


def _bounds(change) -> tuple[float | None, float | None]:
    """A change's interval as NEW/BASE ratio bounds (None when it has none)."""
    return ((1 + change.diff_ci_pct[0] / 100, 1 + change.diff_ci_pct[1] / 100)
            if change.diff_ci_pct else (None, None))


def judge(pairs: dict[str, tuple[BenchmarkResult, BenchmarkResult]],
          threshold_pct: float = DEFAULT_THRESHOLD_PCT
          ) -> tuple[list[BaselineRow], Geomean | None]:
    """Per-entry rows, judged together (:data:`FAMILY_LEVEL`), and the geomean of FPS
    ratios over the entries with both results, but for server-scenario ones: their FPS is
    the schedule's rate (a ratio of about 1 whatever the speed)."""
    rows: list[BaselineRow] = []
    logs: list[float] = []
    variances: list[float] = []
    dofs: list[float | None] = []
    for name, (base, new) in pairs.items():
        row, log_ratio, variance = entry_verdict(name, base, new, threshold_pct, len(pairs))
        rows.append(row)
        if row.in_geomean:
            logs.append(log_ratio)
            variances.append(variance)
            dofs.append(row.log_dof)
    estimate = separate_runs(logs, variances, dofs)
    if estimate is None:
        return rows, None
    verdict = _geomean_verdict(estimate.to_dict(), threshold_pct)
    if verdict == "regression" and any(r.new_disturbed for r in rows):
        verdict = _confirmed_by_quiet_entries(rows, logs, variances, dofs, threshold_pct)
    return rows, geomean_figure(estimate, excluded=tuple(r.name for r in rows
                                                         if not r.in_geomean),
                                verdict=verdict)


def _geomean_verdict(geomean: dict, threshold_pct: float) -> str:
    """compare's rule, at the resolution of single runs a side (the entries')."""
    return geomean_verdict(geomean, threshold_pct, DEFAULT_NOISE_FLOORS_PCT["fps"], 2)


def _confirmed_by_quiet_entries(rows, logs, variances, dofs, threshold_pct) -> str:
    """A geomean regression stands when the entries measured on a quiet machine show it
    by themselves; otherwise it may be the disturbance's."""
    quiet = [i for i, r in enumerate([r for r in rows if r.in_geomean])
             if not r.new_disturbed]
    estimate = separate_runs([logs[i] for i in quiet], [variances[i] for i in quiet],
                             [dofs[i] for i in quiet])
    if estimate is not None and \
            _geomean_verdict(estimate.to_dict(), threshold_pct) == "regression":
        return "regression"
    return UNCONFIRMED


def read_baseline(directory: str) -> tuple[SuiteDocument, dict[str, BenchmarkResult]]:
    """The baseline suite and every result it lists as ok, read once before the run: the
    run is judged from this copy, whatever happens to the directory meanwhile, and a
    result that is gone or unreadable is bad input now, not a lost judgement later."""
    doc = read_suite(directory, "--baseline")
    results = {r.name: load(os.path.join(directory, r.file)) for r in doc.entries
               if r.status == "ok" and r.file}
    return doc, results


def pair_by_identity(new: dict[str, BenchmarkResult], base: dict[str, BenchmarkResult]
                     ) -> tuple[dict[str, tuple[BenchmarkResult, BenchmarkResult]],
                                dict[str, str], dict[str, list[str]]]:
    """Each new result with the baseline result of the same configuration identity (what
    ``perfbench compare`` calls like with like): the one of its name, else an unpaired one
    of another name (a renamed entry).  Returns the pairs, {new name: baseline name} where
    they differ, and {name: compare's differences} for a name whose baseline measured
    something else (not judged: its ratio would compare unlike things)."""
    def differences(a, b):
        return [p for p in like_with_like([a], [b]) if not p.startswith("different machine")]
    pairs, renamed, unlike = {}, {}, {}
    free = [n for n in base if n not in new]
    for name, result in new.items():
        if name in base and not differences(base[name], result):
            pairs[name] = (base[name], result)
            continue
        other = next((n for n in free if not differences(base[n], result)), None)
        if other is not None:
            free.remove(other)
            pairs[name], renamed[name] = (base[other], result), other
        elif name in base:
            unlike[name] = differences(base[name], result)
    return pairs, renamed, unlike


def _status(records: dict[str, EntryRecord], name: str) -> str | None:
    record = records.get(name)
    return None if record is None else record.status


def against_suite(new_doc: SuiteDocument, new_dir: str, base_doc: SuiteDocument,
                  base_results: dict[str, BenchmarkResult], source: str) -> BaselineBlock:
    """The run against the baseline suite read before it (:func:`read_baseline`)."""
    base = {r.name: r for r in base_doc.entries}
    new = {r.name: r for r in new_doc.entries}
    results = {n: load(os.path.join(new_dir, r.file)) for n, r in new.items()
               if r.status == "ok" and r.file}
    pairs, renamed, unlike = pair_by_identity(results, base_results)
    rows, geomean = judge(pairs)
    rows = [dataclasses.replace(row, like_for_like_warnings=tuple(like_with_like(
        [pairs[row.name][0]], [pairs[row.name][1]])), baseline_entry=renamed.get(row.name))
        for row in rows]
    ran = {n for n, r in new.items() if r.status not in ("skipped", "pending")}
    used = {renamed.get(n, n) for n in pairs}
    return BaselineBlock(
        source, tuple(rows), geomean,
        new_failures=tuple(sorted(n for n, r in new.items() if r.status in FAILED
                                  and _status(base, n) not in FAILED)),
        fixed_failures=tuple(sorted(n for n, r in new.items() if r.status == "ok"
                                    and _status(base, n) in FAILED)),
        missing=tuple(sorted(n for n in base if n not in ran and n not in used)),
        not_comparable=tuple(NotComparable(n, tuple(d)) for n, d in unlike.items()),
        no_baseline=tuple(sorted(n for n in results if n not in pairs and n not in unlike
                                 and _status(base, n) not in FAILED)))


def against_history(new_doc: SuiteDocument, new_dir: str, database: str) -> BaselineBlock:
    """Each ok entry against the last complete run of its configuration in ``database``
    (keys of :func:`perfbench.tracking.history.config_key`), but for an entry this run
    appended already (an interrupted run resumed: ``history`` in its record): against the
    run before its own, never against itself.  History keeps only complete runs, so every
    failed entry counts as a new failure (exit 1)."""
    pairs, missing = {}, []
    started = os.path.isfile(database) and os.path.getsize(database) > 0   # else: 1st run
    for record in new_doc.entries:
        if record.status != "ok" or record.file is None:
            continue
        result = load(os.path.join(new_dir, record.file))
        previous = last_run(database, result,
                            before_id=appended_id(record.history, database)) \
            if started else None
        if previous is None:
            missing.append(record.name)
        else:
            pairs[record.name] = (previous, result)
    rows, geomean = judge(pairs)
    return BaselineBlock(f"history {database}", tuple(rows), geomean,
                         new_failures=tuple(sorted(r.name for r in new_doc.entries
                                                   if r.status in FAILED)),
                         no_history=tuple(missing))


def appended_id(history: dict | None, database: str) -> int | None:
    """The history row this entry's result became (its record's ``history``), when it
    was appended to ``database`` (by an earlier, interrupted, run of this directory)."""
    mark = history or {}
    if isinstance(mark, dict) and mark.get("database") == os.path.realpath(database) and \
            isinstance(mark.get("run_id"), int):
        return mark["run_id"]
    return None


def regressed(baseline: BaselineBlock) -> bool:
    """A regression in an entry or the geomean, or a new failure: exit 1."""
    return bool(baseline.new_failures) or \
        any(r.verdict == "regression" for r in baseline.entries) or \
        (baseline.geomean is not None and baseline.geomean.verdict == "regression")


def unconfirmed(baseline: BaselineBlock | ABBlock) -> list[str]:
    """Entries (and "geomean") whose regression was measured on a disturbed machine, or
    whose interval could not exclude one (inconclusive): exit 3
    when nothing else failed, so CI can re-run on a quiet machine rather than blame the
    change."""
    names = [r.name for r in baseline.entries
             if r.verdict in (UNCONFIRMED, "inconclusive")]
    if baseline.geomean is not None and \
            baseline.geomean.verdict in (UNCONFIRMED, "inconclusive"):
        names.append("geomean")
    return names
