"""Bencher Metric Format: {benchmark: {measure: {value, lower_value?, upper_value?}}}.

``throughput`` and ``latency`` are Bencher's built-in measures; latency there is in
nanoseconds, so p50/p90/p99 are converted.  Other measures are created on first use.
"""

from __future__ import annotations


from perfbench.files import atomic_write, json_text
from perfbench.results.metrics import Metric

_MEASURES = {"fps": ("throughput", 1.0), "p50": ("latency", 1e6),
             "p90": ("latency-p90", 1e6), "p99": ("latency-p99", 1e6),
             "gflops": ("effective-gflops", 1.0)}


def document(name: str, metrics: list[Metric]) -> dict:
    measures = {}
    for m in metrics:
        measure, scale = _MEASURES[m.name]
        entry = {"value": m.value * scale}
        if m.lower is not None and m.upper is not None:
            entry["lower_value"] = m.lower * scale
            entry["upper_value"] = m.upper * scale
        measures[measure] = entry
    return {name: measures}


def export(name: str, metrics: list[Metric], path: str) -> list[str]:
    atomic_write(path, json_text(document(name, metrics)))
    return [path]
