"""The live view: its lines on synthetic windows, and what a real terminal receives."""

import os
import pty
import subprocess
import sys

from rich.console import Console

from perfbench.cli.live import LiveDisplay, bar
from perfbench.reporters.sparkline import sparkline
from perfbench.measure.windows import Progress
from perfbench.results.types import Window
from tests.processes import checkout_env


def _windows(rates: list[float]) -> list[Window]:
    return [Window(float(i), float(i + 1), int(r), 2.0, 2.5, 4.0) for i, r in enumerate(rates)]


def test_the_view_shows_progress_fps_trend_latency_and_target():
    view = LiveDisplay(Console(), enabled=False, target_pct=1.0)
    progress = Progress(4.0, 10.0, None, 400, _windows([90, 100, 105, 98]), batch=2)
    lines = view.describe(progress).splitlines()
    assert lines[0] == f"{bar(0.4)}   4.0 s of 10 s (6 s left)"
    assert lines[1] == f"196.0 FPS  {sparkline([180.0, 200.0, 210.0, 196.0])}  (last 4 windows)"
    assert lines[2].startswith("median latency 2.00 ms  p99 4.00 ms  stability: FPS CI ±")
    assert lines[2].endswith("(target ±1 %)") and len(lines) == 3
    by_count = Progress(1.5, None, 1000, 250, _windows([100]), batch=1)
    assert "250/1,000 requests (750 left, 1.5 s)" in view.describe(by_count)


def test_a_drift_shows_at_once_and_points_to_ab():
    view = LiveDisplay(Console(), enabled=False)
    steady = [100, 101, 99, 100, 102, 98, 100, 101, 99, 100]
    calm = Progress(11.0, 60.0, None, 1000, _windows([50] + steady + [100, 99, 101]))
    assert "drift" not in view.describe(calm)
    dropped = Progress(14.0, 60.0, None, 1000, _windows([50] + steady + [80, 79, 81]))
    assert view.describe(dropped).splitlines()[-1].startswith(
        "⚠ drift: window FPS -20 % against this run's earlier windows")
    assert "perfbench ab" in view.describe(dropped)


def test_a_sweep_header_goes_above_the_point():
    view = LiveDisplay(Console(), enabled=False)
    view.header = "sweep point 2/5: requests=2; about 30 s left"
    assert view.describe(Progress(1.0, 5.0, None, 10, _windows([10]))).startswith(view.header)


def test_a_terminal_receives_the_live_view(tiny_ir):
    """No screenshot: the run's stderr is a pseudo-terminal, and what reaches it is read."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "run", "-m", tiny_ir, "-t", "3"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
                            env=checkout_env(COLUMNS="120", TERM="xterm"))
    os.close(slave)
    received = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:          # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(master)
    assert proc.wait(timeout=120) == 0
    text = received.decode("utf-8", "replace")
    assert "━" in text and "s left" in text and "FPS" in text and "median latency" in text
    assert any(c in text for c in "▁▂▃▄▅▆▇█")
