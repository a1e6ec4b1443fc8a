"""The sweep view: FPS against the SLA-percentile latency with FPS intervals, the Pareto
front, the SLA line and the picks, FPS against fidelity where the sweep measured it, and an
interleaved sweep's paired ratios to the default.

Every figure is the sweep document's own (:class:`perfbench.results.sweep.SweepResult`):
each point's FPS through ``results.metrics.fps_estimate`` (as the sweep's analysis uses),
its latency at the sweep's SLA percentile, and the stored ``pareto``, ``recommendations``
and ``vs_default``; each precision's fidelity and the points it excludes are the stored
``fidelity`` and ``excluded``.
"""

from __future__ import annotations

import io

from perfbench.report.html import (Section, chart, error_bars, esc, heading, interval, note, num,
                                   require_plotly, table)
from rich.console import Console

from perfbench.reporters.sweep_report import print_conclusions
from perfbench.results.metrics import fps_estimate
from perfbench.results.race import RaceResult
from perfbench.results.sweep import SweepResult


def points(doc: SweepResult) -> list[dict]:
    """Finished points: key, settings, FPS with its interval, latency at the percentile."""
    out = []
    for p in doc.done():
        if p.result is None:
            continue
        fps, low, high = fps_estimate(p.result)
        out.append({"key": p.key, "settings": p.settings, "fps": fps, "low": low,
                    "high": high, "model": p.result.model.name,
                    "latency": p.latency_at(doc.sla_percentile),
                    "fidelity": doc.fidelity_of(p)})
    return out


def model_name(doc: SweepResult, done: list[dict]) -> str:
    """The model swept, by the name its results give it (the file's stem otherwise)."""
    names = [p["model"] for p in done if p.get("model")]
    if names:
        return names[0]
    model = str((doc.spec.get("base") or {}).get("model") or "")
    return model.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "sweep"


def conclusion_lines(doc: SweepResult) -> list[str]:
    """The terminal's own conclusion lines (best under SLA, best throughput, sizing …),
    written by ``reporters.sweep_report`` from the document, so the page says what the
    terminal said in the same words."""
    console = Console(file=io.StringIO(), record=True, width=100_000, color_system=None,
                      highlight=False)
    print_conclusions(doc, console)
    return [line for line in console.export_text().splitlines() if line.strip()]


def section(doc: SweepResult, name: str, anchor: str) -> Section:
    done = points(doc)
    part = Section(anchor, f"Sweep: {model_name(doc, done)}" + (
        f" ({name})" if name not in ("sweep", model_name(doc, done)) else ""),
        badge=(doc.status.upper(), "ok" if doc.status == "complete" else "warn"))
    part.add("".join(f'<p class="verdict">{esc(line)}</p>' for line in conclusion_lines(doc)))
    part.add(scatter(doc, done, f"{anchor}-scatter"), _points_table(doc, done))
    if doc.fidelity:
        part.add(fidelity_chart(doc, done, f"{anchor}-fidelity"))
    if doc.race is not None:
        part.add(race_chart(doc.race, f"{anchor}-race"))
    elif doc.vs_default:
        part.add(versus_default(doc, f"{anchor}-vs-default"))
    return part


