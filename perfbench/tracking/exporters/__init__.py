"""Exporters: plug-ins that write a result's headline metrics in another tool's format.

Each exporter is a function ``(name, metrics, destination) -> list[written paths]``,
registered in :data:`EXPORTERS` under the CLI option that selects it.  Adding a format means
adding a module and one line here; nothing else in perfbench changes.
"""

from __future__ import annotations

from typing import Callable

from perfbench.results.metrics import Metric
from perfbench.tracking.exporters import bmf
from perfbench.tracking.exporters import csv_export
from perfbench.tracking.exporters import gab

Exporter = Callable[[str, list[Metric], str], list[str]]

#: CLI option (without --export-) -> exporter
EXPORTERS: dict[str, Exporter] = {
    "gab": gab.export,
    "bmf": bmf.export,
    "csv": csv_export.export,
}


def export_all(name: str, metrics: list[Metric], destinations: dict[str, str]) -> list[str]:
    """Run every requested exporter (option -> destination); return the files written."""
    return [path for option, destination in destinations.items()
            for path in EXPORTERS[option](name, metrics, destination)]
