"""The run view: headline figures with intervals and a badge, the configuration, the
timeline, the latency distribution, the top layers and the checks with their remedies.

Figures come from the result itself (``results.metrics.headline``, its windows, checks and
stored histogram); drift is marked with the live view's own rule (``stats.drift``).
"""

from __future__ import annotations

import math

from perfbench.report.html import (Raw, Section, chart, esc, heading, interval, note, num,
                                   require_plotly, table)
from perfbench.results.metrics import headline
from perfbench.results.types import BenchmarkResult
from perfbench.stats.drift import drift_pct
from perfbench.stats.histogram import LogHistogram, bucket_centre

TOP_LAYERS = 15
V1_NOTE = ("This result file is schema version 1: it stores percentiles but no latency "
           "histogram, so its latency distribution cannot be drawn (re-run it with this "
           "perfbench to get one).")


def badge(result: BenchmarkResult) -> tuple[str, str]:
    """VALID for a complete run with no warning; otherwise what is wrong, at a glance."""
    if result.status != "complete":
        return result.status.upper(), "bad"
    if result.warnings:
        return f"{len(result.warnings)} warning{'s' * (len(result.warnings) > 1)}", "warn"
    return "VALID", "ok"


def section(result: BenchmarkResult, name: str, anchor: str) -> Section:
    part = Section(anchor, f"Run: {name}", badge=badge(result))
    part.add(_headline(result), _configuration(result))
    part.add(timeline_chart(result, f"{anchor}-timeline"),
             latency_timeline_chart(result, f"{anchor}-latency"))
    part.add(distribution(result, f"{anchor}-distribution"))
    if result.layers:
        part.add(layers_chart(result, f"{anchor}-layers"))
    part.add(_checks(result))
    return part


def _headline(result: BenchmarkResult) -> str:
    rows = [[m.name, *_headline_value(result, m), m.unit,
             "higher" if m.bigger_is_better else "lower"] for m in headline(result)]
    rows.append(["compile", num(result.compile_ms), "–", "ms", "lower"])
    return heading("Headline (95 % intervals)") + table(
        ["metric", "value", "95 % interval", "unit", "better"], rows)


def _headline_value(result: BenchmarkResult, metric) -> list[str]:
    """The value and its interval; a percentile too few samples support is marked in
    words (perfbench.stats.support) and given no interval."""
    from perfbench.results.metrics import LATENCY_FIELDS
    from perfbench.results.types import PERCENTILES
    from perfbench.stats.support import supported, unsupported_note
    field = LATENCY_FIELDS.get(metric.name)
    count = result.latency.count
    if field is not None and not supported(count, PERCENTILES[field]):
        return [f"{num(metric.value)} (not a {metric.name})",
                unsupported_note(count, PERCENTILES[field])]
    return [num(metric.value), interval(metric.lower, metric.upper)]


def _configuration(result: BenchmarkResult) -> str:
    requested = {k: v for k, v in result.requested.items() if v not in (None, False, "")}
    rows = [[f"requested {k}", v] for k, v in sorted(requested.items())]
    rows += [[f"resolved {k}", v] for k, v in sorted(result.resolved.items())]
    executed = result.executed_precision or {}
    rows.append(["executed precision (conv+matmul FLOPs)",
                 ", ".join(f"{k} {100 * v:.0f} %" for k, v in executed.items()) or "unknown"])
    rows += [["model", result.model.name], ["batch", result.model.batch],
             ["requests in flight", result.pool_size], ["stop reason", result.stop_reason]]
    return heading("Configuration") + table(["setting", "value"], rows)


def drifting_windows(result: BenchmarkResult) -> list[int]:
    """Windows at which the live drift rule fired, over each trial's windows after its
    ramp-up (the rule's own input), indices into ``result.windows``."""
    flagged, rates = [], result.timeline_fps()
    for trial in sorted({w.trial for w in result.windows}):
        index = [i for i, w in enumerate(result.windows) if w.trial == trial][1:]
        for n in range(1, len(index) + 1):
            if drift_pct([rates[i] for i in index[:n]]) is not None:
                flagged.append(index[n - 1])
    return flagged


