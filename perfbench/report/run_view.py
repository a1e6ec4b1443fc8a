"""The run view: headline figures with intervals and a badge, the configuration, the
timeline, the latency distribution, the output fidelity (``--fidelity``), the top layers
and the checks with their remedies.

Figures come from the result itself (``results.metrics.headline``, its windows, checks and
stored histogram); drift is marked with the live view's own rule (``stats.drift``).
"""

from __future__ import annotations

import math
from dataclasses import fields

from perfbench.report.html import (Raw, Section, chart, esc, heading, interval, log_ticks,
                                   note, num, require_plotly, table)
from perfbench.reporters.table import (STEADY_FPS, WHOLE_RUN_FPS, WHOLE_RUN_GFLOPS,
                                       sqnr_text)
from perfbench.reporters.table import _CONFIG_ROWS as CONFIG_ROWS
from perfbench.settings.config import BenchmarkConfig
from perfbench.results.metrics import headline
from perfbench.results.types import BenchmarkResult
from perfbench.stats.drift import drift_pct
from perfbench.stats.histogram import LogHistogram, bucket_centre
from perfbench.results.metrics import LATENCY_FIELDS
from perfbench.results.types import PERCENTILES
from perfbench.stats.support import supported, unsupported_note

TOP_LAYERS = 15
#: The headline GFLOP/s: the headline (steady) FPS times the model's cost.
STEADY_GFLOPS = "steady-state GFLOP/s"
V1_NOTE = ("This result file is schema version 1: it stores percentiles but no latency "
           "histogram, so its latency distribution cannot be drawn (re-run it with this "
           "perfbench to get one).")


def badge(result: BenchmarkResult) -> tuple[str, str]:
    """VALID for a complete run with no warning; otherwise what is wrong, at a glance (the
    words of why are in :func:`caveats`, beside it)."""
    if result.status != "complete":
        return result.status.upper(), "bad"
    if result.warnings:
        return f"{len(result.warnings)} warning{'s' * (len(result.warnings) > 1)}", "warn"
    return "VALID", "ok"


def caveats(result: BenchmarkResult) -> list[str]:
    """Why the headline's figures cannot be taken as they stand, in words: each failed
    check's finding, without its remedy (that is in the checks table).  A check's message
    says the finding first and the remedy after ';' ("other processes used 61 % of the
    CPU during the run; stop them, …")."""
    reasons = [c.message.split(";")[0].strip() for c in result.checks if not c.ok and c.message]
    if result.status != "complete":
        reasons.insert(0, f"the run is {result.status} (stopped: {result.stop_reason})")
    return reasons


def section(result: BenchmarkResult, name: str, anchor: str) -> Section:
    part = Section(anchor, f"Run: {name}", badge=badge(result))
    part.add(_headline(result), _configuration(result))
    part.add(timeline_chart(result, f"{anchor}-timeline"),
             latency_timeline_chart(result, f"{anchor}-latency"))
    part.add(distribution(result, f"{anchor}-distribution"))
    if result.fidelity is not None:
        part.add(fidelity_part(result, f"{anchor}-fidelity"))
    if result.layers:
        part.add(layers_chart(result, f"{anchor}-layers"))
    part.add(_checks(result))
    return part


def caveat_box(reasons: list[str], whose: str = "") -> str:
    """The reasons a reader must know before reading the figures, as one sentence
    (``whose``: the run's name, where a page shows several)."""
    if not reasons:
        return ""
    subject = f"{whose}: its figures" if whose else "These figures"
    return (f'<p class="caveat bad"><strong>{esc(subject)} cannot be trusted as they '
            f'stand:</strong> {esc("; ".join(reasons))}.</p>')


