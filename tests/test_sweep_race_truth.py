"""benchmarks/sweep_race.py's judgement of a pick against the ground truth, on intervals
whose answer is known, without measuring."""

import math
import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import sweep_race


def _bounds(ratio: float, half_pct: float) -> tuple[float, float, float]:
    """A ratio with a symmetric interval on the log scale of ±half_pct."""
    spread = math.log(1 + half_pct / 100)
    return ratio, ratio * math.exp(-spread), ratio * math.exp(spread)


def test_a_pick_is_within_outside_or_not_judged_by_its_interval_against_the_best():
    """Against a reference: the best is exact (1.0); a pick 0.2 % below with ±0.4 % is
    within 3 %; 6 % below with ±0.5 % is outside; 2.5 % below with ±1 % cannot be judged
    once the interval is widened to the family's level."""
    bounds = {"ref": (1.0, 1.0, 1.0), "near": _bounds(0.998, 0.4),
              "far": _bounds(0.94, 0.5), "edge": _bounds(0.975, 1.0)}
    assert sweep_race.judged("ref", "ref", bounds, 16) == "within"
    assert sweep_race.judged("near", "ref", bounds, 16) == "within"
    assert sweep_race.judged("far", "ref", bounds, 16) == "outside"
    assert sweep_race.judged("edge", "ref", bounds, 16) == "undetermined"


def test_both_intervals_count_and_the_family_widens_them():
    """Pick and best each ±1 % on the log scale, 1 % apart.  One comparison: the log
    ratio's low end is log 0.99 − √2·log 1.01 = −0.0241 ≥ log 0.97 = −0.0305: within.
    Over a family of 16, widened by z(1 − 0.05/32)/z(0.975) = 1.508: −0.0313, below the
    floor, while its high end is above it: not judged."""
    z = statistics.NormalDist().inv_cdf
    assert z(1 - 0.05 / 32) / z(0.975) == pytest.approx(1.5078, abs=1e-4)
    bounds = {"best": _bounds(1.05, 1.0), "pick": _bounds(1.05 * 0.99, 1.0)}
    assert sweep_race.judged("pick", "best", bounds, 1) == "within"
    assert sweep_race.judged("pick", "best", bounds, 16) == "undetermined"


def test_grid_keys_become_each_sides_settings():
    assert sweep_race.sets_of("base", "default") == []
    assert sweep_race.sets_of("new", "hint=latency,requests=4,streams=2") == [
        "--new-set", "hint=latency", "--new-set", "requests=4", "--new-set", "streams=2"]
