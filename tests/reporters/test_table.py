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


def test_percentiles_too_few_samples_support_are_marked_not_shown_as_figures(tiny_ir, tmp_path):
    """Issue 24: p99 with a 95 % interval from 23 samples, while a check said it is not a
    p99 (max = p99 = p99.9 there).  A real 23-request run: the JSON flags p90, p95, p99
    and p99.9 (stats.support) and gives them no interval; the table marks each in words."""
    import json
    from perfbench.cli.main import main
    out = tmp_path / "r.json"
    assert main(["run", "-m", tiny_ir, "-n", "23", "-q", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["results"]["latency_ms"]["count"] == 23
    assert doc["precision"]["latency_unsupported"] == ["p90", "p95", "p99", "p99_9"]
    assert set(from_document(doc, "run").precision.latency_ci_ms) == {"median"}
    text = _render(doc)
    assert "p99 from 23 samples is not a p99 (needs 1,000)" in text
    assert "p99.9 from 23 samples is not a p99.9 (needs 10,000)" in text
    assert "p90 from 23 samples is not a p90 (needs 100)" in text
    assert "median from 23 samples" not in text


def test_the_html_headline_marks_an_unsupported_percentile():
    from perfbench.report.run_view import _headline
    doc = synthetic_document([2.3])              # 23 completions: p99 from 23 samples
    page = _headline(from_document(doc, "synthetic"))
    assert "(not a p99)" in page and "p99 from 23 samples is not a p99 (needs 1,000)" in page
    assert "(not a p50)" not in page


def test_a_run_of_several_trials_headlines_their_mean_with_the_interval_between_them():
    """Three trials of 100, 102 and 98 FPS (steady as whole, in the synthetic document):
    the headline is their mean, 100, with the interval between the trials [97, 103]; the
    windows' narrower one ([99.5, 100.5], one process's view) is named as within trials."""
    doc = synthetic_document([100.0, 102.0, 98.0])
    doc["precision"] = {"fps_windows": {"value": 100.0, "ci95_low": 99.5, "ci95_high": 100.5,
                                        "n": 12, "cv_pct": 1.0},
                        "fps_trials": {"value": 100.0, "ci95_low": 97.0, "ci95_high": 103.0,
                                       "n": 3, "cv_pct": 2.0}}
    text = _render(doc)
    assert ("100.00 FPS ± 3.00 % (95 % CI [97.00, 103.00]: +3.00/−3.00 %, 3 trials, CV 2.0 %) "
            "(the mean of 3 trials' steady FPS)") in text
    assert "within trials │ 100.00 ± 0.50 % (95 % CI [99.50, 100.50]" in text
