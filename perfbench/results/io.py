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


def from_document(data: object, where: str) -> BenchmarkResult:
    """A parsed JSON document as a typed result; ``where`` names it in errors."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
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
