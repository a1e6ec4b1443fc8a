"""github-action-benchmark: a JSON array of {name, unit, value, range?, extra?} per file.

The tool's direction is set per workflow step (customBiggerIsBetter /
customSmallerIsBetter), so bigger-is-better metrics (FPS, GFLOP/s) and smaller-is-better
ones (latencies) go to two files: ``PREFIX-bigger.json`` and ``PREFIX-smaller.json``.
"""

from __future__ import annotations


from perfbench.files import atomic_write, json_text
from perfbench.results.metrics import Metric


def entries(name: str, metrics: list[Metric], bigger: bool) -> list[dict]:
    out = []
    for m in metrics:
        if m.bigger_is_better != bigger:
            continue
        entry = {"name": f"{name} - {m.name}", "unit": m.unit, "value": m.value}
        if m.lower is not None and m.upper is not None:
            entry["range"] = f"± {max(m.value - m.lower, m.upper - m.value):.6g}"
            entry["extra"] = f"95% CI [{m.lower:.6g}, {m.upper:.6g}]"
        out.append(entry)
    return out


def export(name: str, metrics: list[Metric], prefix: str) -> list[str]:
    written = []
    for suffix, bigger in (("bigger", True), ("smaller", False)):
        path = f"{prefix}-{suffix}.json"
        atomic_write(path, json_text(entries(name, metrics, bigger)))
        written.append(path)
    return written
