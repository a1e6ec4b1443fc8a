"""A saved sweep to resume (``--resume``), as ``load_previous`` returns it: typed, with
only what a test sets; the rest as an interrupted sweep that measured nothing else."""

from __future__ import annotations

from perfbench.results import from_document
from perfbench.results.sweep import SweepPoint, SweepResult


def point(key: str, status: str, document: dict | None = None) -> SweepPoint:
    """A saved point; ``document`` its result's JSON (None: not measured)."""
    result = None if document is None else from_document(document, f"point {key}")
    return SweepPoint(key, {}, status, result=result)


def resumed(spec=None, points=(), race=None, fidelity=(), elapsed_s: float = 0.0,
            mode: str = "race") -> SweepResult:
    return SweepResult("interrupted", mode, None, "", spec.to_dict() if spec else {},
                       elapsed_s, tuple(points), (), (), {}, {}, race=race,
                       fidelity=tuple(fidelity))
