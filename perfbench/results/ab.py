"""The interleaved A/B document, ``perfbench.ab``: :class:`ABResult`.

``runner.ab.document`` makes it from a finished run: the verdict taken once, every ratio
with its interval, each side's own figures, the load and the time an undecided run would
need, all computed there and stored; the terminal table, Markdown, BMF, exporters,
history and the HTML view read these attributes and compute nothing again.

Version 4 spells every interval ``{ratio, low, high, level}`` (version 3 and before:
``ci_low``/``ci_high``); :func:`upgrade_ab_v3` respells an older file on load, and fills
in the side figures a file written before them lacks, by the producer's own definition
(:func:`side_fps`).

The ``attribution`` block (``ab --attribute``) is
:class:`perfbench.results.attribution.Attribution` (its intervals spelled ``{value|ratio,
low, high, level}`` since it was added: no respelling).  Version 5 adds ``fidelity``
(``ab --fidelity``: :class:`perfbench.results.ab_fidelity.ABFidelity`, did NEW give other
answers than BASE), null in an older file (:func:`upgrade_ab_v4`) and when not asked.
Version 6 adds ``controls`` (the ``--control`` noise controls in force, spelled as the
option takes them; an older file had none: ``[]``) and ``design`` (:class:`EpochDesign`:
the rounds per epoch and why; null in an older file, which did not say):
:func:`upgrade_ab_v5`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from perfbench.results.ab_fidelity import ABFidelity
from perfbench.results.attribution import Attribution
from perfbench.results.types import SchemaError, _list, _number, _table, _text

SCHEMA = "perfbench.ab"
SCHEMA_VERSION = 7
SIDES = ("base", "new")


def _object(data: dict, key: str, where: str, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    return _table(value, f"{where}.{key}")


def _numbers(cls, data: Any, where: str, text: tuple[str, ...] = (),
             optional: tuple[str, ...] = ()):
    """A flat record of numbers (``text`` fields strings; ``optional`` ones may be null)."""
    data = _table(data, where)
    values = {}
    for f in fields(cls):
        if f.name in text:
            values[f.name] = _text(data, f.name, where)
        elif f.type in ("bool",):
            values[f.name] = bool(data.get(f.name))
        else:
            values[f.name] = _number(data, f.name, where, f.name in optional)
    return cls(**values)


def _record(value: Any) -> Any:
    return None if value is None else value.to_dict()


@dataclass(frozen=True)
class ABRatio:
    """NEW/BASE of the per-round figure over both noise levels (rounds within epochs,
    epochs within the run), as ``stats.two_level`` estimated it; ``process_sd_pct`` None
    where it cannot be estimated (fewer than 2 degrees of freedom), ``process_level``
    where the process-level variance came from."""

    ratio: float
    low: float
    high: float
    level: float
    change_pct: float
    half_width_pct: float
    dof: float
    epochs: int
    rounds: int
    round_sd_pct: float
    process_sd_pct: float | None
    order_effect_pct: float
    process_level: str

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "ABRatio":
        ratio = _numbers(cls, data, where, text=("process_level",),
                         optional=("process_sd_pct",))
        return cls(**{**ratio.__dict__, "epochs": int(ratio.epochs),
                      "rounds": int(ratio.rounds)})


@dataclass(frozen=True)
class PooledRatio:
    """NEW/BASE of a latency percentile of each side's pooled latencies, with the
    bootstrap interval ``method`` names (``stats.tails``)."""

    ratio: float
    low: float
    high: float
    level: float
    change_pct: float
    half_width_pct: float
    base_ms: float
    new_ms: float
    method: str

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "PooledRatio":
        return _numbers(cls, data, where, text=("method",))


Ratio = ABRatio | PooledRatio


def _ratio(data: Any, where: str) -> Ratio | None:
    """A stored ratio, whichever kind: a pooled percentile names its ``method``."""
    if data is None:
        return None
    if isinstance(data, dict) and "method" in data:
        return PooledRatio.from_dict(data, where)
    return ABRatio.from_dict(data, where)


def _two_level(data: Any, where: str) -> ABRatio | None:
    return None if data is None else ABRatio.from_dict(data, where)


@dataclass(frozen=True)
class Prior:
    """The cached epoch-level variance pooled into the interval (``runner.ab_cache``)."""

    epoch_sd_pct: float
    dof: float
    runs: int

    def to_dict(self) -> dict:
        return {"epoch_sd_pct": self.epoch_sd_pct, "dof": self.dof, "runs": self.runs}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Prior":
        prior = _numbers(cls, data, where)
        return cls(prior.epoch_sd_pct, prior.dof, int(prior.runs))


@dataclass(frozen=True)
class Look:
    """One look, after an epoch: what it decided (a verdict, ``precise``, or None: measure
    on) and the interim interval it read (None from one epoch)."""

    epoch: int
    decision: str | None
    interval: ABRatio | None

    def to_dict(self) -> dict:
        return {"epoch": self.epoch, "decision": self.decision,
                "interval": _record(self.interval)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Look":
        data = _table(data, where)
        epoch = _number(data, "epoch", where)
        assert epoch is not None
        return cls(int(epoch), _text(data, "decision", where, optional=True),
                   _two_level(data.get("interval"), f"{where}.interval"))


@dataclass(frozen=True)
class ServerTotals:
    """A server A/B side over its blocks: arrivals scheduled, sent, never sent, over
    ``--sla-ms``, and blocks whose generator fell behind its rate."""

    scheduled: int
    sent: int
    missed: int
    over_sla: int
    invalid_blocks: int

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "ServerTotals":
        totals = _numbers(cls, data, where)
        return cls(**{k: int(v) for k, v in totals.__dict__.items()})


@dataclass(frozen=True)
class SideFigures:
    """A side's own FPS (its images over its usable blocks' time, :func:`side_fps`) and
    its pooled p50/p99 latency (the pooled ratios' ``base_ms``/``new_ms``)."""

    fps: float | None
    median_ms: float | None
    p99_ms: float | None

    def to_dict(self) -> dict:
        return {"fps": self.fps, "median_ms": self.median_ms, "p99_ms": self.p99_ms}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "SideFigures":
        return _numbers(cls, data, where, optional=("fps", "median_ms", "p99_ms"))


@dataclass(frozen=True)
class Load:
    """Other processes' CPU over the epochs (% of the machine), against a run's check."""

    other_processes_cpu_pct: float | None
    max_pct: float | None
    limit_pct: float
    disturbed: bool

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Load":
        return _numbers(cls, data, where, optional=("other_processes_cpu_pct", "max_pct"))


@dataclass(frozen=True)
class ABRound:
    """One ABBA round: each side's block, as its worker measured it (``completed``,
    ``duration_s``, ``batch``, ``fps``, ``median_ms``, ``p99_ms``, ``latency_hist``, …)."""

    order: str                      # "AB" or "BA"
    base: dict
    new: dict

    def ratio(self, key: str) -> float:
        """NEW/BASE of a block figure ("fps": the worker's images per second)."""
        return self.new[key] / self.base[key]

    def log_ratio(self, key: str) -> float:
        return math.log(self.new[key] / self.base[key])

    @property
    def usable(self) -> bool:
        """Both blocks completed requests (an empty block has no figures to compare)."""
        return self.base.get("completed", 0) > 0 and self.new.get("completed", 0) > 0

    def to_dict(self) -> dict:
        return {"order": self.order, "base": self.base, "new": self.new}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "ABRound":
        data = _table(data, where)
        return cls(_text(data, "order", where), _object(data, "base", where),
                   _object(data, "new", where))


@dataclass(frozen=True)
class ABEpoch:
    """One pair of freshly started workers and the rounds they measured."""

    index: int
    started_first: str              # "base" or "new": whose worker started first
    setup_s: float
    wall_s: float
    other_cpu_pct: float | None
    rounds: tuple[ABRound, ...]
    #: With controls (version 7): what each of the epoch's workers reported in force,
    #: ``{"base": {...}, "new": {...}}``; the key is absent in a run without controls.
    controls: dict | None = None

    def to_dict(self) -> dict:
        out = {"index": self.index, "started_first": self.started_first,
               "setup_s": self.setup_s, "wall_s": self.wall_s,
               "other_cpu_pct": self.other_cpu_pct,
               "rounds": [r.to_dict() for r in self.rounds]}
        return out if self.controls is None else {**out, "controls": self.controls}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "ABEpoch":
        data = _table(data, where)
        index = _number(data, "index", where)
        assert index is not None
        return cls(int(index), _text(data, "started_first", where),
                   _number(data, "setup_s", where) or 0.0,
                   _number(data, "wall_s", where, optional=True) or 0.0,
                   _number(data, "other_cpu_pct", where, optional=True),
                   tuple(ABRound.from_dict(r, f"{where}.rounds[{i}]")
                         for i, r in enumerate(_list(data, "rounds", where))),
                   _epoch_controls(data.get("controls"), f"{where}.controls"))


def _epoch_controls(data: Any, where: str) -> dict | None:
    """An epoch's workers' controls: a table of the two sides' tables, or absent."""
    if data is None:
        return None
    sides = _table(data, where)
    for side, seen in sides.items():
        _table(seen, f"{where}.{side}")
    return sides


@dataclass(frozen=True)
class EpochDesign:
    """How the run's epochs were sized (``stats.dimensioning``): its rounds per epoch,
    ``chosen_by`` "defaults" (nothing known yet), "dimensioned" (from earlier runs'
    components) or "--epoch-s" (the user's), ``reason`` in words; when dimensioned, the
    components it was chosen from (round SD and process SD in %, each epoch's setup and
    each round's cost in s, over ``runs`` earlier runs), the budget, and the 95 %
    half-width expected of the chosen design and of the default one at those components."""

    rounds_per_epoch: int
    chosen_by: str
    reason: str
    budget_s: float
    runs: int | None = None
    round_sd_pct: float | None = None
    process_sd_pct: float | None = None
    setup_s: float | None = None
    round_s: float | None = None
    expected_epochs: int | None = None
    expected_half_width_pct: float | None = None
    default_half_width_pct: float | None = None

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "EpochDesign":
        optional = tuple(f.name for f in fields(cls)
                         if f.name not in ("rounds_per_epoch", "chosen_by", "reason",
                                           "budget_s"))
        design = _numbers(cls, data, where, text=("chosen_by", "reason"), optional=optional)
        whole = {k: int(getattr(design, k)) for k in ("rounds_per_epoch", "runs",
                                                      "expected_epochs")
                 if getattr(design, k) is not None}
        return replace(design, **whole)


def side_fps(blocks: list[dict]) -> float | None:
    """A side's FPS: its images (requests × batch) over its blocks' time; the one
    definition the producer stores and the upgrade of an older file fills in."""
    seconds = sum(b["duration_s"] for b in blocks)
    images = sum(b["completed"] * b.get("batch", 1) for b in blocks)
    return images / seconds if seconds > 0 else None


@dataclass(frozen=True)
class ABResult:
    """A ``perfbench.ab`` document (docs/schemas.md)."""

    status: str
    stop_reason: str
    exit_status: int | None
    verdict: str
    judged_metric: str              # "fps", or "median_ms" (server)
    judged_ratio: str               # the key in ``ratios`` the verdict was judged on
    regression: bool
    verdict_interval: ABRatio | None
    judged_level: float
    family_size: int
    interim_level: float | None
    final_level: float | None
    threshold_pct: float
    smallest_resolvable_pct: float | None
    epoch_variance_prior: Prior | None
    target_pct: float | None
    block_s: float | None
    epoch_s: float | None
    started_first: str
    timestamp: str
    looks: tuple[Look, ...]
    #: 95 % intervals, by figure: ``fps`` (two-level), ``median_ms`` and ``p99_ms``
    #: (pooled), and in the server scenario ``median_ms_rounds`` (two-level, judged on).
    ratios: dict[str, Ratio | None]
    schedule: dict[str, ServerTotals] | None
    side_figures: dict[str, SideFigures] | None
    load: Load | None
    more_time_s: float | None
    empty_rounds: int
    sides: dict                     # per side, what its worker reported, and its python
    settings: dict                  # common, base, new
    host: dict | None
    epochs: tuple[ABEpoch, ...]
    #: ``ab --attribute``: the profiling pass, attributed (``runner.attribute``).
    attribution: Attribution | None = None
    #: ``ab --fidelity``: both sides' outputs compared after the verdict
    #: (``runner.ab_fidelity``); None when not asked.
    fidelity: ABFidelity | None = None
    #: ``--control``: the noise controls in force (``runner.controls``), () for none.
    controls: tuple[str, ...] = ()
    #: How the epochs were sized, and why; None where the run did not say (seeded runs).
    design: EpochDesign | None = None

    schema = SCHEMA
    schema_version = SCHEMA_VERSION

    @property
    def judged(self) -> Ratio | None:
        """The ratio the verdict was judged on, at 95 % (FPS, or server p50 per round)."""
        return self.ratios.get(self.judged_ratio)

    @property
    def rounds(self) -> list[ABRound]:
        return [r for e in self.epochs for r in e.rounds]

    @property
    def measured_s(self) -> float:
        """The epochs' wall time, setup included."""
        return sum(e.wall_s for e in self.epochs)

    def raised(self, exit_status: int) -> "ABResult":
        """This document with its exit status raised to at least ``exit_status`` (what
        the command returns when an output, or the attribution pass, failed)."""
        return replace(self, exit_status=max(self.exit_status or 0, exit_status))

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = _written(value)
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "A/B document") -> "ABResult":
        data = _table(data, where)
        if data.get("schema_version") != SCHEMA_VERSION:
            raise SchemaError(f"{where}: schema_version {data.get('schema_version')!r} is "
                              f"not {SCHEMA_VERSION} (read it through results.load)")
        return cls(**_read_head(data, where), **_read_figures(data, where),
                   **_read_measurement(data, where))


