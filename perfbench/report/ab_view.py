"""The A/B view: per-round ratios over time with the running estimate, its band and the
threshold lines; the verdict and the interval it was judged on; epochs, start order and the
variance components; both sides' configurations.

Everything is read from the ``perfbench.ab`` v2 document; the running estimate after each
epoch is the interim interval the runner's look read there (``looks``), the band the
stopping rule judged.
"""

from __future__ import annotations


from perfbench.report.html import (Section, chart, heading, interval, note, num,
                                   require_plotly, table)

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
    part.add(_verdict(doc), ratio_chart(doc, f"{anchor}-rounds"), _ratios(doc), _epochs(doc),
             _sides(doc))
    return part


def _verdict(doc: dict) -> str:
    judged = doc.get("verdict_interval")
    if judged is None:
        return note(f"Verdict {doc['verdict']}: too few epochs for an interval.", "warn")
    metric = "FPS" if doc.get("judged_metric", "fps") == "fps" else "p50 latency"
    text = (f"Verdict: {doc['verdict']}. NEW/BASE {metric} {judged['ratio']:.4f} "
            f"({judged['change_pct']:+.2f} %), {100 * judged['level']:g} % interval "
            f"[{judged['ci_low']:.4f}, {judged['ci_high']:.4f}], threshold "
            f"{doc['threshold_pct']:g} %; stopped: {doc['stop_reason']}.")
    if doc.get("smallest_resolvable_pct") is not None:
        text += f" Smallest change this run resolves: {doc['smallest_resolvable_pct']:.2f} %."
    return note(text)


def ratio_chart(doc: dict, chart_id: str) -> str:
    go = require_plotly()
    rounds = round_ratios(doc)
    fig = go.Figure()
    ends, x = [], 0
    for epoch in doc["epochs"]:
        x += sum(_usable(r) for r in epoch["rounds"])
        ends.append(x)
    estimates = running_estimates(doc)
    shown = [(end, e) for end, e in zip(ends, estimates) if e is not None]
    if shown:
        xs = [end for end, _ in shown]
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=[e["high"] for _, e in shown] +
                                 [e["low"] for _, e in shown][::-1], fill="toself",
                                 fillcolor="rgba(221,132,82,0.2)", line={"width": 0},
                                 name=f"interim {100 * shown[0][1]['level']:g} % interval "
                                 "at each look", hoverinfo="skip"))
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
    fps = doc.get("judged_metric", "fps") == "fps"
    for level, label in threshold_lines(doc["threshold_pct"], fps):
        fig.add_hline(y=level, line_dash="dot", line_color="#c44e52",
                      annotation_text=f"{label} ({doc['threshold_pct']:g} %)")
    fig.add_hline(y=1.0, line_color="#888")
    return chart(fig, chart_id, "NEW / BASE per round, and the estimate after each epoch",
                 "round (in the order measured)", "ratio NEW / BASE")


def _ratios(doc: dict) -> str:
    rows = []
    for key, r in doc["ratios"].items():
        if r is None:
            rows.append([key, "–", "–", "–", "–", "–"])
            continue
        rows.append([key, num(r["ratio"]), interval(r["ci_low"], r["ci_high"]),
                     num(r.get("round_sd_pct")), num(r.get("process_sd_pct")),
                     r.get("process_level") or r.get("method", "")])
    return heading("Ratios and variance components") + table(
        ["figure", "NEW / BASE", "95 % interval", "round SD %", "process SD %",
         "process level from"], rows)


def _epochs(doc: dict) -> str:
    rows = [[e["index"] + 1, e["started_first"], len(e["rounds"]), num(e["setup_s"]),
             " ".join(r["order"] for r in e["rounds"])] for e in doc["epochs"]]
    looks = ", ".join(str(x.get("decision") if isinstance(x, dict) else x)
                      for x in doc.get("looks", [])) or "none"
    return heading("Epochs (fresh worker processes) and start order") + table(
        ["epoch", "started first", "rounds", "setup (s)", "round orders"], rows) + \
        note(f"Looks after each epoch: {looks}.")


def _sides(doc: dict) -> str:
    rows = []
    for name in ("base", "new"):
        side = doc.get("sides", {}).get(name) or {}
        settings = {k: v for k, v in (doc.get("settings", {}).get(name) or {}).items()
                    if v not in (None, False, "")}
        rows.append([name.upper(), side.get("name", "?"), side.get("openvino", "?"),
                     side.get("pool_size", "?"),
                     ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))])
    return heading("Both sides") + table(["side", "model", "OpenVINO", "requests",
                                          "settings"], rows)
