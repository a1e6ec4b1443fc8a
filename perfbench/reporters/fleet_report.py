"""A fleet report as a table, CSV, Markdown and a plot (cost per 1,000 FPS, p99; for suite
inputs, each model's FPS per class and the machines the ``--mix`` needs).

Every figure is read from the typed ``perfbench.fleet-report`` document
(``results.fleet.FleetReport``) through :func:`rows`,
:func:`model_rows` and :func:`mix_rows`, so the outputs cannot disagree: none computes a
figure of its own."""

from __future__ import annotations

import csv
import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from perfbench.reporters.md_table import cell, table as md_table
from perfbench.results.fleet import FleetReport, FleetRun
from perfbench.stats.intervals import NOT_MEASURED, rate_measured
from perfbench.reporters.sweep_report import require_matplotlib

COLUMNS = ("hardware_class", "configuration", "fps_per_machine", "fps_low",
           "fps_high", "p99_ms", "machines_measured", "results", "machines",
           "machines_conservative", "price_per_hour", "cost_per_hour",
           "cost_per_1000_fps_hour", "flags",
           # last, so that readers of the class columns by position keep working: which
           # kind of row (class, model, mix) and the fields of suite inputs
           "row", "model", "meets_sla", "mix", "mix_load", "mix_missing",
           # the failed machine-noise checks a class's figures are built on (issue 24)
           "disturbed")


def rows(doc: FleetReport) -> list[dict]:
    out = []
    for c in doc.classes:
        plan = c.plan
        out.append({"row": "class", "hardware_class": c.hardware_class,
                    "configuration": c.configuration,
                    "fps_per_machine": c.fps.value, "fps_low": c.fps.low,
                    "fps_high": c.fps.high, "p99_ms": c.p99_ms,
                    "machines_measured": c.machines_measured, "results": c.results,
                    "machines": plan.machines,
                    "machines_conservative": plan.machines_conservative,
                    "price_per_hour": plan.price_per_hour,
                    "cost_per_hour": plan.cost_per_hour,
                    "cost_per_1000_fps_hour": plan.cost_per_1000_fps_hour,
                    "flags": "; ".join(c.flags), "meets_sla": c.meets_sla,
                    "disturbed": "; ".join(c.disturbed)})
    return out


def model_rows(doc: FleetReport) -> list[dict]:
    """Suite inputs: each model's best configuration per class, in :data:`COLUMNS` terms."""
    return [{"row": "model", "hardware_class": m.hardware_class, "model": m.model,
             "configuration": m.configuration, "fps_per_machine": m.fps.value,
             "fps_low": m.fps.low, "fps_high": m.fps.high,
             "p99_ms": m.p99_ms, "machines_measured": m.machines_measured,
             "meets_sla": m.meets_sla} for m in doc.models or ()]


def mix_targets(doc: FleetReport) -> str:
    """The mix as ``--mix`` takes it (``name=fps,…``), every digit kept; "" without one."""
    targets = doc.mix.targets if doc.mix else {}
    return ",".join(f"{name}={int(fps) if float(fps).is_integer() else fps!r}"
                    for name, fps in targets.items())


def mix_rows(doc: FleetReport) -> list[dict]:
    """Per class, the machines (and their cost) the ``--mix`` needs, in :data:`COLUMNS`
    terms; none where a model of the mix has no configuration (within the SLA) there."""
    return [{"row": "mix", "hardware_class": r.hardware_class, "mix": mix_targets(doc),
             "mix_load": r.load, "machines": r.machines,
             "cost_per_hour": r.cost_per_hour, "mix_missing": ", ".join(r.missing)}
            for r in (doc.mix.classes if doc.mix else ())]


