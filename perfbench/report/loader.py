"""Every input ``perfbench report`` takes, recognised by what it is, not by its name.

A file is a history database (SQLite) or a JSON document named by its ``schema``; a
directory is a suite (it holds ``suite.json``) or a fleet directory (result and sweep files,
and a ``fleet run … -- suite`` directory's NODE/suite.json, merged as ``perfbench fleet
report`` merges them).  Anything else is one line naming it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from perfbench.errors import UsageError
from perfbench.results import from_document
from perfbench.results.io import read_json

SQLITE_MAGIC = b"SQLite format 3\x00"
#: schema -> view kind
KINDS = {"perfbench.result": "run", "perfbench.shapes": "shapes", "perfbench.sweep": "sweep",
         "perfbench.ab": "ab", "perfbench.fleet-report": "fleet", "perfbench.suite": "suite"}
SUPPORTED_VERSIONS = {"perfbench.shapes": 1, "perfbench.sweep": (1, 2), "perfbench.ab": 2,
                      "perfbench.fleet-report": 1, "perfbench.suite": 1}


@dataclass
class Input:
    """One recognised input: its view kind, a display name, and what the view reads."""

    kind: str
    name: str
    data: object
    schema: str = ""
    version: int | None = None
    provenance: dict = field(default_factory=dict)   # openvino, hardware classes seen


def load_inputs(paths: list[str]) -> list[Input]:
    if not paths:
        raise UsageError("report needs at least one input file or directory")
    return [load_input(path) for path in paths]


def load_input(path: str) -> Input:
    if os.path.isdir(path):
        return _directory(Path(path))
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such file or directory")
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            return Input("history", path, path, "history database")
    return from_json(read_json(path, "input file"), path)


def from_json(data: object, name: str) -> Input:
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema == "perfbench.fleet-run":
        return _directory(Path(name).parent)
    if schema not in KINDS:
        raise UsageError(f"{name}: not a document perfbench report draws (schema "
                         f"{schema!r:.40}); it reads results, shapes, sweeps, A/B runs, "
                         "fleet reports and directories, suites and history databases")
    version = data.get("schema_version")
    drawn = SUPPORTED_VERSIONS.get(schema)
    drawn = drawn if isinstance(drawn, tuple) else (drawn,)
    if schema in SUPPORTED_VERSIONS and version not in drawn:
        raise UsageError(f"{name}: {schema} version {version!r}; this perfbench draws "
                         f"version {' or '.join(map(str, drawn))}")
    if schema == "perfbench.result":
        result = from_document(data, name)
        return Input("run", name, result, schema, result.schema_version, _of(result))
    return Input(KINDS[schema], name, data, schema, version, _provenance(data))


def _directory(path: Path) -> Input:
    if (path / "suite.json").is_file():
        return from_json(read_json(str(path / "suite.json"), "suite file"), str(path))
    from perfbench.sizing.fleet import measured_from, report, suite_directory_measured
    files = sorted(path.glob("*.json"))
    nodes = sorted(p.parent for p in path.glob("*/suite.json"))   # fleet run … -- suite
    if not files and not nodes:
        raise UsageError(f"{path}: no suite.json and no .json result file in this directory")
    measured = [m for f in files for m in measured_from(read_json(str(f)), str(f))]
    measured += [m for node in nodes for m in suite_directory_measured(str(node))]
    if not measured:
        raise UsageError(f"{path}: no complete result in this directory")
    doc = report(measured, None, None, 0.2, None)
    seen = doc["classes"] + doc.get("models", [])
    return Input("fleet", str(path), doc, "perfbench.fleet-report", 1,
                 {"hardware_class": sorted({c["hardware_class"] for c in seen})})


def _of(result) -> dict:
    host = result.host or {}
    return {"openvino": [result.environment.get("openvino")],
            "hardware_class": [host.get("hardware_class")] if host else []}


def _provenance(data: dict) -> dict:
    """OpenVINO versions and hardware classes a document names (its results', sides')."""
    seen = {"openvino": set(), "hardware_class": set()}
    results = data.get("results")      # a fleet report's is a count, not a list
    nested = [p.get("result") for p in data.get("points", [])] + \
        (results if isinstance(results, list) else [])
    for doc in nested:
        if isinstance(doc, dict):
            seen["openvino"].add((doc.get("environment") or {}).get("openvino"))
            seen["hardware_class"].add((doc.get("host") or {}).get("hardware_class"))
    for side in (data.get("sides") or {}).values():
        if isinstance(side, dict):
            seen["openvino"].add(side.get("openvino"))
    for c in [c for key in ("classes", "models") if isinstance(data.get(key), list)
              for c in data[key] if isinstance(c, dict)]:
        seen["hardware_class"].add(c.get("hardware_class"))
    return {k: sorted(v - {None}) for k, v in seen.items()}
