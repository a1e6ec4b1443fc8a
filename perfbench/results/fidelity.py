"""Output fidelity as a result records it: how close a run's outputs are to the f32
reference's on the same inputs (``perfbench run --fidelity``).

Plain data, no OpenVINO and no numpy, so that comparing result files needs neither.  The
figures are computed once, by :mod:`perfbench.stats.fidelity`; readers show them.

SQNR is infinite exactly when the outputs are identical (no noise).  JSON has no Infinity,
so it is written ``"sqnr_db": null`` with ``"identical": true``: that one spelling, always.
A null SQNR on outputs that are *not* identical means the reference has no signal (all
zeros), where the ratio is undefined.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

#: What the figures are about when the inputs were made up (``--fill``), not real data.
SYNTHETIC_LABEL = "numerical fidelity on synthetic inputs"
#: ... and when they came from ``--input``.
REAL_LABEL = "fidelity on --input data"


class FidelityFormatError(ValueError):
    """A stored fidelity block that is not what this module writes (results.types turns
    it into its SchemaError, naming the key)."""


@dataclass(frozen=True)
class OutputFidelity:
    """One output tensor of the run, against the same output of the reference.

    Errors are elementwise over every element of every sample: absolute ``|out − ref|``;
    relative ``|out − ref| / |ref|`` over the elements where the reference is not 0 (None
    when there is none).  ``cosine_similarity``: of the output as one vector (all samples).
    ``sqnr_db``: 10·log10(Σref² / Σ(out − ref)²) over all samples; None when identical
    (infinite) or when the reference is all zeros (undefined).  Agreement, for classifier
    outputs (N × C, C ≥ 2) only: the share of rows (every row of every sample) whose
    arg-max is the reference's (top-1), and whose five largest scores hold the reference's
    arg-max (top-5: the reference's answer taken as the label, as top-5 accuracy does;
    None when C < 5)."""

    name: str
    shape: tuple[int, ...]
    elements: int                     # per sample
    identical: bool
    max_abs_error: float
    mean_abs_error: float
    max_rel_error: float | None
    mean_rel_error: float | None
    cosine_similarity: float | None   # None when exactly one side is all zeros
    sqnr_db: float | None
    rows: int | None = None           # classifier rows compared (N × samples)
    top1_agreement_pct: float | None = None
    top5_agreement_pct: float | None = None

    @property
    def classifier(self) -> bool:
        return self.rows is not None

    @property
    def sqnr_infinite(self) -> bool:
        return self.identical

    def to_dict(self) -> dict:
        data = asdict(self)
        data["shape"] = list(self.shape)
        return data

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "OutputFidelity":
        if not isinstance(data, dict):
            raise FidelityFormatError(f"{where} must be an object")
        try:
            item = cls(**{**data, "shape": tuple(data["shape"])})
        except (KeyError, TypeError) as exc:
            raise FidelityFormatError(f"{where}: {exc}") from None
        _check_numbers(item, where)
        return item


_OPTIONAL = ("max_rel_error", "mean_rel_error", "cosine_similarity", "sqnr_db",
             "top1_agreement_pct", "top5_agreement_pct")


def _check_numbers(item: OutputFidelity, where: str) -> None:
    for key in ("max_abs_error", "mean_abs_error") + _OPTIONAL:
        value = getattr(item, key)
        if value is None and key in _OPTIONAL:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise FidelityFormatError(f"{where}.{key} must be a finite number "
                                      f"(got {value!r:.40})")
    if item.identical and item.sqnr_db is not None:
        raise FidelityFormatError(f"{where}: identical outputs have an infinite SQNR, "
                                  "written null")


@dataclass(frozen=True)
class Fidelity:
    """The run's outputs against the f32 reference's, per output, on ``samples`` inputs.

    ``configured``: what the run used (``int8``, ``bf16``, or the device's resolved
    precision); ``reference``: always ``f32`` with nothing quantized.  ``inputs``:
    ``synthetic`` (the run's ``--fill``, seed ``seed``) or ``--input``; ``label`` says
    which kind of figure that makes.  ``inputs_digest``: SHA-256 of every input sample
    fed, so that two results can tell whether they saw the same inputs.
    ``reference_outputs``: per output, the reference's outputs (little-endian float32,
    base64, samples stacked), kept when small enough to store, for ``compare`` to see
    whether the reference itself changed between two results (a perturbed weight, a
    release that changed f32 answers); None where too large."""

    configured: str
    reference: str
    samples: int
    inputs: str
    label: str
    inputs_digest: str
    outputs: tuple[OutputFidelity, ...]
    seed: int | None = None
    reference_outputs: dict | None = None

    def output(self, name: str) -> OutputFidelity | None:
        return next((o for o in self.outputs if o.name == name), None)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["outputs"] = [o.to_dict() for o in self.outputs]
        return data

    @classmethod
    def from_dict(cls, data: Any) -> "Fidelity":
        if not isinstance(data, dict):
            raise FidelityFormatError("must be an object")
        outputs = data.get("outputs")
        if not isinstance(outputs, list):
            raise FidelityFormatError("outputs must be a list")
        try:
            return cls(**{**data, "outputs": tuple(OutputFidelity.from_dict(o, f"outputs[{i}]")
                                                   for i, o in enumerate(outputs))})
        except TypeError as exc:
            raise FidelityFormatError(str(exc)) from None
