"""The machine-readable result: the schema is defined by ``BenchmarkResult.to_dict``."""

from __future__ import annotations


from perfbench.files import json_text, write_json
from perfbench.results.types import BenchmarkResult


def render(result: BenchmarkResult) -> str:
    return json_text(result.to_dict())


def write(result: BenchmarkResult, path: str) -> None:
    write_json(path, result.to_dict())
