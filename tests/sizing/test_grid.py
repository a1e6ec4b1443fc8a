"""Sweep logic on constructed data (grid, cut-off, frontier, picks, sizing)."""

import pytest

from perfbench.settings.values import duration

from perfbench.sizing.grid import (PointSummary, cut_off_reason, expand, growing_key, line_of,
                             pareto, point_key, recommend, sizing)


def test_grid_expansion_order_and_keys():
    points = expand({"streams": [1, 2], "hint": ["throughput", "latency"], "batch": [1]})
    assert len(points) == 4
    assert points[0] == {"hint": "throughput", "batch": 1, "streams": 1}
    assert [p["streams"] for p in points] == [1, 2, 1, 2]          # innermost grows
    assert point_key(points[1]) == "hint=throughput,batch=1,streams=2"
    assert point_key({}) == "default"


def test_growing_dimension_and_lines():
    grid = {"hint": ["throughput"], "requests": [1, 2], "streams": [1, 2, 4]}
    assert growing_key(grid) == "streams"
    assert growing_key({"hint": ["a", "b"]}) is None
    assert line_of({"hint": "throughput", "requests": 2, "streams": 4}, "streams") == \
        "hint=throughput,requests=2"


def test_cut_off_rules():
    assert cut_off_reason([], None) is None
    assert cut_off_reason([(100, 5), (150, 6)], None) is None
    assert "flattened" in cut_off_reason([(100, 5), (101, 6), (102, 7)], None)
    assert cut_off_reason([(100, 5), (101, 6), (120, 7)], None) is None
    assert "broken" in cut_off_reason([(100, 5), (140, 30)], sla_ms=20)
    # more streams can lower latency: a broken bound does not stop a streams line
    assert cut_off_reason([(100, 5), (140, 30)], sla_ms=20, latency_grows=False) is None


def _p(key, fps, lat):
    return PointSummary(key, {"k": key}, fps, lat)


def _f(key, fps, lat, *fidelity):
    return PointSummary(key, {"k": key}, fps, lat, fidelity=tuple(fidelity))


def test_the_pareto_front_keeps_a_slower_point_that_answers_better():
    """int8 is faster at the same latency as f32; without fidelity f32 is dominated, with
    it (top-1 agreement, SQNR) f32 stays on the front; a point worse in every dimension,
    fidelity included, is still dominated."""
    inf = float("inf")
    plain = [_p("f32", 100, 10), _p("int8", 180, 10), _p("bf16", 150, 10)]
    assert pareto(plain) == ["int8"]
    points = [_f("f32", 100, 10, 100.0, inf), _f("int8", 180, 10, 62.5, 14.0),
              _f("bf16", 150, 10, 100.0, 30.0), _f("int8-slow", 170, 12, 62.5, 14.0)]
    assert pareto(points) == ["int8", "bf16", "f32"]     # by latency, then higher FPS
    # equal in FPS and latency, better in one fidelity dimension only: dominates
    assert pareto([_f("a", 100, 10, 90.0, 20.0), _f("b", 100, 10, 90.0, 25.0)]) == ["b"]
    # better top-1, worse SQNR: neither dominates
    assert sorted(pareto([_f("a", 100, 10, 95.0, 20.0), _f("b", 100, 10, 90.0, 25.0)])) == \
        ["a", "b"]
    # a model without classifier outputs: SQNR alone is the fidelity dimension
    assert pareto([_f("f32", 100, 10, inf), _f("int8", 100, 10, 20.0)]) == ["f32"]


def test_a_point_whose_fidelity_is_unknown_neither_dominates_nor_is_dominated():
    """A point whose precision's fidelity could not be measured (no fidelity dimensions)
    beside measured ones: not comparable, so a faster point with unknown answers does not
    push the reference's off the front (it did: compared on speed alone), nor a measured
    one it off; among themselves unmeasured points are compared on speed, as before."""
    points = [_f("a", 100, 10, 100.0, 30.0), _p("b", 120, 10)]
    assert sorted(pareto(points)) == ["a", "b"]
    assert sorted(pareto([_f("a", 130, 5, 100.0, 30.0), _p("b", 120, 10)])) == ["a", "b"]
    assert pareto([_p("b", 120, 10), _p("c", 100, 12)]) == ["b"]


