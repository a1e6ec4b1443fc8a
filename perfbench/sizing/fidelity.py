"""Sizing with fidelity: each precision a sweep runs at, against f32, measured once, and
the constraints (``--min-top1-agreement``, ``--min-sqnr``) that keep a precision's points
out of the picks.

Fidelity depends on the precision (and the quantization it implies), not on streams,
requests or threads, so it is measured once per precision, not per point, before the
points: the f32 reference compiled and run once on the sweep's inputs (the run's own:
``--input``, or the seeded synthetic fill), then each other precision compiled (int8
quantized, from NNCF's cache when the points have made it) and compared output by output
(:mod:`perfbench.stats.fidelity`).  It is measured at the sweep's fixed settings (its batch
and shape); the points of another batch in the grid carry those figures, though their int8
model is calibrated at their own shape and could answer slightly otherwise: the figures
say what the precision costs, measured once.

A precision whose model cannot be made or compiled (NNCF missing, a precision the device
refuses) is not measured; the sweep goes on (its points fail on their own, as they did
before fidelity), and under a constraint its points are excluded, the error named: a
constraint that cannot be judged is never passed.

A precision fails a constraint when its lowest top-1 agreement over the model's
classifier-shaped outputs is below ``--min-top1-agreement``, or its lowest SQNR over its
outputs is below ``--min-sqnr`` (identical outputs: infinite).  ``--min-top1-agreement``
on a model without a classifier-shaped output is one line before anything is measured:
top-1 is not defined on a feature map, and a constraint that cannot be judged is never
passed silently.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import openvino as ov

from perfbench.errors import RunFailed, UsageError
from perfbench.model.compile import check_device, compile_model
from perfbench.model.prepare import prepare_model
from perfbench.results.fidelity import REAL_LABEL, SYNTHETIC_LABEL, Fidelity
from perfbench.results.sweep import PrecisionFidelity, SweepResult, point_precision

from perfbench.runner.benchmark import as_configured, log
from perfbench.settings.config import BenchmarkConfig
from perfbench.runner.fidelity import (configured_precision, fidelity_inputs, infer_all,
                                       inputs_digest)
from perfbench.sizing.spec import SweepSpec
from perfbench.stats.fidelity import FidelityError, classifier_classes, compare_outputs

#: What a sweep says of a point whose precision fails a fidelity constraint.
EXCLUDED = "excluded by the fidelity constraint"


def precisions(spec: SweepSpec, settings: Sequence[dict]) -> list[str | None]:
    """The distinct precisions the points run at, in the points' order (None: the
    device's default, the default point's unless the sweep fixes one)."""
    where = {"base": spec.base.to_dict()}
    found: list[str | None] = []
    for one in settings:
        precision = point_precision(one, where)
        if precision not in found:
            found.append(precision)
    return found


def wanted(spec: SweepSpec, found: Sequence[str | None]) -> bool:
    """Measured when the sweep varies precision, or has a constraint to judge."""
    return len(found) > 1 or spec.fidelity_constraints


#: Each precision's fidelity, and the error of each precision that could not be measured.
Measured = tuple[tuple[PrecisionFidelity, ...], dict]


def for_sweep(spec: SweepSpec, settings: Sequence[dict], previous: SweepResult | None = None,
              stop_event: threading.Event | None = None,
              on_precision: Callable[[str], None] | None = None) -> Measured | None:
    """The fidelity of every precision the points (their ``settings``) run at; nothing
    when the sweep neither varies precision nor has a constraint; None when stopped."""
    found = precisions(spec, settings)
    if not wanted(spec, found):
        return (), {}
    return measure(spec, found, previous, stop_event, on_precision)


def unmeasured_note(errors: dict) -> str:
    """What the sweep's document says of each precision whose fidelity could not be
    measured (its ``note``): without a constraint nothing else would, since such a
    precision is absent from ``fidelity`` and its points are not excluded."""
    return "; ".join(f"fidelity of {precision or 'the default'} not measured: {error}"
                     for precision, error in errors.items())


def summary(precision: str | None, fidelity: Fidelity) -> PrecisionFidelity:
    """The figures a constraint and the Pareto front judge a precision on: its worst
    output (lowest top-1 agreement among classifier outputs, lowest SQNR)."""
    top1 = [o.top1_agreement_pct for o in fidelity.outputs if o.top1_agreement_pct is not None]
    identical = all(o.identical for o in fidelity.outputs)
    sqnr = [math.inf if o.identical else o.sqnr_db for o in fidelity.outputs
            if o.identical or o.sqnr_db is not None]
    lowest = min(sqnr, default=None)
    return PrecisionFidelity(precision, fidelity.configured, identical,
                             min(top1, default=None),
                             None if lowest is None or math.isinf(lowest) else lowest,
                             fidelity)


def failure(found: PrecisionFidelity, spec: SweepSpec) -> str | None:
    """Why ``found`` fails the sweep's constraints, or None when it meets them."""
    against = f"{found.label} vs f32"
    reasons = []
    least = spec.min_top1_agreement_pct
    top1 = found.top1_agreement_pct
    if least is not None and top1 is not None and top1 < least:
        reasons.append(f"top-1 agreement {top1:.1f} % < {least:g} % ({against})")
    least = spec.min_sqnr_db
    if least is not None and not found.identical:
        if found.sqnr_db is None:
            reasons.append(f"SQNR undefined (the f32 reference is all zeros; {against})")
        elif found.sqnr_db < least:
            reasons.append(f"SQNR {found.sqnr_db:.1f} dB < {least:g} dB ({against})")
    return f"{EXCLUDED}: {'; '.join(reasons)}" if reasons else None


