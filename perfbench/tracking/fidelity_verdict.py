"""Did NEW give other answers than BASE?  Fidelity judged beside speed in ``compare``.

Two questions, each a judged item apart from the speed metrics:

* **Did the configured precision lose fidelity?**  Per output, NEW's top-1 and top-5
  agreement with its f32 reference against BASE's (a drop of more than
  :data:`DEFAULT_AGREEMENT_DROP_PP` percentage points is a regression), and its SQNR
  (a fall of more than :data:`DEFAULT_SQNR_DROP_DB` dB).  An identical output has an
  infinite SQNR: any fall from it is infinite, a regression.
* **Did the reference itself change?**  When both results stored their f32 reference
  outputs on the same inputs (same digest), those are compared with each other: a model
  whose weights changed, or a release that changed f32 answers, gives other reference
  outputs.  Their SQNR below :data:`DEFAULT_REFERENCE_SQNR_DB`, or their top-1 agreement
  below :data:`DEFAULT_REFERENCE_TOP1_PCT`, is a regression.

Each tolerance is an option of ``compare`` and ``history`` (:mod:`.fidelity_tolerances`,
where every default is defined).

Fidelity on the same inputs, model and release is deterministic, so there is no noise
model: the thresholds are tolerances.  A side with several files is judged by its worst.
Nothing here imports OpenVINO.
"""

from __future__ import annotations

import math

from perfbench.results.comparison import FidelityChange, FidelityComparison
from perfbench.results.fidelity import Fidelity, OutputFidelity
from perfbench.results.types import BenchmarkResult
from perfbench.stats.fidelity import FidelityError, compare_output, decode_stored
from perfbench.tracking.fidelity_tolerances import (  # noqa: F401 (the defaults, re-exported)
    DEFAULT_AGREEMENT_DROP_PP, DEFAULT_REFERENCE_SQNR_DB, DEFAULT_REFERENCE_TOP1_PCT,
    DEFAULT_SQNR_DROP_DB, DEFAULT_THRESHOLDS, FidelityThresholds)


def compare_fidelity(base: list[BenchmarkResult], new: list[BenchmarkResult],
                     thresholds: FidelityThresholds = DEFAULT_THRESHOLDS
                     ) -> FidelityComparison:
    """Every output's fidelity figures, BASE against NEW; nothing when neither side
    measured fidelity, a warning when only one did."""
    base_f = [r.fidelity for r in base if r.fidelity is not None]
    new_f = [r.fidelity for r in new if r.fidelity is not None]
    if not base_f and not new_f:
        return FidelityComparison((), ())
    if not base_f or not new_f:
        side = "baseline" if base_f else "new"
        return FidelityComparison((), (f"fidelity measured on the {side} side only (run "
                                       "--fidelity on both): not compared",))
    warnings = _unlike(base_f, new_f)
    changes = []
    for name in dict.fromkeys(o.name for f in base_f for o in f.outputs):
        b = [f.output(name) for f in base_f if f.output(name) is not None]
        n = [f.output(name) for f in new_f if f.output(name) is not None]
        if not n:
            warnings.append(f"fidelity: output {name!r} only in the baseline: not compared")
            continue
        changes += _figures(name, b, n, thresholds)
    same_inputs = len({f.inputs_digest for f in base_f + new_f}) == 1
    if same_inputs:
        changes += _reference_changes(base_f[0], new_f[0], thresholds, warnings)
    else:
        warnings.append("fidelity: the sides compared different inputs, so their reference "
                        "outputs are not compared (same --input or --fill/--seed and "
                        "--fidelity N on both)")
    return FidelityComparison(tuple(changes), tuple(warnings))


def _unlike(base: list[Fidelity], new: list[Fidelity]) -> list[str]:
    kinds = {(f.configured, f.samples) for f in base + new}
    if len(kinds) == 1:
        return []
    shown = ", ".join(f"{c} on {s} samples" for c, s in sorted(kinds))
    return [f"fidelity: the sides are unlike ({shown}): compared anyway"]


