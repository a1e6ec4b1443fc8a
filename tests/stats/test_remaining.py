"""Time to a decision at the measured noise, on intervals whose answer is known."""

import math

import pytest

from perfbench.stats.remaining import more_time_to_decide


def test_an_interval_twice_too_wide_needs_four_times_the_time():
    """Ratio 0.99 with half-width ln 1.10 (≈ 9.5 %) against a 2 % threshold: a regression
    is ruled out once the low end passes 0.98, i.e. at half-width ln(0.99/0.98) = 0.01015;
    (0.0953/0.01015)² = 88.2 times the 120 s measured, so 87.2 × 120 s more."""
    half = math.log(1.10)
    more = more_time_to_decide(0.99, 0.99 / 1.10, 0.99 * 1.10, 2.0, True, 120.0)
    needed = math.log(0.99 / 0.98)
    assert more == pytest.approx(120 * ((half / needed) ** 2 - 1))


def test_a_ratio_beyond_the_threshold_needs_only_to_exclude_one():
    """0.88 [0.6674, 1.1624] (issue 24's A/B) at 5 %: calling the regression needs the
    high end below 1, a half-width of −ln 0.88 = 0.1278."""
    low, high = 0.6674, 1.1624
    more = more_time_to_decide(0.8808, low, high, 5.0, True, 120.0)
    half = (math.log(high) - math.log(low)) / 2
    assert more == pytest.approx(120 * ((half / -math.log(0.8808)) ** 2 - 1))


def test_latency_reads_inverted_and_a_decided_interval_needs_nothing():
    assert more_time_to_decide(1.0, 0.999, 1.001, 2.0, False, 10.0) == 0.0
    slower = more_time_to_decide(1.01, 1.01 / 1.1, 1.01 * 1.1, 2.0, False, 10.0)
    faster = more_time_to_decide(1 / 1.01, 1 / (1.01 * 1.1), 1.1 / 1.01, 2.0, True, 10.0)
    assert slower == pytest.approx(faster)


def test_a_ratio_on_the_threshold_or_nothing_measured_has_no_answer():
    assert more_time_to_decide(0.98, 0.9, 1.05, 2.0, True, 60.0) is None
    assert more_time_to_decide(1.0, 0.9, 1.1, 2.0, True, 0.0) is None
