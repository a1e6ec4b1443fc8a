"""Live progress while measuring: a rich display on a TTY, nothing otherwise.

Updated once per measurement window from the measuring thread itself (``auto_refresh`` off),
so the display adds no thread competing with the inference loop for the GIL.
"""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.text import Text

from perfbench.measure.windows import Progress


class LiveDisplay:
    def __init__(self, console: Console, enabled: bool):
        self.console = console
        self.enabled = enabled and console.is_terminal
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
        if self._live is None:
            return
        self._live.update(Text(self.describe(progress)), refresh=True)

    def describe(self, progress: Progress) -> str:
        window = progress.last_window
        fps = window.rate() * progress.batch
        if progress.time_limit_s is not None:
            remaining = f"{max(progress.time_limit_s - progress.elapsed_s, 0):.0f} s left"
        else:
            remaining = f"{progress.completed}/{progress.iteration_limit} requests"
        median = (f"{window.latency_median_ms:.2f} ms" if window.latency_median_ms is not None
                  else "–")
        return (f"measuring {progress.elapsed_s:5.1f} s ({remaining})  "
                f"{fps:,.1f} FPS  median latency {median}")