def _figures(name: str, base: list[OutputFidelity], new: list[OutputFidelity],
             t: FidelityThresholds) -> list[FidelityChange]:
    changes = []
    for figure in ("top1_agreement_pct", "top5_agreement_pct"):
        b = [getattr(o, figure) for o in base if getattr(o, figure) is not None]
        n = [getattr(o, figure) for o in new if getattr(o, figure) is not None]
        if b and n:
            changes.append(_judged(name, figure, "pp", min(b), min(n), t.agreement_drop_pp))
    b_sqnr = [_sqnr(o) for o in base if _sqnr(o) is not None]
    n_sqnr = [_sqnr(o) for o in new if _sqnr(o) is not None]
    if b_sqnr and n_sqnr:
        changes.append(_judged(name, "sqnr_db", "dB", min(b_sqnr), min(n_sqnr), t.sqnr_drop_db))
    return changes


def _sqnr(output: OutputFidelity) -> float | None:
    """Infinite for identical outputs; None where undefined (a reference of zeros)."""
    return math.inf if output.identical else output.sqnr_db


def _judged(name: str, figure: str, unit: str, base: float, new: float,
            threshold: float) -> FidelityChange:
    change = 0.0 if base == new else new - base          # inf − inf is no change
    verdict = "within tolerance"
    if change < -threshold:
        verdict = "regression"
    elif change > threshold:
        verdict = "improvement"
    return FidelityChange(name, figure, unit, base, new, change, threshold, verdict)


def _reference_changes(base: Fidelity, new: Fidelity, t: FidelityThresholds,
                       warnings: list[str]) -> list[FidelityChange]:
    """NEW's f32 reference outputs against BASE's, where both stored them."""
    stored_b, stored_n = base.reference_outputs or {}, new.reference_outputs or {}
    changes = []
    for name in stored_b:
        if name not in stored_n:
            continue
        try:
            item = compare_output(name, list(decode_stored(stored_b[name])),
                                  list(decode_stored(stored_n[name])))
        except FidelityError as exc:
            warnings.append(f"fidelity: reference outputs not compared: {exc}")
            continue
        changes += judge_reference((item,), t)
    if not changes and (stored_b or stored_n):
        warnings.append("fidelity: no reference output stored on both sides: whether the "
                        "f32 answers changed is not compared")
    return changes


def _floor(name: str, figure: str, unit: str, value: float, floor: float) -> FidelityChange:
    """A figure of NEW against BASE (not a change of one): a regression below ``floor``.
    The baseline is what identical references give (∞ dB, 100 %)."""
    ideal = math.inf if unit == "dB" else 100.0
    verdict = "regression" if value < floor else "within tolerance"
    return FidelityChange(name, figure, unit, ideal, value, None, floor, verdict)


def judge_reference(items: tuple[OutputFidelity, ...], t: FidelityThresholds = DEFAULT_THRESHOLDS
                    ) -> list[FidelityChange]:
    """NEW's f32 reference outputs against BASE's (BASE the reference), each output's SQNR
    and top-1 agreement against their floors: what ``compare`` judges of two stored
    references, and ``ab --fidelity`` of the two sides' f32 outputs."""
    changes = []
    for item in items:
        sqnr = _sqnr(item)
        if sqnr is not None:
            changes.append(_floor(item.name, "reference_sqnr_db", "dB", sqnr,
                                  t.reference_sqnr_db))
        if item.top1_agreement_pct is not None:
            changes.append(_floor(item.name, "reference_top1_agreement_pct", "pp",
                                  item.top1_agreement_pct, t.reference_top1_pct))
    return changes


def judge_sides(base: tuple[OutputFidelity, ...], new: tuple[OutputFidelity, ...],
                t: FidelityThresholds = DEFAULT_THRESHOLDS) -> list[FidelityChange]:
    """Each side's configured outputs against its own f32, NEW's figures against BASE's
    (agreement and SQNR drops), output by output: ``compare``'s judgement of one result
    per side."""
    theirs = {o.name: o for o in new}
    return [change for o in base if o.name in theirs
            for change in _figures(o.name, [o], [theirs[o.name]], t)]
