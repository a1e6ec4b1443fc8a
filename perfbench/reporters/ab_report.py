"""An interleaved A/B result as a table, a progress line, Markdown and BMF."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

_LABELS = {"fps": "throughput (FPS)", "median_ms": "latency p50", "p99_ms": "latency p99"}
_STYLE = {"regression": "bold red", "improvement": "green", "no change": "dim",
          "no regression": "dim", "inconclusive": "yellow"}


def _ratio_text(ratio: dict | None) -> tuple[str, str]:
    if ratio is None:
        return "n/a", "n/a (fewer than 3 rounds)"
    return (f"{ratio['ratio']:.4f} ({ratio['change_pct']:+.2f} %)",
            f"[{ratio['ci95_low']:.4f}, {ratio['ci95_high']:.4f}]  ±{ratio['half_width_pct']:.2f} %")


def progress_line(run) -> str:
    from perfbench.stats.paired import paired_ratio
    estimate = paired_ratio(run.log_ratios())
    if estimate is None:
        return f"round {len(run.rounds)}"
    return (f"round {len(run.rounds)}: NEW/BASE FPS {estimate.ratio:.4f} "
            f"± {estimate.half_width_pct:.2f} %")


def render(doc: dict, console: Console) -> None:
    sides = doc["sides"]
    table = Table(title=f"perfbench ab ({doc['status']}, {len(doc['rounds'])} rounds of "
                  f"{doc['block_s'] or 0:.2f} s blocks, stopped: {doc['stop_reason']})",
                  title_justify="left")
    for column in ("metric", "NEW / BASE", "95 % CI"):
        table.add_column(column)
    for key, label in _LABELS.items():
        table.add_row(label, *_ratio_text(doc["ratios"][key]))
    console.print(table)
    for name in ("base", "new"):
        side = sides.get(name)
        if side:
            console.print(f"{name.upper()}: {side['name']} · OpenVINO {side['openvino']} · "
                          f"streams {side['resolved'].get('streams')} · requests "
                          f"{side['pool_size']} · {side['python']}", highlight=False)
    verdict = doc["verdict"]
    console.print(f"[{_STYLE[verdict]}]{verdict.upper()}[/] (threshold {doc['threshold_pct']:g} %"
                  f"; exit {1 if doc['regression'] else 0})")
    fps = doc["ratios"]["fps"]
    if fps and is_a_a(doc):
        console.print(f"A/A: the smallest change this machine resolves at these settings is "
                      f"about ±{fps['half_width_pct']:.2f} % (the paired interval's half-width)")


def is_a_a(doc: dict) -> bool:
    """Both sides the same model, settings, interpreter and OpenVINO: an A/A run."""
    base, new = doc["sides"].get("base", {}), doc["sides"].get("new", {})
    same_side = all(base.get(k) == new.get(k) for k in ("name", "python", "openvino"))
    return same_side and doc["settings"]["base"] == doc["settings"]["new"]


def markdown(doc: dict) -> str:
    lines = ["## perfbench ab", "", f"**{doc['verdict']}** (threshold {doc['threshold_pct']:g} %, "
             f"{len(doc['rounds'])} rounds, stopped: {doc['stop_reason']})", "",
             "| metric | NEW / BASE | 95 % CI |", "|---|---:|---|"]
    for key, label in _LABELS.items():
        ratio, interval = _ratio_text(doc["ratios"][key])
        lines.append(f"| {label} | {ratio} | {interval} |")
    return "\n".join(lines) + "\n"


def bmf(doc: dict) -> dict:
    fps = doc["ratios"]["fps"] or {}
    entry = {"value": fps.get("ratio")}
    if fps:
        entry.update(lower_value=fps["ci95_low"], upper_value=fps["ci95_high"])
    return {f"ab {doc['sides']['base']['name']} vs {doc['sides']['new']['name']}":
            {"fps-ratio": entry}}
