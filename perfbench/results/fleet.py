"""The fleet's documents: ``perfbench.fleet-report`` (results of many machines merged per
hardware class, ``fleet report``) and ``perfbench.fleet-run`` (the index ``fleet run``
writes beside its nodes' results).  ``sizing.fleet`` and ``sizing.fleet_run`` produce
them; every table, CSV, Markdown, plot and HTML view reads these attributes.

Version 2 of the fleet report spells each FPS with its interval as one object,
``fps: {value, low, high, level}`` (version 1: ``fps``, ``fps_low``, ``fps_high``); the
registry upgrades a version-1 file on load."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from perfbench.results.interval import Interval
from perfbench.results.types import _list, _number, _table, _text

REPORT_SCHEMA = "perfbench.fleet-report"
REPORT_SCHEMA_VERSION = 2
RUN_SCHEMA = "perfbench.fleet-run"
RUN_SCHEMA_VERSION = 1


def _num(data: dict, key: str, where: str) -> float:
    value = _number(data, key, where)
    assert value is not None        # _number refuses a missing required number
    return value


def _int(data: dict, key: str, where: str) -> int:
    return int(_num(data, key, where))


def _count(data: dict, key: str, where: str, optional: bool = False) -> int | None:
    value = _number(data, key, where, optional)
    return None if value is None else int(value)


@dataclass(frozen=True)
class Plan:
    """Machines for the target (each loaded to at most 1 − headroom of what it measured;
    ``machines_conservative`` from the interval's low end) and what they cost; a figure
    that was not asked for (no target, no price) is None and not written."""

    fps_per_machine: float
    usable_fps_per_machine: float
    machines: int | None = None
    machines_conservative: int | None = None
    price_per_hour: float | None = None
    cost_per_1000_fps_hour: float | None = None
    cost_per_hour: float | None = None

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Plan":
        data = _table(data, where)

        def cost(key: str) -> float | None:
            return _number(data, key, where, optional=True)
        return cls(_num(data, "fps_per_machine", where),
                   _num(data, "usable_fps_per_machine", where),
                   _count(data, "machines", where, optional=True),
                   _count(data, "machines_conservative", where, optional=True),
                   cost("price_per_hour"), cost("cost_per_1000_fps_hour"),
                   cost("cost_per_hour"))


@dataclass(frozen=True)
class ClassSummary:
    """A hardware class's best configuration (highest FPS per machine, within the SLA)."""

    hardware_class: str
    configuration: str
    fps: Interval
    p99_ms: float
    machines_measured: int
    results: int
    meets_sla: bool
    flags: tuple[str, ...]
    plan: Plan
    #: The failed noise checks of the measurements pooled here (tracking.verdict.disturbed):
    #: a figure built on them names them.  Written only when there are some.
    disturbed: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out = {"hardware_class": self.hardware_class, "configuration": self.configuration,
               "fps": self.fps.to_dict(), "p99_ms": self.p99_ms,
               "machines_measured": self.machines_measured, "results": self.results,
               "meets_sla": self.meets_sla, "flags": list(self.flags),
               "plan": self.plan.to_dict()}
        if self.disturbed:
            out["disturbed"] = list(self.disturbed)
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "ClassSummary":
        data = _table(data, where)
        return cls(_text(data, "hardware_class", where),
                   _text(data, "configuration", where),
                   Interval.from_dict(data.get("fps"), f"{where}.fps"),
                   _num(data, "p99_ms", where),
                   _int(data, "machines_measured", where),
                   _int(data, "results", where), bool(data.get("meets_sla")),
                   tuple(str(f) for f in _list(data, "flags", where)),
                   Plan.from_dict(data.get("plan"), f"{where}.plan"),
                   tuple(str(d) for d in data.get("disturbed") or ()))


@dataclass(frozen=True)
class ModelBest:
    """Suite inputs: one model's best configuration on one class."""

    hardware_class: str
    model: str
    configuration: str
    fps: Interval
    p99_ms: float
    meets_sla: bool
    machines_measured: int

    def to_dict(self) -> dict:
        return {"hardware_class": self.hardware_class, "model": self.model,
                "configuration": self.configuration, "fps": self.fps.to_dict(),
                "p99_ms": self.p99_ms, "meets_sla": self.meets_sla,
                "machines_measured": self.machines_measured}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "ModelBest":
        data = _table(data, where)
        return cls(_text(data, "hardware_class", where),
                   _text(data, "model", where),
                   _text(data, "configuration", where),
                   Interval.from_dict(data.get("fps"), f"{where}.fps"),
                   _num(data, "p99_ms", where), bool(data.get("meets_sla")),
                   _int(data, "machines_measured", where))


@dataclass(frozen=True)
class MixClass:
    """Machines one class needs for the whole mix: ``load`` = Σ target ÷ usable FPS,
    ``machines`` = ⌈load⌉, None when a model of the mix (``missing``) has no
    configuration within the SLA there."""

    hardware_class: str
    load: float
    missing: tuple[str, ...]
    machines: int | None
    cost_per_hour: float | None = None

    def to_dict(self) -> dict:
        row = {"hardware_class": self.hardware_class, "load": self.load,
               "missing": list(self.missing), "machines": self.machines}
        if self.cost_per_hour is not None:
            row["cost_per_hour"] = self.cost_per_hour
        return row

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "MixClass":
        data = _table(data, where)
        return cls(_text(data, "hardware_class", where), _num(data, "load", where),
                   tuple(str(m) for m in _list(data, "missing", where)),
                   _count(data, "machines", where, optional=True),
                   _number(data, "cost_per_hour", where, optional=True))


@dataclass(frozen=True)
class Mix:
    targets: dict[str, float]
    classes: tuple[MixClass, ...]
    cheapest: str | None

    def to_dict(self) -> dict:
        return {"targets": dict(self.targets), "classes": [c.to_dict() for c in self.classes],
                "cheapest": self.cheapest}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Mix":
        data = _table(data, where)
        targets = _table(data.get("targets"), f"{where}.targets")
        return cls({str(k): _num(targets, k, f"{where}.targets") for k in targets},
                   tuple(MixClass.from_dict(c, f"{where}.classes[{i}]")
                         for i, c in enumerate(_list(data, "classes", where))),
                   _text(data, "cheapest", where, optional=True))


@dataclass(frozen=True)
class FleetReport:
    """Classes from run and sweep results; ``models``, ``note`` and ``mix`` only when
    suite directories were among the inputs (``models`` None: none were, and the three
    keys are not written)."""

    target_fps: float | None
    sla_ms: float | None
    headroom: float
    results: int
    classes: tuple[ClassSummary, ...]
    cheapest: str | None
    models: tuple[ModelBest, ...] | None = None
    note: str | None = None
    mix: Mix | None = None

    schema = REPORT_SCHEMA
    schema_version = REPORT_SCHEMA_VERSION

    def to_dict(self) -> dict:
        doc = {"schema": REPORT_SCHEMA, "schema_version": REPORT_SCHEMA_VERSION,
               "target_fps": self.target_fps, "sla_ms": self.sla_ms,
               "headroom": self.headroom, "results": self.results,
               "classes": [c.to_dict() for c in self.classes], "cheapest": self.cheapest}
        if self.models is not None:
            doc.update(models=[m.to_dict() for m in self.models], note=self.note,
                       mix=self.mix.to_dict() if self.mix else None)
        return doc

    @classmethod
    def from_dict(cls, data: Any) -> "FleetReport":
        data = _table(data, "fleet report")
        models = None
        if "models" in data:
            models = tuple(ModelBest.from_dict(m, f"models[{i}]")
                           for i, m in enumerate(_list(data, "models", "fleet report")))
        return cls(_number(data, "target_fps", "fleet report", optional=True),
                   _number(data, "sla_ms", "fleet report", optional=True),
                   _num(data, "headroom", "fleet report"),
                   _int(data, "results", "fleet report"),
                   tuple(ClassSummary.from_dict(c, f"classes[{i}]")
                         for i, c in enumerate(_list(data, "classes", "fleet report"))),
                   _text(data, "cheapest", "fleet report", optional=True), models,
                   _text(data, "note", "fleet report", optional=True),
                   None if data.get("mix") is None else Mix.from_dict(data["mix"], "mix"))


def upgrade_report_v1(data: dict) -> dict:
    """Version 1 → 2: each class's and model's ``fps``, ``fps_low``, ``fps_high`` become
    ``fps: {value, low, high, level}`` (95 %, or no interval where ``fps_low`` was null)."""
    def row(r: Any) -> Any:
        if not isinstance(r, dict) or "fps" not in r:
            return r                # malformed: from_dict names it
        r = dict(r)
        low, high = r.pop("fps_low", None), r.pop("fps_high", None)
        ranged = low is not None and high is not None
        r["fps"] = {"value": r["fps"], "low": low if ranged else None,
                    "high": high if ranged else None, "level": 0.95 if ranged else None}
        return r
    out = dict(data, schema_version=2)
    for key in ("classes", "models"):
        if isinstance(data.get(key), list):
            out[key] = [row(r) for r in data[key]]
    return out


@dataclass(frozen=True)
class NodeRecord:
    """One node of a fleet run: its status, error, result file, the wall-clock stamps
    (submitted and back on the driver, benchmark started and ended on the node) and the
    time the cluster took (``overhead_s``, computed by the run from the stamps)."""

    node_id: str
    name: str
    labels: dict[str, str]
    status: str
    error: str
    file: str
    submitted_at: float | None
    started_at: float | None
    ended_at: float | None
    received_at: float | None
    overhead_s: float | None

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "NodeRecord":
        data = _table(data, where)
        texts = ("node_id", "name", "status", "error", "file")
        values: dict[str, Any] = {k: _text(data, k, where) for k in texts}
        values["labels"] = {str(k): str(v) for k, v in
                            _table(data.get("labels"), f"{where}.labels").items()}
        for f in fields(cls):
            if f.name not in values:
                values[f.name] = _number(data, f.name, where, optional=True)
        return cls(**values)


@dataclass(frozen=True)
class FleetRun:
    """``fleet-run.json``: the node command (after ``--``), its timeout and each node."""

    status: str
    command: tuple[str, ...]
    timeout_s: float
    nodes: tuple[NodeRecord, ...] = field(default_factory=tuple)

    schema = RUN_SCHEMA
    schema_version = RUN_SCHEMA_VERSION

    def to_dict(self) -> dict:
        return {"schema": RUN_SCHEMA, "schema_version": RUN_SCHEMA_VERSION,
                "status": self.status, "command": list(self.command),
                "timeout_s": self.timeout_s, "nodes": [n.to_dict() for n in self.nodes]}

    @classmethod
    def from_dict(cls, data: Any) -> "FleetRun":
        data = _table(data, "fleet run")
        command = _list(data, "command", "fleet run")
        return cls(_text(data, "status", "fleet run"),
                   tuple(str(c) for c in command),
                   _num(data, "timeout_s", "fleet run"),
                   tuple(NodeRecord.from_dict(n, f"nodes[{i}]")
                         for i, n in enumerate(_list(data, "nodes", "fleet run"))))