def timeline_chart(result: BenchmarkResult, chart_id: str) -> str:
    go = require_plotly()
    windows, rates = result.windows, result.timeline_fps()
    mid = [(w.start_s + w.end_s) / 2 for w in windows]
    text = [f"window {i + 1}, trial {w.trial + 1}: {w.start_s:.2f}–{w.end_s:.2f} s, "
            f"{w.completed} requests" for i, w in enumerate(windows)]
    fig = go.Figure()
    estimate = result.precision.fps_windows if result.precision else None
    if estimate is not None and mid:
        fig.add_trace(go.Scatter(x=[mid[0], mid[-1], mid[-1], mid[0]],
                                 y=[estimate.low, estimate.low, estimate.high, estimate.high],
                                 fill="toself", fillcolor="rgba(76,114,176,0.15)",
                                 line={"width": 0}, name="steady FPS 95 % interval",
                                 hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=mid, y=rates, mode="lines+markers", name="FPS per window",
                             text=text, hovertemplate="%{text}<br>%{y:,.1f} images/s"))
    drift = drifting_windows(result)
    if drift:
        fig.add_trace(go.Scatter(x=[mid[i] for i in drift], y=[rates[i] for i in drift],
                                 mode="markers", name="drift flagged", hoverinfo="skip",
                                 marker={"symbol": "x", "size": 12, "color": "#c44e52"}))
    failed = [c.name for c in result.checks if not c.ok]
    if failed:
        fig.add_annotation(text="failed checks: " + ", ".join(failed), xref="paper",
                           yref="paper", x=0, y=1.06, showarrow=False,
                           font={"color": "#c44e52"})
    return chart(fig, chart_id, "Throughput per window", "time since measuring began (s)",
                 "throughput (images/s)")


def latency_timeline_chart(result: BenchmarkResult, chart_id: str) -> str:
    go = require_plotly()
    mid = [(w.start_s + w.end_s) / 2 for w in result.windows]
    fig = go.Figure()
    for field, label in (("latency_median_ms", "p50"), ("latency_p99_ms", "p99")):
        fig.add_trace(go.Scatter(x=mid, y=[getattr(w, field) for w in result.windows],
                                 mode="lines+markers", name=f"{label} per window",
                                 hovertemplate=f"{label} %{{y:.4g}} ms at %{{x:.2f}} s"))
    return chart(fig, chart_id, "Latency per window", "time since measuring began (s)",
                 "latency (ms)")


def distribution(result: BenchmarkResult, chart_id: str) -> str:
    """The stored histogram as bars on a log axis, the result's percentiles marked; a
    version-1 file says why there is none."""
    if result.latency_histogram is None:
        return heading("Latency distribution") + note(V1_NOTE, "warn")
    go = require_plotly()
    histogram = LogHistogram.from_dict(result.latency_histogram)
    index = sorted(histogram.counts)
    centres = [float(c) for c in bucket_centre(index)]
    fig = go.Figure(go.Bar(x=centres, y=[histogram.counts[i] for i in index],
                           name="requests per 1 % bucket", marker={"color": "#4c72b0",
                                                                   "line": {"width": 0}},
                           hovertemplate="%{x:.4g} ms: %{y} requests"))
    marks = (("p50", result.latency.median), ("p90", result.latency.p90),
             ("p99", result.latency.p99), ("p99.9", result.latency.p99_9))
    for n, (label, value) in enumerate(marks):
        fig.add_vline(x=value, line_dash="dash", line_color="#c44e52")
        # annotations on a log axis take log10 of the value (shapes take the value)
        fig.add_annotation(x=math.log10(value), y=1 - 0.07 * n, yref="paper",
                           text=f"{label} {value:.3g} ms", showarrow=False, xanchor="left",
                           font={"color": "#c44e52"})
    fig.update_layout(bargap=0)
    fig.update_xaxes(type="log")
    return chart(fig, chart_id, "Latency distribution (all requests)", "latency (ms, log)",
                 "requests")


def layers_chart(result: BenchmarkResult, chart_id: str) -> str:
    go = require_plotly()
    top = sorted(result.layers, key=lambda layer: layer.share_pct, reverse=True)[:TOP_LAYERS]
    top.reverse()
    fig = go.Figure(go.Bar(x=[x.share_pct for x in top], y=[x.name for x in top],
                           orientation="h", name="share of layer time",
                           text=[f"{x.type} ({x.exec_type}), {x.mean_ms:.4g} ms/inference"
                                 for x in top],
                           hovertemplate="%{y}: %{x:.1f} %<br>%{text}"))
    return chart(fig, chart_id, f"Top {len(top)} layers (--perf-counters)",
                 "share of all layers' time (%)", "layer", height=120 + 24 * len(top)) + \
        table(["layer", "type", "executed as", "ms per inference", "share %"],
              [[x.name, x.type, x.exec_type, num(x.mean_ms), num(x.share_pct)]
               for x in reversed(top)])


def _checks(result: BenchmarkResult) -> str:
    rows = [[c.name, Raw('<span class="ok">ok</span>' if c.ok else
                         '<span class="bad">failed</span>'), num(c.value), num(c.threshold),
             c.message] for c in result.checks]
    warnings = "".join(f"<li>{esc(w)}</li>" for w in result.warnings)
    return (heading("Checks and warnings") +
            table(["check", "status", "seen", "threshold", "remedy"], rows) +
            (f'<ul class="warn">{warnings}</ul>' if warnings else note("No warnings.")))
