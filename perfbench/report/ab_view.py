"""The A/B view: per-round ratios over time with the running estimate, its band and the
threshold lines; the verdict and the interval it was judged on; epochs, start order and the
variance components; both sides' configurations.

Everything is read from the typed ``perfbench.ab`` document (``results.ab.ABResult``):
each side's FPS and latencies are the runner's ``side_figures``, the running estimate after
each epoch the interim interval the runner's look read there (``looks``), the band the
stopping rule judged; nothing is recomputed here.
"""

from __future__ import annotations

import math

from perfbench.report.html import (Section, chart, error_bars, esc, heading, interval,
                                   log_ticks, note, num, require_plotly, table)
from perfbench.report.run_view import settings_that_apply
from perfbench.reporters import ab_fidelity_report, fidelity_comparison
from perfbench.results.ab import ABRatio, ABResult, Look
from perfbench.results.attribution import Attribution, AttributionTable, Step

#: Rows the waterfall draws one by one (the terminal's top 10); the rest are grouped.
WATERFALL_TOP = 10
_STEP_COLOUR = {"node": "#c44e52", "unmatched": "#8172b3", "rest": "#bbbbbb",
                "outside": "#937860", "total": "#222222"}

_BADGE = {"regression": "bad", "improvement": "ok", "no change": "ok",
          "no regression": "ok", "inconclusive": "warn"}


def threshold_lines(threshold_pct: float, bigger_is_better: bool) -> list[tuple[float, str]]:
    """Where the verdict's thresholds lie on a NEW/BASE plot.  A latency ratio is judged
    inverted (``stats.paired.verdict``): it regresses above 1/(1 − t), not 1 + t."""
    t = threshold_pct / 100
    if bigger_is_better:
        return [(1 - t, "regression below"), (1 + t, "improvement above")]
    return [(1 / (1 + t), "improvement below"), (1 / (1 - t), "regression above")]


def round_ratios(doc: ABResult) -> list[tuple[int, int, float]]:
    """(epoch, round within it, NEW/BASE of the judged block figure) for every round that
    has figures on both sides (``ABRound.usable`` and ``ABRound.ratio``, the definitions
    the runner's log-ratios use)."""
    key = "fps" if doc.judged_metric == "fps" else "median_ms"
    return [(e.index, i, r.ratio(key))
            for e in doc.epochs for i, r in enumerate(e.rounds) if r.usable]


def running_estimates(doc: ABResult) -> list[ABRatio | None]:
    """After each epoch: the interim interval the runner's look read there (stored in the
    document's ``looks``; nothing is recomputed here)."""
    return [look.interval for look in doc.looks]


def section(doc: ABResult, name: str, anchor: str) -> Section:
    verdict = doc.verdict
    part = Section(anchor, f"A/B: {name}", badge=(verdict.upper(), _BADGE.get(verdict, "warn")))
    part.add(_verdict(doc), _side_figures(doc))
    if doc.fidelity is not None:            # the answers, next to the speed verdict
        part.add(fidelity_part(doc))
    if doc.attribution is not None:
        part.add(attribution_part(doc.attribution, f"{anchor}-waterfall"))
    part.add(ratio_chart(doc, f"{anchor}-rounds"), _ratios(doc), _epochs(doc), _sides(doc))
    return part


def fidelity_part(doc: ABResult) -> str:
    """``--fidelity``: the answers' verdict in one line (red when they changed or
    were not compared), every comparison per output, and the judged figures."""
    block = doc.fidelity
    assert block is not None
    line = ab_fidelity_report.verdict_line(block)
    out = heading("Fidelity: both sides' outputs on the same inputs") + note(
        line, "bad" if block.regression or block.failed else "ok")
    if block.status != "complete":
        return out
    out += table(["comparison", "output", "top-1 / top-5 agreement", "SQNR", "cosine",
                  "max abs error"],
                 [[what, name, ab_fidelity_report.agreement_text(item),
                   ab_fidelity_report.sqnr_text(item), num(item.cosine_similarity, 6),
                   num(item.max_abs_error)]
                  for what, name, item in ab_fidelity_report.rows(block)])
    judged = block.judged
    if judged is not None and judged.changes:
        out += table(["output", "judged figure", "baseline", "new", "tolerance", "verdict"],
                     [[c.output, fidelity_comparison.figure_label(c.figure),
                       fidelity_comparison.value_text(c.baseline, c.unit),
                       fidelity_comparison.value_text(c.new, c.unit),
                       fidelity_comparison.threshold_text(c), c.verdict]
                      for c in judged.changes])
    return out + "".join(note(f"warning: {w}", "warn") for w in (judged.warnings if judged else ()))