def headline_rows(result: BenchmarkResult) -> list[list]:
    """The headline figures under the terminal's names, the headline FPS first; the
    whole-run FPS and GFLOP/s (the terminal's first line) beside it, named as such.  Each
    row: name, value, 95 % interval, unit, better, what it is (a flag such as "not
    supported by its sample" belongs in that last cell)."""
    figures = {m.name: m for m in headline(result)}
    steady = result.precision is not None and result.precision.fps_windows is not None \
        or result.steady_fps is not None
    fps, gflops = figures["fps"], figures["gflops"]
    first = ("steady windows (between ramp-up and drain); compare, history and sweeps read "
             "this one" if steady else "too short for a steady window: the whole run")
    if len(result.trials) >= 2 and result.precision and result.precision.fps_trials:
        kind = "steady" if all(t.steady_fps for t in result.trials) else "whole-trial"
        first = (f"the mean of the {len(result.trials)} trials' {kind} FPS, with the interval "
                 "between them; compare, history and sweeps read this one")
    rows = [[STEADY_FPS if steady else WHOLE_RUN_FPS + " (headline)", num(fps.value),
             interval(fps.lower, fps.upper), "images/s", "higher", first]]
    if steady:
        rows.append([WHOLE_RUN_FPS, num(result.fps), "–", "images/s", "higher",
                     "ramp-up and drain included"])
    rows.append([STEADY_GFLOPS if steady else WHOLE_RUN_GFLOPS, num(gflops.value),
                 interval(gflops.lower, gflops.upper), "GFLOP/s", "higher",
                 "headline FPS × the model's GFLOPs per image"])
    if steady:
        rows.append([WHOLE_RUN_GFLOPS, num(result.effective_gflops), "–", "GFLOP/s", "higher",
                     "whole-run FPS × the model's GFLOPs per image"])
    for name, label in (("p50", "latency median"), ("p90", "latency p90"),
                        ("p99", "latency p99")):
        rows.append([label, *_headline_value(result, figures[name]), "ms", "lower", ""])
    rows.append(["compile time", num(result.compile_ms), "–", "ms", "lower", ""])
    return rows


def _headline(result: BenchmarkResult) -> str:
    return (heading("Headline (95 % intervals)") + caveat_box(caveats(result)) +
            table(["figure", "value", "95 % interval", "unit", "better", "what it is"],
                  headline_rows(result)))


#: Settings that only mean something with INT8 quantization.
_QUANTIZATION_ONLY = ("calibration_size", "model_type")


def applicable_settings(result: BenchmarkResult) -> dict:
    """Requested settings the three-column table does not already show that change
    something (:func:`settings_that_apply`)."""
    shown = {key for _, key, _ in CONFIG_ROWS} | {"batch", "api", "model"}
    return {k: v for k, v in settings_that_apply(result.requested).items() if k not in shown}


def settings_that_apply(requested: dict) -> dict:
    """Settings set away from their default, and quantization's only when the model was
    quantized (``calibration_size`` means nothing without it)."""
    defaults = {f.name: f.default for f in fields(BenchmarkConfig)}
    quantized = bool(requested.get("quantize"))
    out = {}
    for key, value in requested.items():
        if value in (None, False, "", ()):
            continue
        if key in _QUANTIZATION_ONLY:
            if quantized:
                out[key] = value
        elif key not in defaults or value != defaults[key]:
            out[key] = value
    return out


def _requested_text(value) -> str:
    """A requested setting in the page's table: unset is what the device chose (auto), a
    list its items joined (``tracking.verdict._requested_repr`` quotes them instead)."""
    return "auto" if value is None else ",".join(map(str, value)) if isinstance(value, list) \
        else str(value)


def config_rows(result: BenchmarkResult) -> list[list]:
    """The terminal's requested | resolved rows (``reporters.table``), then the settings
    that apply and the run's facts."""
    rows = []
    for label, req_key, res_key in CONFIG_ROWS:
        resolved = result.resolved.get(res_key)
        if label == "requests":
            resolved = f"{result.pool_size} (optimal {resolved})"
        rows.append([label, _requested_text(result.requested.get(req_key)),
                     _requested_text(resolved)])
    rows.append(["batch", _requested_text(result.requested.get("batch")), str(result.model.batch)])
    api = _requested_text(result.requested.get("api"))
    rows.append(["api", api, api])
    rows += [[key.replace("_", " "), _requested_text(value), ""]
             for key, value in sorted(applicable_settings(result).items())]
    executed = result.executed_precision or {}
    rows.append(["executed precision", "", ", ".join(f"{k} {100 * v:.0f} %" for k, v in
                                                     executed.items()) or "unknown"])
    rows += [["model", result.requested.get("model") or "", result.model.name],
             ["stop reason", "", result.stop_reason]]
    return rows


