"""The suite geomean's arithmetic on constructed log-ratios with answers worked by hand
(its verdict: tests/tracking/test_verdict.py)."""

import math

import pytest

from perfbench.stats.geomean import fixed_models, log_variance, random_models, separate_runs


def test_separate_runs_adds_between_entry_spread_over_n_and_run_noise_once():
    g = separate_runs([-0.1, 0.0, 0.1], [0.0004] * 3)
    # s² = 0.01; var = 0.01/3 + 0.0004 = 0.0037333; the floor is known, so Welch–
    # Satterthwaite ν = 0.0037333² / ((0.01/3)² / 2) = 2.5088; t(2.5088) = 3.565700
    # → half 0.217868
    assert g.ratio == pytest.approx(1.0)
    assert g.ci_low == pytest.approx(math.exp(-0.217868), rel=1e-5)
    assert g.ci_high == pytest.approx(math.exp(0.217868), rel=1e-5)
    assert g.between_sd_pct == pytest.approx(10.0) and g.run_sd_pct == pytest.approx(2.0)


@pytest.mark.parametrize("n", [3, 10, 100])
def test_run_level_noise_does_not_shrink_with_more_entries(n):
    """N identical entries: no between-entry spread, and the run-level term is a known
    floor (no degrees of freedom to pay for), so the interval is ±z·2 % at every N: drift
    hits all entries alike and does not average out."""
    g = separate_runs([math.log(0.95)] * n, [0.0004] * n)
    assert g.ratio == pytest.approx(0.95)
    assert math.log(g.ci_high / g.ratio) == pytest.approx(1.959964 * 0.02, rel=1e-6)


def test_run_level_degrees_of_freedom_come_from_their_samples():
    """Estimated run-level variances add their own dof: s² = 0 leaves only them,
    ν = (Σ v_i/N)² / Σ (v_i/N)²/ν_i = (3·0.0004/3)² / (3·(0.0004/3)²/4) = 12."""
    from perfbench.stats.intervals import t_critical
    g = separate_runs([0.0] * 3, [0.0004] * 3, [4, 4, 4])
    assert math.log(g.ci_high) == pytest.approx(t_critical(12) * 0.02, rel=1e-6)


def test_one_entry_uses_the_normal_quantile():
    g = separate_runs([0.0], [0.01])
    assert g.ci_high == pytest.approx(math.exp(1.959964 * 0.1))


def test_fixed_and_random_models():
    fixed = fixed_models([0.02, -0.02], [0.0001, 0.0001])
    # Σv/N² = 0.0002/4 → sd 0.0070711 → half 0.013859
    assert fixed.ratio == pytest.approx(1.0)
    assert fixed.ci_high == pytest.approx(math.exp(0.013859), rel=1e-5)
    assert fixed.between_sd_pct == pytest.approx(100 * math.sqrt(0.0008))
    rand = random_models([0.02, -0.02])
    # s²/N = 0.0008/2 = 0.0004 → sd 0.02; t(1) = 12.7062 → half 0.254124
    assert rand.ci_high == pytest.approx(math.exp(0.254124), rel=1e-4)
    assert random_models([0.1]) is None and fixed_models([], []) is None


def test_log_variance_inverts_an_interval():
    half = 1.959964 * 0.03
    assert log_variance(math.exp(-half), math.exp(half), None) == pytest.approx(0.0009)
    from perfbench.stats.intervals import t_critical
    half = t_critical(5, 0.99) * 0.03
    assert log_variance(math.exp(-half), math.exp(half), 5, 0.99) == pytest.approx(0.0009)


def test_fixed_models_uses_the_entries_degrees_of_freedom():
    """v = 0.0001 (dof 3), 0.0004 (dof 5), N = 2: terms v/N² = 0.000025, 0.0001;
    ν = 0.000125² / (0.000025²/3 + 0.0001²/5) = 7.0755; t(7.0755) = 2.359521;
    half = 2.359521 · sqrt(0.0005) / 2 = 0.026380 (the normal quantile gave 0.021913)."""
    g = fixed_models([0.0, 0.0], [0.0001, 0.0004], [3, 5])
    assert math.log(g.ci_high) == pytest.approx(0.026380, rel=1e-4)
    known = fixed_models([0.0, 0.0], [0.0001, 0.0004], [None, None])
    assert math.log(known.ci_high) == pytest.approx(1.959964 * math.sqrt(0.0005) / 2)


def test_a_suites_geomean_is_judged_at_its_familys_level():
    """Nine A/A entries whose geomean's 95 % interval just excludes 1: at a plain 95 % a
    gate of nine would fail on it; as one of the family (1 − 5 %/9) it does not."""
    from perfbench.results.interval import Interval
    from perfbench.results.suite import ABSummary
    from perfbench.suite.ab import geomean_block
    half = 0.0125 * 1.96                                   # each entry: SE 1.25 % (log)
    rows = [ABSummary(f"e{i}", "no regression", Interval(
        math.exp(-0.01), math.exp(-0.01 - half), math.exp(-0.01 + half), 0.95))
        for i in range(9)]
    alone = geomean_block(rows, 0.0)
    member = geomean_block(rows, 0.0, family_size=9)
    # as one of nine it is no regression; at threshold 0 nothing short of an interval above 1
    # excludes one, so it is not a pass either (judge_change's rule): inconclusive, exit 3
    assert alone.verdict == "regression" and member.verdict == "inconclusive"
    assert member.judged.level == pytest.approx(1 - 0.05 / 9)
    assert member.judged.high > 1 > member.ratio.high
