"""The sweep document (``perfbench.sweep``): every grid point with its status and full
result, each point's paired ratio to the default, the Pareto front, the picks (and whether
a pick beat the default), precision gains, the machines needed, and a race's own document.

A frozen type owning its ``to_dict``/``from_dict`` as :mod:`perfbench.results.types` does.
Every figure in it was computed once, by the sweep that measured it
(:mod:`perfbench.sizing.sweep`, :mod:`perfbench.sizing.race_sweep`), and is stored here;
the terminal table, the CSV, the plot and the HTML view read these attributes and never
recompute a ratio, a pick or the front.  Every ratio's interval is spelled
``{ratio, low, high, level}``; version 1 files (``ci95_low``/``ci95_high``) are respelled by
the registry's upgrade before they reach :meth:`SweepResult.from_dict`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from perfbench.results.fidelity import Fidelity, FidelityFormatError
from perfbench.results.race import Interval, RaceResult
from perfbench.results.types import BenchmarkResult, SchemaError, _number, _table, _text, field_for

SCHEMA = "perfbench.sweep"
#: 3: ``fidelity`` (each precision's outputs against f32) and ``excluded`` (points a
#: fidelity constraint keeps out of the picks), both written only when there are any.
#: 4: a race's epochs may be dimensioned (race block version 2: ``rules.rounds`` and
#: ``design``).
SCHEMA_VERSION = 4
#: Reads a point's nested ``perfbench.result`` (the registry's, which upgrades it).
ResultReader = Callable[[Any, str], BenchmarkResult]


def _get(data: Any, key: str, where: str):
    if not isinstance(data, dict) or key not in data:
        raise SchemaError(f"{where}.{key} is missing")
    return data[key]


@dataclass(frozen=True)
class SweepPoint:
    """One grid point: ``key`` is ``default`` or e.g. ``streams=2``; ``status`` done,
    interrupted, failed, skipped or pending; ``result`` the full result once measured."""

    key: str
    settings: dict
    status: str = "pending"
    reason: str = ""
    time_cap_s: float | None = None
    result: BenchmarkResult | None = None

    def latency_at(self, percentile: float) -> float | None:
        if self.result is None:
            return None
        return getattr(self.result.latency, field_for(percentile))

    def to_dict(self) -> dict:
        return {"key": self.key, "settings": self.settings, "status": self.status,
                "reason": self.reason, "time_cap_s": self.time_cap_s,
                "result": self.result.to_dict() if self.result is not None else None}

    @classmethod
    def from_dict(cls, data: Any, where: str, read: ResultReader) -> SweepPoint:
        result = data.get("result") if isinstance(data, dict) else None
        return cls(_get(data, "key", where), dict(data.get("settings") or {}),
                   data.get("status", "pending"), data.get("reason", ""),
                   data.get("time_cap_s"),
                   read(result, f"{where}.result") if result is not None else None)


@dataclass(frozen=True)
class VersusDefault:
    """FPS(point) / FPS(default) with its interval, and how it was paired (``paired``,
    written as ``interval``): a race's counts the process level; a v1 interleaved file's
    was round-level only (``rounds``)."""

    ratio: Interval
    paired: str
    rounds: int | None = None

    def to_dict(self) -> dict:
        out = self.ratio.to_dict()
        if self.rounds is not None:
            out["rounds"] = self.rounds
        out["interval"] = self.paired
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str) -> VersusDefault:
        ratio = Interval.from_dict(data, where)
        assert ratio is not None
        return cls(ratio, data.get("interval", ""), data.get("rounds"))


@dataclass(frozen=True)
class Pick:
    """A recommendation: the point, its FPS and latency at the SLA percentile, why, its
    change against the default (the paired ratio where the sweep has one), and, for a
    throughput pick that did not beat the default, ``beats_default`` false with the
    ``runner_up`` it would have been; under an SLA in a race, the latency interval it
    was judged on and the faster points whose interval straddles the SLA."""

    key: str
    settings: dict
    fps: float
    latency_ms: float
    why: str
    fps_vs_default_pct: float | None = None
    latency_vs_default_pct: float | None = None
    beats_default: bool | None = None
    runner_up: str | None = None
    fps_vs_default_paired: VersusDefault | None = None
    latency_interval: Interval | None = None
    uncertain: tuple[str, ...] | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"key": self.key, "settings": self.settings, "fps": self.fps,
                               "latency_ms": self.latency_ms, "why": self.why}
        if self.fps_vs_default_pct is not None:
            out.update(fps_vs_default_pct=self.fps_vs_default_pct,
                       latency_vs_default_pct=self.latency_vs_default_pct)
        if self.beats_default is not None:
            out.update(beats_default=self.beats_default, runner_up=self.runner_up)
        if self.fps_vs_default_paired is not None:
            out["fps_vs_default_paired"] = self.fps_vs_default_paired.to_dict()
        if self.latency_interval is not None:
            out["latency_interval"] = self.latency_interval.to_dict()
        if self.uncertain is not None:
            out["uncertain"] = list(self.uncertain)
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Pick | None:
        if data is None:
            return None
        paired = data.get("fps_vs_default_paired")
        uncertain = data.get("uncertain")
        return cls(_get(data, "key", where), dict(data.get("settings") or {}),
                   float(_get(data, "fps", where)), float(_get(data, "latency_ms", where)),
                   data.get("why", ""), data.get("fps_vs_default_pct"),
                   data.get("latency_vs_default_pct"), data.get("beats_default"),
                   data.get("runner_up"),
                   VersusDefault.from_dict(paired, where + ".fps_vs_default_paired")
                   if paired is not None else None,
                   Interval.from_dict(data.get("latency_interval"),
                                      where + ".latency_interval"),
                   tuple(uncertain) if uncertain is not None else None)


def point_precision(settings: dict, spec: dict) -> str | None:
    """The precision a point runs at: its own grid value, else the sweep's fixed one
    (``--precision``, or int8 from ``--quantize``); None: the device's default."""
    if "precision" in settings:
        return settings["precision"]
    base = spec.get("base") if isinstance(spec, dict) else None
    return (base or {}).get("precision")