def fidelity_chart(doc: SweepResult, done: list[dict], chart_id: str) -> str:
    """FPS against each point's precision's SQNR against f32 (identical outputs, an
    infinite SQNR, drawn at the right end, labelled ∞), its top-1 agreement in the hover;
    excluded points drawn as crosses."""
    go = require_plotly()
    finite = [p["fidelity"].sqnr_db for p in done
              if p["fidelity"] is not None and p["fidelity"].sqnr_db is not None]
    right = (max(finite) if finite else 0.0) + 10.0
    fig = go.Figure()
    for excluded in (False, True):
        group = [p for p in done if p["fidelity"] is not None
                 and (p["key"] in doc.excluded) == excluded]
        if not group:
            continue
        fig.add_trace(go.Scatter(
            x=[right if p["fidelity"].identical else p["fidelity"].sqnr_db for p in group],
            y=[p["fps"] for p in group], mode="markers+text",
            name="excluded by the fidelity constraint" if excluded else "point",
            text=[p["key"] for p in group], textposition="top right",
            marker={"symbol": "x" if excluded else "circle", "size": 11,
                    "color": "#c44e52" if excluded else "#4c72b0"},
            customdata=[_fidelity_hover(p["fidelity"]) for p in group],
            hovertemplate="%{text}<br>%{y:,.1f} images/s<br>%{customdata}"))
    finite_ticks = sorted({round(x) for x in finite})
    fig.update_xaxes(tickvals=finite_ticks + [right],
                     ticktext=[f"{x:g}" for x in finite_ticks] + ["∞ (identical)"])
    return chart(fig, chart_id, "Throughput against fidelity (each precision's SQNR "
                 "against f32, measured once per precision)", "SQNR against f32 (dB)",
                 "throughput (images/s)", height=420)


def _fidelity_hover(found) -> str:
    sqnr = "∞ (identical)" if found.identical else (
        "undefined" if found.sqnr_db is None else f"{found.sqnr_db:.1f} dB")
    top1 = ("" if found.top1_agreement_pct is None
            else f", top-1 agreement {found.top1_agreement_pct:.1f} %")
    return f"{found.label}: SQNR {sqnr}{top1}"


def race_chart(race: RaceResult, chart_id: str) -> str:
    """The race: each point's interval against the default narrowing look by look (95 %,
    process level counted), an ✕ where a point left, and the confirmation A/B."""
    go = require_plotly()
    fig = go.Figure()
    left = {x.key: x for x in race.exits}
    for key in race.keys[1:]:
        looks = [(x.epoch, x.versus_default[key]) for x in race.looks
                 if key in x.versus_default]
        if not looks:
            continue
        fig.add_trace(go.Scatter(
            x=[e for e, _ in looks], y=[i.ratio for _, i in looks], mode="lines+markers",
            name=key, error_y=error_bars([i.ratio for _, i in looks],
                                         [i.low for _, i in looks], [i.high for _, i in looks]),
            hovertemplate=key + "<br>epoch %{x}: %{y:.4f}"))
        if key in left and left[key].reason.startswith("worse"):
            epoch, last = looks[-1]
            fig.add_trace(go.Scatter(x=[epoch], y=[last.ratio], mode="markers",
                                     showlegend=False, marker={"symbol": "x", "size": 12,
                                                               "color": "#c44e52"},
                                     hovertemplate=f"{key} left: {left[key].reason}"))
    fig.add_hline(y=1.0, line_color="#888")
    rows = [[x.key, x.epoch, x.reason, x.leader or "",
             interval(x.interval.low, x.interval.high) if x.interval else ""]
            for x in race.exits]
    text = chart(fig, chart_id, f"The race ({race.status}: {race.winner}): FPS over the "
                 "default's by look, 95 % paired interval with the process level; ✕ where "
                 "a point left", "epochs measured", "ratio to default", height=460)
    text += note(f"{race.winner}: {race.why}")
    if rows:
        text += table(["left the race", "after epoch", "why", "leader", "interval vs leader"],
                      rows)
    return text + _confirmation(race)


def _confirmation(race: RaceResult) -> str:
    found = race.confirmation
    if found is None:
        return ""
    if found.ratio is None:
        return note(f"Confirmation A/B: {found.status} {found.note}")
    rows = [[side, key, num(found.sustained_fps.get(side)), num(found.block_fps.get(side)),
             num(found.gap_pct.get(side))]
            for side, key in (("base", found.base), ("new", found.new))]
    return heading(f"Confirmation A/B: {found.new} against {found.base}: {found.verdict}, "
                   f"ratio {num(found.ratio.ratio)} "
                   f"{interval(found.ratio.low, found.ratio.high)}") + \
        table(["side", "point", "sustained FPS", "race block FPS", "block vs sustained %"],
              rows)


