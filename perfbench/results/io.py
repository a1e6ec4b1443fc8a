"""Reading documents back: the one door every consumer uses (the registry behind it).

Anything that is not a perfbench document this version understands gets a one-line error
naming the file and what is wrong (corrupt JSON, another tool's output, a newer schema, a
field of the wrong type), never a traceback; what comes back is typed.  :func:`load` and
:func:`from_document` want a single run's result and name any other perfbench document
for what it is; :func:`load_document` takes any.
"""

from __future__ import annotations

from typing import Any

from perfbench.results.registry import read_document, read_json
from perfbench.results.types import SCHEMA, BenchmarkResult

__all__ = ["from_document", "load", "load_document", "read_document", "read_json"]


def from_document(data: object, where: str) -> BenchmarkResult:
    """A parsed JSON document as a typed result; ``where`` names it in errors."""
    result: BenchmarkResult = read_document(data, where, SCHEMA)
    return result


def load(path: str) -> BenchmarkResult:
    """The typed result in ``path``, validated."""
    return from_document(read_json(path), path)


def load_document(path: str) -> Any:
    """Any perfbench document in ``path``, upgraded to its current version and read:
    a ``BenchmarkResult``, ``ShapesResult``, ``SweepResult``, ``FleetReport``, ``FleetRun``,
    ``ServerSearch``, ``ABResult`` or ``Comparison``, or the checked dict of a kind not
    typed yet (the suite)."""
    return read_document(read_json(path, "file"), path)
