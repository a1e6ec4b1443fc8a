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
