"""The suite view (:class:`perfbench.results.suite.SuiteDocument`): the status of every
entry, FPS with intervals, and, when a baseline or an A/B exists, each entry's ratio with
its interval and the geomean.  All figures are the suite document's own."""

from __future__ import annotations

from perfbench.report.html import (Section, chart, error_bars, heading, interval, note, num,
                                   require_plotly, table)
from perfbench.reporters.suite_report import (answers_text, cause_text, disturbed_lines,
                                              judged_text, standing, unconfirmed_lines)
from perfbench.results.suite import ABBlock, ABSummary, BaselineBlock, SuiteDocument

_STATUS = {"complete": "ok", "partial": "warn", "interrupted": "warn"}


def gate_badge(doc: SuiteDocument) -> tuple[str, str]:
    """The gate's outcome, as the command recorded it with its exit status: passed green,
    an unconfirmed regression or a stop amber, anything else that exits non-zero red.  A
    document without it says so rather than call a count of ok entries a pass."""
    if doc.gate is None:
        return f"{doc.summary.ok}/{doc.summary.entries} ran; gate not recorded", "warn"
    code = doc.gate.exit_status
    colour = "ok" if code == 0 else "warn" if code == 3 or code >= 128 else "bad"
    return f"{doc.gate.outcome} (exit {code})", colour


def section(doc: SuiteDocument, name: str, anchor: str) -> Section:
    badge = gate_badge(doc)
    part = Section(anchor, f"Suite: {doc.suite or name}", badge=badge)
    part.add(note(f"Gate: {badge[0]}; {doc.summary.ok}/{doc.summary.entries}"
                  f" entries ok, status {doc.status}", badge[1]))
    part.add(_provenance(doc), _status_table(doc), fps_chart(doc, f"{anchor}-fps"))
    if doc.baseline is not None:
        part.add(ratio_chart(doc.baseline, "against the baseline", f"{anchor}-baseline"))
    if doc.ab is not None:
        part.add(_ab_sides(doc.ab), ratio_chart(doc.ab, "A/B (upgrade check)",
                                                f"{anchor}-ab"), _top_causes(doc.ab))
    if doc.baseline is not None:
        for field, names in standing(doc.baseline):
            if field != "no history":
                part.add(note(f"{field}: {', '.join(names)}", "warn"))
        for item in doc.baseline.not_comparable or ():
            part.add(note(f"{item.name}: not judged, the baseline measured something "
                          f"else ({'; '.join(item.differences)})", "warn"))
    return part


def _provenance(doc: SuiteDocument) -> str:
    """What measured the entries, read from them (the suite file's own record)."""
    seen = doc.provenance or {}
    rows = [["OpenVINO (of the entries)", ", ".join(seen.get("openvino") or []) or
             "not recorded"],
            ["hardware class", ", ".join(seen.get("hardware_class") or []) or
             "not recorded"]]
    return table(["", ""], rows)


def _ab_sides(block: ABBlock) -> str:
    """What A (BASE) and B (NEW) were, with the OpenVINO each entry's sides ran."""
    versions = {side: sorted({(e.openvino or {}).get(side) for e in block.entries}
                             - {None}) for side in ("base", "new")}
    sides = {"base": block.base or {}, "new": block.new or {}}
    rows = [[side.upper(), sides[side].get("python") or "",
             " ".join(sides[side].get("set") or []) or "–",
             ", ".join(versions[side]) or "not recorded"] for side in ("base", "new")]
    return heading("Sides") + table(["side", "python", "settings", "OpenVINO"], rows)


def _top_causes(block: ABBlock) -> str:
    """Each entry's top cause (``--attribute``), as its attribution stated it; nothing
    when the suite was run without it."""
    rows = []
    for e in block.entries:
        cause = e.top_cause
        if e.attribution is None:
            continue
        if cause is None:
            rows.append([e.name, "–", "–", "–", "–", "–", cause_text(e)])
            continue
        c = cause.contribution_ms
        rows.append([e.name, cause.node, cause.type, num(c.value), interval(c.low, c.high),
                     "–" if cause.share_pct is None else f"{cause.share_pct:+.1f} %",
                     ("; ".join(cause.changes) or "–") +
                     {True: "", False: " (interval holds 0)",
                      None: " (no interval)"}[cause.beyond_level]])
    if not rows:
        return ""
    return heading("Top cause per entry (--attribute, a separate profiling pass)") + table(
        ["entry", "node", "type", "contribution ms / inference", "interval (rows' level)",
         "share of BASE", "what changed"], rows)


def _status_table(doc: SuiteDocument) -> str:
    rows = []
    for e in doc.entries:
        h = e.headline
        figures = [num(None), interval(None, None), *[num(None)] * 4, "–"] if h is None else [
            num(h.fps.value), interval(h.fps.low, h.fps.high), num(h.p50_ms), num(h.p99_ms),
            num(h.compile_ms), num(h.peak_rss_mb), h.precision or "–"]
        rows.append([e.name, e.model, e.status, *figures, e.message or ""])
    geomean = doc.summary.geomean_fps
    return heading("Entries") + table(
        ["entry", "model", "status", "FPS", "95 % interval", "p50 ms", "p99 ms",
         "compile ms", "peak RSS MB", "precision", "message"], rows) + \
        (note(f"Geomean FPS of the entries that ran: {num(geomean)}") if geomean else "")


