"""The sweep table and plot, on constructed sweeps whose figures are known."""

import pytest
from rich.console import Console

from perfbench.reporters import sweep_report
from perfbench.results.metrics import fps_estimate
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point, Sweep
from tests.models import synthetic_result


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
