"""Fidelity along a history: each configuration's latest ``--fidelity`` run judged against
the one before it, with the same rules as ``compare`` (:mod:`.fidelity_verdict`), so that a
run whose answers changed (a new release, a re-exported model) fails ``perfbench history``
with exit 1 as it would fail ``compare``."""

from __future__ import annotations

import json
from dataclasses import dataclass

from perfbench.results import from_document
from perfbench.results.metrics import benchmark_name
from perfbench.results.types import BenchmarkResult
from perfbench.tracking.fidelity_verdict import FidelityComparison, compare_fidelity
from perfbench.tracking.fidelity_tolerances import DEFAULT_THRESHOLDS, FidelityThresholds
from perfbench.tracking.history import _check_is_history, _open_read_only, config_key


@dataclass(frozen=True)
class FidelityStep:
    """A configuration's last fidelity run against its previous one."""

    config: str
    benchmark: str
    runs: int                     # complete runs with fidelity figures
    previous_run: int
    last_run: int
    last: BenchmarkResult
    judged: FidelityComparison


def fidelity_steps(path: str, thresholds: FidelityThresholds = DEFAULT_THRESHOLDS
                   ) -> list[FidelityStep]:
    """One step per configuration with at least two fidelity runs, oldest key first."""
    _check_is_history(path, "history")
    conn = _open_read_only(path, "history")
    try:
        rows = conn.execute("SELECT id, result FROM runs WHERE status = 'complete' "
                            "ORDER BY id").fetchall()
    finally:
        conn.close()
    grouped: dict[tuple[str, str], list[tuple[int, BenchmarkResult]]] = {}
    for run_id, document in rows:
        data = json.loads(document)
        if not data.get("fidelity"):
            continue
        result = from_document(data, f"{path} run {run_id}")
        grouped.setdefault((config_key(result), benchmark_name(result)), []).append(
            (run_id, result))
    steps = []
    for (key, name), runs in grouped.items():
        if len(runs) < 2:
            continue
        (before_id, before), (last_id, last) = runs[-2], runs[-1]
        steps.append(FidelityStep(key, name, len(runs), before_id, last_id, last,
                                  compare_fidelity([before], [last], thresholds)))
    return steps