@dataclass(frozen=True)
class PrecisionFidelity:
    """One precision of a sweep against the f32 reference, measured once for all the
    points that run at it (``precision`` None: the device's default), on the sweep's
    inputs, at the sweep's fixed settings (its batch and shape).

    ``configured``: what the outputs were made in (the device may resolve its default to
    f32 or bf16).  ``top1_agreement_pct``: the lowest top-1 agreement over the model's
    classifier-shaped outputs (None: it has none).  ``sqnr_db``: the lowest SQNR over its
    outputs, an identical output counting as infinite; None with ``identical`` when every
    output is identical (infinite), None without it when no output has a defined SQNR
    (a reference that is all zeros).  ``fidelity``: every output's figures."""

    precision: str | None
    configured: str
    identical: bool
    top1_agreement_pct: float | None
    sqnr_db: float | None
    fidelity: Fidelity

    @property
    def label(self) -> str:
        return self.precision if self.precision is not None else f"default ({self.configured})"

    def to_dict(self) -> dict:
        return {"precision": self.precision, "configured": self.configured,
                "identical": self.identical, "top1_agreement_pct": self.top1_agreement_pct,
                "sqnr_db": self.sqnr_db, "fidelity": self.fidelity.to_dict()}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> PrecisionFidelity:
        if not isinstance(data, dict):
            raise SchemaError(f"{where} must be an object")
        try:
            fidelity = Fidelity.from_dict(_get(data, "fidelity", where))
        except FidelityFormatError as exc:
            raise SchemaError(f"{where}.fidelity: {exc}") from None
        return cls(data.get("precision"), str(_get(data, "configured", where)),
                   bool(_get(data, "identical", where)), data.get("top1_agreement_pct"),
                   data.get("sqnr_db"), fidelity)


