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
                  f"{_judged_text(doc)}; exit {1 if doc['regression'] else 0})")
    fps = doc["ratios"]["fps"]
    if fps and is_a_a(doc):
        console.print(f"A/A: the smallest change this machine resolves at these settings is "
                      f"about ±{fps['half_width_pct']:.2f} % (the paired interval's half-width)")


def _judged_text(doc: dict) -> str:
    """A run that stopped at a look is judged on its interim interval (wider than the 95 %
    one in the table): say which, so the verdict never seems to contradict the table."""
    judged = doc.get("verdict_interval")
    if not judged or judged["level"] == 0.95:
        return ""
    return (f"; judged at {100 * judged['level']:g} %, as it stopped at a look: "
            f"[{judged['ci_low']:.4f}, {judged['ci_high']:.4f}]")


def is_a_a(doc: dict) -> bool:
    """Both sides the same model, settings, interpreter and OpenVINO: an A/A run."""
    base, new = doc["sides"].get("base", {}), doc["sides"].get("new", {})
    same_side = all(base.get(k) == new.get(k) for k in ("name", "python", "openvino"))
    return same_side and doc["settings"]["base"] == doc["settings"]["new"]


def markdown(doc: dict) -> str:
    lines = ["## perfbench ab", "", f"**{doc['verdict']}** (threshold {doc['threshold_pct']:g} %"
             f"{_judged_text(doc)}, {len(doc['rounds'])} rounds, stopped: {doc['stop_reason']})",
             "",
             "| metric | NEW / BASE | 95 % CI |", "|---|---:|---|"]
    for key, label in _LABELS.items():
        ratio, interval = _ratio_text(doc["ratios"][key])
        lines.append(f"| {label} | {ratio} | {interval} |")
    return "\n".join(lines) + "\n"


def pair_name(doc: dict) -> str:
    return f"ab {doc['sides']['base']['name']} vs {doc['sides']['new']['name']}"


def bmf(doc: dict) -> dict:
    fps = doc["ratios"]["fps"] or {}
    entry = {"value": fps.get("ratio")}
    if fps:
        entry.update(lower_value=fps["ci95_low"], upper_value=fps["ci95_high"])
    return {pair_name(doc): {"fps-ratio": entry}}


def metrics(doc: dict) -> list:
    """The three ratios as exporter metrics: the FPS ratio is better bigger, the latency
    ratios smaller."""
    from perfbench.results.metrics import Metric
    out = []
    for key, name, bigger in (("fps", "fps ratio", True), ("median_ms", "p50 ratio", False),
                              ("p99_ms", "p99 ratio", False)):
        ratio = doc["ratios"][key]
        if ratio is not None:
            out.append(Metric(name, "NEW/BASE", bigger, ratio["ratio"], ratio["ci95_low"],
                              ratio["ci95_high"]))
    return out