def _fmt(value, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _interval(r: dict) -> str:
    """A row's 95 % FPS interval, "–" where it has none (one run without windows)."""
    if r["fps_low"] is None:
        return "–"
    if not rate_measured(r["fps_per_machine"], r["fps_low"], r["fps_high"]):
        return f"({NOT_MEASURED})"
    return f"[{r['fps_low']:,.1f}, {r['fps_high']:,.1f}]"


def _fps(r: dict) -> str:
    """FPS per machine, with its interval where it has one."""
    interval = _interval(r)
    return f"{r['fps_per_machine']:,.1f}" + ("" if interval == "–" else f" {interval}")


def render(doc: FleetReport, console: Console) -> None:
    if doc.classes:
        _render_classes(doc, console)
    if doc.note:
        console.print(f"note: {escape(doc.note)}")
    _render_models(doc, console)


def _render_classes(doc: FleetReport, console: Console) -> None:
    title = f"Fleet: {len(doc.classes)} hardware class(es) from {doc.results} results"
    if doc.target_fps:
        title += f"; target {doc.target_fps:,.0f} FPS, headroom {100 * doc.headroom:.0f} %"
    if doc.sla_ms:
        title += f", p99 ≤ {doc.sla_ms:g} ms"
    table = Table(title=title, title_justify="left")
    for column in ("class", "best configuration", "FPS/machine [95 % CI]", "p99 ms",
                   "machines", "cost/h", "per 1,000 FPS·h", "flags"):
        table.add_column(column, justify="right" if column in ("p99 ms", "machines", "cost/h",
                                                               "per 1,000 FPS·h") else "left")
    for r in rows(doc):
        machines = _fmt(r["machines"], "d")
        if r["machines_conservative"] not in (None, r["machines"]):
            machines += f" ({r['machines_conservative']} at CI low)"
        if r["disturbed"]:
            machines += " ⚠ disturbed"
        star = " ★" if r["hardware_class"] == doc.cheapest else ""
        table.add_row(escape(r["hardware_class"]) + star, escape(r["configuration"]),
                      _fps(r), f"{r['p99_ms']:.2f}", machines,
                      _fmt(r["cost_per_hour"], ",.2f"), _fmt(r["cost_per_1000_fps_hour"], ",.3f"),
                      escape(r["flags"]))
    console.print(table)
    for r in rows(doc):
        if r["disturbed"]:
            console.print(f"[yellow]{escape(r['hardware_class'])}[/]: its FPS and machines are "
                          "built on a measurement from a disturbed machine ("
                          f"{escape(r['disturbed'])}): re-measure on a quiet one",
                          highlight=False, soft_wrap=True)
    if doc.cheapest:
        console.print(f"cheapest for the target: [bold]{escape(doc.cheapest)}[/] ★")


def _render_models(doc: FleetReport, console: Console) -> None:
    """Suite inputs: each model's best configuration per class, and the mix's machines."""
    if not doc.models:
        return
    table = Table(title="Suite models: best configuration per class", title_justify="left")
    for column in ("class", "model", "best configuration", "FPS/machine [95 % CI]", "p99 ms"):
        table.add_column(column)
    for m in model_rows(doc):
        table.add_row(escape(m["hardware_class"]), escape(m["model"]),
                      escape(m["configuration"]), _fps(m), f"{m['p99_ms']:.2f}")
    console.print(table)
    for row in mix_rows(doc):
        if row["mix_missing"]:
            console.print(f"mix on {escape(row['hardware_class'])}: not measured for "
                          f"{escape(row['mix_missing'])}")
            continue
        cost = ("" if row["cost_per_hour"] is None else f", {row['cost_per_hour']:,.2f}/h")
        console.print(f"mix on {escape(row['hardware_class'])}: {row['machines']} machines "
                      f"(load {row['mix_load']:.2f}){cost}")
    if doc.mix and doc.mix.cheapest:
        console.print(f"cheapest for the mix: [bold]{escape(doc.mix.cheapest)}[/] ★")


def csv_text(doc: FleetReport) -> str:
    """One row per class (``row`` = class), then per suite model and class (model), then
    per class for the mix (mix); a column a kind of row has no value for is empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows(doc) + model_rows(doc) + mix_rows(doc):
        writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buffer.getvalue()


def markdown(doc: FleetReport) -> str:
    """The class table (unless only suites were given), then the suite models and the mix."""
    lines = ["## perfbench fleet report", ""]
    if doc.classes or not doc.models:
        lines += _markdown_classes(doc)
    if doc.note:
        lines += ["", f"Note: {cell(doc.note)}."]
    return "\n".join(lines + _markdown_models(doc) + _markdown_mix(doc)) + "\n"


def _markdown_classes(doc: FleetReport) -> list[str]:
    cells = [[cell(r["hardware_class"]) + (" ★" if r["hardware_class"] == doc.cheapest
                                           else ""),
              cell(r["configuration"]), f"{r['fps_per_machine']:,.1f}", f"{r['p99_ms']:.2f}",
              _fmt(r["machines"], "d") + (" ⚠ disturbed" if r["disturbed"] else ""),
              _fmt(r["cost_per_hour"], ",.2f"), _fmt(r["cost_per_1000_fps_hour"], ",.3f"),
              cell("; ".join(x for x in (r["flags"], r["disturbed"] and
                                         f"disturbed: {r['disturbed']}") if x))]
             for r in rows(doc)]
    return md_table(["class", "configuration", "FPS/machine", "p99 ms", "machines", "cost/h",
                  "per 1,000 FPS·h", "flags"], cells, right=(2, 3, 4, 5, 6))


def _markdown_models(doc: FleetReport) -> list[str]:
    if not doc.models:
        return []
    cells = [[cell(m["hardware_class"]), cell(m["model"]), cell(m["configuration"]),
              f"{m['fps_per_machine']:,.1f}", _interval(m), f"{m['p99_ms']:.2f}",
              "yes" if m["meets_sla"] else "no"] for m in model_rows(doc)]
    return ["", "### Suite models: best configuration per class", ""] + md_table(
        ["class", "model", "best configuration", "FPS/machine", "95 % interval", "p99 ms",
         "meets SLA"], cells, right=(3, 5))


def _markdown_mix(doc: FleetReport) -> list[str]:
    """Machines per class for the mix; ★ the cheapest that serves all of it."""
    if not doc.mix:
        return []
    cheapest = doc.mix.cheapest
    cells = [[cell(r["hardware_class"]) + (" ★" if r["hardware_class"] == cheapest else ""),
              f"{r['mix_load']:,.3f}", _fmt(r["machines"], "d"),
              _fmt(r["cost_per_hour"], ",.2f"), cell(r["mix_missing"]) or "–"]
             for r in mix_rows(doc)]
    return ["", f"### Mix: {cell(mix_targets(doc))} FPS, headroom "
            f"{100 * doc.headroom:g} %", ""] + md_table(
        ["class", "load (machines, unrounded)", "machines", "cost/h", "models missing"],
        cells, right=(1, 2, 3))


def plot(doc: FleetReport, path: str) -> None:
    plt = require_matplotlib()
    fig = figure(doc, plt)
    fig.savefig(path)
    plt.close(fig)


def figure(doc: FleetReport, plt):
    """A row of class panels (cost per 1,000 FPS, p99) for run and sweep inputs, and a row
    of suite panels (each model's FPS per class, the mix's machines) for suite inputs."""
    panels, heights = [], []
    if doc.classes or not doc.models:
        panels += [_cost_panel, _p99_panel]
        heights.append(0.6 * len(doc.classes) + 2)
    if doc.models:
        panels += [_models_panel, _mix_panel]
        heights.append(0.5 * max(len(doc.models), len(mix_rows(doc))) + 2)
    fig, axes = plt.subplots(len(heights), 2, figsize=(11, sum(heights)), dpi=110,
                             squeeze=False, gridspec_kw={"height_ratios": heights})
    for draw, ax in zip(panels, axes.flat):
        draw(doc, ax)
    fig.suptitle("perfbench fleet report")
    fig.tight_layout()
    return fig


def _label(text: str) -> str:
    """A name as matplotlib text: a ``$`` would start mathtext."""
    return str(text).replace("$", r"\$")


def _cost_panel(doc: FleetReport, ax) -> None:
    data = rows(doc)
    costs = [r["cost_per_1000_fps_hour"] or 0.0 for r in data]
    ax.barh([_label(r["hardware_class"]) for r in data], costs, color="#4c72b0")
    ax.set_xlabel("cost per 1,000 FPS per hour" if any(costs) else "(no --prices)")


def _p99_panel(doc: FleetReport, ax) -> None:
    data = rows(doc)
    ax.barh([_label(r["hardware_class"]) for r in data], [r["p99_ms"] for r in data],
            color="#dd8452")
    ax.set_xlabel("p99 latency (ms)")
    ax.set_yticks([])


def _models_panel(doc: FleetReport, ax) -> None:
    """One bar per model and class, its 95 % interval as the error bar where it has one
    (a bar without is drawn without, not with a zero-width interval)."""
    data = model_rows(doc)
    models = sorted({m["model"] for m in data})
    ax.barh(range(len(data)), [m["fps_per_machine"] for m in data],
            color=[f"C{models.index(m['model']) % 10}" for m in data])
    ranged = [(i, m) for i, m in enumerate(data) if m["fps_low"] is not None]
    if ranged:
        ax.errorbar([m["fps_per_machine"] for _, m in ranged], [i for i, _ in ranged],
                    xerr=[[m["fps_per_machine"] - m["fps_low"] for _, m in ranged],
                          [m["fps_high"] - m["fps_per_machine"] for _, m in ranged]],
                    fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(range(len(data)), [_label(f"{m['model']} on {m['hardware_class']}")
                                     for m in data])
    ax.invert_yaxis()
    ax.set_xlabel("FPS per machine (95 % interval)")
    ax.set_title("each model's best configuration per class")


def _mix_panel(doc: FleetReport, ax) -> None:
    """Machines per class for the mix, each bar labelled with its count and cost."""
    served = [r for r in mix_rows(doc) if r["machines"] is not None]
    if not served:
        ax.set_axis_off()
        ax.set_title("(no --mix)" if not doc.mix else "no class serves the mix")
        return
    bars = ax.barh([_label(r["hardware_class"]) for r in served],
                   [r["machines"] for r in served], color="#55a868")
    ax.bar_label(bars, [f"{r['machines']}" + ("" if r["cost_per_hour"] is None else
                                               f", {r['cost_per_hour']:,.2f}/h")
                        for r in served], padding=3)
    ax.invert_yaxis()
    ax.set_xlabel("machines")
    ax.set_title(_label(f"machines for the mix {mix_targets(doc)}"))


def render_run(run: FleetRun, console: Console) -> None:
    """What each node of a fleet run did."""
    command = escape(" ".join(run.command))
    table = Table(title=f"fleet run ({run.status}): perfbench {command}",
                  title_justify="left")
    for column in ("node", "labels", "status", "result or error"):
        table.add_column(column)
    for node in run.nodes:
        labels = ", ".join(f"{k}={v}" for k, v in node.labels.items())
        table.add_row(escape(node.name), escape(labels), node.status,
                      escape(node.file or node.error))
    console.print(table)