def fps_chart(doc: SuiteDocument, chart_id: str) -> str:
    go = require_plotly()
    ran = [e for e in doc.entries if e.headline is not None]
    fps = [e.headline.fps for e in ran if e.headline is not None]
    fig = go.Figure(go.Bar(
        x=[e.name for e in ran], y=[f.value for f in fps], name="FPS (95 % interval)",
        text=[str(e.model or "") for e in ran],
        error_y=error_bars([f.value for f in fps], [f.low for f in fps],
                           [f.high for f in fps]),
        hovertemplate="%{x}: %{y:,.1f} images/s<br>%{text}"))
    return chart(fig, chart_id, "Throughput per entry", "entry", "throughput (images/s)")


def ratio_chart(block: BaselineBlock | ABBlock, label: str, chart_id: str) -> str:
    go = require_plotly()
    entries = [e for e in block.entries if e.ratio is not None]
    ratios = [e.ratio for e in block.entries if e.ratio is not None]
    fig = go.Figure(go.Scatter(
        x=[r.value for r in ratios], y=[e.name for e in entries], mode="markers",
        name="ratio (95 % interval)", text=[e.verdict for e in entries],
        error_x=error_bars([r.value for r in ratios], [r.low for r in ratios],
                           [r.high for r in ratios]),
        hovertemplate="%{y}: %{x:.4f} (%{text})"))
    judged = [(e, r, e.judged) for e, r in zip(entries, ratios) if e.judged is not None
              and e.judged.low is not None and e.judged_metric == "fps"]
    if judged:            # the wider interval each verdict was judged on, as one of a family
        fig.add_trace(go.Scatter(
            x=[r.value for _, r, _ in judged], y=[e.name for e, _, _ in judged],
            mode="markers", name="interval the verdict was judged on",
            marker={"symbol": "line-ns-open"},
            text=[f"{100 * j.level:.4g} %" for _, _, j in judged],
            error_x=error_bars([r.value for _, r, _ in judged], [j.low for _, _, j in judged],
                               [j.high for _, _, j in judged]),
            hovertemplate="%{y}: judged at %{text}"))
    geo = block.geomean
    if geo is not None:
        fig.add_vrect(x0=geo.ratio.low, x1=geo.ratio.high, fillcolor="rgba(221,132,82,0.2)",
                      line_width=0)
        fig.add_vline(x=geo.ratio.value, line_color="#dd8452",
                      annotation_text=f"geomean {geo.ratio.value:.4f} ({geo.scope})")
    fig.add_vline(x=1.0, line_color="#888")
    return chart(fig, chart_id, f"Per-entry FPS ratio {label}", "ratio NEW / BASE",
                 "entry", height=160 + 26 * len(entries)) + \
        table(["entry", "BASE FPS", "NEW FPS", "BASE p50 ms", "NEW p50 ms", "ratio",
               "95 % interval", "epochs", "stop reason", "verdict / scope"],
              _ratio_rows(block)) + \
        "".join(note(line, "warn") for line in _ratio_warnings(block)) + _answers(block)


def _answers(block: BaselineBlock | ABBlock) -> str:
    """``--ab --fidelity``: each entry's answers, beside its speed verdict (red when they
    changed or could not be compared)."""
    return "".join(note(f"{e.name}: {answers_text(e)}",
                        "ok" if e.fidelity == "within tolerance" else "bad")
                   for e in block.entries
                   if isinstance(e, ABSummary) and e.fidelity is not None)


def _ratio_rows(block: BaselineBlock | ABBlock) -> list[list]:
    rows = [[e.name, num(e.base_fps), num(e.new_fps), num(e.base_p50_ms), num(e.new_p50_ms),
             num(None if e.ratio is None else e.ratio.value),
             interval(*((None, None) if e.ratio is None else (e.ratio.low, e.ratio.high))),
             num(e.epochs if isinstance(e, ABSummary) else None),
             (e.stop_reason if isinstance(e, ABSummary) else None) or "–",
             e.verdict + judged_text(e)]
            for e in block.entries]
    geo = block.geomean
    for g in (geo, geo.random if geo is not None else None):
        if g is not None:
            rows.append(["geomean", "", "", "", "", num(g.ratio.value),
                         interval(g.ratio.low, g.ratio.high), "", "",
                         f"{g.verdict or ''} ({g.scope})"])
    return rows


def _ratio_warnings(block: BaselineBlock | ABBlock) -> list[str]:
    warnings = [line for e in block.entries for line in disturbed_lines("", e)]
    warnings += unconfirmed_lines(block)
    if block.no_history:
        warnings.append(f"no history for: {', '.join(block.no_history)}")
    if block.geomean is not None and block.geomean.excluded:
        warnings.append(f"not in the geomean: {', '.join(block.geomean.excluded)}")
    return warnings
