"""Every input ``perfbench report`` takes, recognised by what it is, not by its name.

A file is a history database (SQLite) or a JSON document named by its ``schema`` (read,
checked and upgraded by ``results.registry``, the one table of schemas and versions); a
directory is a suite (it holds ``suite.json``) or a fleet directory (result and sweep files,
and a ``fleet run … -- suite`` directory's NODE/suite.json), which the caller's
``fleet_of`` merges as ``perfbench fleet report`` does (the merge is a producer's, in
``sizing.fleet``; this layer only draws documents).  Anything else is one line naming it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfbench.errors import UsageError
from perfbench.results.ab import ABResult
from perfbench.results.fleet import FleetReport
from perfbench.results.registry import read_document, read_json
from perfbench.results.shapes import ShapesResult
from perfbench.results.suite import SuiteDocument
from perfbench.results.sweep import SweepResult
from perfbench.results.types import BenchmarkResult

SQLITE_MAGIC = b"SQLite format 3\x00"
#: schema -> the view that draws it
VIEWS = {"perfbench.result": "run", "perfbench.shapes": "shapes", "perfbench.sweep": "sweep",
         "perfbench.ab": "ab", "perfbench.fleet-report": "fleet", "perfbench.suite": "suite"}
FLEET_RUN = "perfbench.fleet-run"
#: A fleet directory's merged report (``sizing.fleet.directory_report``).
FleetOf = Callable[[str], FleetReport]


@dataclass
class Input:
    """One recognised input: its view kind, a display name, and what the view reads."""

    kind: str
    name: str
    data: Any
    schema: str = ""
    version: int | None = None
    provenance: dict = field(default_factory=dict)   # openvino, hardware classes seen


def load_inputs(paths: list[str], fleet_of: FleetOf | None = None) -> list[Input]:
    if not paths:
        raise UsageError("report needs at least one input file or directory")
    return [load_input(path, fleet_of) for path in paths]


def load_input(path: str, fleet_of: FleetOf | None = None) -> Input:
    if os.path.isdir(path):
        return _directory(Path(path), fleet_of)
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such file or directory")
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            return Input("history", path, path, "history database")
    return from_json(read_json(path, "input file"), path, fleet_of)


def from_json(data: object, name: str, fleet_of: FleetOf | None = None) -> Input:
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema == FLEET_RUN:
        return _directory(Path(name).parent, fleet_of)
    if not isinstance(schema, str) or schema not in VIEWS:
        raise UsageError(f"{name}: not a document perfbench report draws (schema "
                         f"{schema!r:.40}); it reads results, shapes, sweeps, A/B runs, "
                         "fleet reports and directories, suites and history databases")
    assert isinstance(data, dict)
    document = read_document(data, name)      # upgraded; the page names the file's version
    return Input(VIEWS[schema], name, document, schema, data.get("schema_version"),
                 provenance(document))


def _directory(path: Path, fleet_of: FleetOf | None) -> Input:
    if (path / "suite.json").is_file():
        return from_json(read_json(str(path / "suite.json"), "suite file"), str(path))
    if fleet_of is None:
        raise UsageError(f"{path}: no suite.json in this directory")
    report = fleet_of(str(path))
    return Input("fleet", str(path), report, report.schema, report.schema_version,
                 provenance(report))


def provenance(document: Any) -> dict:
    """OpenVINO versions and hardware classes a document names (its results', sides')."""
    seen: dict[str, set] = {"openvino": set(), "hardware_class": set()}
    if isinstance(document, FleetReport):
        seen["hardware_class"] = {c.hardware_class for c in document.classes} | \
            {m.hardware_class for m in document.models or ()}
    elif isinstance(document, (BenchmarkResult, ShapesResult, SweepResult)):
        for result in _results_of(document):
            seen["openvino"].add(_named(result.environment.get("openvino")))
            seen["hardware_class"].add(_named((result.host or {}).get("hardware_class")))
    elif isinstance(document, ABResult):
        seen["openvino"] = {_named((side or {}).get("openvino"))
                            for side in document.sides.values()}
        seen["hardware_class"].add(_named((document.host or {}).get("hardware_class")))
    elif isinstance(document, SuiteDocument):       # what its entries' results named
        for key, values in (document.provenance or {}).items():
            if key in seen and isinstance(values, list):
                seen[key].update(v for v in values if isinstance(v, str))
    # every kind the report draws is one of the types above (VIEWS): none is a dict
    return {k: sorted(v - {None}) for k, v in seen.items()}


def _results_of(document: BenchmarkResult | ShapesResult | SweepResult) -> list:
    """The results a typed document holds: its own, its shapes', its measured points'."""
    if isinstance(document, ShapesResult):
        return list(document.results)
    if isinstance(document, SweepResult):
        return [p.result for p in document.points if p.result is not None]
    return [document]


def _named(value: object) -> str | None:
    """A provenance name as the page shows it: a hand-edited file's list or table where a
    name belongs is no name (the page is drawn, not refused, for a label)."""
    return value if isinstance(value, str) else None
