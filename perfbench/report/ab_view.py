"""The A/B view: per-round ratios over time with the running estimate, its band and the
threshold lines; the verdict and the interval it was judged on; epochs, start order and the
variance components; both sides' configurations.

Everything is read from the ``perfbench.ab`` v2 document; the running estimate after each
epoch is the interim interval the runner's look read there (``looks``), the band the
stopping rule judged.
"""

from __future__ import annotations

import math

from perfbench.report.html import (Section, chart, esc, heading, interval, log_ticks,
                                   num, require_plotly, table)
from perfbench.report.run_view import settings_that_apply
from perfbench.results.metrics import images_per_second

_BADGE = {"regression": "bad", "improvement": "ok", "no change": "ok",
          "no regression": "ok", "inconclusive": "warn"}



def threshold_lines(threshold_pct: float, bigger_is_better: bool) -> list[tuple[float, str]]:
    """Where the verdict's thresholds lie on a NEW/BASE plot.  A latency ratio is judged
    inverted (``stats.paired.verdict``): it regresses above 1/(1 − t), not 1 + t."""
    t = threshold_pct / 100
    if bigger_is_better:
        return [(1 - t, "regression below"), (1 + t, "improvement above")]
    return [(1 / (1 + t), "improvement below"), (1 / (1 - t), "regression above")]

def _usable(r: dict) -> bool:
    return r["base"].get("completed", 0) > 0 and r["new"].get("completed", 0) > 0


def round_ratios(doc: dict) -> list[tuple[int, int, float]]:
    """(epoch, round within it, NEW/BASE of the judged block figure) for every round that
    has figures on both sides (an empty block's round is left out, as the runner does)."""
    key = "fps" if doc.get("judged_metric", "fps") == "fps" else "median_ms"
    return [(e["index"], i, r["new"][key] / r["base"][key])
            for e in doc["epochs"] for i, r in enumerate(e["rounds"]) if _usable(r)]


def running_estimates(doc: dict) -> list[dict | None]:
    """After each epoch: the interim interval the runner's look read there (stored in the
    document's ``looks``; nothing is recomputed here)."""
    out = []
    for look in doc.get("looks", []):
        interval = look.get("interval") if isinstance(look, dict) else None
        out.append(None if interval is None else {
            "ratio": interval["ratio"], "low": interval["ci_low"],
            "high": interval["ci_high"], "level": interval["level"],
            "decision": look.get("decision")})
    return out


def section(doc: dict, name: str, anchor: str) -> Section:
    verdict = doc["verdict"]
    part = Section(anchor, f"A/B: {name}", badge=(verdict.upper(), _BADGE.get(verdict, "warn")))
    part.add(_verdict(doc), _side_figures(doc), ratio_chart(doc, f"{anchor}-rounds"),
             _ratios(doc), _epochs(doc), _sides(doc))
    return part


def _verdict(doc: dict) -> str:
    """The verdict and the interval it was judged on, and the machine it was measured on:
    the page's first line."""
    judged = doc.get("verdict_interval")
    if judged is None:
        text = f"Verdict: {doc['verdict']}: too few epochs for an interval."
    else:
        metric = "FPS" if doc.get("judged_metric", "fps") == "fps" else "p50 latency"
        text = (f"Verdict: {doc['verdict']}. NEW/BASE {metric} {judged['ratio']:.4f} "
                f"({judged['change_pct']:+.2f} %), {100 * judged['level']:g} % interval "
                f"[{judged['ci_low']:.4f}, {judged['ci_high']:.4f}], threshold "
                f"{doc['threshold_pct']:g} %; stopped: {doc['stop_reason']}.")
    if doc.get("smallest_resolvable_pct") is not None:
        text += f" Smallest change this run resolves: {doc['smallest_resolvable_pct']:.2f} %."
    host = doc.get("host") or {}
    if host.get("hardware_class"):
        text += f" Measured on {host['hardware_class']}."
    return f'<p class="verdict">{esc(text)}</p>'


