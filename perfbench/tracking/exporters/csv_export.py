"""The main figures as CSV: one row per metric, for spreadsheets and ad-hoc plotting."""

from __future__ import annotations

import csv
import io

from perfbench.files import atomic_write
from perfbench.results.metrics import Metric

COLUMNS = ("benchmark", "metric", "unit", "value", "ci95_low", "ci95_high", "bigger_is_better")


def text(name: str, metrics: list[Metric]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for m in metrics:
        writer.writerow([name, m.name, m.unit, m.value, "" if m.lower is None else m.lower,
                         "" if m.upper is None else m.upper, m.bigger_is_better])
    return buffer.getvalue()


def export(name: str, metrics: list[Metric], path: str) -> list[str]:
    atomic_write(path, text(name, metrics))
    return [path]