@dataclass(frozen=True)
class PrecisionGain:
    """One precision against ``versus`` (f32) at the same other ``settings``: FPS and
    latency-percentile ratios (None where the sweep had none to state)."""

    precision: str
    versus: str
    settings: dict
    fps_ratio: Interval | None      # paired (by rounds, or epochs in a race), or from
    p99_ratio: Interval | None      # the points' own intervals, or the ratio alone

    def to_dict(self) -> dict:
        return {"precision": self.precision, "versus": self.versus, "settings": self.settings,
                "fps_ratio": self.fps_ratio.to_dict() if self.fps_ratio else None,
                "p99_ratio": self.p99_ratio.to_dict() if self.p99_ratio else None}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> PrecisionGain:
        data = _table(data, where)
        return cls(_text(data, "precision", where), _text(data, "versus", where),
                   dict(_table(data.get("settings") or {}, where + ".settings")),
                   Interval.from_dict(data.get("fps_ratio"), where + ".fps_ratio", True),
                   Interval.from_dict(data.get("p99_ratio"), where + ".p99_ratio", True))


@dataclass(frozen=True)
class SizingPlan:
    """The machines needed at the recommended point (``point``, written ``from``): its FPS
    per machine and per core, and with a ``target_fps`` the ``machines`` it takes;
    ``disturbed``, the failed checks of that point's machine (None in a v1 file, which did
    not write them)."""

    fps_per_machine: float
    fps_per_core: float
    cores_per_machine: int
    point: str
    target_fps: float | None = None
    machines: int | None = None
    disturbed: tuple[str, ...] | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"fps_per_machine": self.fps_per_machine,
                               "fps_per_core": self.fps_per_core,
                               "cores_per_machine": self.cores_per_machine,
                               "from": self.point, "target_fps": self.target_fps}
        if self.machines is not None:
            out["machines"] = self.machines
        if self.disturbed is not None:
            out["disturbed"] = list(self.disturbed)
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str) -> SizingPlan | None:
        if data is None:
            return None
        data = _table(data, where)
        machines = _number(data, "machines", where, optional=True)
        disturbed = data.get("disturbed")
        if disturbed is not None and not isinstance(disturbed, list):
            raise SchemaError(f"{where}.disturbed must be a list (got {disturbed!r:.40})")
        return cls(_number(data, "fps_per_machine", where), _number(data, "fps_per_core", where),
                   int(_number(data, "cores_per_machine", where)), _text(data, "from", where),
                   _number(data, "target_fps", where, optional=True),
                   None if machines is None else int(machines),
                   None if disturbed is None else tuple(disturbed))