def side_fps(doc: dict, side: str) -> float | None:
    """A side's throughput over every usable block, by the one definition of FPS
    (``results.metrics.images_per_second``: images over the blocks' time)."""
    blocks = [r[side] for e in doc["epochs"] for r in e["rounds"] if _usable(r)]
    seconds = sum(b.get("duration_s", 0.0) for b in blocks)
    if not blocks or seconds <= 0:
        return None
    batch = blocks[0].get("batch", 1)
    return images_per_second(sum(b["completed"] for b in blocks), batch, seconds)


def _side_figures(doc: dict) -> str:
    """Each side's FPS and latency, not only their ratio: what a reader checks first."""
    ratios = doc.get("ratios", {})
    rows = []
    for side in ("base", "new"):
        p50 = (ratios.get("median_ms") or {}).get(f"{side}_ms")
        p99 = (ratios.get("p99_ms") or {}).get(f"{side}_ms")
        rows.append([side.upper(), (doc.get("sides", {}).get(side) or {}).get("name", "?"),
                     num(side_fps(doc, side)), num(p50), num(p99)])
    return table(["side", "model", "FPS (all usable blocks)", "latency p50 (ms, pooled)",
                  "latency p99 (ms, pooled)"], rows)


def axis_range(doc: dict, rounds: list[float]) -> tuple[float, float]:
    """The ratio axis: every round, the threshold lines and the judged interval, padded;
    the interim band is clipped to it, so a wide early band cannot flatten the rounds."""
    judged = doc.get("verdict_interval") or {}
    values = [r for r in rounds if r > 0] + [y for y, _ in threshold_lines(
        doc["threshold_pct"], doc.get("judged_metric", "fps") == "fps")]
    values += [judged[k] for k in ("ci_low", "ci_high") if judged.get(k)]
    low, high = min(values + [1.0]), max(values + [1.0])
    return low / 1.03, high * 1.03


