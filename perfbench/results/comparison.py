"""``perfbench.comparison``: what ``perfbench compare`` decided, BASE against NEW.

Every figure is the producer's (:func:`perfbench.tracking.verdict.compare`): each metric's
change and its interval, its verdict, and the comparison's one word and exit status,
decided once by :meth:`Comparison.judged` and stored.  The terminal table, the Markdown
summary and the HTML view read them; none decides again.

Version 2 spells each metric's change with its interval as one object,
``change_pct: {value, low, high, level}`` (``results.interval``), and the level of every
interval once more at the top (``level``), so that a change without an interval (too few
samples) still says at what confidence it was judged.  Version 1 wrote ``change_pct`` (a
number), ``diff_ci_pct`` (``[low, high]``) and ``level`` side by side; :func:`upgrade_v1`
reads it.

Version 3 adds ``attribution`` (``compare --attribute``, only then): the per-layer table
of the two sides' stored counters (:class:`perfbench.results.attribution.AttributionTable`,
the A/B block's table, made by ``tracking.layer_attribution``), so that ``--json``,
``--markdown`` and ``--html`` carry what the terminal prints.  A version-2 file never had
it and reads as version 3 without one (:func:`upgrade_v2`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from perfbench.results.attribution import AttributionTable
from perfbench.results.interval import Interval
from perfbench.results.types import SchemaError, _flag, _list, _number, _table, _text

SCHEMA = "perfbench.comparison"
SCHEMA_VERSION = 4
VERDICTS = ("regression", "improvement", "no significant change", "inconclusive")
#: Exit statuses of a verdict (docs/ci.md has the one table): a regression fails; a
#: comparison that could not decide (inconclusive, or a suite's unconfirmed regression)
#: is neither a pass nor a failure, so CI can re-run it rather than pass it.
EXIT_REGRESSION = 1
EXIT_NOT_DECIDED = 3
#: The comparison's one word, and the exit status it gives.
EXIT_STATUS = {"regression": EXIT_REGRESSION, "inconclusive": EXIT_NOT_DECIDED,
               "no regression": 0}
FIDELITY_VERDICTS = ("regression", "improvement", "within tolerance")


def _frozen_tuples(obj: Any, *names: str) -> None:
    """Store sequence fields as tuples, so that a document read back equals the one made
    (a producer may hand lists)."""
    for name in names:
        object.__setattr__(obj, name, tuple(getattr(obj, name)))


@dataclass(frozen=True)
class MetricChange:
    """One metric, NEW against BASE.  ``change_pct``: 100·(new/base − 1), None when the
    baseline is 0; ``diff_ci_pct``: the ``level`` interval of that change (of the ratio
    NEW/BASE on the log scale, in % of the baseline), None when a side cannot say how
    uncertain it is."""

    name: str
    unit: str
    bigger_is_better: bool
    baseline: float
    new: float
    change_pct: float | None
    diff_ci_pct: tuple[float, float] | None
    significant: bool
    threshold_pct: float
    samples: str                   # "runs", "trials", "windows", "run", or "a/b" mixed
    verdict: str                   # one of VERDICTS
    gating: bool = True            # whether a regression here fails the comparison
    level: float = 0.95            # confidence of diff_ci_pct (a suite judges stricter)

    def __post_init__(self) -> None:
        if self.diff_ci_pct is not None:
            object.__setattr__(self, "diff_ci_pct", tuple(self.diff_ci_pct))

    @property
    def change(self) -> Interval | None:
        """The change with its interval, as the document spells it."""
        if self.change_pct is None:
            return None
        low, high = self.diff_ci_pct or (None, None)
        return Interval.of(self.change_pct, low, high, self.level)

    def to_dict(self) -> dict:
        change = self.change
        return {"name": self.name, "unit": self.unit, "bigger_is_better": self.bigger_is_better,
                "baseline": self.baseline, "new": self.new,
                "change_pct": None if change is None else change.to_dict(),
                "significant": self.significant, "threshold_pct": self.threshold_pct,
                "samples": self.samples, "verdict": self.verdict, "gating": self.gating}

    @classmethod
    def from_dict(cls, data: Any, where: str, level: float) -> "MetricChange":
        data = _table(data, where)
        change = None if data.get("change_pct") is None else \
            Interval.from_dict(data["change_pct"], f"{where}.change_pct")
        if data.get("verdict") not in VERDICTS:
            raise SchemaError(f"{where}.verdict must be one of {', '.join(VERDICTS)} "
                              f"(got {data.get('verdict')!r:.40})")
        bounds = None if change is None or change.low is None else (change.low, change.high)
        return cls(_text(data, "name", where), _text(data, "unit", where),
                   _flag(data, "bigger_is_better", where),
                   _number(data, "baseline", where), _number(data, "new", where),
                   None if change is None else change.value, bounds,
                   _flag(data, "significant", where),
                   _number(data, "threshold_pct", where), _text(data, "samples", where),
                   data["verdict"], _flag(data, "gating", where),
                   level if change is None or change.level is None else change.level)


@dataclass(frozen=True)
class FidelityChange:
    """One judged fidelity figure of one output.  SQNR values of infinity are identical
    outputs (JSON has none: written null); ``change`` is NEW − BASE in the figure's unit
    (pp or dB), None for a ``reference_*`` figure (NEW's reference against BASE's, a value
    judged against a floor, not a change)."""

    output: str
    figure: str           # top1_agreement_pct, top5_agreement_pct, sqnr_db, reference_*
    unit: str             # "pp" of agreement, or "dB"
    baseline: float | None
    new: float | None
    change: float | None
    threshold: float
    verdict: str          # one of FIDELITY_VERDICTS

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("baseline", "new", "change"):     # JSON has no infinity
            if data[key] is not None and math.isinf(data[key]):
                data[key] = None
        return data

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "FidelityChange":
        """Null SQNRs back to infinity: a stored figure is never an undefined SQNR (those
        are not judged), so null is infinite; a null change of a change (not a
        ``reference_*`` figure) is the infinite step between an infinite and a finite
        SQNR, signed by which side is infinite."""
        data = _table(data, where)
        if data.get("verdict") not in FIDELITY_VERDICTS:
            raise SchemaError(f"{where}.verdict must be one of {', '.join(FIDELITY_VERDICTS)}")
        figure, unit = _text(data, "figure", where), _text(data, "unit", where)
        values = {k: _number(data, k, where, optional=True) for k in ("baseline", "new")}
        if unit == "dB":
            values = {k: math.inf if v is None else v for k, v in values.items()}
        change = _number(data, "change", where, optional=True)
        if change is None and not figure.startswith("reference_") and unit == "dB":
            change = math.inf if values["new"] == math.inf else -math.inf
        return cls(_text(data, "output", where), figure, unit, values["baseline"],
                   values["new"], change, _number(data, "threshold", where),
                   data["verdict"])


@dataclass(frozen=True)
class FidelityComparison:
    changes: tuple[FidelityChange, ...]
    warnings: tuple[str, ...]

    def __post_init__(self) -> None:
        _frozen_tuples(self, "changes", "warnings")

    @property
    def regressions(self) -> list[FidelityChange]:
        return [c for c in self.changes if c.verdict == "regression"]

    def to_dict(self) -> dict:
        return {"regression": bool(self.regressions),
                "figures": [c.to_dict() for c in self.changes],
                "warnings": list(self.warnings)}

    @classmethod
    def from_dict(cls, data: Any, where: str = "fidelity") -> "FidelityComparison":
        data = _table(data, where)
        figures = _list(data, "figures", where)
        return cls(tuple(FidelityChange.from_dict(f, f"{where}.figures[{i}]")
                         for i, f in enumerate(figures)), _texts(data, "warnings", where))


@dataclass(frozen=True)
class Comparison:
    """``outcome``: regression (a gating metric or a fidelity figure regressed),
    inconclusive (a gating metric's interval could neither call nor exclude one) or no
    regression; ``exit_status`` the status it gives (:data:`EXIT_STATUS`).  Both decided
    once by :meth:`judged`.  ``disturbed``: the noise checks that failed on either side,
    as "side: check value (limit L)"; ``fidelity``: None when neither side measured it;
    ``level``: the confidence of every interval and verdict (a suite judges stricter);
    ``attribution``: ``compare --attribute``'s per-layer table, None when not asked (it
    decides nothing: the outcome is the metrics' and fidelity's)."""

    baseline_files: tuple[str, ...]
    new_files: tuple[str, ...]
    changes: tuple[MetricChange, ...]
    outcome: str
    exit_status: int
    warnings: tuple[str, ...] = ()
    disturbed: tuple[str, ...] = ()
    fidelity: FidelityComparison | None = None
    level: float = 0.95
    attribution: AttributionTable | None = None

    schema = SCHEMA
    schema_version = SCHEMA_VERSION

    def __post_init__(self) -> None:
        _frozen_tuples(self, "baseline_files", "new_files", "changes", "warnings", "disturbed")

    @classmethod
    def judged(cls, baseline_files: Iterable[str], new_files: Iterable[str],
               changes: Iterable[MetricChange], warnings: Iterable[str] = (),
               disturbed: Iterable[str] = (), fidelity: FidelityComparison | None = None,
               level: float = 0.95, attribution: AttributionTable | None = None
               ) -> "Comparison":
        """The comparison with its one word and exit status decided, from the verdicts."""
        changes = tuple(changes)
        outcome = outcome_of([(c.verdict, c.gating) for c in changes],
                             bool(fidelity and fidelity.regressions))
        return cls(tuple(baseline_files), tuple(new_files), changes, outcome,
                   EXIT_STATUS[outcome], tuple(warnings), tuple(disturbed), fidelity, level,
                   attribution)

    @property
    def fidelity_regressions(self) -> list[FidelityChange]:
        return self.fidelity.regressions if self.fidelity else []

    @property
    def undecided(self) -> list[MetricChange]:
        """Gating metrics whose interval could neither call nor exclude a regression."""
        return [c for c in self.changes if c.verdict == "inconclusive" and c.gating]

    @property
    def regressions(self) -> list[MetricChange]:
        """Regressions that fail the gate (non-gating ones are only reported)."""
        return [c for c in self.changes if c.verdict == "regression" and c.gating]

    @property
    def exit_code(self) -> int:
        """The stored exit status (the name commands use for what they return)."""
        return self.exit_status

    @property
    def gate(self) -> list[str]:
        return [c.name for c in self.changes if c.gating]

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION,
                "baseline": list(self.baseline_files), "new": list(self.new_files),
                "regression": self.outcome == "regression",
                "outcome": self.outcome, "exit_status": self.exit_status,
                "disturbed": list(self.disturbed), "gate": self.gate, "level": self.level,
                "metrics": [c.to_dict() for c in self.changes],
                "warnings": list(self.warnings),
                **({"fidelity": self.fidelity.to_dict()} if self.fidelity else {}),
                **({"attribution": self.attribution.to_dict()} if self.attribution else {})}

    @classmethod
    def from_dict(cls, data: Any) -> "Comparison":
        where = "comparison"
        data = _table(data, where)
        level = _number(data, "level", where)
        if not 0 < level < 1:
            raise SchemaError(f"{where}.level must be between 0 and 1 (got {level!r})")
        outcome = data.get("outcome")
        if outcome not in EXIT_STATUS:
            raise SchemaError(f"{where}.outcome must be one of {', '.join(EXIT_STATUS)} "
                              f"(got {outcome!r:.40})")
        metrics = _list(data, "metrics", where)
        changes = tuple(MetricChange.from_dict(m, f"{where}.metrics[{i}]", level)
                        for i, m in enumerate(metrics))
        gate = [c.name for c in changes if c.gating]
        if data.get("gate") != gate:
            raise SchemaError(f"{where}.gate is {data.get('gate')!r:.60} but the metrics' "
                              f"gating flags give {gate!r}")
        fidelity = None if data.get("fidelity") is None else \
            FidelityComparison.from_dict(data["fidelity"])
        attribution = None if data.get("attribution") is None else \
            AttributionTable.from_dict(data["attribution"], f"{where}.attribution")
        return cls(_texts(data, "baseline", where), _texts(data, "new", where), changes,
                   outcome, int(_number(data, "exit_status", where)),
                   _texts(data, "warnings", where), _texts(data, "disturbed", where),
                   fidelity, level, attribution)


def outcome_of(verdicts: list[tuple[str, bool]], fidelity_regressed: bool) -> str:
    """The comparison's one word from its metrics' (verdict, gating) and whether a fidelity
    figure regressed: a gating regression or a fidelity one is a regression; else a gating
    inconclusive is inconclusive; else no regression.  A non-gating metric is reported
    and never decides."""
    if fidelity_regressed or any(v == "regression" and gating for v, gating in verdicts):
        return "regression"
    if any(v == "inconclusive" and gating for v, gating in verdicts):
        return "inconclusive"
    return "no regression"


def upgrade_v1(data: dict) -> dict:
    """Version 1 to 2: each metric's ``change_pct``, ``diff_ci_pct`` and ``level`` as one
    ``change_pct: {value, low, high, level}`` (null when the baseline was 0), and the level
    at the top.  The earliest version-1 files predate ``outcome``, ``exit_status`` and
    ``disturbed``: their outcome is :func:`outcome_of` the verdicts they stored, and
    nothing was recorded of a disturbed machine."""
    metrics = [m for m in data.get("metrics") or [] if isinstance(m, dict)]
    level = next((m["level"] for m in metrics if "level" in m), 0.95)
    respelled = []
    for metric in data.get("metrics") or []:
        if isinstance(metric, dict):
            metric = dict(metric)
            bounds = metric.pop("diff_ci_pct", None) or (None, None)
            own = metric.pop("level", level)
            if metric.get("change_pct") is not None:
                metric["change_pct"] = Interval.of(metric["change_pct"], bounds[0],
                                                   bounds[1], own).to_dict()
        respelled.append(metric)
    out = dict(data)
    if "outcome" not in out:
        out["outcome"] = outcome_of([(m.get("verdict"), m.get("gating", True)) for m in metrics],
                                    bool((data.get("fidelity") or {}).get("regression")))
        out["exit_status"] = EXIT_STATUS[out["outcome"]]
    out.setdefault("disturbed", [])
    return {**out, "schema_version": 2, "level": level, "metrics": respelled}


def upgrade_v2(data: dict) -> dict:
    """Version 2 to 3: version 3 adds the optional ``attribution`` (``compare
    --attribute``), which no version-2 file has; nothing else changed."""
    return {**data, "schema_version": 3}


def upgrade_v3(data: dict) -> dict:
    """Version 3 to 4: a table without an interval (``compare --attribute``'s one pass a
    side) claims no level.  Version 3 wrote ``interval_over: "rounds"``, level 0.95, the
    families' Bonferroni levels and ``beyond_level: false`` with no interval behind them;
    version 4 writes them null.  The reader drops such claims from any table whose total
    has no interval, whatever the version (``AttributionTable.from_dict``: an A/B v6 file
    of a one-round pass holds the same), so the upgrade is the version alone."""
    return {**data, "schema_version": 4}


def _texts(data: dict, key: str, where: str) -> tuple[str, ...]:
    values = _list(data, key, where)
    bad = next((v for v in values if not isinstance(v, str)), None)
    if bad is not None:
        raise SchemaError(f"{where}.{key} must be a list of strings (got {bad!r:.40})")
    return tuple(values)
