"""Several run files side by side: each against the first, with ``perfbench compare``'s own
statistics (``tracking.verdict.compare``, default thresholds), drawn."""

from __future__ import annotations

from perfbench.report.html import Section, chart, error_bars, interval, num, require_plotly, table
from perfbench.results.metrics import fps_estimate
from perfbench.results.types import BenchmarkResult
from perfbench.tracking.verdict import compare, parse_noise_floors, parse_thresholds


def section(runs: list[tuple[str, BenchmarkResult]], anchor: str) -> Section:
    go = require_plotly()
    names = [name for name, _ in runs]
    estimates = [fps_estimate(r) for _, r in runs]
    fps = go.Figure(go.Bar(
        x=names, y=[e[0] for e in estimates], name="FPS (95 % interval)",
        error_y=error_bars([e[0] for e in estimates], [e[1] for e in estimates],
                           [e[2] for e in estimates]),
        hovertemplate="%{x}: %{y:,.1f} images/s"))
    base_name, base = runs[0]
    fig, rows = go.Figure(), []
    for name, result in runs[1:]:
        changes = compare([base], [result], [base_name], [name], parse_thresholds([]),
                          noise_floors=parse_noise_floors([])).changes
        ci = [c.diff_ci_pct or (None, None) for c in changes]
        fig.add_trace(go.Scatter(
            x=[c.name for c in changes], y=[c.change_pct for c in changes], mode="markers",
            name=name, error_y=error_bars([c.change_pct for c in changes],
                                          [lo for lo, _ in ci], [hi for _, hi in ci]),
            hovertemplate=name + ": %{x} %{y:+.2f} %"))
        rows += [[name, c.name, num(c.baseline), num(c.new), num(c.change_pct),
                  interval(*(c.diff_ci_pct or (None, None))), c.verdict] for c in changes]
    fig.add_hline(y=0, line_color="#888")
    return Section(anchor, f"Compared with {base_name}").add(
        chart(fps, f"{anchor}-fps", "Throughput of each run", "run", "throughput (images/s)"),
        chart(fig, f"{anchor}-changes", f"Change against {base_name} (as perfbench compare)",
              "metric", "change (% of baseline, 95 % interval)"),
        table(["run", "metric", "baseline", "new", "change %", "95 % interval of change %",
               "verdict"], rows))