def attribution_notice(attribution: Attribution) -> str | None:
    """What a reader must know before reading the waterfall: a pass that failed (nothing
    to draw), was interrupted, or kept only the epochs before a failure."""
    if attribution.table is None:
        return (f"Attribution {attribution.status}: {attribution.error}. No waterfall: "
                "no profiling round completed.")
    if attribution.status == "partial":
        return (f"Attribution partial: {attribution.error}. The waterfall is from the "
                f"{attribution.table.rounds} round(s) of the {attribution.table.epochs} "
                "epoch(s) completed before it.")
    if attribution.status == "interrupted":
        return (f"Attribution interrupted: the waterfall is from the "
                f"{attribution.table.rounds} round(s) profiled before the stop.")
    return None


def attribution_part(attribution: Attribution, chart_id: str) -> str:
    """The per-node attribution under the verdict: its notice (if any), then the
    waterfall (none for a pass that attributed nothing)."""
    notice = attribution_notice(attribution)
    out = heading("Which nodes the change comes from (ab --attribute)")
    if notice is not None:
        out += note(notice, "caveat")
    if attribution.table is not None:
        title = AB_WATERFALL_TITLE
        if attribution.status != "complete":
            title += f" — {attribution.status.upper()}"
        out += waterfall_chart(attribution.table, chart_id, title)
    return out


def _label(step: Step) -> str:
    """A bar's axis label: its node (shortened) and, under it, what changed."""
    # shortened in the middle: long names often share a 40-character prefix, and two bars
    # with one label would be drawn on one row of the categorical axis
    name = step.label if len(step.label) <= 40 else step.label[:30] + "…" + step.label[-9:]
    if step.kind in ("node", "unmatched") and len(step.rows) == 1:
        row = step.rows[0]
        what = "; ".join(row.changes) or "no change in implementation"
        what = what if len(what) <= 72 else what[:71] + "…"
        return f"{esc(name)} ({esc(row.type)})<br><i>{esc(what)}</i>"
    return esc(name)


def waterfall_bars(table: AttributionTable) -> list[dict]:
    """The chart's data, one dict a bar: its label, where it starts and ends (ms per
    inference; each step starts where the previous ended, the total from 0), its change
    with the interval the producer computed (None for a sum of rows), and what changed."""
    bars: list[dict] = []
    at = 0.0
    for step in table.waterfall(WATERFALL_TOP):
        start = 0.0 if step.kind == "total" else at
        end = start + step.delta.value
        label = _label(step)
        while label in {b["label"] for b in bars}:      # one row per bar on the axis
            label += "\u200b"
        bars.append({"label": label, "kind": step.kind, "start": start, "end": end,
                     "delta": step.delta.value, "low": step.delta.low,
                     "high": step.delta.high, "level": step.delta.level,
                     "changes": "; ".join(dict.fromkeys(step.changes)) or "–",
                     "nodes": ", ".join(r.name for r in step.rows[:6]) +
                     (" …" if len(step.rows) > 6 else "")})
        at = end
    return bars


AB_WATERFALL_TITLE = ("Contributions to the change in time per inference (a separate "
                      "profiling pass with perf counters, not the verdict's)")


def waterfall_chart(table: AttributionTable, chart_id: str, title: str,
                    caveat: str = "") -> str:
    """The total change per inference split into the top nodes' contributions, the rest
    grouped, and the parts no matched node explains, ending at the measured total: each
    bar with its interval where one was computed for exactly it.  ``ab --attribute``'s
    view and ``compare --attribute``'s draw it; ``caveat``: what the table cannot say."""
    go = require_plotly()
    bars = waterfall_bars(table)
    labels = [b["label"] for b in bars]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=[b["delta"] for b in bars], base=[b["start"] for b in bars],
        orientation="h", name="contribution (ms per inference)",
        marker={"color": [_STEP_COLOUR[b["kind"]] for b in bars]},
        customdata=[[b["changes"], b["nodes"], interval(b["low"], b["high"])] for b in bars],
        hovertemplate="%{x:+.4f} ms %{customdata[2]}<br>what changed: %{customdata[0]}"
        "<br>nodes: %{customdata[1]}<extra></extra>"))
    ends = [b["end"] for b in bars]
    fig.add_trace(go.Scatter(
        y=labels, x=ends, mode="markers", marker={"size": 4, "color": "#222"},
        name="end of each bar (no intervals)" if all(b["low"] is None for b in bars) else
        f"interval (family level {100 * table.row_family.level:.2f} %; "
        f"total {100 * table.level:g} %)",
        error_x=error_bars([b["delta"] for b in bars], [b["low"] for b in bars],
                           [b["high"] for b in bars]),
        hoverinfo="skip"))
    fig.add_vline(x=0, line_width=1, line_color="#888")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return chart(fig, chart_id, title, "change, ms per inference (NEW − BASE)", "part",
                 height=max(380, 140 + 46 * len(bars))) + note(
        f"The bars add up to the total change {table.total.delta.value:+.4f} ms per "
        f"inference; unattributed (outside the counters and nodes with no match): "
        f"{table.unattributed_ms:+.4f} ms. A grouped bar has no interval: its rows' "
        "intervals do not add." + (f" {caveat}" if caveat else ""))


