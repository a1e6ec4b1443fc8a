"""The two-level A/B interval: hand-checked arithmetic, and coverage on simulated runs
with a known ratio (tests/stats/ab_model.py)."""

import math

import numpy as np
import pytest

from perfbench.stats.paired import paired_ratio
from perfbench.runner import ab_cache
from perfbench.stats.two_level import (EpochVariance, epoch_variance, resolvable_change_pct,
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
    assert with_prior is not None and with_prior.source == "cached from 5 earlier runs"
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
    """The typical A/A stop: 4 epochs judged at 99 %.  The size stated for that design
    (at the runs' true SE) is simulated in full — runs of 4 epochs at exactly that change,
    each with its own estimated SE, judged by ``verdict`` — and about 90 % are called
    regressions.  The normal-theory bound c·SE + z·SE delivered 63 %."""
    from perfbench.stats.paired import verdict
    rng = np.random.default_rng(4)
    calibration, _ = ab_model.runs(rng, 4000, 1.0, 1)
    levels = [two_level_ratio([list(e[0]), list(e[0])]).log_mean for e in calibration]
    true_se = float(np.std(levels)) / 2                        # 4 epochs: SD / √4
    size = resolvable_change_pct(true_se, 3.0, 0.99, 2.0)
    simulated, _ = ab_model.runs(rng, 1500, 1 - size / 100, 4)
    caught = sum(verdict(two_level_ratio([list(e) for e in run], 0.99), 2.0) == "regression"
                 for run in simulated)
    assert caught / 1500 == pytest.approx(0.90, abs=0.03)


def test_the_stated_size_is_the_estimates_own():
    """smallest_resolvable_pct reads the estimate's SE, dof and level."""
    estimate = two_level_ratio(ab_model.run(np.random.default_rng(2), 1.0, 6), 0.99)
    assert smallest_resolvable_pct(estimate, 2.0) == pytest.approx(
        resolvable_change_pct(estimate.se, estimate.dof, 0.99, 2.0))
    assert smallest_resolvable_pct(estimate, 2.0) > smallest_resolvable_pct(
        two_level_ratio(ab_model.run(np.random.default_rng(2), 1.0, 6), 0.95), 2.0) * 0.9


def _contaminated(rng, true_ratio, epochs, share=0.05, shock=1.5, length=40):
    """Rounds of which ``share`` are thrown by a starved block (log-ratio ± N(0, shock))."""
    out = []
    for _ in range(epochs):
        rounds = np.array(ab_model.epoch(rng, true_ratio, rounds=length))
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
    monkeypatch.setattr(two_level, "TRIM_ONE_FROM", 10 ** 9)
    plain = [two_level_ratio(r) for r in runs]
    assert np.median([e.half_width_pct for e in plain]) > \
        2 * np.median([e.half_width_pct for e in trimmed])


@pytest.mark.parametrize("epochs", [6, 5, 9])
def test_a_start_order_effect_is_a_fixed_effect(epochs):
    """The process started second ran ~7 % faster on a cache-sized model.  With the order
    alternating, it is estimated and taken out: the interval covers the true ratio at
    about its level (kept as noise it covered 100 %, three times too wide), odd counts
    included, and is about as narrow as without any order effect."""
    rng = np.random.default_rng(21)
    hits, widths, plain = 0, [], []
    for _ in range(400):
        levels, orders = ab_model.ordered_run(rng, 0.94, epochs, 0.07)
        estimate = two_level_ratio(levels, 0.95, orders=orders)
        hits += estimate.low <= 0.94 <= estimate.high
        assert estimate.order_effect_pct == pytest.approx(100 * (math.exp(-0.07) - 1), abs=2)
        widths.append(estimate.half_width_pct)
        plain.append(two_level_ratio(ab_model.run(rng, 0.94, epochs), 0.95,
                                     orders=orders).half_width_pct)
    assert 0.93 <= hits / 400 <= 0.975
    assert np.median(widths) <= 1.15 * np.median(plain)


def test_the_process_sd_does_not_report_the_order_effect():
    """σ_b 0.75 % and a 3.5 % start-order effect: the reported process SD is σ_b (the
    order's d is reported apart), not d."""
    rng = np.random.default_rng(9)
    sds = []
    for _ in range(300):
        levels, orders = ab_model.ordered_run(rng, 1.0, 8, 0.035)
        sds.append(two_level_ratio(levels, 0.95, orders=orders).process_sd_pct)
    assert np.sqrt(np.mean(np.square(sds))) == pytest.approx(100 * ab_model.PROCESS_SD,
                                                             rel=0.35)


def test_the_order_effect_is_half_the_gap_between_the_orders():
    logs = np.log([1.00, 0.90, 1.02, 0.88, 0.99])
    epochs = [[x] * 5 for x in logs]
    orders = ["base", "new", "base", "new", "base"]
    estimate = two_level_ratio(epochs, 0.95, orders=orders)
    first_new, first_base = logs[[1, 3]].mean(), logs[[0, 2, 4]].mean()
    assert estimate.order_effect_pct == pytest.approx(
        100 * (math.exp((first_new - first_base) / 2) - 1))
    assert estimate.ratio == pytest.approx(math.exp((first_new + first_base) / 2))
    residual = (((logs[[1, 3]] - first_new) ** 2).sum()
                + ((logs[[0, 2, 4]] - first_base) ** 2).sum()) / 3
    assert estimate.dof == 3
    assert estimate.se == pytest.approx(math.sqrt(residual * (1 / 2 + 1 / 3) / 4))


def test_six_rounds_per_epoch_trim_one_from_each_end():
    """Slow models measure 6 rounds an epoch, where 10 % trims nothing: with 5 % of rounds
    thrown by ~4.5×, one round from each end keeps the interval near a clean run's
    (untrimmed: ±10.6 % against ±2.2 % at 10 rounds, in the review)."""
    rng = np.random.default_rng(6)
    shocked = [_contaminated(rng, 0.96, 8, length=6) for _ in range(300)]
    clean = [ab_model.run(rng, 0.96, 8, rounds=6) for _ in range(300)]
    shocked_est = [two_level_ratio(r) for r in shocked]
    assert sum(e.low <= 0.96 <= e.high for e in shocked_est) / 300 >= 0.92
    assert np.median([e.half_width_pct for e in shocked_est]) <= \
        2.0 * np.median([two_level_ratio(r).half_width_pct for r in clean])


def test_an_interrupted_short_last_epoch_does_not_weigh_like_a_full_one():
    """A last epoch of 3 rounds among 40-round ones is left out (its level's variance is
    many times a full epoch's); one of more than half the rounds counts."""
    rng = np.random.default_rng(13)
    full = ab_model.run(rng, 0.97, 5)
    short = ab_model.epoch(rng, 0.9, rounds=3)
    assert two_level_ratio(full + [short]).log_mean == two_level_ratio(full).log_mean
    assert two_level_ratio(full + [short]).epochs == 5
    assert two_level_ratio(full + [full[0][:21]]).epochs == 6


def _cache_from(rng, runs: int, epochs: int, **model) -> EpochVariance:
    """What ``ab_cache`` holds after ``runs`` earlier runs (stored and loaded the way the
    cache does it, dof cap included)."""
    for i in range(runs):
        arr, orders = ab_model.runs(rng, 1, 1.0, epochs, **model)
        ab_cache.store("k", epoch_variance([list(e) for e in arr[0]], orders[0]),
                       now=1000.0 + i)
    return ab_cache.load("k", now=1000.0 + runs)


@pytest.mark.parametrize("cached_sd, today_sd", [(0.0, 0.0075), (0.004, 0.012),
                                                 (0.0075, 0.0075)])
def test_a_cache_from_a_quieter_day_does_not_narrow_todays_interval(cached_sd, today_sd):
    """The cache filled by runs at one process SD, today's runs at another (8 epochs):
    the 95 % interval keeps its coverage.  Pooled by dof alone, a quieter cache set
    today's interval: 87 % and 81 % in the review."""
    rng = np.random.default_rng(int(1e4 * today_sd + 1e6 * cached_sd))
    prior = _cache_from(rng, 10, 8, process_sd=cached_sd)
    today, orders = ab_model.runs(rng, 400, 0.97, 8, process_sd=today_sd)
    hits = sum(e.low <= 0.97 <= e.high for e in (
        two_level_ratio([list(x) for x in run], 0.95, prior, order)
        for run, order in zip(today, orders)))
    assert hits / 400 >= 0.93


def test_epochs_of_one_start_order_give_no_interval_even_with_a_prior():
    """An A/A pair whose second-started worker runs 7 % faster, stopped after one epoch
    (NEW started first: −7 %), with a tight cached prior: the prior was measured with the
    order taken out, so it cannot cover d, and the interval [0.91, 0.95] called an A/A
    pair a regression.  One epoch: no interval; one of each order: the midpoint."""
    from perfbench.stats import sequential
    rng = np.random.default_rng(1)
    prior = EpochVariance(0.0075 ** 2, 30, 3)
    first = list(-0.07 + rng.normal(0, 0.01, 20))
    assert two_level_ratio([first], 0.99, prior, ["new"]) is None
    assert sequential.judge([first], 5.0, True, prior, True, ["new"])[0] == "inconclusive"
    second = list(0.07 + rng.normal(0, 0.01, 20))
    both = two_level_ratio([first, second], 0.99, prior, ["new", "base"])
    assert both is not None and abs(math.log(both.ratio)) < 0.01
