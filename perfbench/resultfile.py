"""Reading result files back: anything that is not a perfbench result we understand gets a
clear message (corrupt JSON, another tool's output, a newer schema), never a crash."""

from __future__ import annotations

import json
import os

from .errors import UsageError
from .result import SCHEMA, SCHEMA_VERSION

_REQUIRED = ("model", "config", "results", "environment")
_REQUIRED_RESULTS = ("fps", "effective_gflops", "latency_ms", "duration_s")


def load_result(path: str) -> dict:
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such result file")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: corrupt JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(f"{path}: not a perfbench result (no \"schema\": \"{SCHEMA}\"; "
                         "another tool's file?)")
    version = data.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise UsageError(f"{path}: unsupported schema version {version!r}")
    if version > SCHEMA_VERSION:
        raise UsageError(f"{path}: schema version {version} is newer than this perfbench "
                         f"understands ({SCHEMA_VERSION}); upgrade perfbench")
    missing = [k for k in _REQUIRED if not isinstance(data.get(k), dict)]
    missing += [] if isinstance(data.get("status"), str) else ["status"]
    missing += [f"results.{k}" for k in _REQUIRED_RESULTS
                if not isinstance(data.get("results"), dict) or k not in data["results"]]
    if missing:
        raise UsageError(f"{path}: incomplete result, missing {', '.join(missing)}")
    return data