def test_pareto_frontier():
    points = [_p("a", 100, 10), _p("b", 150, 20), _p("c", 120, 25), _p("d", 90, 8),
              _p("e", 150, 30)]
    assert pareto(points) == ["d", "a", "b"]        # c and e are dominated by b


def test_recommendations_against_the_default():
    points = [_p("default", 100, 20), _p("fast", 160, 40), _p("snappy", 80, 5),
              _p("balanced", 140, 15)]
    picks = recommend(points, points[0], sla_ms=18, percentile=99)
    assert picks["best_throughput"]["key"] == "fast"
    assert picks["best_throughput"]["fps_vs_default_pct"] == pytest.approx(60)
    assert picks["best_latency"]["key"] == "snappy"
    assert picks["best_under_sla"]["key"] == "balanced"
    assert picks["best_under_sla"]["latency_vs_default_pct"] == pytest.approx(-25)
    assert recommend(points, None, sla_ms=1, percentile=99)["best_under_sla"] is None


def test_sizing_projection():
    plan = sizing({"key": "x", "fps": 90.0}, target_fps=1000, cores=2)
    assert plan["machines"] == 12 and plan["fps_per_core"] == 45.0
    assert "machines" not in sizing({"key": "x", "fps": 90.0}, None, 2)


@pytest.mark.parametrize("text,seconds", [("300", 300), ("90s", 90), ("10m", 600),
                                          ("1.5h", 5400)])
def test_durations(text, seconds):
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "-5m", "0", "abc", "10x", "infm"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        duration(text)


def test_best_throughput_prefers_lower_latency_among_statistical_ties():
    points = [PointSummary("default", {}, 89.7, 25.6, 88.9, 90.5),
              PointSummary("lat r4 s2", {}, 91.0, 49.4, 83.1, 98.9),
              PointSummary("tput r1 s1", {}, 70.4, 15.9, 68.9, 71.9)]
    picks = recommend(points, points[0], sla_ms=None, percentile=99)
    assert picks["best_throughput"]["key"] == "default"
    # 88.9 / 91.0 - 1 = -2.3 %: the low end is within 3 % of the top
    assert "tied" in picks["best_throughput"]["why"] and "-2.3 %" in picks["best_throughput"]["why"]
    clear = [PointSummary("default", {}, 89.7, 25.6, 88.3, 91.1),
             PointSummary("fast", {}, 120.0, 40.0, 118.0, 122.0)]
    assert recommend(clear, clear[0], None, 99)["best_throughput"]["key"] == "fast"


def test_a_point_whose_interval_is_wider_than_the_tie_cannot_win_it():
    """The sequential sweep of the A/B issue: 22,997 FPS ± 101.8 % was named best over
    40,592 FPS ± 6.8 % because the intervals overlapped; a lower latency must not buy a
    win the measurement cannot support."""
    points = [PointSummary("requests=4,streams=2", {}, 40592.0, 0.30, 37832.0, 43352.0),
              PointSummary("requests=1,streams=1", {}, 22997.0, 0.05, -413.0, 46407.0)]
    assert recommend(points, None, None, 99)["best_throughput"]["key"] == "requests=4,streams=2"
    # the same low-latency point, measured tightly within 3 % of the top, does win it
    close = [points[0], PointSummary("requests=1,streams=1", {}, 40000.0, 0.05, 39600.0, 40400.0)]
    assert recommend(close, None, None, 99)["best_throughput"]["key"] == "requests=1,streams=1"
    # paired mode judges by the interval of the ratio it is given
    paired = recommend(close, None, None, 99, ratio_low=lambda p, top: 0.90)
    assert paired["best_throughput"]["key"] == "requests=4,streams=2"


def test_a_point_without_an_interval_cannot_win_a_tie():
    """The sweep of the A/B issue: the low-latency point had no interval; it must not be
    named best throughput over a faster point that has one."""
    points = [PointSummary("requests=4,streams=2", {}, 40592.0, 0.30, 37832.0, 43352.0),
              PointSummary("requests=1,streams=1", {}, 22997.0, 0.05, None, None)]
    pick = recommend(points, None, sla_ms=None, percentile=99)["best_throughput"]
    assert pick["key"] == "requests=4,streams=2" and pick["why"] == "highest FPS"
    alone = recommend(points[1:], None, None, 99)["best_throughput"]
    assert alone["why"] == "highest FPS (no interval: too short to tie-break)"
