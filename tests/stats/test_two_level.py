"""The two-level A/B interval: hand-checked arithmetic, and coverage on simulated runs
with a known ratio (tests/stats/ab_model.py)."""

import math

import numpy as np
import pytest

from perfbench.stats.paired import paired_ratio
from perfbench.stats.two_level import (EpochVariance, epoch_variance,
                                       smallest_resolvable_pct, two_level_ratio)
from tests.stats import ab_model


def test_hand_computed_interval_from_epoch_means():
    """Three epochs of constant rounds: the interval is the t-interval of the three epoch
    means (2 dof), whatever the rounds."""
    epochs = [[math.log(0.97)] * 5, [math.log(0.99)] * 5, [math.log(0.98)] * 5]
    estimate = two_level_ratio(epochs, 0.95)
    means = np.log([0.97, 0.99, 0.98])
    se = means.std(ddof=1) / math.sqrt(3)
    assert estimate.ratio == pytest.approx(math.exp(means.mean()))
    assert estimate.dof == 2 and estimate.epochs == 3 and estimate.rounds == 15
    assert math.log(estimate.high) - math.log(estimate.ratio) == pytest.approx(4.302653 * se)
    assert estimate.round_sd_pct == 0
    assert estimate.process_sd_pct == pytest.approx(100 * means.std(ddof=1))
    assert estimate.source == "this run"


def test_pooled_interval_is_the_pooled_epoch_variance_over_k():
    """Prior: epoch-level variance 4e-4 on 10 dof; this run's three constant epochs have
    sample variance v: pooled (10·4e-4 + 2·v)/12 on 12 dof, SE sqrt(pooled/3)."""
    epochs = [[math.log(0.97)] * 5, [math.log(0.99)] * 5, [math.log(0.98)] * 5]
    v = float(np.log([0.97, 0.99, 0.98]).var(ddof=1))
    estimate = two_level_ratio(epochs, 0.95, EpochVariance(4e-4, 10, 3))
    pooled = (10 * 4e-4 + 2 * v) / 12
    assert estimate.dof == 12 and estimate.se == pytest.approx(math.sqrt(pooled / 3))
    assert math.log(estimate.high / estimate.ratio) == pytest.approx(2.178813 * estimate.se)
    assert estimate.source == "pooled with 3 earlier runs"


def test_one_epoch_has_no_interval_without_a_prior():
    rng = np.random.default_rng(1)
    one = ab_model.run(rng, 1.0, 1)
    assert two_level_ratio(one) is None
    with_prior = two_level_ratio(one, prior=EpochVariance(0.0075 ** 2 + 0.01 ** 2, 30, 5))
    assert with_prior is not None and with_prior.source == "pooled with 5 earlier runs"
    assert two_level_ratio([[0.0, 0.1]] * 3) is None            # epochs too short to use


def _coverage(rng, runs: int, epochs: int, level: float, prior=None) -> float:
    hits = 0
    for _ in range(runs):
        estimate = two_level_ratio(ab_model.run(rng, 0.96, epochs), level, prior)
        hits += estimate.low <= 0.96 <= estimate.high
    return hits / runs


def test_two_level_interval_covers_the_true_ratio():
    """400 simulated runs of 6 epochs: the 95 % interval covers 0.96 in ~95 % of them."""
    assert _coverage(np.random.default_rng(20261130), 400, 6, 0.95) >= 0.92


def _measured_prior(rng, runs: int = 4, epochs: int = 6, **model) -> EpochVariance:
    """What the cache holds after ``runs`` earlier runs of the same design."""
    parts = [epoch_variance(ab_model.run(rng, 1.0, epochs, **model)) for _ in range(runs)]
    dof = sum(p.dof for p in parts)
    return EpochVariance(sum(p.dof * p.variance for p in parts) / dof, dof, runs)


@pytest.mark.parametrize("model", [{}, {"rho": 0.7, "rounds": 20}])
def test_pooled_with_a_cached_epoch_variance_also_covers(model):
    """Each simulated run pools a prior measured the way the cache measures it (earlier
    runs of the same design), even with strongly correlated rounds and short epochs."""
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(400):
        prior = _measured_prior(rng, **model)
        estimate = two_level_ratio(ab_model.run(rng, 0.96, 3, **model), 0.95, prior)
        hits += estimate.low <= 0.96 <= estimate.high
    assert hits / 400 >= 0.93


