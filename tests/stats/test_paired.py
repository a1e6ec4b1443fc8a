"""The paired A/B statistics on simulated drifting rounds with known answers."""

import math

import numpy as np
import pytest

from perfbench.stats.paired import paired_ratio, verdict


def test_hand_computed_ratio_and_interval():
    values = [math.log(0.97), math.log(0.99), math.log(0.96), math.log(0.98)]
    estimate = paired_ratio(values)
    mean = sum(values) / 4
    assert estimate.ratio == pytest.approx(math.exp(mean))
    std = float(np.std(values, ddof=1))
    from perfbench.stats.intervals import lag1_autocorrelation
    rho = lag1_autocorrelation(values)
    half = 3.1824 * std / 2 * math.sqrt((1 + rho) / (1 - rho))     # t(0.975, 3 dof)
    assert (estimate.low, estimate.high) == pytest.approx((math.exp(mean - half),
                                                           math.exp(mean + half)))
    assert paired_ratio(values[:2]) is None


def test_verdicts_follow_the_interval_and_the_threshold():
    from perfbench.stats.paired import PairedRatio
    assert verdict(PairedRatio(0.96, 0.95, 0.97, 30, 5), 2) == "regression"
    assert verdict(PairedRatio(0.995, 0.985, 1.03, 30, 5), 2) == "no regression"
    assert verdict(PairedRatio(1.0, 0.99, 1.01, 30, 5), 2) == "no change"
    assert verdict(PairedRatio(0.97, 0.94, 1.002, 30, 5), 2) == "inconclusive"
    assert verdict(PairedRatio(1.05, 1.03, 1.07, 30, 5), 2) == "improvement"
    assert verdict(None, 2) == "inconclusive"


def test_latency_verdicts_read_the_ratio_inverted():
    """For a latency NEW/BASE above 1 is the slowdown."""
    from perfbench.stats.paired import PairedRatio
    assert verdict(PairedRatio(1.05, 1.03, 1.07, 30, 5), 2, bigger_is_better=False) == \
        "regression"
    assert verdict(PairedRatio(0.95, 0.93, 0.97, 30, 5), 2, bigger_is_better=False) == \
        "improvement"
    assert verdict(PairedRatio(1.0, 0.995, 1.005, 30, 5), 2, bigger_is_better=False) == \
        "no change"


def test_interval_at_another_level_uses_t_at_that_level():
    values = [math.log(x) for x in (0.97, 0.99, 0.96, 0.98, 0.975)]
    wide, narrow = paired_ratio(values, 0.99), paired_ratio(values, 0.95)
    ratio = (math.log(wide.high) - math.log(wide.ratio)) / (math.log(narrow.high)
                                                             - math.log(narrow.ratio))
    assert ratio == pytest.approx(4.604095 / 2.776445)     # t(0.995, 4) / t(0.975, 4)