def _written(value: Any) -> Any:
    if isinstance(value, tuple):
        return [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
    if isinstance(value, dict) and any(hasattr(v, "to_dict") for v in value.values()):
        return {k: _record(v) for k, v in value.items()}
    return value.to_dict() if hasattr(value, "to_dict") else value


def _read_head(data: dict, where: str) -> dict:
    status = _number(data, "exit_status", where, optional=True)
    size = _number(data, "family_size", where, optional=True)
    return {"status": _text(data, "status", where),
            "stop_reason": _text(data, "stop_reason", where),
            "exit_status": None if status is None else int(status),
            "verdict": _text(data, "verdict", where),
            "judged_metric": _text(data, "judged_metric", where),
            "judged_ratio": _text(data, "judged_ratio", where),
            "regression": bool(data.get("regression")),
            "verdict_interval": _two_level(data.get("verdict_interval"),
                                           f"{where}.verdict_interval"),
            "judged_level": _number(data, "judged_level", where),
            "family_size": 1 if size is None else int(size),
            "interim_level": _number(data, "interim_level", where, optional=True),
            "final_level": _number(data, "final_level", where, optional=True),
            "threshold_pct": _number(data, "threshold_pct", where),
            "smallest_resolvable_pct": _number(data, "smallest_resolvable_pct", where,
                                               optional=True),
            "epoch_variance_prior": None if data.get("epoch_variance_prior") is None else
            Prior.from_dict(data["epoch_variance_prior"], f"{where}.epoch_variance_prior"),
            "target_pct": _number(data, "target_pct", where, optional=True),
            "block_s": _number(data, "block_s", where, optional=True),
            "epoch_s": _number(data, "epoch_s", where, optional=True),
            "started_first": _text(data, "started_first", where),
            "timestamp": _text(data, "timestamp", where)}


def _per_side(data: dict, key: str, where: str, cls) -> dict | None:
    block = _object(data, key, where, optional=True)
    if block is None:
        return None
    return {side: cls.from_dict(value, f"{where}.{key}.{side}")
            for side, value in block.items()}


def _read_figures(data: dict, where: str) -> dict:
    ratios = _object(data, "ratios", where)
    load = data.get("load")
    return {"looks": tuple(Look.from_dict(x, f"{where}.looks[{i}]")
                           for i, x in enumerate(_list(data, "looks", where))),
            "ratios": {k: _ratio(v, f"{where}.ratios.{k}") for k, v in ratios.items()},
            "schedule": _per_side(data, "schedule", where, ServerTotals),
            "side_figures": _per_side(data, "side_figures", where, SideFigures),
            "load": None if load is None else Load.from_dict(load, f"{where}.load"),
            "more_time_s": _number(data, "more_time_s", where, optional=True)}


def _sides(data: dict, where: str) -> dict:
    """What each side's worker reported: a table per side (its readers take figures such
    as ``openvino`` from it), null for a side that never became ready."""
    sides = _object(data, "sides", where)
    for name, side in sides.items():
        if side is not None:
            _table(side, f"{where}.sides.{name}")
    return sides


def _read_measurement(data: dict, where: str) -> dict:
    empty = _number(data, "empty_rounds", where, optional=True)
    return {"empty_rounds": int(empty or 0), "sides": _sides(data, where),
            "settings": _object(data, "settings", where),
            "host": _object(data, "host", where, optional=True),
            "epochs": tuple(ABEpoch.from_dict(e, f"{where}.epochs[{i}]")
                            for i, e in enumerate(_list(data, "epochs", where))),
            "attribution": None if data.get("attribution") is None else
            Attribution.from_dict(data["attribution"], f"{where}.attribution"),
            "fidelity": None if data.get("fidelity") is None else
            ABFidelity.from_dict(data["fidelity"], f"{where}.fidelity"),
            "controls": _controls(data, where),
            "design": None if data.get("design") is None else
            EpochDesign.from_dict(data["design"], f"{where}.design")}


def _controls(data: dict, where: str) -> tuple[str, ...]:
    controls = _list(data, "controls", where)
    if not all(isinstance(c, str) for c in controls):
        raise SchemaError(f"{where}.controls: a list of control names")
    return tuple(controls)


def _respell(interval: Any) -> Any:
    """An interval written as ``ci_low``/``ci_high`` (or ``ci95_low``/``ci95_high``),
    spelled ``low``/``high`` in place (the keys' order kept)."""
    if not isinstance(interval, dict):
        return interval
    names = {"ci_low": "low", "ci_high": "high", "ci95_low": "low", "ci95_high": "high"}
    return {names.get(k, k): v for k, v in interval.items()}


def upgrade_ab_v3(data: dict) -> dict:
    """Version 4 spells every interval ``{ratio, low, high, level}``: the verdict's, each
    ratio's and each look's were ``ci_low``/``ci_high``.  A file written before the side
    figures were stored gets them, by the definition the producer stores (each side's
    images over its usable blocks' time; its pooled latencies from the pooled ratios)."""
    out = dict(data, schema_version=4)
    out["verdict_interval"] = _respell(data.get("verdict_interval"))
    ratios = data.get("ratios")
    if isinstance(ratios, dict):
        out["ratios"] = {k: _respell(v) for k, v in ratios.items()}
    looks = data.get("looks")
    if isinstance(looks, list):
        out["looks"] = [dict(x, interval=_respell(x.get("interval")))
                        if isinstance(x, dict) else x for x in looks]
    if out.get("side_figures") is None and isinstance(out.get("ratios"), dict):
        out["side_figures"] = _old_side_figures(out)
    return out


def _old_side_figures(data: dict) -> dict | None:
    try:
        rounds = [ABRound.from_dict(r, "round") for e in data.get("epochs") or []
                  for r in e.get("rounds") or []]
    except (SchemaError, AttributeError):
        return None                 # the reader names what is wrong with them
    usable = [r for r in rounds if r.usable]
    figures = {}
    for side in SIDES:
        tails = [data["ratios"].get(k) or {} for k in ("median_ms", "p99_ms")]
        try:
            fps = side_fps([getattr(r, side) for r in usable])
        except (KeyError, TypeError):
            return None
        figures[side] = {"fps": fps, "median_ms": tails[0].get(f"{side}_ms"),
                         "p99_ms": tails[1].get(f"{side}_ms")}
    return figures


def upgrade_ab_v4(data: dict) -> dict:
    """Version 5 adds ``fidelity`` (``ab --fidelity``): null in a version-4 file, which
    never compared outputs."""
    return {**data, "schema_version": 5, "fidelity": None}


def upgrade_ab_v5(data: dict) -> dict:
    """Version 6 records the noise controls in force (a version-5 run had none: ``[]``)
    and how its epochs were sized (not recorded then: null); a development file that
    already held them keeps them."""
    return {**data, "schema_version": 6, "controls": data.get("controls") or [],
            "design": data.get("design")}


def upgrade_ab_v6(data: dict) -> dict:
    """Version 7 adds each epoch's workers' controls (``epochs[].controls``, in a run
    with controls; a version-6 file recorded the first epoch's only, in ``sides``).  It
    is also the first version every reader of which takes an attribution table without an
    interval (a pass of one round) as claiming no level: since 97d62aa a version-6 file
    may hold such a table's nulls, which a reader of that version before it refused;
    today's reader applies the rule to every version.  So the upgrade is the version
    alone."""
    return {**data, "schema_version": 7}
