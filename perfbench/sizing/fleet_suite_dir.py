"""A node's suite directory in transit: packed into one document on the node (``suite.json``
and each entry's result file), unpacked on the driver as the node wrote it, and the test
of whether a suite directory already holds every entry it was asked for (``--resume``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from perfbench.files import write_json
from perfbench.suite.document import FINAL
from perfbench.suite.runner import NOT_SELECTED

#: What a node task returns for ``-- suite``: its suite directory in one document.
SUITE_SCHEMA = "perfbench.fleet-suite"


def read_suite_directory(directory: str) -> dict:
    """A node's suite directory as one document to send back: its ``suite.json`` and each
    entry's result file, by name."""
    with open(os.path.join(directory, "suite.json"), encoding="utf-8") as handle:
        suite = json.load(handle)
    files = {}
    for record in suite.get("entries", []):
        name = record.get("file")
        if name and os.path.isfile(os.path.join(directory, name)):
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                files[name] = json.load(handle)
    return {"schema": SUITE_SCHEMA, "status": suite.get("status"), "suite": suite,
            "files": files}


def write_suite_directory(document: dict, directory: Path) -> None:
    """A node's suite directory on the driver, as the node wrote it, with the fleet block
    (command, label, times) in its ``suite.json``."""
    for name, content in document["files"].items():
        write_json(str(directory / Path(name).name), content)
    write_json(str(directory / "suite.json"), dict(document["suite"],
                                                   fleet=document.get("fleet")))


def suite_done(document: dict) -> bool:
    """A node's suite ran every entry it was asked to: complete, or partial with nothing
    left but the entries ``--select`` left out (a budget's skipped entries were asked for)."""
    if document.get("status") == "complete":
        return True
    return document.get("status") == "partial" and all(
        r.get("status") in FINAL or (r.get("status") == "skipped" and
                                     r.get("message") == NOT_SELECTED)
        for r in document.get("entries") or [] if isinstance(r, dict))