def ratio_chart(doc: dict, chart_id: str) -> str:
    go = require_plotly()
    rounds = round_ratios(doc)
    low, high = axis_range(doc, [r for _, _, r in rounds])
    fig = go.Figure()
    ends, x = [], 0
    for epoch in doc["epochs"]:
        x += sum(_usable(r) for r in epoch["rounds"])
        ends.append(x)
    estimates = running_estimates(doc)
    shown = [(end, e) for end, e in zip(ends, estimates) if e is not None]
    if shown:
        xs = [end for end, _ in shown]
        band = [min(max(v, low), high) for v in [e["high"] for _, e in shown] +
                [e["low"] for _, e in shown][::-1]]
        clipped = any(e["high"] > high or e["low"] < low for _, e in shown)
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=band, fill="toself", mode="lines",
                                 fillcolor="rgba(221,132,82,0.15)", line={"width": 0},
                                 name=f"interim {100 * shown[0][1]['level']:g} % interval "
                                 "at each look" + (" (clipped to the axis)" if clipped else ""),
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=xs, y=[e["ratio"] for _, e in shown],
                                 mode="lines+markers", name="running estimate (per epoch)",
                                 line={"color": "#dd8452"},
                                 hovertemplate="after round %{x}: %{y:.4f}"))
    fig.add_trace(go.Scatter(
        x=list(range(1, len(rounds) + 1)), y=[r for _, _, r in rounds], mode="markers",
        name="NEW/BASE per round", marker={"color": [e for e, _, _ in rounds],
                                           "colorscale": "Viridis", "size": 6},
        text=[f"epoch {e + 1}, round {i + 1}" for e, i, _ in rounds],
        hovertemplate="%{text}: %{y:.4f}"))
    judged = doc.get("verdict_interval")
    if judged:
        fig.add_trace(judged_trace(go, judged, len(rounds) + 1))
    fps = doc.get("judged_metric", "fps") == "fps"
    lines = sorted(threshold_lines(doc["threshold_pct"], fps))
    for n, (level, label) in enumerate(lines):
        # a thin line; its label outside the pair (the lower one below its line, the upper
        # above), so two close thresholds' labels never overlap; an annotation on a log
        # axis takes log10 of the value (a shape takes the value)
        fig.add_hline(y=level, line_width=1, line_color="#c44e52")
        fig.add_annotation(x=0, xref="paper", y=math.log10(level), xanchor="left",
                           yanchor="top" if n == 0 else "bottom", showarrow=False,
                           text=f"{label} ({doc['threshold_pct']:g} %)",
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


def judged_trace(go, judged: dict, x: float):
    """The interval the verdict was judged on, at the right of the rounds, named with its
    level and bounds (the badge's interval, not the interim band)."""
    level = f"{100 * judged['level']:g} %"
    return go.Scatter(
        x=[x], y=[judged["ratio"]], mode="markers", name=f"judged {level} interval "
        f"[{judged['ci_low']:.4f}, {judged['ci_high']:.4f}] (the verdict's)",
        marker={"symbol": "diamond", "size": 11, "color": "#222"},
        error_y={"type": "data", "symmetric": False, "thickness": 3, "width": 8,
                 "array": [judged["ci_high"] - judged["ratio"]],
                 "arrayminus": [judged["ratio"] - judged["ci_low"]]},
        hovertemplate=f"verdict's {level} interval: %{{y:.4f}} "
        f"[{judged['ci_low']:.4f}, {judged['ci_high']:.4f}]<extra></extra>")


def process_sd_text(ratio: dict) -> str:
    """The process (between-epoch) SD, or why there is none: it cannot be estimated from
    one degree of freedom, and a component clamped at 0 (epochs varied no more than rounds
    say) is a bound, not a measured 0."""
    value = ratio.get("process_sd_pct")
    if ratio.get("dof", 0) < 2 and ratio.get("process_level", "this run") == "this run":
        return f"– (not estimable from {ratio.get('epochs', '?')} epochs)"
    if value is None:
        return "–"
    if value == 0:
        return "– (epochs varied no more than rounds)"
    return num(value)


def _ratios(doc: dict) -> str:
    rows = []
    for key, r in doc["ratios"].items():
        if r is None:
            rows.append([key, "–", "–", "–", "–", "–"])
            continue
        rows.append([key, num(r["ratio"]), interval(r["ci_low"], r["ci_high"]),
                     num(r.get("round_sd_pct")),
                     process_sd_text(r) if "round_sd_pct" in r else "–",
                     r.get("process_level") or r.get("method", "")])
    return heading("Ratios and variance components") + table(
        ["figure", "NEW / BASE", "95 % interval", "round SD %", "process SD %",
         "process level from"], rows)


def look_rows(doc: dict) -> list[list]:
    """One row per look: the interim interval it read and what it decided (a look with no
    decision yet let the run measure on)."""
    rows = []
    for n, look in enumerate(doc.get("looks", [])):
        look = look if isinstance(look, dict) else {"decision": look}
        est = look.get("interval")
        rows.append([look.get("epoch", n + 1),
                     "– (one epoch gives none)" if est is None else
                     f"{est['ratio']:.4f} [{est['ci_low']:.4f}, {est['ci_high']:.4f}] at "
                     f"{100 * est['level']:g} %",
                     look.get("decision") or "none yet: measure on"])
    return rows


def _epochs(doc: dict) -> str:
    rows = [[e["index"] + 1, e["started_first"], len(e["rounds"]), num(e["setup_s"]),
             " ".join(r["order"] for r in e["rounds"])] for e in doc["epochs"]]
    return heading("Epochs (fresh worker processes) and start order") + table(
        ["epoch", "started first", "rounds", "setup (s)", "round orders"], rows) + \
        table(["look after epoch", "interim interval", "decision"], look_rows(doc))
def _sides(doc: dict) -> str:
    rows = []
    for name in ("base", "new"):
        side = doc.get("sides", {}).get(name) or {}
        settings = settings_that_apply(doc.get("settings", {}).get(name) or {})
        rows.append([name.upper(), side.get("name", "?"), side.get("openvino", "?"),
                     side.get("pool_size", "?"),
                     ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))])
    return heading("Both sides") + table(["side", "model", "OpenVINO", "requests",
                                          "settings"], rows)
