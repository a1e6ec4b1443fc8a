"""The paired A/B statistics on simulated drifting rounds with known answers."""

import math

import numpy as np
import pytest

from perfbench.stats.paired import MIN_ROUNDS, decided, final_verdict, paired_ratio, verdict


def _rounds(rng, true_ratio, n, sigma=0.08, rho=0.5):
    """Per-round log-ratios: the true one plus AR(1) noise (what pairing leaves of a drift
    faster than a round; the per-block CV of 31-34 % measured here pairs down to ~8 %)."""
    noise, out = rng.normal(0, sigma), []
    for _ in range(n):
        noise = rho * noise + rng.normal(0, sigma * math.sqrt(1 - rho * rho))
        out.append(math.log(true_ratio) + noise)
    return out


def _experiment(rng, true_ratio, max_rounds=400, threshold=2.0, target=1.0):
    """One A/B run under the stopping rule: interim looks every round after MIN_ROUNDS."""
    seen = []
    for value in _rounds(rng, true_ratio, max_rounds):
        seen.append(value)
        if decided(seen, threshold, target) is not None:
            return final_verdict(seen, threshold, early=True), len(seen)
    return final_verdict(seen, threshold, early=False), len(seen)


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


def test_stopping_rule_keeps_false_regressions_rare_on_identical_sides():
    """500 simulated A/A runs (seeded), looked at after every round from the 40th: the
    99.5 % interim level keeps false regressions within the nominal 5 %."""
    rng = np.random.default_rng(20261127)
    results = [_experiment(rng, 1.0, max_rounds=300)[0] for _ in range(500)]
    assert results.count("regression") / len(results) <= 0.05


def test_peeking_at_the_nominal_level_would_inflate_false_alarms():
    """Why the interim level is stricter: the same A/A runs stopped at the first 95 %
    interval excluding 1 (any sign) raise far more alarms than 5 %."""
    rng = np.random.default_rng(7)
    alarms = 0
    for _ in range(200):
        seen = []
        for value in _rounds(rng, 1.0, 200):
            seen.append(value)
            estimate = paired_ratio(seen)
            if len(seen) >= MIN_ROUNDS and (estimate.high < 1 or estimate.low > 1):
                alarms += 1
                break
    assert alarms / 200 > 0.15


def test_a_three_percent_slowdown_is_caught():
    rng = np.random.default_rng(3)
    results = [_experiment(rng, 0.97) for _ in range(300)]
    caught = sum(1 for verdict_, _ in results if verdict_ == "regression")
    assert caught / len(results) >= 0.9
    assert np.median([n for _, n in results]) < 400
