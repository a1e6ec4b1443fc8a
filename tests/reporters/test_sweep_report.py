"""The sweep table and plot, on constructed sweeps whose figures are known."""

import pytest
from rich.console import Console

from perfbench.reporters import sweep_report
from perfbench.results.metrics import fps_estimate
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point, Sweep
from tests.models import synthetic_document, synthetic_result


def _sweep(points: list[Point], **kwargs) -> Sweep:
    return Sweep(SweepSpec(BenchmarkConfig(), {"requests": [1, 4]}), points,
                 status="complete", **kwargs)


def _text(sweep: Sweep) -> str:
    console = Console(record=True, width=250)
    sweep_report.render(sweep.result(), console)
    return console.export_text()


def test_sub_millisecond_latencies_keep_their_digits_and_unit():
    """20,000 FPS: the median is 1000 / 20,000 = 0.05 ms, the p99 0.005 ms (it printed
    "0.05" and "0.01", with no unit anywhere in the table)."""
    sweep = _sweep([Point("default", {}, "done", result=synthetic_result([20000.0], p99=1.0))])
    text = _text(sweep)
    assert "p50 (ms)" in text and "p99 (ms)" in text
    row = next(line for line in text.splitlines() if "default" in line)
    assert "0.0500" in row and "0.0050" in row


def test_the_csv_spells_the_fps_interval_as_every_document_does():
    """``fps``, ``fps_low``, ``fps_high`` (issue 25: it wrote ``throughput_ci95_low``/
    ``_high``, a third spelling of an interval's bounds): the point's own figures."""
    import csv
    import io
    from perfbench.results import from_document
    doc = synthetic_document([100.0])
    doc["precision"] = {"fps_windows": {"value": 100.5, "ci95_low": 97.25, "ci95_high": 103.75,
                                        "n": 6, "cv_pct": 5.0}}
    result = from_document(doc, "synthetic")
    sweep = _sweep([Point("default", {}, "done", result=result)])
    (row,) = csv.DictReader(io.StringIO(sweep_report.csv_text(sweep.result())))
    assert not [column for column in row if "ci95" in column or "throughput" in column]
    assert fps_estimate(sweep.result().points[0].result) == (100.5, 97.25, 103.75)
    assert (row["fps"], row["fps_low"], row["fps_high"]) == ("100.5", "97.25", "103.75")


def test_a_note_shared_by_every_row_is_printed_once():
    note = "interleaved: 8 rounds of 0.10 s"
    points = [Point(key, {}, "done", note, result=synthetic_result([fps]))
              for key, fps in (("default", 100.0), ("requests=1", 90.0), ("requests=4", 80.0))]
    text = _text(_sweep(points, mode="interleaved", block_s=0.1))
    assert text.count("interleaved: 8 rounds") == 1


def test_the_sweeps_note_is_printed():
    points = [Point("default", {}, "done", result=synthetic_result([100.0]))]
    text = _text(_sweep(points, note="budget reached after 12 of 20 rounds"))
    assert text.count("budget reached after 12 of 20 rounds") == 1


def test_the_plot_legend_covers_no_point():
    """A slow point with a long tail sits in the lower right corner, where the legend was."""
    pytest.importorskip("matplotlib")
    points = [Point("default", {}, "done", result=synthetic_result([100.0], p99=10.0)),
              Point("requests=1", {"requests": 1}, "done",
                    result=synthetic_result([150.0], p99=3.0)),
              Point("requests=4", {"requests": 4}, "done",
                    result=synthetic_result([20.0], p99=10.0))]
    sweep = _sweep(points)
    fig, ax = sweep_report.figure(sweep.result())
    try:
        fig.canvas.draw()
        box = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
        for point in points:
            x, y = point.latency_at(99.0), fps_estimate(point.result)[0]
            assert not box.contains(*ax.transData.transform((x, y))), point.key
    finally:
        import matplotlib.pyplot as plt
        plt.close(fig)


def test_docs_schemas_lists_the_csv_columns_in_order():
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parents[2] / "docs" / "schemas.md").read_text()
    paragraph = text.split("The sweep's `--csv` has one row per point:")[1].split("Renamed")[0]
    assert tuple(re.findall(r"`([a-z0-9_]+)`", paragraph)) == (
        sweep_report.CSV_COLUMNS + sweep_report.FIDELITY_COLUMNS)
