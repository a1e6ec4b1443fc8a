"""An A/B's fidelity block (``ab --fidelity``, ``suite --ab --fidelity``): did NEW give
other answers than BASE on the same inputs?

Plain data, no OpenVINO and no numpy.  Every figure is computed once, by
:mod:`perfbench.runner.ab_fidelity` (with :mod:`perfbench.stats.fidelity`'s definitions,
those of ``run --fidelity``), and judged with ``compare``'s tolerances
(:mod:`perfbench.tracking.fidelity_verdict`); readers show them.

Three comparisons, each per output tensor (:class:`OutputFidelity`), over ``samples``
inputs that both sides fed (``inputs_digest``, the same on both):

* ``reference``: NEW's f32 outputs against BASE's (BASE the reference), each computed in
  its own worker, under its own interpreter and OpenVINO;
* ``precision``: NEW's outputs as configured (``configured``: int8, bf16, …) against
  BASE's as configured; None when both sides run f32 (it would be ``reference``);
* ``sides``: each side's configured outputs against its own f32 (``run --fidelity``'s
  figures); a side that runs f32 with nothing quantized has None (it is its own
  reference).

``judged`` holds the judged figures (``compare``'s: the references' SQNR and top-1
agreement against floors; NEW's agreement and SQNR with its f32, against BASE's); the
``verdict`` is ``regression`` when one of them regressed, ``within tolerance`` when none
did, else the pass's ``status`` (``failed``, with its ``error``, or ``interrupted``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from perfbench.results.comparison import FidelityComparison
from perfbench.results.fidelity import FidelityFormatError, OutputFidelity
from perfbench.results.types import SchemaError, _number, _table, _text

#: The pass's states: it ran to its end, failed (one line in ``error``), or was stopped.
STATUSES = ("complete", "failed", "interrupted")
VERDICTS = ("regression", "within tolerance", "failed", "interrupted")


def _outputs(items: Any, where: str) -> tuple[OutputFidelity, ...]:
    if not isinstance(items, list):
        raise SchemaError(f"{where} must be a list")
    try:
        return tuple(OutputFidelity.from_dict(o, f"{where}[{i}]") for i, o in enumerate(items))
    except FidelityFormatError as exc:
        raise SchemaError(str(exc)) from None


def _written(items: tuple[OutputFidelity, ...] | None) -> list | None:
    return None if items is None else [o.to_dict() for o in items]


@dataclass(frozen=True)
class ABFidelity:
    """The fidelity pass of an A/B, after its verdict (module docstring)."""

    status: str
    verdict: str
    error: str | None = None
    samples: int | None = None
    inputs: str | None = None          # "synthetic" or "--input"
    label: str | None = None           # what kind of figure that makes (results.fidelity)
    inputs_digest: str | None = None
    seed: int | None = None
    configured: dict[str, str] | None = None          # per side: what its outputs are made in
    reference: tuple[OutputFidelity, ...] = ()
    precision: tuple[OutputFidelity, ...] | None = None
    sides: dict[str, tuple[OutputFidelity, ...] | None] | None = None
    judged: FidelityComparison | None = None

    @property
    def regression(self) -> bool:
        return self.verdict == "regression"

    @property
    def failed(self) -> bool:
        """The pass gave no judgement (failed or stopped): the answers are not known to be
        unchanged."""
        return self.verdict in ("failed", "interrupted")

    @classmethod
    def not_measured(cls, status: str, error: str | None = None) -> "ABFidelity":
        """A pass that failed (``error``: its one line) or was stopped."""
        return cls(status, status, error)

    def to_dict(self) -> dict:
        return {"status": self.status, "verdict": self.verdict,
                "regression": self.regression, "error": self.error,
                "samples": self.samples, "inputs": self.inputs, "label": self.label,
                "inputs_digest": self.inputs_digest, "seed": self.seed,
                "configured": self.configured, "reference": _written(self.reference),
                "precision": _written(self.precision),
                "sides": None if self.sides is None else
                {side: _written(items) for side, items in self.sides.items()},
                "judged": None if self.judged is None else self.judged.to_dict()}

    @classmethod
    def from_dict(cls, data: Any, where: str = "fidelity") -> "ABFidelity":
        data = _table(data, where)
        status, verdict = _text(data, "status", where), _text(data, "verdict", where)
        if status not in STATUSES:
            raise SchemaError(f"{where}.status must be one of {', '.join(STATUSES)}")
        if verdict not in VERDICTS:
            raise SchemaError(f"{where}.verdict must be one of {', '.join(VERDICTS)}")
        samples, seed = _number(data, "samples", where, True), _number(data, "seed", where, True)
        sides = data.get("sides")
        if sides is not None:
            sides = {side: None if items is None else _outputs(items, f"{where}.sides.{side}")
                     for side, items in _table(sides, f"{where}.sides").items()}
        configured = data.get("configured")
        return cls(status, verdict, _text(data, "error", where, optional=True),
                   None if samples is None else int(samples),
                   _text(data, "inputs", where, optional=True),
                   _text(data, "label", where, optional=True),
                   _text(data, "inputs_digest", where, optional=True),
                   None if seed is None else int(seed),
                   None if configured is None else dict(_table(configured,
                                                               f"{where}.configured")),
                   _outputs(data.get("reference") or [], f"{where}.reference"),
                   None if data.get("precision") is None else
                   _outputs(data["precision"], f"{where}.precision"), sides,
                   None if data.get("judged") is None else
                   FidelityComparison.from_dict(data["judged"], f"{where}.judged"))
