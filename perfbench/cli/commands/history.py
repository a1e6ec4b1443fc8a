"""``perfbench history``: the trend of one metric per configuration, with step changes."""

from __future__ import annotations

from rich.console import Console

from perfbench.reporters.consoles import report_console
from rich.table import Table

from perfbench.tracking.history import series, sparkline, trend

MAX_POINTS = 40


def history_command(path: str, metric: str, config_match: str | None,
                    threshold_pct: float) -> int:
    groups = series(path, metric)
    if config_match:
        groups = {k: v for k, v in groups.items()
                  if config_match in k[0] or config_match.lower() in k[1].lower()}
    table = Table(title=f"History of {metric} in {path}", title_justify="left")
    for column in ("config", "benchmark", "runs", "last", f"trend (last {MAX_POINTS})",
                   "step changes"):
        table.add_column(column)
    for (key, name), points in groups.items():
        steps = trend(points, threshold_pct)
        described = "; ".join(
            f"{s.change_pct:+.1f} % at run {s.point.run_id} "
            f"({(s.point.commit or 'no commit')[:10]}, {s.point.recorded_at[:10]})"
            for s in steps) or "none"
        table.add_row(key, name, str(len(points)), f"{points[-1].value:,.3f}",
                      sparkline([p.value for p in points[-MAX_POINTS:]]), described)
    report_console().print(table)
    if not groups:
        Console(stderr=True).print("no complete runs match")
    return 0
