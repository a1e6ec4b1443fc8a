"""The run's terminal table on constructed results: what it prints is the result's own."""

from rich.console import Console

from perfbench.reporters.table import results_table
from perfbench.results import from_document
from tests.models import synthetic_document


def _render(doc) -> str:
    console = Console(record=True, width=250)
    console.print(results_table(from_document(doc, "synthetic")))
    return " ".join(console.export_text().split())


def _with_fps_windows(value, low, high, n=6, cv=5.0):
    doc = synthetic_document([value])
    doc["precision"] = {"fps_windows": {"value": value, "ci95_low": low, "ci95_high": high,
                                        "n": n, "cv_pct": cv}}
    return doc


def test_a_rate_interval_too_wide_to_say_anything_is_not_measured():
    """Issue 24: --until-stable printed "248.22 ± 104.38 %" (an interval reaching below
    zero).  A log-scale interval wider than ×e either way is "not measured"; a usable one
    shows both sides (+high/−low %), as a log-scale interval is not symmetric."""
    wide = _render(_with_fps_windows(100.0, 20.0, 500.0, cv=104.0))
    assert "precision not measured (interval wider than ×e either way)" in wide
    assert "± 400" not in wide
    fine = _render(_with_fps_windows(100.0, 95.0, 105.0))
    assert "± 5.00 % (95 % CI [95.00, 105.00]: +5.00/−5.00 %" in fine
