"""The machine-readable result: the schema is defined by ``BenchmarkResult.to_dict``."""

from __future__ import annotations

import json
import sys

from perfbench.files import atomic_write
from perfbench.results.types import BenchmarkResult


def render(result: BenchmarkResult) -> str:
    return json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"


def write(result: BenchmarkResult, path: str) -> None:
    text = render(result)
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write(path, text)
