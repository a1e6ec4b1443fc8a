"""``perfbench.shapes``: the document of ``run --data-shape`` (the model compiled once,
each shape measured in turn), every shape's full ``perfbench.result`` in the order
measured.  Its status is decided here, once, from what was measured."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perfbench.results.types import BenchmarkResult, SchemaError, _number, _table

SCHEMA = "perfbench.shapes"
SCHEMA_VERSION = 1
STATUSES = ("complete", "interrupted", "partial")


@dataclass(frozen=True)
class ShapesResult:
    """``status``: complete when every shape was measured to its end; ``partial`` (with
    the ``error``) when a later shape failed and the shapes before it are kept;
    ``interrupted`` when a stop cut it short."""

    status: str
    shapes_requested: int
    results: tuple[BenchmarkResult, ...]
    error: str | None = None

    schema = SCHEMA
    schema_version = SCHEMA_VERSION

    @classmethod
    def measured(cls, results: list[BenchmarkResult], expected: int,
                 error: str | None = None) -> "ShapesResult":
        complete = len(results) == expected and all(r.status == "complete" for r in results)
        status = "partial" if error else "complete" if complete else "interrupted"
        return cls(status, expected, tuple(results), error)

    @property
    def shapes_measured(self) -> int:
        return len(self.results)

    def to_dict(self) -> dict:
        doc = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "status": self.status,
               "shapes_requested": self.shapes_requested,
               "shapes_measured": self.shapes_measured,
               "results": [r.to_dict() for r in self.results]}
        if self.error:
            doc["error"] = self.error
        return doc

    @classmethod
    def from_dict(cls, data: Any,
                  read_result: Callable[[object, str], BenchmarkResult]) -> "ShapesResult":
        """``read_result``: the registry's reader of a nested result (its schema and
        version checked, a problem a :class:`SchemaError`)."""
        data = _table(data, "shapes")
        if data.get("status") not in STATUSES:
            raise SchemaError(f"status must be one of {', '.join(STATUSES)} "
                              f"(got {data.get('status')!r:.40})")
        results = data.get("results")
        if not isinstance(results, list):
            raise SchemaError("results must be a list of perfbench.result documents")
        typed = tuple(read_result(r, f"shape {i + 1}") for i, r in enumerate(results))
        requested = int(_number(data, "shapes_requested", "shapes") or 0)
        if _number(data, "shapes_measured", "shapes") != len(typed):
            raise SchemaError(f"shapes_measured is {data['shapes_measured']!r} but the "
                              f"document holds {len(typed)} results")
        error = data.get("error")
        return cls(data["status"], requested, typed, None if error is None else str(error))
