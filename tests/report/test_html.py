

def test_error_bars_come_from_the_bounds_and_a_missing_bound_is_no_bar():
    """Every view draws its interval through one function: a bound of 0 (an FPS interval
    reaching 0) is a bound, None (no interval) is no bar; the bars are the distances to
    the bounds, not the bounds."""
    from perfbench.report.html import error_bars
    bars = error_bars([10.0, 5.0, 2.0], [8.0, 0.0, None], [13.0, 6.5, None])
    assert bars == {"type": "data", "symmetric": False, "array": [3.0, 1.5, 0],
                    "arrayminus": [2.0, 5.0, 0]}
