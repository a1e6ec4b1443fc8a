"""The fleet view: cost per 1,000 FPS and machines needed per hardware class, and FPS per
machine with its interval, all read from the typed ``perfbench.fleet-report`` document; for
suite inputs, each model's best configuration per class and the machines (and cost) the
``--mix`` needs per class, since classes are compared on the same models only."""

from __future__ import annotations

from collections.abc import Sequence

from perfbench.report.html import (Section, chart, error_bars, heading, interval, note, num,
                                   require_plotly, table)
from perfbench.results.fleet import ClassSummary, FleetReport, Mix, ModelBest


def section(doc: FleetReport, name: str, anchor: str) -> Section:
    go = require_plotly()
    cheapest = doc.cheapest or (doc.mix.cheapest if doc.mix else None)
    part = Section(anchor, f"Fleet: {name}", badge=(f"cheapest: {cheapest}", "ok")
                   if cheapest else None)
    if doc.classes:
        _classes(part, doc.classes, anchor, go)
    if doc.note:
        part.add(note(doc.note))
    if doc.models:
        _models(part, doc.models, anchor, go)
    if doc.mix:
        _mix(part, doc.mix, anchor, go)
    return part


def _fps_bars(rows: Sequence[ClassSummary | ModelBest]) -> dict:
    return error_bars([r.fps.value for r in rows], [r.fps.low for r in rows],
                      [r.fps.high for r in rows])


def _classes(part: Section, classes: Sequence[ClassSummary], anchor: str, go) -> None:
    names = [c.hardware_class for c in classes]
    fps = go.Figure(go.Bar(
        x=names, y=[c.fps.value for c in classes], name="FPS per machine (95 % interval)",
        text=[c.configuration for c in classes],
        error_y=_fps_bars(classes),
        hovertemplate="%{x}: %{y:,.1f} images/s<br>%{text}"))
    part.add(chart(fps, f"{anchor}-fps", "Throughput per machine, best configuration per class",
                   "hardware class", "throughput per machine (images/s)"))
    for key, title, unit in (("cost_per_1000_fps_hour", "Cost per 1,000 FPS",
                              "price per hour per 1,000 images/s"),
                             ("machines", "Machines needed", "machines")):
        costed = [c for c in classes if getattr(c.plan, key) is not None]
        if costed:
            bar = go.Figure(go.Bar(x=[c.hardware_class for c in costed],
                                   y=[getattr(c.plan, key) for c in costed], name=title,
                                   hovertemplate="%{x}: %{y:,.4g}"))
            part.add(chart(bar, f"{anchor}-{key}", title, "hardware class", unit))
        else:
            part.add(note(f"{title}: not computed (give --prices / --target-fps to fleet "
                          "report)."))
    rows = [[c.hardware_class, c.configuration, num(c.fps.value),
             interval(c.fps.low, c.fps.high), num(c.p99_ms), c.machines_measured,
             num(c.plan.machines), num(c.plan.cost_per_1000_fps_hour),
             "; ".join(c.flags)] for c in classes]
    part.add(table(["class", "configuration", "FPS/machine", "95 % interval", "p99 ms",
                    "machines measured", "machines needed", "cost per 1,000 FPS·h",
                    "flags"], rows))


def _models(part: Section, models: Sequence[ModelBest], anchor: str, go) -> None:
    """One bar per class for each model (a trace per model), so a class is only ever
    set beside another on the same model."""
    figure = go.Figure()
    for model in sorted({m.model for m in models}):
        rows = [m for m in models if m.model == model]
        figure.add_trace(go.Bar(
            x=[m.hardware_class for m in rows], y=[m.fps.value for m in rows], name=model,
            text=[m.configuration for m in rows],
            error_y=_fps_bars(rows),
            hovertemplate="%{x}: %{y:,.1f} images/s<br>%{text}"))
    figure.update_layout(barmode="group")
    part.add(heading("Suite models"),
             chart(figure, f"{anchor}-models", "Throughput per machine, each model's best "
                   "configuration per class", "hardware class",
                   "throughput per machine (images/s)"),
             table(["class", "model", "best configuration", "FPS/machine", "95 % interval",
                    "p99 ms", "meets SLA", "machines measured"],
                   [[m.hardware_class, m.model, m.configuration, num(m.fps.value),
                     interval(m.fps.low, m.fps.high), num(m.p99_ms),
                     "yes" if m.meets_sla else "no", m.machines_measured]
                    for m in models]))


def _mix(part: Section, mix: Mix, anchor: str, go) -> None:
    """Machines per class for the whole mix; a class missing a model of it has none."""
    targets = ", ".join(f"{k}={num(v)}" for k, v in mix.targets.items())
    served = [r for r in mix.classes if r.machines is not None]
    part.add(heading(f"Mix: {targets} FPS"))
    if served:
        bar = go.Figure(go.Bar(x=[r.hardware_class for r in served],
                               y=[r.machines for r in served], name="machines for the mix",
                               hovertemplate="%{x}: %{y} machines"))
        part.add(chart(bar, f"{anchor}-mix", "Machines for the mix", "hardware class",
                       "machines"))
    part.add(table(["class", "load (machines, unrounded)", "machines", "cost per hour",
                    "not measured"],
                   [[r.hardware_class, num(r.load),
                     "–" if r.machines is None else r.machines,
                     num(r.cost_per_hour), ", ".join(r.missing) or "–"]
                    for r in mix.classes]))
