import math
import statistics

import numpy as np
import pytest

from perfbench.results.types import Window
from perfbench.stats.intervals import (StabilityRule, lag1_autocorrelation, mean_ci, quantile_rank_interval, steady_rate,
                                 steady_windows, t_critical, window_rates)


@pytest.mark.parametrize("dof,expected", [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262),
                                          (12, 2.179), (20, 2.086), (30, 2.042), (100, 1.984)])
def test_t_critical_matches_tables(dof, expected):
    assert t_critical(dof) == pytest.approx(expected, abs=2e-3)


def test_mean_ci_hand_computed():
    est = mean_ci([1, 2, 3, 4, 5])   # mean 3, s = sqrt(2.5), t(4) = 2.7764
    half = 2.7764 * math.sqrt(2.5) / math.sqrt(5)
    assert est.value == 3 and est.n == 5
    assert (est.low, est.high) == (pytest.approx(3 - half, rel=1e-4), pytest.approx(3 + half, rel=1e-4))
    assert est.half_width_pct == pytest.approx(100 * half / 3, rel=1e-4)
    assert est.cv_pct == pytest.approx(100 * math.sqrt(2.5) / 3)
    assert mean_ci([4.0]) is None


def test_mean_ci_covers_the_true_mean_about_95_percent():
    rng = np.random.default_rng(42)
    covered = 0
    for _ in range(2000):
        est = mean_ci(rng.normal(100, 5, 8))
        covered += est.low <= 100 <= est.high
    assert 0.93 < covered / 2000 < 0.97


def test_quantile_interval_coverage():
    rng = np.random.default_rng(7)
    true_p99 = np.exp(2.326348)       # lognormal(0,1): exp(z_0.99)
    covered = 0
    for _ in range(1000):
        sample = np.sort(rng.lognormal(0, 1, 2000))
        low, high = quantile_rank_interval(len(sample), 99)
        covered += sample[low] <= true_p99 <= sample[high]
    assert 0.92 < covered / 1000 <= 0.99


def test_quantile_interval_ranks_stay_in_range():
    assert quantile_rank_interval(1, 50) == (0, 0)
    low, high = quantile_rank_interval(100, 99)
    assert 0 <= low < 98 < high <= 99


def _windows(rates, span=1.0):
    return [Window(i * span, (i + 1) * span, int(round(r * span)), None, None, None)
            for i, r in enumerate(rates)]


def test_steady_windows_drop_ramp_up_and_drain():
    windows = _windows([10, 100, 100, 100, 40])
    assert steady_windows(windows) == windows[1:-1]
    assert steady_rate(windows) == 100
    assert window_rates(windows) == [10, 100, 100, 100, 40]


def test_stop_rule_stops_when_precise_and_agreeing():
    rule = StabilityRule(target_pct=1.0)
    steady = [50] + [1000, 1004, 998, 1001, 999, 1003]
    assert not rule.is_stable(_windows(steady[:4]))        # too few windows yet
    assert rule.is_stable(_windows(steady))


def test_stop_rule_waits_while_noisy_or_drifting():
    rule = StabilityRule(target_pct=1.0)
    noisy = [50] + [1000, 1100, 900, 1050, 950, 1000, 1080, 920]
    assert not rule.is_stable(_windows(noisy))
    # precise enough on average (CI ±1.5 % < 2 %), but the last three windows disagree
    drifting = [50] + [1000] * 40 + [1000, 1250, 800]
    assert mean_ci(window_rates(_windows(drifting)[1:])).half_width_pct < 2.0
    assert not StabilityRule(target_pct=2.0).is_stable(_windows(drifting))
    assert StabilityRule(target_pct=2.0).is_stable(_windows(drifting[:-3]))


def test_stop_rule_on_a_synthetic_sequence_stops_at_the_expected_window():
    rng = np.random.default_rng(1)
    rates = [30.0] + list(1000 * (1 + rng.normal(0, 0.02, 200)))
    rule = StabilityRule(target_pct=1.0)
    stop = next(n for n in range(2, len(rates)) if rule.is_stable(_windows(rates[:n])))
    # 2 % window noise needs about (2.0 * 2 / 1)^2 = 16 windows for a ±1 % CI
    assert 10 <= stop <= 30
    est = mean_ci(window_rates(_windows(rates[1:stop])))
    assert est.half_width_pct <= 1.0


def _ar1(rng, n, rho, sigma=1.0, mean=100.0):
    values, x = [], 0.0
    for _ in range(n):
        x = rho * x + rng.normal(0, sigma)
        values.append(mean + x)
    return values


def test_lag1_autocorrelation():
    assert lag1_autocorrelation([1, 2, 3, 4, 5, 6]) > 0.4          # a trend
    assert lag1_autocorrelation([1, -1, 1, -1, 1, -1, 1, -1]) == 0.0  # negative: clamped
    assert lag1_autocorrelation([5, 5, 5]) == 0.0
    assert lag1_autocorrelation([1, 2]) == 0.0


def test_correlated_interval_keeps_coverage_on_drifting_windows():
    """Windows of a drifting machine (AR(1), rho 0.6): the plain t-interval covers the true
    mean only ~66 % of the time; the corrected one ~88 %, and it costs little on iid data."""
    rng = np.random.default_rng(5)
    plain = corrected = 0
    trials = 1000
    for _ in range(trials):
        values = _ar1(rng, 20, 0.6)
        p, c = mean_ci(values), mean_ci(values, correlated=True)
        plain += p.low <= 100 <= p.high
        corrected += c.low <= 100 <= c.high
        assert c.high - c.low >= p.high - p.low
    assert plain / trials < 0.75
    assert corrected / trials > 0.85
    iid_covered = sum(
        (lambda c: c.low <= 100 <= c.high)(mean_ci(_ar1(rng, 20, 0.0), correlated=True))
        for _ in range(trials))
    assert 0.94 < iid_covered / trials < 0.99