def exclusions(spec: SweepSpec, fidelity: Sequence[PrecisionFidelity],
               points: Sequence[tuple[str, dict]],
               errors: dict | None = None) -> dict[str, str]:
    """Point key → why it is kept out of the picks, for every (key, settings) whose
    precision fails a constraint, or could not be measured (``errors``) under one."""
    where = {"base": spec.base.to_dict()}
    by_precision = {f.precision: f for f in fidelity}
    out = {}
    for key, settings in points:
        precision = point_precision(settings, where)
        found = by_precision.get(precision)
        reason = failure(found, spec) if found is not None else None
        if found is None and spec.fidelity_constraints and precision in (errors or {}):
            reason = (f"{EXCLUDED}: the fidelity of {precision or 'the default'} could "
                      f"not be measured ({errors[precision]})")
        if reason:
            out[key] = reason
    return out


def vector(found: PrecisionFidelity | None) -> tuple[float, ...]:
    """The fidelity dimensions of the Pareto front, higher is better: top-1 agreement
    (classifier outputs only) and SQNR (identical: infinite; undefined: the worst)."""
    if found is None:
        return ()
    sqnr = math.inf if found.identical else (
        found.sqnr_db if found.sqnr_db is not None else -math.inf)
    top1 = () if found.top1_agreement_pct is None else (found.top1_agreement_pct,)
    return top1 + (sqnr,)


def reuse(previous: SweepResult | None) -> dict[str | None, PrecisionFidelity]:
    """A resumed sweep's fidelity, measured before the stop (the settings that decide it
    are checked to be the same): not measured again."""
    return {} if previous is None else {f.precision: f for f in previous.fidelity}


def measure(spec: SweepSpec, wanted_precisions: Sequence[str | None],
            previous: SweepResult | None = None, stop_event: threading.Event | None = None,
            on_precision: Callable[[str], None] | None = None) -> Measured | None:
    """Each precision's fidelity, in order, and the errors of those that could not be
    measured; None when stopped meanwhile.  Reads and compiles the model (OpenVINO)."""
    known = reuse(previous)
    todo = [p for p in wanted_precisions if p not in known]
    if not todo:            # all reused on --resume: the constraint is checked all the same
        check_top1_stored(spec, known.values())
        return tuple(known[p] for p in wanted_precisions), {}
    base = spec.base
    if base.data_shape is not None:
        raise UsageError("fidelity in a sweep compares one shape; drop --data-shape (or "
                         "use --shape)")
    reference = _reference(spec, stop_event)
    if reference is None:
        return None
    if isinstance(reference, str):          # no constraint: the sweep goes on without
        return (tuple(known[p] for p in wanted_precisions if p in known),
                {p: reference for p in todo})
    check_top1_defined(spec, reference.outputs)
    errors = {}
    for precision in todo:
        if on_precision is not None:
            on_precision(precision or "the device's default")
        try:
            found = reference.against(precision, spec.base, stop_event)
        except (RunFailed, UsageError, FidelityError) as exc:
            # a model that cannot be made, an inference that fails, outputs that cannot be
            # compared (non-finite, another shape): this precision is not measured, and
            # the sweep goes on (its points are excluded only under a constraint)
            log.warning("fidelity: %s not measured: %s", precision or "default", exc)
            errors[precision] = str(exc)
            continue
        if found is None:
            return None
        known[precision] = found
    return tuple(known[p] for p in wanted_precisions if p in known), errors


