"""The fleet view: cost per 1,000 FPS and machines needed per hardware class, and FPS per
machine with its interval, all read from the ``perfbench.fleet-report`` document."""

from __future__ import annotations

from perfbench.report.html import (Section, chart, interval, note, num, require_plotly,
                                   table)


def section(doc: dict, name: str, anchor: str) -> Section:
    go = require_plotly()
    classes = doc["classes"]
    names = [c["hardware_class"] for c in classes]
    part = Section(anchor, f"Fleet: {name}", badge=(f"cheapest: {doc['cheapest']}", "ok")
                   if doc.get("cheapest") else None)
    fps = go.Figure(go.Bar(
        x=names, y=[c["fps"] for c in classes], name="FPS per machine (95 % interval)",
        text=[c["configuration"] for c in classes],
        error_y={"type": "data", "symmetric": False,
                 "array": [(c["fps_high"] - c["fps"]) if c["fps_high"] else 0 for c in classes],
                 "arrayminus": [(c["fps"] - c["fps_low"]) if c["fps_low"] else 0
                                for c in classes]},
        hovertemplate="%{x}: %{y:,.1f} images/s<br>%{text}"))
    part.add(chart(fps, f"{anchor}-fps", "Throughput per machine, best configuration per class",
                   "hardware class", "throughput per machine (images/s)"))
    for key, title, unit in (("cost_per_1000_fps_hour", "Cost per 1,000 FPS",
                              "price per hour per 1,000 images/s"),
                             ("machines", "Machines needed", "machines")):
        costed = [c for c in classes if key in c["plan"]]
        if costed:
            bar = go.Figure(go.Bar(x=[c["hardware_class"] for c in costed],
                                   y=[c["plan"][key] for c in costed], name=title,
                                   hovertemplate="%{x}: %{y:,.4g}"))
            part.add(chart(bar, f"{anchor}-{key}", title, "hardware class", unit))
        else:
            part.add(note(f"{title}: not computed (give --prices / --target-fps to fleet "
                          "report)."))
    rows = [[c["hardware_class"], c["configuration"], num(c["fps"]),
             interval(c["fps_low"], c["fps_high"]), num(c["p99_ms"]), c["machines_measured"],
             num(c["plan"].get("machines")), num(c["plan"].get("cost_per_1000_fps_hour")),
             "; ".join(c.get("flags") or [])] for c in classes]
    return part.add(table(["class", "configuration", "FPS/machine", "95 % interval", "p99 ms",
                           "machines measured", "machines needed", "cost per 1,000 FPS·h",
                           "flags"], rows))
