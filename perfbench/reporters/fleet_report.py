"""A fleet report as a table, CSV, Markdown and a plot (cost per 1,000 FPS, p99)."""

from __future__ import annotations

import csv
import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table

COLUMNS = ("hardware_class", "configuration", "fps_per_machine", "fps_ci95_low",
           "fps_ci95_high", "p99_ms", "machines_measured", "results", "machines",
           "machines_conservative", "price_per_hour", "cost_per_hour",
           "cost_per_1000_fps_hour", "flags")


def rows(doc: dict) -> list[dict]:
    out = []
    for c in doc["classes"]:
        plan = c["plan"]
        out.append({"hardware_class": c["hardware_class"], "configuration": c["configuration"],
                    "fps_per_machine": c["fps"], "fps_ci95_low": c["fps_low"],
                    "fps_ci95_high": c["fps_high"], "p99_ms": c["p99_ms"],
                    "machines_measured": c["machines_measured"], "results": c["results"],
                    "machines": plan.get("machines"),
                    "machines_conservative": plan.get("machines_conservative"),
                    "price_per_hour": plan.get("price_per_hour"),
                    "cost_per_hour": plan.get("cost_per_hour"),
                    "cost_per_1000_fps_hour": plan.get("cost_per_1000_fps_hour"),
                    "flags": "; ".join(c["flags"])})
    return out


def _fmt(value, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def render(doc: dict, console: Console) -> None:
    if doc["classes"]:
        _render_classes(doc, console)
    if doc.get("note"):
        console.print(f"note: {escape(doc['note'])}")
    _render_models(doc, console)


def _render_classes(doc: dict, console: Console) -> None:
    title = f"Fleet: {len(doc['classes'])} hardware class(es) from {doc['results']} results"
    if doc["target_fps"]:
        title += f"; target {doc['target_fps']:,.0f} FPS, headroom {100 * doc['headroom']:.0f} %"
    if doc["sla_ms"]:
        title += f", p99 ≤ {doc['sla_ms']:g} ms"
    table = Table(title=title, title_justify="left")
    for column in ("class", "best configuration", "FPS/machine [95 % CI]", "p99 ms",
                   "machines", "cost/h", "per 1,000 FPS·h", "flags"):
        table.add_column(column, justify="right" if column in ("p99 ms", "machines", "cost/h",
                                                               "per 1,000 FPS·h") else "left")
    for r in rows(doc):
        ci = (f" [{r['fps_ci95_low']:,.1f}, {r['fps_ci95_high']:,.1f}]"
              if r["fps_ci95_low"] is not None else "")
        machines = _fmt(r["machines"], "d")
        if r["machines_conservative"] not in (None, r["machines"]):
            machines += f" ({r['machines_conservative']} at CI low)"
        star = " ★" if r["hardware_class"] == doc["cheapest"] else ""
        table.add_row(escape(r["hardware_class"]) + star, escape(r["configuration"]),
                      f"{r['fps_per_machine']:,.1f}{ci}", f"{r['p99_ms']:.2f}", machines,
                      _fmt(r["cost_per_hour"], ",.2f"), _fmt(r["cost_per_1000_fps_hour"], ",.3f"),
                      escape(r["flags"]))
    console.print(table)
    if doc["cheapest"]:
        console.print(f"cheapest for the target: [bold]{escape(doc['cheapest'])}[/] ★")


def _render_models(doc: dict, console: Console) -> None:
    """Suite inputs: each model's best configuration per class, and the mix's machines."""
    if not doc.get("models"):
        return
    table = Table(title="Suite models: best configuration per class", title_justify="left")
    for column in ("class", "model", "best configuration", "FPS/machine", "p99 ms"):
        table.add_column(column)
    for m in doc["models"]:
        table.add_row(escape(m["hardware_class"]), escape(m["model"]),
                      escape(m["configuration"]), f"{m['fps']:,.1f}", f"{m['p99_ms']:.2f}")
    console.print(table)
    for row in (doc.get("mix") or {}).get("classes", []):
        if row["missing"]:
            console.print(f"mix on {escape(row['hardware_class'])}: not measured for "
                          f"{escape(', '.join(row['missing']))}")
            continue
        cost = (f", {row['cost_per_hour']:,.2f}/h" if "cost_per_hour" in row else "")
        console.print(f"mix on {escape(row['hardware_class'])}: {row['machines']} machines "
                      f"(load {row['load']:.2f}){cost}")
    if (doc.get("mix") or {}).get("cheapest"):
        console.print(f"cheapest for the mix: [bold]{escape(doc['mix']['cheapest'])}[/] ★")


def csv_text(doc: dict) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows(doc):
        writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buffer.getvalue()


def markdown(doc: dict) -> str:
    lines = ["## perfbench fleet report", "",
             "| class | configuration | FPS/machine | p99 ms | machines | cost/h | per 1,000 FPS·h | flags |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows(doc):
        star = " ★" if r["hardware_class"] == doc["cheapest"] else ""
        lines.append(f"| {_cell(r['hardware_class'])}{star} "
                     f"| {_cell(r['configuration'])} | {r['fps_per_machine']:,.1f} "
                     f"| {r['p99_ms']:.2f} "
                     f"| {_fmt(r['machines'], 'd')} | {_fmt(r['cost_per_hour'], ',.2f')} "
                     f"| {_fmt(r['cost_per_1000_fps_hour'], ',.3f')} | {_cell(r['flags'])} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text in a Markdown table cell: a ``|`` would end the cell, a line break the row."""
    return " ".join(str(text).replace("\\", "\\\\").replace("|", "\\|").split())


def plot(doc: dict, path: str) -> None:
    from perfbench.reporters.sweep_report import require_matplotlib
    plt = require_matplotlib()
    data = rows(doc)
    names = [r["hardware_class"] for r in data]
    fig, (cost_ax, p99_ax) = plt.subplots(1, 2, figsize=(10, 0.6 * len(names) + 2), dpi=110)
    costs = [r["cost_per_1000_fps_hour"] or 0.0 for r in data]
    cost_ax.barh(names, costs, color="#4c72b0")
    cost_ax.set_xlabel("cost per 1,000 FPS per hour" if any(costs) else "(no --prices)")
    p99_ax.barh(names, [r["p99_ms"] for r in data], color="#dd8452")
    p99_ax.set_xlabel("p99 latency (ms)")
    p99_ax.set_yticks([])
    fig.suptitle("perfbench fleet report")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def render_run(doc: dict, console: Console) -> None:
    """What each node of a fleet run did."""
    command = escape(" ".join(doc["command"]))
    table = Table(title=f"fleet run ({doc['status']}): perfbench {command}",
                  title_justify="left")
    for column in ("node", "labels", "status", "result or error"):
        table.add_column(column)
    for node in doc["nodes"]:
        labels = ", ".join(f"{k}={v}" for k, v in node["labels"].items())
        table.add_row(escape(node["name"]), escape(labels), node["status"],
                      escape(node["file"] or node["error"]))
    console.print(table)
