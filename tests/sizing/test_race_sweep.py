"""The race's sweep document on simulated races with known answers: its picks, the
sizing built on them, and each point's figures over every epoch it ran in."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.race import REFERENCE
from perfbench.sizing.race_sweep import RaceSweep
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point
from tests.models import synthetic_result
from tests.sizing import race_model


def _race_sweep(truth: dict[str, float], fps: dict[str, float], **spec) -> RaceSweep:
    race = race_model.play(np.random.default_rng(3), truth)
    points = [Point(k, {} if k == REFERENCE else {"requests": 4},
                    result=synthetic_result([fps[k]])) for k in race.keys]
    sweep = RaceSweep(SweepSpec(BenchmarkConfig(), {}, **spec), points, mode="race",
                      race=race, clock=lambda: 0.0)
    sweep.finish()
    return sweep


def test_the_sizing_line_is_built_on_the_races_pick():
    """The race picked ``fast`` (+25 % paired), but each point's last-epoch result read the
    same FPS, so the unpaired rule kept the default, and the sizing line was built on the
    default while the recommendation named ``fast``."""
    sweep = _race_sweep({REFERENCE: 1.0, "fast": 1.25}, {REFERENCE: 100.0, "fast": 100.0},
                        target_fps=1000.0)
    document = sweep.result()
    assert sweep.race.winner == "fast"
    assert document.recommendations["best_throughput"].key == "fast"
    assert document.sizing.point == "fast"


def test_a_check_failed_in_any_epoch_stays_failed_in_the_pooled_result():
    """A point whose first epoch's machine was busy is named disturbed, though its last
    epoch was quiet (the sizing line says so when built on it)."""
    from perfbench.results import from_document
    from perfbench.sizing.race_sweep import pooled
    from perfbench.stats.histogram import LogHistogram
    from perfbench.tracking.verdict import disturbed
    from tests.models import synthetic_document

    def epoch(ok: bool):
        document = synthetic_document([100.0])
        histogram = LogHistogram()
        histogram.add(np.full(100, 10.0))
        document.update(schema_version=3, latency_histogram=histogram.to_dict(), checks=[
            {"name": "other_processes_cpu", "ok": ok, "value": 5.0 if ok else 40.0,
             "threshold": 10.0, "message": "" if ok else "busy"}])
        return from_document(document, "epoch")
    busy_then_quiet = pooled(epoch(False), epoch(True))
    assert disturbed(busy_then_quiet, "p") and not disturbed(epoch(True), "p")
    assert busy_then_quiet.completed_requests == 2 * epoch(True).completed_requests


def _epoch(fps: float, compile_ms: float = 100.0, peak_gflops: float | None = None,
           layers: bool = False):
    """One epoch's result of a point, as its worker returns it: one trial of 10 s at
    ``fps`` (batch 1, 2 GFLOP per image), a latency histogram, a precision block."""
    from perfbench.results import from_document
    from perfbench.stats.histogram import LogHistogram
    from tests.models import synthetic_document
    document = synthetic_document([fps])
    histogram = LogHistogram()
    histogram.add(np.full(int(fps * 10), 1000 / fps))
    document.update(schema_version=3, latency_histogram=histogram.to_dict(), precision={
        "fps_windows": None, "fps_trials": None, "latency_ci95_ms": {},
        "until_stable_target_pct": None, "stable": None},
        trials=[{"duration_s": 10.0, "completed_requests": int(fps * 10), "fps": fps,
                 "steady_fps": fps, "latency_median_ms": 1000 / fps,
                 "latency_p90_ms": 1100 / fps, "latency_p99_ms": 1000 / fps,
                 "stop_reason": "time"}],
        load={"scenario": "offline", "target_rate": None, "achieved_rate": fps,
              "sla_ms": 12.0, "missed_sla": int(fps), "missed_sla_pct": 10.0})
    document["results"]["compile_ms"] = compile_ms
    if peak_gflops is not None:
        document["roofline"] = {"precision": "f32", "peak_gflops": peak_gflops,
                                "efficiency": 2.0 * fps / peak_gflops, "peak_method": "x",
                                "peak_measured_at": "t"}
    if layers:
        document["perf_counters"] = [{"name": "conv", "type": "Convolution",
                                      "exec_type": "jit", "total_ms": 1.0, "mean_ms": 0.1,
                                      "share_pct": 100.0}]
    return from_document(document, "epoch")


def _pool(*epochs):
    from perfbench.sizing.race_sweep import pooled
    result = None
    for epoch in epochs:
        result = pooled(result, epoch)
    return result


def test_the_interval_between_trials_pools_every_epoch():
    """Each epoch is a trial of a fresh worker: the pooled point's ``fps_trials`` is the
    interval over all of them (the process level), not the latest epoch's (which, of one
    trial, had none)."""
    point = _pool(_epoch(100.0), _epoch(110.0), _epoch(120.0))
    trials = point.precision.fps_trials
    assert trials is not None and trials.n == 3
    # mean 110, SD 10 over 3 epochs: t(0.975, 2) = 4.3027 on the log scale (a rate's
    # interval): 110 · exp(±4.3027 · (10/√3) / 110)
    spread = 4.302653 * (10 / 3 ** 0.5) / 110
    assert trials.value == pytest.approx(110.0)
    assert (trials.low, trials.high) == pytest.approx((110 * math.exp(-spread),
                                                       110 * math.exp(spread)), rel=1e-5)
    assert [t.fps for t in point.trials] == [100.0, 110.0, 120.0]
    # one figure in the document: it reads back as the producer computed it
    from perfbench.results import from_document
    again = from_document(point.to_dict(), "pooled")
    assert again.precision.fps_trials == trials


def test_the_roofline_efficiency_and_per_worker_times_pool_every_epoch():
    """The latest epoch ran at 120 FPS (24 % of the 1000 GFLOP/s peak); the point's pooled
    FPS is 110 (3300 images in 30 s), so its efficiency is 22 %; compile time is the mean
    over the three fresh workers; the load's figures are the pool's."""
    point = _pool(_epoch(100.0, 90.0, 1000.0), _epoch(110.0, 100.0, 1000.0),
                  _epoch(120.0, 140.0, 1000.0))
    assert point.fps == pytest.approx(110.0)
    assert point.roofline["efficiency"] == pytest.approx(0.22)
    assert point.compile_ms == pytest.approx(110.0)
    assert point.load["achieved_rate"] == pytest.approx(110.0)
    assert point.load["missed_sla"] == 330
    assert point.load["missed_sla_pct"] == pytest.approx(10.0)
    assert [c.value for c in point.checks if c.name == "roofline_efficiency"] == [22.0]


def test_a_pooled_roofline_check_is_judged_on_the_pooled_figure():
    """An epoch over its peak (120 FPS against 200 GFLOP/s: 120 %) failed its check; the
    pool, 100 FPS, is at 100 %: one check, on the figure the document states."""
    from perfbench.system.checks import roofline_check
    first = _epoch(80.0, peak_gflops=200.0)
    over = _epoch(120.0, peak_gflops=200.0)
    import dataclasses
    check = roofline_check(over.roofline)
    over = dataclasses.replace(over, checks=over.checks + (check,),
                               warnings=over.warnings + (check.message,))
    point = _pool(first, over)
    found = [c for c in point.checks if c.name == "roofline_efficiency"]
    assert len(found) == 1 and found[0].ok and found[0].value == 100.0
    assert check.message not in point.warnings


def test_perf_counters_of_the_last_epoch_only_are_labelled_so():
    from perfbench.sizing.race_sweep import LAST_EPOCH_ONLY
    point = _pool(_epoch(100.0, layers=True), _epoch(110.0, layers=True),
                  _epoch(120.0, layers=True))
    assert point.layers and point.warnings.count(LAST_EPOCH_ONLY) == 1
    assert LAST_EPOCH_ONLY not in _pool(_epoch(100.0), _epoch(110.0)).warnings


def test_a_race_won_by_an_excluded_default_makes_no_throughput_pick(monkeypatch):
    """The default (bf16 here, SQNR 40 dB) races as the reference even when
    ``--min-sqnr 50`` excludes it; it wins, and no throughput pick names it: the pick is
    none (``excluded`` says why), the other picks are among the admitted points."""
    from tests.results.sweep_inputs import fidelity
    monkeypatch.setattr("perfbench.sizing.sweep.psutil.cpu_count", lambda logical=True: 2)
    race = race_model.play(np.random.default_rng(3), {REFERENCE: 1.3, "precision=f32": 1.0})
    points = [Point(k, {} if k == REFERENCE else {"precision": "f32"},
                    result=synthetic_result([100.0])) for k in race.keys]
    sweep = RaceSweep(SweepSpec(BenchmarkConfig(), {"precision": ["f32"]}, min_sqnr_db=50.0),
                      points, mode="race", race=race, clock=lambda: 0.0,
                      fidelity=fidelity().fidelity)
    sweep.finish()
    document = sweep.result()
    assert race.winner == REFERENCE and list(document.excluded) == [REFERENCE]
    assert document.recommendations["best_throughput"] is None
    assert document.recommendations["best_latency"].key == "precision=f32"