def scatter(doc: SweepResult, done: list[dict], chart_id: str) -> str:
    go = require_plotly()
    label = doc.label
    fig = go.Figure(go.Scatter(
        x=[p["latency"] for p in done], y=[p["fps"] for p in done], mode="markers+text",
        name="point (95 % FPS interval)", text=[p["key"] for p in done],
        textposition="top right", textfont={"size": 11},
        error_y=error_bars([p["fps"] for p in done], [p["low"] for p in done],
                           [p["high"] for p in done]),
        hovertemplate="%{text}<br>%{y:,.1f} images/s, " + label + " %{x:.4g} ms"))
    by_key = {p["key"]: p for p in done}
    front = [by_key[k] for k in doc.pareto if k in by_key]
    if front:
        fig.add_trace(go.Scatter(x=[p["latency"] for p in front], y=[p["fps"] for p in front],
                                 mode="lines", name="Pareto front", hoverinfo="skip",
                                 line={"color": "#dd8452", "dash": "dash"}))
    picks = [(why, pick) for why, pick in doc.recommendations.items() if pick]
    if picks:
        fig.add_trace(go.Scatter(
            x=[p.latency_ms for _, p in picks], y=[p.fps for _, p in picks],
            mode="markers", name="picks", marker={"symbol": "star", "size": 16,
                                                  "color": "#55a868"},
            text=[f"{why.replace('_', ' ')}: {p.key}" for why, p in picks],
            hovertemplate="%{text}"))
    if doc.sla_ms:
        fig.add_vline(x=doc.sla_ms, line_dash="dot", line_color="#c44e52",
                      annotation_text=f"SLA {label} ≤ {doc.sla_ms:g} ms")
    return chart(fig, chart_id, f"Throughput against {label} latency",
                 f"latency {label} (ms)", "throughput (images/s)", height=460)


def _points_table(doc: SweepResult, done: list[dict]) -> str:
    label = doc.label
    picked = {p.key: why for why, p in doc.recommendations.items() if p}
    front = set(doc.pareto)
    rows = [[p["key"], num(p["fps"]), interval(p["low"], p["high"]), num(p["latency"]),
             *(_fidelity_cells(p["fidelity"]) if doc.fidelity else []),
             "yes" if p["key"] in front else "",
             picked.get(p["key"], "").replace("_", " ") or doc.excluded.get(p["key"], "")]
            for p in done]
    skipped = [[p.key, p.status, p.reason] for p in doc.points if p.status != "done"]
    text = heading("Points") + table(
        ["point", "FPS", "95 % interval", f"{label} ms",
         *(["top-1 agreement %", "SQNR dB"] if doc.fidelity else []), "Pareto", "pick"],
        rows)
    if skipped:
        text += table(["point not measured", "status", "reason"], skipped)
    return text


def _fidelity_cells(found) -> list[str]:
    if found is None:
        return ["", ""]
    return [num(found.top1_agreement_pct),
            "∞ (identical)" if found.identical else num(found.sqnr_db)]


def versus_default(doc: SweepResult, chart_id: str) -> str:
    go = require_plotly()
    items = [(k, v.ratio) for k, v in doc.vs_default.items()]
    fig = go.Figure(go.Scatter(
        x=[r.ratio for _, r in items], y=[k for k, _ in items], mode="markers",
        name="FPS / default (paired by round)",
        error_x=error_bars([r.ratio for _, r in items], [r.low for _, r in items],
                           [r.high for _, r in items]),
        hovertemplate="%{y}: %{x:.4f}"))
    fig.add_vline(x=1.0, line_color="#888")
    return chart(fig, chart_id, "Interleaved: each point's FPS over the default's, paired by "
                 "round (round-level interval only: the process level is not in it)",
                 "ratio to default (95 % interval)", "point",
                 height=140 + 26 * len(items)) + \
        table(["point", "ratio", "95 % interval", "rounds"],
              [[k, num(v.ratio.ratio), interval(v.ratio.low, v.ratio.high), v.rounds]
               for k, v in doc.vs_default.items()])
