"""The sparkline: a drawing helper of the presentation layer, not of the history store."""

from perfbench.reporters.sparkline import sparkline


def test_sparkline():
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5]) == "▁▁"
    assert sparkline([]) == ""


def test_the_history_store_draws_nothing():
    """tracking/ keeps data and trends; drawing them belongs to reporters/ (one copy)."""
    from perfbench.tracking import history
    assert not hasattr(history, "sparkline")