def _verdict(doc: ABResult) -> str:
    """The verdict and the interval it was judged on, and the machine it was measured on:
    the page's first line."""
    judged = doc.verdict_interval
    if judged is None:
        text = f"Verdict: {doc.verdict}: too few epochs for an interval."
    else:
        metric = "FPS" if doc.judged_metric == "fps" else "p50 latency"
        text = (f"Verdict: {doc.verdict}. NEW/BASE {metric} {judged.ratio:.4f} "
                f"({judged.change_pct:+.2f} %), {100 * judged.level:g} % interval "
                f"[{judged.low:.4f}, {judged.high:.4f}], threshold "
                f"{doc.threshold_pct:g} %; stopped: {doc.stop_reason}.")
    if doc.smallest_resolvable_pct is not None:
        text += f" Smallest change this run resolves: {doc.smallest_resolvable_pct:.2f} %."
    host = doc.host or {}
    if host.get("hardware_class"):
        text += f" Measured on {host['hardware_class']}."
    return f'<p class="verdict">{esc(text)}</p>'


def _side_figures(doc: ABResult) -> str:
    """Each side's FPS and latency, not only their ratio: what a reader checks first (the
    runner's ``side_figures``)."""
    rows = []
    for side in ("base", "new"):
        figures = (doc.side_figures or {}).get(side)
        rows.append([side.upper(), (doc.sides.get(side) or {}).get("name", "?"),
                     *(num(None if figures is None else getattr(figures, key))
                       for key in ("fps", "median_ms", "p99_ms"))])
    return table(["side", "model", "FPS (all usable blocks)", "latency p50 (ms, pooled)",
                  "latency p99 (ms, pooled)"], rows)


def axis_range(doc: ABResult, rounds: list[float]) -> tuple[float, float]:
    """The ratio axis: every round, the threshold lines and the judged interval, padded;
    the interim band is clipped to it, so a wide early band cannot flatten the rounds."""
    judged = doc.verdict_interval
    values = [r for r in rounds if r > 0] + [y for y, _ in threshold_lines(
        doc.threshold_pct, doc.judged_metric == "fps")]
    values += [v for v in ((judged.low, judged.high) if judged else ()) if v]
    low, high = min(values + [1.0]), max(values + [1.0])
    return low / 1.03, high * 1.03


def ratio_chart(doc: ABResult, chart_id: str) -> str:
    go = require_plotly()
    rounds = round_ratios(doc)
    low, high = axis_range(doc, [r for _, _, r in rounds])
    fig = go.Figure()
    ends, x = [], 0
    for epoch in doc.epochs:
        x += sum(r.usable for r in epoch.rounds)
        ends.append(x)
    estimates = running_estimates(doc)
    shown = [(end, e) for end, e in zip(ends, estimates) if e is not None]
    if shown:
        xs = [end for end, _ in shown]
        band = [min(max(v, low), high) for v in [e.high for _, e in shown] +
                [e.low for _, e in shown][::-1]]
        clipped = any(e.high > high or e.low < low for _, e in shown)
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=band, fill="toself", mode="lines",
                                 fillcolor="rgba(221,132,82,0.15)", line={"width": 0},
                                 name=f"interim {100 * shown[0][1].level:g} % interval "
                                 "at each look" + (" (clipped to the axis)" if clipped else ""),
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=xs, y=[e.ratio for _, e in shown],
                                 mode="lines+markers", name="running estimate (per epoch)",
                                 line={"color": "#dd8452"},
                                 hovertemplate="after round %{x}: %{y:.4f}"))
    fig.add_trace(go.Scatter(
        x=list(range(1, len(rounds) + 1)), y=[r for _, _, r in rounds], mode="markers",
        name="NEW/BASE per round", marker={"color": [e for e, _, _ in rounds],
                                           "colorscale": "Viridis", "size": 6},
        text=[f"epoch {e + 1}, round {i + 1}" for e, i, _ in rounds],
        hovertemplate="%{text}: %{y:.4f}"))
    judged = doc.verdict_interval
    if judged:
        fig.add_trace(judged_trace(go, judged, len(rounds) + 1))
    fps = doc.judged_metric == "fps"
    lines = sorted(threshold_lines(doc.threshold_pct, fps))
    for n, (level, label) in enumerate(lines):
        # a thin line; its label outside the pair (the lower one below its line, the upper
        # above), so two close thresholds' labels never overlap; an annotation on a log
        # axis takes log10 of the value (a shape takes the value)
        fig.add_hline(y=level, line_width=1, line_color="#c44e52")
        fig.add_annotation(x=0, xref="paper", y=math.log10(level), xanchor="left",
                           yanchor="top" if n == 0 else "bottom", showarrow=False,
                           text=f"{label} ({doc.threshold_pct:g} %)",
                           font={"color": "#c44e52", "size": 11},
                           bgcolor="rgba(255,255,255,0.7)")
    fig.add_hline(y=1.0, line_width=1, line_color="#888")
    values, text = log_ticks(low, high)
    fig.update_yaxes(type="log", range=[math.log10(low), math.log10(high)],
                     tickvals=values, ticktext=text)
    fig.update_xaxes(range=[0.5, len(rounds) + 1.7])
    return chart(fig, chart_id, "NEW / BASE per round, the estimate after each epoch, and "
                 "the interval the verdict was judged on",
                 "round (in the order measured)", "ratio NEW / BASE (log)")