def test_round_level_interval_alone_undercovers():
    """Why the epochs: an interval from rounds alone (one process pair per run) misses
    the true ratio far more often than 5 % when the process level is real."""
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(300):
        estimate = paired_ratio(ab_model.epoch(rng, 0.96, rounds=240))
        hits += estimate.low <= 0.96 <= estimate.high
    assert hits / 300 < 0.85


def test_reported_process_sd_recovers_sigma_b_on_average():
    """The reported σ_b (epoch variance beyond what the rounds explain) is about right on
    average; the interval does not depend on it."""
    rng = np.random.default_rng(9)
    estimates = [two_level_ratio(ab_model.run(rng, 1.0, 6)).process_sd_pct for _ in range(300)]
    assert np.sqrt(np.mean(np.square(estimates))) == pytest.approx(100 * ab_model.PROCESS_SD,
                                                                    rel=0.35)
    assert epoch_variance(ab_model.run(rng, 1.0, 1)) is None


def test_smallest_resolvable_change_has_the_stated_power():
    """Simulate a change of exactly the stated size: about 90 % of runs call it."""
    from perfbench.stats.paired import verdict
    rng = np.random.default_rng(4)
    reference = two_level_ratio(ab_model.run(rng, 1.0, 6))
    size = smallest_resolvable_pct(reference, 2.0)
    assert size > 2.0
    true_ratio = 1 - size / 100
    se = reference.se
    caught = 0
    for _ in range(2000):            # the estimator's law at that SE and dof, directly
        mean = math.log(true_ratio) + se * rng.standard_t(reference.dof)
        half = (math.log(reference.high) - math.log(reference.low)) / 2
        class E:
            ratio, low, high = math.exp(mean), math.exp(mean - half), math.exp(mean + half)
        caught += verdict(E, 2.0) == "regression"
    assert caught / 2000 == pytest.approx(0.90, abs=0.03)


def _contaminated(rng, true_ratio, epochs, share=0.05, shock=1.5):
    """Rounds of which ``share`` are thrown by a starved block (log-ratio ± N(0, shock))."""
    out = []
    for _ in range(epochs):
        rounds = np.array(ab_model.epoch(rng, true_ratio))
        hit = rng.random(len(rounds)) < share
        rounds[hit] += rng.normal(0, shock, hit.sum())
        out.append(rounds.tolist())
    return out


def test_starved_rounds_keep_coverage_and_the_trimmed_level_stays_narrow(monkeypatch):
    """5 % of rounds thrown by a factor of ~4.5: the trimmed epoch levels keep the 95 %
    coverage with an interval several times narrower than plain means would give."""
    from perfbench.stats import two_level
    rng = np.random.default_rng(1)
    runs = [_contaminated(rng, 0.96, 6) for _ in range(300)]
    trimmed = [two_level_ratio(r) for r in runs]
    assert sum(e.low <= 0.96 <= e.high for e in trimmed) / 300 >= 0.92
    monkeypatch.setattr(two_level, "TRIM", 0.0)
    plain = [two_level_ratio(r) for r in runs]
    assert np.median([e.half_width_pct for e in plain]) > \
        2 * np.median([e.half_width_pct for e in trimmed])


@pytest.mark.parametrize("epochs", [6, 5])
def test_a_start_order_effect_is_reported_and_kept_inside_the_interval(epochs):
    """The process started second ran ~7 % faster on a cache-sized model: the effect is
    reported (half the gap between the orders) and the interval, which keeps it as
    process-level variance, still covers the true ratio, odd counts included."""
    rng = np.random.default_rng(21)
    hits = 0
    for _ in range(400):
        levels, orders = ab_model.ordered_run(rng, 0.94, epochs, 0.07)
        estimate = two_level_ratio(levels, 0.95, orders=orders)
        hits += estimate.low <= 0.94 <= estimate.high
        assert estimate.order_effect_pct == pytest.approx(100 * (math.exp(-0.07) - 1), abs=4)
        assert estimate.half_width_pct == two_level_ratio(levels, 0.95).half_width_pct
    assert hits / 400 >= 0.93


def test_the_order_effect_is_half_the_gap_between_the_orders():
    logs = np.log([1.00, 0.90, 1.02, 0.88])
    epochs = [[x] * 5 for x in logs]
    estimate = two_level_ratio(epochs, 0.95, orders=["base", "new", "base", "new"])
    assert estimate.order_effect_pct == pytest.approx(
        100 * (math.exp((logs[[1, 3]].mean() - logs[[0, 2]].mean()) / 2) - 1))
    assert estimate.ratio == pytest.approx(math.exp(logs.mean())) and estimate.dof == 3