def _reference(spec: SweepSpec, stop_event: threading.Event | None
               ) -> "_Reference | str | None":
    """The f32 reference on the sweep's inputs; None when stopped meanwhile.  When it
    fails: under a constraint the sweep fails (a constraint that cannot be judged is not
    passed), else the error, returned, stands for every precision's."""
    base = spec.base
    core = ov.Core()
    check_device(core, base.device)
    plain = dataclasses.replace(base, precision=None, quantize=None)
    original = prepare_model(plain, core)
    inputs, kind, seed = fidelity_inputs(original, base, None)
    log.info("fidelity: the f32 reference on %d %s inputs", len(inputs), kind)
    try:
        compiled = compile_model(core, original.model, dataclasses.replace(plain, precision="f32"))
        outputs = infer_all(compiled.model, inputs, stop_event)
    except (RunFailed, UsageError) as exc:
        if spec.fidelity_constraints:
            raise RunFailed(f"sweep fidelity: the f32 reference failed: {exc}") from None
        log.warning("fidelity: the f32 reference failed, so no precision's fidelity is "
                    "measured: %s", exc)
        return f"the f32 reference failed: {exc}"
    if outputs is None:
        return None
    return _Reference(core, original, plain, inputs, kind, seed, outputs)


@dataclasses.dataclass(frozen=True)
class _Reference:
    """The f32 reference's outputs on the sweep's inputs, and what it takes to measure
    another precision against them."""

    core: ov.Core
    original: Any                   # the prepared model (model.prepare)
    plain: BenchmarkConfig          # the sweep's settings without precision or quantize
    inputs: list
    kind: str
    seed: int | None
    outputs: dict

    def against(self, precision: str | None, base: BenchmarkConfig,
                stop_event: threading.Event | None) -> PrecisionFidelity | None:
        """One precision's fidelity; None when stopped meanwhile."""
        config = dataclasses.replace(self.plain, precision=precision,
                                     quantize=base.quantize if precision == "int8" else None)
        if precision == "f32":
            out, configured = self.outputs, "f32"
        else:
            prepared = as_configured(self.original, config, self.core)
            compiled = compile_model(self.core, prepared.model, config)
            configured = configured_precision(config, compiled.resolved)
            log.info("fidelity: %s (%s) against f32", precision or "default", configured)
            out = infer_all(compiled.model, self.inputs, stop_event)
            if out is None:
                return None
        return summary(precision, Fidelity(
            configured=configured, reference="f32", samples=len(self.inputs),
            inputs=self.kind, label=SYNTHETIC_LABEL if self.kind == "synthetic" else REAL_LABEL,
            inputs_digest=inputs_digest(self.inputs), outputs=compare_outputs(self.outputs, out),
            seed=self.seed))


def check_top1_stored(spec: SweepSpec, found) -> None:
    """:func:`check_top1_defined` on figures measured before (a resumed sweep's): a
    constraint that cannot be judged is one line, not passed because nothing is left to
    measure."""
    if spec.min_top1_agreement_pct is None:
        return
    if any(f.top1_agreement_pct is not None for f in found):
        return
    raise UsageError("--min-top1-agreement: the model has no classifier-shaped output "
                     "(N × C scores), so top-1 agreement is not defined (the resumed "
                     "sweep's fidelity has none); constrain its SQNR with --min-sqnr instead")


def check_top1_defined(spec: SweepSpec, reference: dict) -> None:
    """``--min-top1-agreement`` on a model with no classifier-shaped output: one line."""
    if spec.min_top1_agreement_pct is None:
        return
    shapes = {name: tuple(int(d) for d in values[0].shape) for name, values in reference.items()}
    if any(classifier_classes(shape) is not None for shape in shapes.values()):
        return
    listed = ", ".join(f"{name} {list(shape)}" for name, shape in shapes.items())
    raise UsageError(f"--min-top1-agreement: the model has no classifier-shaped output "
                     f"(N × C scores), so top-1 agreement is not defined (outputs: {listed}); "
                     "constrain its SQNR with --min-sqnr instead")