def judged_trace(go, judged: ABRatio, x: float):
    """The interval the verdict was judged on, at the right of the rounds, named with its
    level and bounds (the badge's interval, not the interim band)."""
    level = f"{100 * judged.level:g} %"
    return go.Scatter(
        x=[x], y=[judged.ratio], mode="markers", name=f"judged {level} interval "
        f"[{judged.low:.4f}, {judged.high:.4f}] (the verdict's)",
        marker={"symbol": "diamond", "size": 11, "color": "#222"},
        error_y={"type": "data", "symmetric": False, "thickness": 3, "width": 8,
                 "array": [judged.high - judged.ratio],
                 "arrayminus": [judged.ratio - judged.low]},
        hovertemplate=f"verdict's {level} interval: %{{y:.4f}} "
        f"[{judged.low:.4f}, {judged.high:.4f}]<extra></extra>")


def process_sd_text(ratio: ABRatio) -> str:
    """The process (between-epoch) SD, or why there is none: it cannot be estimated from
    one degree of freedom, and a component clamped at 0 (epochs varied no more than rounds
    say) is a bound, not a measured 0."""
    value = ratio.process_sd_pct
    if ratio.dof < 2 and ratio.process_level == "this run":
        return f"– (not estimable from {ratio.epochs} epochs)"
    if value is None:
        return "–"
    if value == 0:
        return "– (epochs varied no more than rounds)"
    return num(value)


def _ratios(doc: ABResult) -> str:
    rows = []
    for key, r in doc.ratios.items():
        if r is None:
            rows.append([key, "–", "–", "–", "–", "–"])
        elif isinstance(r, ABRatio):
            rows.append([key, num(r.ratio), interval(r.low, r.high), num(r.round_sd_pct),
                         process_sd_text(r), r.process_level])
        else:
            rows.append([key, num(r.ratio), interval(r.low, r.high), num(None), "–",
                         r.method])
    return heading("Ratios and variance components") + table(
        ["figure", "NEW / BASE", "95 % interval", "round SD %", "process SD %",
         "process level from"], rows)


def look_rows(doc: ABResult) -> list[list]:
    """One row per look: the interim interval it read and what it decided (a look with no
    decision yet let the run measure on)."""
    return [[look.epoch, _look_text(look), look.decision or "none yet: measure on"]
            for look in doc.looks]


def _look_text(look: Look) -> str:
    est = look.interval
    if est is None:
        return "– (one epoch gives none)"
    return f"{est.ratio:.4f} [{est.low:.4f}, {est.high:.4f}] at {100 * est.level:g} %"


def _epochs(doc: ABResult) -> str:
    rows = [[e.index + 1, e.started_first, len(e.rounds), num(e.setup_s),
             " ".join(r.order for r in e.rounds)] for e in doc.epochs]
    return heading("Epochs (fresh worker processes) and start order") + table(
        ["epoch", "started first", "rounds", "setup (s)", "round orders"], rows) + \
        table(["look after epoch", "interim interval", "decision"], look_rows(doc))


def _sides(doc: ABResult) -> str:
    rows = []
    for name in ("base", "new"):
        side = doc.sides.get(name) or {}
        settings = settings_that_apply(doc.settings.get(name) or {})
        rows.append([name.upper(), side.get("name", "?"), side.get("openvino", "?"),
                     side.get("pool_size", "?"),
                     ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))])
    return heading("Both sides") + table(["side", "model", "OpenVINO", "requests",
                                          "settings"], rows)
