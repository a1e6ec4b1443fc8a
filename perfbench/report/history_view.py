"""The history view: one trend chart per configuration (small multiples, never one legend
for all), step changes marked at their commit and OpenVINO version changes marked; A/B runs
as a ratio trend per pair.  Steps and versions are ``tracking.history``'s own rules."""

from __future__ import annotations

from perfbench.report.html import Section, chart, error_bars, note, num, require_plotly, table
from perfbench.results.metrics import METRICS
from perfbench.tracking.history import ab_series, series, trend, version_changes

STEP_THRESHOLD_PCT = 5.0     # perfbench history's default


def section(path: str, name: str, anchor: str, metric: str = "fps") -> Section:
    groups = series(path, metric)
    pairs = ab_series(path)
    part = Section(anchor, f"History: {name}")
    if not groups and not pairs:
        return part.add(note("No complete runs in this history.", "warn"))
    index = [[key, bench, len(points), num(points[-1].value),
              len(trend(points, STEP_THRESHOLD_PCT))] for (key, bench), points in groups.items()]
    part.add(table(["configuration", "benchmark", "runs", f"last {metric}", "steps"], index))
    for n, ((key, bench), points) in enumerate(groups.items()):
        part.add(trend_chart(points, f"{bench} ({key})", metric, f"{anchor}-config-{n}"))
    for n, (pair, rows) in enumerate(pairs.items()):
        part.add(ab_chart(pair, rows, f"{anchor}-ab-{n}"))
    return part


def trend_chart(points, title: str, metric: str, chart_id: str) -> str:
    go = require_plotly()
    unit = METRICS[metric][0]
    x = list(range(1, len(points) + 1))
    fig = go.Figure(go.Scatter(
        x=x, y=[p.value for p in points], mode="lines+markers", name=metric,
        text=[f"run {p.run_id}, {p.recorded_at[:19]}, commit {(p.commit or '?')[:10]}, "
              f"OpenVINO {p.openvino or '?'}" for p in points],
        hovertemplate="%{text}<br>%{y:,.4g} " + unit))
    for step in trend(points, STEP_THRESHOLD_PCT):
        fig.add_vline(x=step.index + 1, line_color="#c44e52", line_dash="dash",
                      annotation_text=f"{step.change_pct:+.1f} % at "
                                      f"{(step.point.commit or 'no commit')[:10]}")
    for i, before, after in version_changes(points):
        fig.add_vline(x=i + 1, line_color="#8172b2", line_dash="dot",
                      annotation_text=f"OpenVINO {before} → {after}",
                      annotation_position="bottom right")
    return chart(fig, chart_id, title, "run (oldest first)", f"{metric} ({unit})", height=320)


def ab_chart(pair: str, rows, chart_id: str) -> str:
    go = require_plotly()
    shown = [r for r in rows if r.ratio is not None]
    fig = go.Figure(go.Scatter(
        x=list(range(1, len(shown) + 1)), y=[r.ratio for r in shown], mode="lines+markers",
        name="NEW/BASE FPS (95 % interval)",
        error_y=error_bars([r.ratio for r in shown], [r.low for r in shown],
                           [r.high for r in shown]),
        text=[f"run {r.run_id}, {r.recorded_at[:19]}, {r.verdict}, commit "
              f"{(r.commit or '?')[:10]}" for r in shown],
        hovertemplate="%{text}<br>%{y:.4f}"))
    fig.add_hline(y=1.0, line_color="#888")
    return chart(fig, chart_id, f"A/B history: {pair}", "A/B run (oldest first)",
                 "ratio NEW / BASE", height=320)
