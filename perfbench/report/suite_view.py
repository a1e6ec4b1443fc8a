"""The suite view (``perfbench.suite`` v1): the status of every entry, FPS with intervals,
and, when a baseline or an A/B exists, each entry's ratio with its interval and the
geomean.  All figures are the suite document's own."""

from __future__ import annotations

from perfbench.report.html import (Section, chart, error_bars, heading, interval, note, num,
                                   require_plotly, table)
from perfbench.reporters.suite_report import disturbed_lines, judged_text, unconfirmed_lines

_STATUS = {"complete": "ok", "partial": "warn", "interrupted": "warn"}


def gate_badge(doc: dict) -> tuple[str, str]:
    """The gate's outcome, as the command recorded it with its exit status: passed green,
    an unconfirmed regression or a stop amber, anything else that exits non-zero red.  A
    document without it says so rather than call a count of ok entries a pass."""
    gate = doc.get("gate")
    if not isinstance(gate, dict) or not isinstance(gate.get("exit_status"), int):
        summary = doc.get("summary") or {}
        return (f"{summary.get('ok', '?')}/{summary.get('entries', '?')} ran; gate not "
                "recorded", "warn")
    code = gate["exit_status"]
    colour = "ok" if code == 0 else "warn" if code == 3 or code >= 128 else "bad"
    return f"{gate.get('outcome')} (exit {code})", colour


def section(doc: dict, name: str, anchor: str) -> Section:
    summary = doc.get("summary") or {}
    badge = gate_badge(doc)
    part = Section(anchor, f"Suite: {doc.get('suite', name)}", badge=badge)
    part.add(note(f"Gate: {badge[0]}; {summary.get('ok', '?')}/{summary.get('entries', '?')}"
                  f" entries ok, status {doc.get('status')}", badge[1]))
    part.add(_provenance(doc), _status_table(doc), fps_chart(doc, f"{anchor}-fps"))
    for key, label in (("baseline", "against the baseline"), ("ab", "A/B (upgrade check)")):
        if doc.get(key):
            if key == "ab":
                part.add(_ab_sides(doc[key]))
            part.add(ratio_chart(doc[key], label, f"{anchor}-{key}"))
    if doc.get("baseline"):
        base = doc["baseline"]
        for field in ("new_failures", "fixed_failures", "missing", "no_baseline"):
            if base.get(field):
                part.add(note(f"{field.replace('_', ' ')}: {', '.join(base[field])}", "warn"))
        for item in base.get("not_comparable") or []:
            part.add(note(f"{item['name']}: not judged, the baseline measured something "
                          f"else ({'; '.join(item['differences'])})", "warn"))
    return part


def _provenance(doc: dict) -> str:
    """What measured the entries, read from them (the suite file's own record)."""
    seen = doc.get("provenance") or {}
    rows = [["OpenVINO (of the entries)", ", ".join(seen.get("openvino") or []) or
             "not recorded"],
            ["hardware class", ", ".join(seen.get("hardware_class") or []) or
             "not recorded"]]
    return table(["", ""], rows)


def _ab_sides(block: dict) -> str:
    """What A (BASE) and B (NEW) were, with the OpenVINO each entry's sides ran."""
    versions = {side: sorted({(e.get("openvino") or {}).get(side) for e in block["entries"]}
                             - {None}) for side in ("base", "new")}
    rows = [[side.upper(), (block.get(side) or {}).get("python") or "",
             " ".join((block.get(side) or {}).get("set") or []) or "–",
             ", ".join(versions[side]) or "not recorded"] for side in ("base", "new")]
    return heading("Sides") + table(["side", "python", "settings", "OpenVINO"], rows)


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
        text=[str(e.get("model") or "") for e in ran],
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
    rows = [[e["name"], num(e.get("base_fps")), num(e.get("new_fps")),
             num(e.get("base_p50_ms")), num(e.get("new_p50_ms")), num(e.get("ratio")),
             interval(e.get("ci_low"), e.get("ci_high")), num(e.get("epochs")),
             e.get("stop_reason") or "–", e.get("verdict", "") + judged_text(e)]
            for e in block["entries"]]
    for g in (geo, (geo or {}).get("random")):
        if g:
            rows.append(["geomean", "", "", "", "", num(g.get("ratio")),
                         interval(g.get("ci_low"), g.get("ci_high")), "", "",
                         f"{g.get('verdict', '')} ({g.get('scope', '')})"])
    warnings = [line for e in block["entries"] for line in disturbed_lines("", e)]
    warnings += unconfirmed_lines(block)
    if block.get("no_history"):
        warnings.append(f"no history for: {', '.join(block['no_history'])}")
    if (geo or {}).get("excluded"):
        warnings.append(f"not in the geomean: {', '.join(geo['excluded'])}")
    return chart(fig, chart_id, f"Per-entry FPS ratio {label}", "ratio NEW / BASE",
                 "entry", height=160 + 26 * len(entries)) + \
        table(["entry", "BASE FPS", "NEW FPS", "BASE p50 ms", "NEW p50 ms", "ratio",
               "95 % interval", "epochs", "stop reason", "verdict / scope"], rows) + \
        "".join(note(line, "warn") for line in warnings)
