"""``perfbench run``: one benchmark, shown live, then reported."""

from __future__ import annotations

from rich.console import Console

from ..config import BenchmarkConfig
from ..live import LiveDisplay
from ..reporters import json_report, table
from ..runner import run


def run_command(config: BenchmarkConfig, json_path: str | None, quiet: bool) -> int:
    # With JSON on stdout, the human-readable table moves to stderr to keep stdout parseable.
    out = Console(stderr=json_path == "-")
    progress = Console(stderr=True)
    with LiveDisplay(progress, batch=config.batch or 1, enabled=not quiet) as live:
        result = run(config, on_window=live.update)
    table.render(result, out)
    if json_path:
        json_report.write(result, json_path)
    return 0
