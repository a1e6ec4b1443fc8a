"""The suite view (``perfbench.suite`` v1): the status of every entry, FPS with intervals,
and, when a baseline or an A/B exists, each entry's ratio with its interval and the
geomean.  All figures are the suite document's own."""

from __future__ import annotations

from perfbench.report.html import (Section, chart, error_bars, heading, interval, note, num,
                                   require_plotly, table)
from perfbench.reporters.suite_report import disturbed_lines, judged_text, unconfirmed_lines

_STATUS = {"complete": "ok", "partial": "warn", "interrupted": "warn"}


def section(doc: dict, name: str, anchor: str) -> Section:
    summary = doc.get("summary") or {}
    part = Section(anchor, f"Suite: {doc.get('suite', name)}",
                   badge=(f"{summary.get('ok', '?')}/{summary.get('entries', '?')} ok",
                          _STATUS.get(doc.get("status"), "bad")))
    part.add(_status_table(doc), fps_chart(doc, f"{anchor}-fps"))
    for key, label in (("baseline", "against the baseline"), ("ab", "A/B (upgrade check)")):
        if doc.get(key):
            part.add(ratio_chart(doc[key], label, f"{anchor}-{key}"))
    if doc.get("baseline"):
        base = doc["baseline"]
        for field in ("new_failures", "fixed_failures", "missing"):
            if base.get(field):
                part.add(note(f"{field.replace('_', ' ')}: {', '.join(base[field])}", "warn"))
    return part


def _status_table(doc: dict) -> str:
    rows = []
    for e in doc["entries"]:
        h = e.get("headline") or {}
        rows.append([e["name"], e.get("model"), e["status"], num(h.get("fps")),
                     interval(h.get("fps_low"), h.get("fps_high")), num(h.get("p50_ms")),
                     num(h.get("p99_ms")), num(h.get("compile_ms")), num(h.get("peak_rss_mb")),
                     h.get("precision") or "–", e.get("message") or ""])
    geomean = (doc.get("summary") or {}).get("geomean_fps")
    return heading("Entries") + table(
        ["entry", "model", "status", "FPS", "95 % interval", "p50 ms", "p99 ms",
         "compile ms", "peak RSS MB", "precision", "message"], rows) + \
        (note(f"Geomean FPS of the entries that ran: {num(geomean)}") if geomean else "")


def fps_chart(doc: dict, chart_id: str) -> str:
    go = require_plotly()
    ran = [e for e in doc["entries"] if (e.get("headline") or {}).get("fps") is not None]
    heads = [e["headline"] for e in ran]
    fig = go.Figure(go.Bar(
        x=[e["name"] for e in ran], y=[h["fps"] for h in heads], name="FPS (95 % interval)",
        text=[f"{e.get('model')} {e.get('settings') or ''}" for e in ran],
        error_y=error_bars([h["fps"] for h in heads], [h.get("fps_low") for h in heads],
                           [h.get("fps_high") for h in heads]),
        hovertemplate="%{x}: %{y:,.1f} images/s<br>%{text}"))
    return chart(fig, chart_id, "Throughput per entry", "entry", "throughput (images/s)")


def ratio_chart(block: dict, label: str, chart_id: str) -> str:
    go = require_plotly()
    entries = [e for e in block["entries"] if e.get("ratio") is not None]
    fig = go.Figure(go.Scatter(
        x=[e["ratio"] for e in entries], y=[e["name"] for e in entries], mode="markers",
        name="ratio (95 % interval)", text=[e.get("verdict", "") for e in entries],
        error_x=error_bars([e["ratio"] for e in entries], [e.get("ci_low") for e in entries],
                           [e.get("ci_high") for e in entries]),
        hovertemplate="%{y}: %{x:.4f} (%{text})"))
    judged = [e for e in entries if e.get("judged_ci_low") is not None
              and e.get("judged_metric", "fps") == "fps"]
    if judged:            # the wider interval each verdict was judged on, as one of a family
        fig.add_trace(go.Scatter(
            x=[e["ratio"] for e in judged], y=[e["name"] for e in judged], mode="markers",
            name="interval the verdict was judged on", marker={"symbol": "line-ns-open"},
            text=[f"{100 * e['judged_level']:.4g} %" for e in judged],
            error_x=error_bars([e["ratio"] for e in judged],
                               [e["judged_ci_low"] for e in judged],
                               [e["judged_ci_high"] for e in judged]),
            hovertemplate="%{y}: judged at %{text}"))
    geo = block.get("geomean")
    if geo and geo.get("ratio") is not None:
        fig.add_vrect(x0=geo["ci_low"], x1=geo["ci_high"], fillcolor="rgba(221,132,82,0.2)",
                      line_width=0)
        fig.add_vline(x=geo["ratio"], line_color="#dd8452",
                      annotation_text=f"geomean {geo['ratio']:.4f} ({geo.get('scope', '')})")
    fig.add_vline(x=1.0, line_color="#888")
    rows = [[e["name"], num(e.get("ratio")), interval(e.get("ci_low"), e.get("ci_high")),
             e.get("verdict", "") + judged_text(e)] for e in block["entries"]]
    if geo:
        rows.append(["geomean", num(geo.get("ratio")), interval(geo.get("ci_low"),
                                                                geo.get("ci_high")),
                     f"{geo.get('verdict', '')} ({geo.get('scope', '')})"])
    warnings = [line for e in block["entries"] for line in disturbed_lines("", e)]
    warnings += unconfirmed_lines(block)
    if block.get("no_history"):
        warnings.append(f"no history for: {', '.join(block['no_history'])}")
    return chart(fig, chart_id, f"Per-entry FPS ratio {label}", "ratio NEW / BASE",
                 "entry", height=160 + 26 * len(entries)) + \
        table(["entry", "ratio", "95 % interval", "verdict / scope"], rows) + \
        "".join(note(line, "warn") for line in warnings)
