"""The race's sweep document on simulated races with known answers: its picks, the
sizing built on them, and each point's figures over every epoch it ran in."""

from __future__ import annotations

import numpy as np

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
    assert document.sizing["from"] == "fast"


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