def _drifting_run(rng, windows=30, per_window=400, rho=0.8, drift=1.0):
    """Latency windows whose level drifts (AR(1) across windows) around a fixed process:
    the marginal distribution is normal with variance drift² + 1, so its true median is 0
    and its true p90 is 1.2816·√(drift² + 1)."""
    level = rng.normal(0, drift)
    chunks = []
    for _ in range(windows):
        level = rho * level + rng.normal(0, drift * (1 - rho * rho) ** 0.5)
        chunks.append(level + rng.normal(0, 1.0, per_window))
    return chunks


def _covers(chunks, p, truth, correlated):
    from perfbench.stats.intervals import quantile_design_effect
    values = np.sort(np.concatenate(chunks))
    n = len(values)
    effect = 1.0
    if correlated:
        estimate = values[min(max(int(np.ceil(n * p / 100)), 1), n) - 1]
        effect = quantile_design_effect([int(np.sum(c < estimate)) for c in chunks],
                                        [len(c) for c in chunks], p)
    low, high = quantile_rank_interval(n, p, effect)
    return values[low] <= truth <= values[high]


@pytest.mark.parametrize("p,z", [(50, 0.0), (90, 1.2816)])
def test_percentile_interval_keeps_coverage_on_correlated_latencies(p, z):
    """Closed-loop latencies drift together from window to window.  The iid interval then
    covers the true percentile far less than 95 % of the time (4-6 % here); the batch-means
    design effect restores most of it (84-90 % at this strong drift, ρ = 0.8: the lag-1
    correction from 30 windows is approximate; 96 % for independent windows)."""
    rng = np.random.default_rng(11)
    truth = z * 2 ** 0.5
    runs = [_drifting_run(rng) for _ in range(300)]
    iid = np.mean([_covers(r, p, truth, correlated=False) for r in runs])
    corrected = np.mean([_covers(r, p, truth, correlated=True) for r in runs])
    assert iid < 0.2
    assert corrected >= 0.8


def test_design_effect_is_one_for_independent_windows():
    from perfbench.stats.intervals import quantile_design_effect
    rng = np.random.default_rng(3)
    effects = []
    for _ in range(200):
        chunks = [rng.normal(0, 1, 400) for _ in range(30)]
        median = np.median(np.concatenate(chunks))
        effects.append(quantile_design_effect([int(np.sum(c < median)) for c in chunks],
                                              [400] * 30, 50))
    assert 1.0 <= np.median(effects) < 1.6


def test_steady_windows_need_a_ramp_up_and_a_drain_window_to_leave_out():
    """Fewer than three windows have no steady part: the ramp-up and drain windows are
    never passed off as steady ones (that made a 2-window run have an FPS interval and a
    3-window run none)."""
    assert steady_windows(_windows([10, 100])) == []
    assert steady_windows(_windows([10])) == []
    assert steady_rate(_windows([10, 100])) is None


def test_rate_interval_is_completions_over_time_and_weighs_windows_by_duration():
    """The estimate is the headline's definition restricted to the windows (completions
    over their time); a short window weighs by its length, not as a full window."""
    from perfbench.stats.intervals import rate_ci
    windows = [Window(0, 1, 1000, None, None, None), Window(1, 2, 1010, None, None, None),
               Window(2, 3, 990, None, None, None), Window(3, 3.002, 1, None, None, None)]
    estimate = rate_ci(windows)
    assert estimate.value == pytest.approx(3001 / 3.002)
    assert 0 < estimate.low < estimate.value < estimate.high
    assert estimate.half_width_pct < 5 and estimate.cv_pct < 5


def test_rate_interval_of_equal_windows_is_the_log_t_interval_of_their_rates():
    from perfbench.stats.intervals import rate_ci, rate_mean_ci
    rates = [1000, 1020, 990, 1005, 985]
    by_rate = rate_mean_ci(rates, correlated=True)
    estimate = rate_ci(_windows(rates), correlated=True)
    assert (estimate.value, estimate.low, estimate.high, estimate.cv_pct) == pytest.approx(
        (by_rate.value, by_rate.low, by_rate.high, by_rate.cv_pct))
    assert rate_ci(_windows([1000])) is None


def test_a_rate_interval_never_leaves_zero_to_infinity_and_a_wide_one_is_not_measured():
    """Issue 24: a suite row read 118.0 [−85.65, 321.7] and --until-stable 248.22 ±
    104.38 %.  Windows of 10, 400, 30 and 300 FPS (t(3) = 3.1824, SE 95.4 of 185): the
    linear interval would reach −118; the log-scale one is 185·exp(±3.1824·95.4/185)
    = [36.0, 951], a factor of 5 each way, beyond e: not measured."""
    import math
    from perfbench.stats.intervals import rate_ci, rate_interval, rate_measured
    estimate = rate_ci(_windows([10, 400, 30, 300]), correlated=False)
    se = statistics.stdev([10, 400, 30, 300]) / 2
    assert estimate.value == pytest.approx(185.0)
    assert estimate.low == pytest.approx(185 * math.exp(-3.18245 * se / 185), rel=1e-4)
    assert estimate.high == pytest.approx(185 * math.exp(3.18245 * se / 185), rel=1e-4)
    assert estimate.low > 0 and not rate_measured(estimate.value, estimate.low, estimate.high)
    steady = rate_ci(_windows([1000, 1020, 990, 1005, 985]))
    assert rate_measured(steady.value, steady.low, steady.high)
    assert not rate_measured(185.0, None, None)
    assert rate_interval(0.0, 1.0, 2.0) == (0.0, 0.0)
