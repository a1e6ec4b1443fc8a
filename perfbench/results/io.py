"""Reading result files back: the one reader every consumer uses.

Anything that is not a perfbench result this version understands gets a one-line error
naming the file and what is wrong (corrupt JSON, another tool's output, a newer schema, a
field of the wrong type), never a traceback; what comes back is the typed result.
"""

from __future__ import annotations

import json
import os

from perfbench.errors import UsageError
from perfbench.results.types import SCHEMA, SCHEMA_VERSION, BenchmarkResult, SchemaError


def read_json(path: str, what: str = "result file") -> object:
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such {what}")
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: corrupt JSON ({exc.msg} at line {exc.lineno})") from None


#: perfbench's other documents, by schema: what each is and what reads it, so that one
#: given where a single run's result is expected is named, not taken for another tool's.
OTHER_DOCUMENTS = {
    "perfbench.sweep": "a sweep (perfbench sweep --json); perfbench fleet report and sweep "
                       "--resume read it, and each finished point's result is in "
                       "points[].result",
    "perfbench.shapes": "a --data-shape run (perfbench run --data-shape --json); each "
                        "shape's result is in its results list",
    "perfbench.comparison": "a comparison (perfbench compare --json); no command reads it "
                            "back: compare the result files it names",
    "perfbench.ab": "an A/B run (perfbench ab --json); no command reads it back: ab "
                    "--history DB records it for perfbench history",
    "perfbench.server-search": "a server rate search (perfbench sweep --scenario server "
                               "--json); no command reads it back",
    "perfbench.fleet-report": "a fleet report (perfbench fleet report --json); no command "
                              "reads it back",
    "perfbench.suite": "a suite's index (perfbench suite --out DIR); each entry's result is "
                       "DIR/ENTRY.json, and fleet report reads the directory",
    "perfbench.fleet-suite": "a fleet node's suite directory in transit (fleet run -- "
                             "suite); the driver writes it back as a suite directory",
    "perfbench.fleet-run": "the index perfbench fleet run writes; perfbench fleet report "
                           "reads the directory it is in",
}


def from_document(data: object, where: str) -> BenchmarkResult:
    """A parsed JSON document as a typed result; ``where`` names it in errors."""
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema in OTHER_DOCUMENTS:
        raise UsageError(f"{where}: not a single run's result but {OTHER_DOCUMENTS[schema]}")
    if schema != SCHEMA:
        raise UsageError(f"{where}: not a perfbench result (no \"schema\": \"{SCHEMA}\"; "
                         "another tool's file?)")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UsageError(f"{where}: unsupported schema version {version!r}")
    if version > SCHEMA_VERSION:
        raise UsageError(f"{where}: schema version {version} is newer than this perfbench "
                         f"understands ({SCHEMA_VERSION}); upgrade perfbench")
    try:
        return BenchmarkResult.from_dict(data)
    except SchemaError as exc:
        raise UsageError(f"{where}: invalid result: {exc}") from None


def load(path: str) -> BenchmarkResult:
    """The typed result in ``path``, validated."""
    return from_document(read_json(path), path)
