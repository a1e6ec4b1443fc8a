"""Live progress while measuring: a rich display on a TTY, nothing otherwise.

Updated once per measurement window from the measuring thread itself (``auto_refresh`` off),
so the display adds no thread competing with the inference loop for the GIL; the work per
update is a few dozen arithmetic operations on the window list.

What it shows, one line each: (in sweeps) the overall progress with an ETA and the best
point so far; a progress bar with elapsed and remaining time, or requests done; window FPS
with a sparkline of the last windows; the window's median and p99 latency, and the FPS
interval against its target while ``--until-stable`` runs; a drift warning as soon as the
window FPS moves beyond its own noise (:mod:`perfbench.stats.drift`).
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from perfbench.measure.windows import Progress
from perfbench.stats.drift import drift_pct
from perfbench.stats.intervals import rate_ci, steady_windows, window_rates
from perfbench.reporters.sparkline import sparkline

BAR_WIDTH = 30
SPARK_WINDOWS = 24


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = int(round(max(0.0, min(fraction, 1.0)) * width))
    return "━" * filled + "╺" + "─" * (width - filled) if filled < width else "━" * width


class LiveDisplay:
    def __init__(self, console: Console, enabled: bool, target_pct: float | None = None):
        self.console = console
        self.enabled = enabled and console.is_terminal
        self.target_pct = target_pct
        self.header = ""
        self._live: Live | None = None

    def __enter__(self) -> "LiveDisplay":
        if self.enabled:
            self._live = Live(Text("warming up…"), console=self.console, auto_refresh=False,
                              transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def update(self, progress: Progress) -> None:
        if self._live is not None:
            self._live.update(self.render(progress), refresh=True)

    def show(self, line: str) -> None:
        if self._live is not None:
            lines = [Text(self.header, style="bold")] if self.header else []
            self._live.update(Group(*lines, Text(line)), refresh=True)

    def render(self, progress: Progress) -> Group:
        lines = [Text(self.header, style="bold")] if self.header else []
        lines += [Text(line) for line in self.lines(progress)]
        warning = self.drift_line(progress)
        if warning:
            lines.append(Text(warning, style="bold yellow"))
        return Group(*lines)

    def describe(self, progress: Progress) -> str:
        """The view as plain text (what a test or a log can read)."""
        lines = ([self.header] if self.header else []) + self.lines(progress)
        warning = self.drift_line(progress)
        return "\n".join(lines + ([warning] if warning else []))

    def lines(self, progress: Progress) -> list[str]:
        return [self._progress_line(progress), self._fps_line(progress),
                self._latency_line(progress)]

    @staticmethod
    def _progress_line(progress: Progress) -> str:
        if progress.time_limit_s is not None:
            fraction = progress.elapsed_s / progress.time_limit_s if progress.time_limit_s else 1
            left = max(progress.time_limit_s - progress.elapsed_s, 0)
            return (f"{bar(fraction)} {progress.elapsed_s:5.1f} s of "
                    f"{progress.time_limit_s:g} s ({left:.0f} s left)")
        limit = progress.iteration_limit or 0
        fraction = progress.completed / limit if limit else 0.0
        return (f"{bar(fraction)} {progress.completed:,}/{limit:,} requests "
                f"({max(limit - progress.completed, 0):,} left, {progress.elapsed_s:.1f} s)")

    @staticmethod
    def _fps_line(progress: Progress) -> str:
        fps = progress.last_window.rate() * progress.batch
        recent = [r * progress.batch for r in window_rates(progress.windows[-SPARK_WINDOWS:])]
        return f"{fps:,.1f} FPS  {sparkline(recent)}  (last {len(recent)} windows)"

    def _latency_line(self, progress: Progress) -> str:
        window = progress.last_window
        median = f"{window.latency_median_ms:.2f} ms" if window.latency_median_ms is not None \
            else "–"
        p99 = f"{window.latency_p99_ms:.2f} ms" if window.latency_p99_ms is not None else "–"
        line = f"median latency {median}  p99 {p99}"
        if self.target_pct is not None:
            estimate = rate_ci(steady_windows(progress.windows), correlated=True)
            reached = f"±{estimate.half_width_pct:.2f} %" if estimate else "–"
            line += f"  stability: FPS CI {reached} (target ±{self.target_pct:g} %)"
        return line

    @staticmethod
    def drift_line(progress: Progress) -> str:
        moved = drift_pct(window_rates(progress.windows[1:]))
        if moved is None:
            return ""
        return (f"⚠ drift: window FPS {moved:+.0f} % against this run's earlier windows, beyond "
                "their noise; to compare two things here, use perfbench ab")