@dataclass(frozen=True)
class SweepResult:
    """A sweep as it was measured and concluded.  ``withheld``: why an incomplete sweep
    recommends nothing (then ``disturbed`` is None: it is not written); ``sizing`` is None
    then, and when no point could carry a plan.  ``fidelity``: each precision's outputs
    against f32, measured once per precision (:mod:`perfbench.sizing.fidelity`);
    ``excluded``: point key → why a fidelity constraint keeps it out of the picks."""

    status: str
    mode: str                      # sequential, race, or interleaved (a v1 file's)
    block_s: float | None
    note: str
    spec: dict
    elapsed_s: float
    points: tuple[SweepPoint, ...]
    rounds: tuple[dict, ...]
    pareto: tuple[str, ...]
    recommendations: dict[str, Pick | None]
    vs_default: dict[str, VersusDefault]
    precision_gains: tuple[PrecisionGain, ...] = ()
    sizing: SizingPlan | None = None
    withheld: str | None = None
    disturbed: dict[str, list[str]] | None = None
    uncertain_under_sla: tuple[str, ...] = ()
    race: RaceResult | None = None
    fidelity: tuple[PrecisionFidelity, ...] = ()
    excluded: dict[str, str] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    schema: str = field(default=SCHEMA, init=False)

    @property
    def sla_ms(self) -> float | None:
        return self.spec.get("sla_ms")

    @property
    def sla_percentile(self) -> float:
        return self.spec.get("sla_percentile") or 99.0

    @property
    def label(self) -> str:
        """The latency the sweep judges on, as its tables name it (``p99``)."""
        return f"p{self.sla_percentile:g}"

    def done(self) -> list[SweepPoint]:
        return [p for p in self.points if p.status == "done"]

    def fidelity_of(self, point: SweepPoint) -> PrecisionFidelity | None:
        """The fidelity of the precision ``point`` runs at, where the sweep measured it."""
        precision = point_precision(point.settings, self.spec)
        return next((f for f in self.fidelity if f.precision == precision), None)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {
            "schema": SCHEMA, "schema_version": self.schema_version, "status": self.status,
            "mode": self.mode, "block_s": self.block_s, "note": self.note, "spec": self.spec,
            "elapsed_s": self.elapsed_s, "points": [p.to_dict() for p in self.points],
            "rounds": list(self.rounds), "pareto": list(self.pareto),
            "recommendations": {k: v.to_dict() if v is not None else None
                                for k, v in self.recommendations.items()}}
        if self.withheld is not None:
            out["withheld"] = self.withheld
        out.update(vs_default={k: v.to_dict() for k, v in self.vs_default.items()},
                   precision_gains=[g.to_dict() for g in self.precision_gains],
                   sizing=self.sizing.to_dict() if self.sizing is not None else None)
        if self.disturbed is not None:
            out["disturbed"] = self.disturbed
        if self.uncertain_under_sla:
            out["uncertain_under_sla"] = list(self.uncertain_under_sla)
        if self.race is not None:
            out["race"] = self.race.to_dict()
        if self.fidelity:
            out["fidelity"] = [f.to_dict() for f in self.fidelity]
        if self.excluded:
            out["excluded"] = self.excluded
        return out

    @classmethod
    def from_dict(cls, data: Any, read: ResultReader) -> SweepResult:
        """A current-version document (the registry upgrades older ones first); ``read``
        reads each point's result (the registry's ``nested_result``, which upgrades it)."""
        if not isinstance(data, dict):
            raise SchemaError("sweep must be an object")
        where = "sweep"
        points = _get(data, "points", where)
        race = data.get("race")
        return cls(
            _get(data, "status", where), data.get("mode", "sequential"), data.get("block_s"),
            data.get("note", ""), dict(_get(data, "spec", where)),
            float(data.get("elapsed_s") or 0.0),
            tuple(SweepPoint.from_dict(p, f"{where}.points[{i}]", read)
                  for i, p in enumerate(points)),
            tuple(data.get("rounds") or ()), tuple(data.get("pareto") or ()),
            {k: Pick.from_dict(v, f"{where}.recommendations.{k}")
             for k, v in (data.get("recommendations") or {}).items()},
            {k: VersusDefault.from_dict(v, f"{where}.vs_default.{k}")
             for k, v in (data.get("vs_default") or {}).items()},
            tuple(PrecisionGain.from_dict(g, f"{where}.precision_gains[{i}]")
                  for i, g in enumerate(data.get("precision_gains") or ())),
            SizingPlan.from_dict(data.get("sizing"), where + ".sizing"),
            data.get("withheld"), data.get("disturbed"),
            tuple(data.get("uncertain_under_sla") or ()),
            RaceResult.from_dict(race, where + ".race") if race else None,
            tuple(PrecisionFidelity.from_dict(f, f"{where}.fidelity[{i}]")
                  for i, f in enumerate(data.get("fidelity") or ())),
            dict(data.get("excluded") or {}),
            int(data.get("schema_version", SCHEMA_VERSION)))