def _headline_value(result: BenchmarkResult, metric) -> list[str]:
    """The value and its interval; a percentile too few samples support is marked in
    words (perfbench.stats.support) and given no interval."""
    field = LATENCY_FIELDS.get(metric.name)
    count = result.latency.count
    if field is not None and not supported(count, PERCENTILES[field]):
        return [f"{num(metric.value)} (not a {metric.name})",
                unsupported_note(count, PERCENTILES[field])]
    return [num(metric.value), interval(metric.lower, metric.upper)]


def _configuration(result: BenchmarkResult) -> str:
    return heading("Configuration") + table(["setting", "requested", "resolved by device"],
                                            config_rows(result))


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
                           hovertemplate="%{x:,.4~r} ms: %{y} requests"))
    fig.update_layout(bargap=0)
    span = math.log(centres[-1] * 1.01) - math.log(centres[0] / 1.01)
    for n, (label, value) in enumerate(percentile_labels(result)):
        right = math.log(value) - math.log(centres[0] / 1.01) > 0.6 * span   # label inward
        fig.add_vline(x=value, line_dash="dash", line_width=1, line_color="#c44e52")
        # annotations on a log axis take log10 of the value (shapes take the value); one
        # row each, so two close percentiles' labels never overlap
        fig.add_annotation(x=math.log10(value), y=1 - LABEL_ROW * n, yref="paper",
                           text=mark_text(label, value), showarrow=False,
                           xanchor="right" if right else "left", yanchor="top",
                           xshift=-3 if right else 3,
                           bgcolor="rgba(255,255,255,0.8)", font={"color": "#c44e52"})
    values, text = log_ticks(centres[0] / 1.01, centres[-1] * 1.01)
    fig.update_xaxes(type="log", tickvals=values, ticktext=text, minor={"showgrid": False})
    return chart(fig, chart_id, "Latency distribution (all requests)", "latency (ms, log)",
                 "requests")


#: Rows of the percentile labels, as a share of the plot's height.
LABEL_ROW = 0.1


def mark_text(label: str, value: float) -> str:
    """A percentile's label: three significant digits, written out (1,620 ms, 0.146 ms)."""
    return f"{label} {num(value, 3)} ms"


def percentile_labels(result: BenchmarkResult) -> list[tuple[str, float]]:
    """(label, ms) per percentile marked; percentiles of one value share one label
    ("p99 = p99.9"), so equal lines are not labelled over each other."""
    marks = (("p50", result.latency.median), ("p90", result.latency.p90),
             ("p99", result.latency.p99), ("p99.9", result.latency.p99_9))
    out: list[tuple[str, float]] = []
    for label, value in marks:
        if out and out[-1][1] == value:
            out[-1] = (f"{out[-1][0]} = {label}", value)
        else:
            out.append((label, value))
    return out


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


def fidelity_title(result: BenchmarkResult) -> str:
    """The terminal's title of its Fidelity table, word for word."""
    f = result.fidelity
    assert f is not None
    seed = f", seed {f.seed}" if f.seed is not None else ""
    return (f"Fidelity: {f.configured} vs {f.reference} reference, {f.label} "
            f"({f.samples} sample{'s' if f.samples != 1 else ''}{seed})")


def fidelity_rows(result: BenchmarkResult) -> list[list]:
    """One row per output, the terminal's columns and figures (stored, never recomputed)."""
    assert result.fidelity is not None
    rows = []
    for o in result.fidelity.outputs:
        rows.append([f"{o.name} [{','.join(map(str, o.shape))}]",
                     _agreement(o.top1_agreement_pct, o.rows),
                     _agreement(o.top5_agreement_pct, o.rows), sqnr_text(o),
                     _fixed(o.cosine_similarity, ".6f"), _fixed(o.max_abs_error, ".3g"),
                     _fixed(o.mean_abs_error, ".3g"), _fixed(o.max_rel_error, ".3g"),
                     _fixed(o.mean_rel_error, ".3g")])
    return rows


def _agreement(value: float | None, rows: int | None) -> str:
    return "–" if value is None else f"{value:.1f} % of {rows}"


