"""The shapes view: FPS (with its interval) and latency per data shape."""

from __future__ import annotations

from perfbench.report.html import Section, chart, error_bars, interval, num, require_plotly, table
from perfbench.reporters.shapes_report import shape_text
from perfbench.results.metrics import fps_estimate
from perfbench.results.shapes import ShapesResult


def section(doc: ShapesResult, name: str, anchor: str) -> Section:
    go = require_plotly()
    results = doc.results
    shapes = [shape_text(r) for r in results]
    estimates = [fps_estimate(r) for r in results]
    fig = go.Figure(go.Bar(
        x=shapes, y=[e[0] for e in estimates], name="FPS (95 % interval)",
        error_y=error_bars([e[0] for e in estimates], [e[1] for e in estimates],
                           [e[2] for e in estimates]),
        hovertemplate="%{x}: %{y:,.1f} images/s"))
    lat = go.Figure([go.Bar(x=shapes, y=[getattr(r.latency, f) for r in results], name=label,
                            hovertemplate="%{x}: %{y:.4g} ms")
                     for f, label in (("median", "p50"), ("p99", "p99"))])
    rows = [[s, num(e[0]), interval(e[1], e[2]), num(r.latency.median), num(r.latency.p99),
             r.status] for s, e, r in zip(shapes, estimates, results)]
    part = Section(anchor, f"Shapes: {name}", badge=(doc.status.upper(), "ok" if
                                                      doc.status == "complete" else "warn"))
    return part.add(chart(fig, f"{anchor}-fps", "Throughput per shape", "shape",
                          "throughput (images/s)"),
                    chart(lat, f"{anchor}-latency", "Latency per shape", "shape",
                          "latency (ms)"),
                    table(["shape", "FPS", "95 % interval", "p50 ms", "p99 ms", "status"],
                          rows))
