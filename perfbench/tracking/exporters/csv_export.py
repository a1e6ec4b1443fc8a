"""The main figures as CSV: one row per metric, for spreadsheets and ad-hoc plotting.

Each row's interval is spelled as in every document (issue 25): ``value``, ``low``,
``high``, ``level`` (0.95; all three empty where the metric has no interval).  Before
result schema 4 the bounds were ``ci95_low``/``ci95_high`` and there was no ``level``."""

from __future__ import annotations

import csv
import io

from perfbench.files import atomic_write
from perfbench.results.metrics import Metric
from perfbench.results.types import LEVEL

COLUMNS = ("benchmark", "metric", "unit", "value", "low", "high", "level",
           "bigger_is_better")


def text(name: str, metrics: list[Metric]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for m in metrics:
        known = m.lower is not None and m.upper is not None
        writer.writerow([name, m.name, m.unit, m.value, m.lower if known else "",
                         m.upper if known else "", LEVEL if known else "",
                         m.bigger_is_better])
    return buffer.getvalue()


def export(name: str, metrics: list[Metric], path: str) -> list[str]:
    atomic_write(path, text(name, metrics))
    return [path]
