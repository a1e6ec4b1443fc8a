"""The report's small pieces: interval bars, numbers in tables, where thresholds are drawn."""

import pytest


def test_error_bars_come_from_the_bounds_and_a_missing_bound_is_no_bar():
    """Every view draws its interval through one function: a bound of 0 (an FPS interval
    reaching 0) is a bound, None (no interval) is no bar; the bars are the distances to
    the bounds, not the bounds."""
    from perfbench.report.html import error_bars
    bars = error_bars([10.0, 5.0, 2.0], [8.0, 0.0, None], [13.0, 6.5, None])
    assert bars == {"type": "data", "symmetric": False, "array": [3.0, 1.5, 0],
                    "arrayminus": [2.0, 5.0, 0]}


def test_a_count_prints_without_decimals_and_a_measure_with_significant_digits():
    from perfbench.report.html import num
    assert num(4) == "4" and num(12345) == "12,345"
    assert num(4.0) == "4.000" and num(0.98765) == "0.9877" and num(None) == "–"


def test_a_latency_ratios_thresholds_are_where_its_verdict_puts_them():
    """A latency ratio regresses above 1/(1 − t) (it is judged inverted): at 10 %, 1.1111,
    not 1.10 — checked against the verdict itself."""
    from types import SimpleNamespace
    from perfbench.report.ab_view import threshold_lines
    from perfbench.stats.paired import verdict
    lines = dict((label, y) for y, label in threshold_lines(10.0, bigger_is_better=False))
    assert lines["regression above"] == pytest.approx(1 / 0.9)
    assert lines["improvement below"] == pytest.approx(1 / 1.1)
    just_above = SimpleNamespace(ratio=lines["regression above"] * 1.001, low=1.10, high=1.12)
    just_below = SimpleNamespace(ratio=lines["regression above"] * 0.999, low=1.10, high=1.12)
    assert verdict(just_above, 10.0, bigger_is_better=False) == "regression"
    assert verdict(just_below, 10.0, bigger_is_better=False) != "regression"
    fps = dict((label, y) for y, label in threshold_lines(10.0, bigger_is_better=True))
    assert fps == {"regression below": 0.9, "improvement above": 1.1}
