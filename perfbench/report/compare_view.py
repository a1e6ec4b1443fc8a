"""Several run files side by side, and their comparison with ``perfbench compare``'s own
statistics (``tracking.verdict.compare``): the command's own for ``compare --html``, each
run against the first at the defaults for ``perfbench report``."""

from __future__ import annotations

from perfbench.report.html import Section, chart, error_bars, interval, num, require_plotly, table
from perfbench.results.metrics import fps_estimate
from perfbench.results.types import BenchmarkResult
from perfbench.tracking.verdict import (Comparison, compare, parse_noise_floors,
                                        parse_thresholds)


def section(runs: list[tuple[str, BenchmarkResult]], anchor: str,
            comparison: Comparison | None = None) -> Section:
    """``comparison``: the command's own (pooled sides, its thresholds, floors and gate),
    drawn as it judged; without one, each run against the first at the defaults."""
    go = require_plotly()
    names = [name for name, _ in runs]
    estimates = [fps_estimate(r) for _, r in runs]
    fps = go.Figure(go.Bar(
        x=names, y=[e[0] for e in estimates], name="FPS (95 % interval)",
        error_y=error_bars([e[0] for e in estimates], [e[1] for e in estimates],
                           [e[2] for e in estimates]),
        hovertemplate="%{x}: %{y:,.1f} images/s"))
    base_name, base = runs[0]
    if comparison is None:      # `perfbench report a b …`: each against the first
        pairs = [(name, compare([base], [result], [base_name], [name], parse_thresholds([]),
                                noise_floors=parse_noise_floors([])).changes)
                 for name, result in runs[1:]]
        how = f"each run against {base_name}, at compare's default thresholds and floors"
    else:                       # `compare --html`: the command's own verdict, drawn
        pairs = [("NEW", comparison.changes)]
        how = ("the command's own comparison: " + ", ".join(comparison.baseline_files)
               + " against " + ", ".join(comparison.new_files))
    fig, rows = go.Figure(), []
    for name, changes in pairs:
        ci = [c.diff_ci_pct or (None, None) for c in changes]
        fig.add_trace(go.Scatter(
            x=[c.name for c in changes], y=[c.change_pct for c in changes], mode="markers",
            name=name, error_y=error_bars([c.change_pct for c in changes],
                                          [lo for lo, _ in ci], [hi for _, hi in ci]),
            hovertemplate=name + ": %{x} %{y:+.2f} %"))
        rows += [[name, c.name, num(c.baseline), num(c.new), num(c.change_pct),
                  interval(*(c.diff_ci_pct or (None, None))), f"{c.threshold_pct:g} %",
                  c.verdict + ("" if c.gating else " (not gating)")] for c in changes]
    fig.add_hline(y=0, line_color="#888")
    return Section(anchor, f"Compared with {base_name}").add(
        chart(fps, f"{anchor}-fps", "Throughput of each run", "run", "throughput (images/s)"),
        chart(fig, f"{anchor}-changes", f"Change: {how}", "metric",
              "change (% of baseline, 95 % interval)"),
        table(["run", "metric", "baseline", "new", "change %", "95 % interval of change %",
               "threshold", "verdict"], rows))