def _fixed(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def fidelity_part(result: BenchmarkResult, chart_id: str) -> str:
    """How far the run's answers are from f32's: the agreement of classifier outputs and
    every output's SQNR, drawn, then the table of every figure."""
    f = result.fidelity
    assert f is not None
    parts = [heading(fidelity_title(result))]
    if f.inputs == "synthetic":
        parts.append(note("Made-up inputs: these figures are numerical fidelity, not an "
                          "accuracy cost; with a real model and real inputs (--input), "
                          "top-1 agreement is a direct proxy for it.", "warn"))
    if any(o.classifier for o in f.outputs):
        parts.append(agreement_chart(result, f"{chart_id}-agreement"))
    parts.append(sqnr_chart(result, f"{chart_id}-sqnr"))
    parts.append(table(["output", "top-1 agree", "top-5 agree", "SQNR", "cosine",
                        "max |err|", "mean |err|", "max rel", "mean rel"],
                       fidelity_rows(result)))
    return "".join(parts)


def agreement_chart(result: BenchmarkResult, chart_id: str) -> str:
    """Top-1 and top-5 agreement per classifier output, on a 0–100 % axis: a bar short of
    100 is answers that changed."""
    go = require_plotly()
    assert result.fidelity is not None
    outputs = [o for o in result.fidelity.outputs if o.classifier]
    fig = go.Figure()
    for key, label, colour in (("top1_agreement_pct", "top-1 agreement", "#4c72b0"),
                               ("top5_agreement_pct", "top-5 agreement", "#8fb0d8")):
        shown = [o for o in outputs if getattr(o, key) is not None]
        if not shown:
            continue
        values = [getattr(o, key) for o in shown]
        fig.add_trace(go.Bar(
            x=values, y=[o.name for o in shown], orientation="h", name=label,
            marker={"color": colour}, text=[_agreement(v, o.rows) for v, o in
                                            zip(values, shown)],
            textposition="inside", insidetextanchor="end",
            hovertemplate="%{y}: %{text}<extra>" + label + "</extra>"))
    fig.update_layout(barmode="group", showlegend=True)      # top-1 named when alone
    fig.update_xaxes(range=[0, 100])
    fig.update_yaxes(autorange="reversed")          # the table's order, top down
    return chart(fig, chart_id, "Answers kept: agreement with the f32 reference",
                 "rows whose answer is the reference's (%)", "output",
                 height=_bar_height(len(outputs) * 2))


def sqnr_chart(result: BenchmarkResult, chart_id: str) -> str:
    """Every output's SQNR in dB (each 10 dB is ten times less noise energy); identical
    outputs have no finite bar and are named under the chart."""
    go = require_plotly()
    assert result.fidelity is not None
    outputs = result.fidelity.outputs
    finite = [o for o in outputs if o.sqnr_db is not None]
    identical = [o.name for o in outputs if o.identical]
    undefined = [o.name for o in outputs if o.sqnr_db is None and not o.identical]
    words = []
    if identical:
        words.append(f"Identical to the reference (SQNR ∞, no bar): {', '.join(identical)}.")
    if undefined:
        words.append(f"No SQNR (the reference is all zeros): {', '.join(undefined)}.")
    told = note(" ".join(words)) if words else ""
    if not finite:
        return told
    fig = go.Figure(go.Bar(
        x=[o.sqnr_db for o in finite], y=[o.name for o in finite], orientation="h",
        name="SQNR (dB)", marker={"color": "#55a868"},
        text=[f"{o.sqnr_db:.1f} dB" for o in finite], textposition="inside",
        insidetextanchor="end",
        customdata=[_fixed(o.cosine_similarity, ".6f") for o in finite],
        hovertemplate="%{y}: %{x:.2f} dB, cosine %{customdata}<extra></extra>"))
    fig.update_xaxes(rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    drawn = chart(fig, chart_id, "Signal to quantization noise: SQNR against the f32 "
                  "reference", "SQNR (dB; +10 dB = 10× less noise energy)", "output",
                  height=_bar_height(len(finite)))
    return drawn + told


def _bar_height(bars: int) -> int:
    return max(220, 140 + 30 * bars)


def _checks(result: BenchmarkResult) -> str:
    rows = [[c.name, Raw('<span class="ok">ok</span>' if c.ok else
                         '<span class="bad">failed</span>'), num(c.value), num(c.threshold),
             c.message] for c in result.checks]
    warnings = "".join(f"<li>{esc(w)}</li>" for w in result.warnings)
    return (heading("Checks and warnings") +
            table(["check", "status", "seen", "threshold", "remedy"], rows) +
            (f'<ul class="warn">{warnings}</ul>' if warnings else note("No warnings.")))
