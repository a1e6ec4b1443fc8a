"""The suite document, ``perfbench.suite`` (``DIR/suite.json``): every entry's record with
its headline figures, the counts, and the judgement against a baseline (``--baseline``,
``--history``) or of each entry's A/B (``--ab``).  ``suite.document``, ``suite.baseline``
and ``suite.ab`` produce it; the terminal, Markdown, CSV and HTML views read these
attributes and compute no figure of their own.

Version 2 spells every interval once, ``{value|ratio, low, high, level}``: an entry's
``headline.fps``, a row's ``ratio`` (its 95 % interval) and ``judged`` (the one its verdict
was judged on, at its family's level), a regressed metric's ``change_pct`` and each
geomean's ``ratio`` and ``judged``.  Version 1 spelled them ``fps_low``/``fps_high``,
``ci_low``/``ci_high``, ``judged_ci_low``/``judged_ci_high``/``judged_level`` and
``ci_low_pct``/``ci_high_pct``; :func:`upgrade_suite_v1` turns one into the other, key for
key in place, so a version-1 file reads as it was written."""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from perfbench.results.comparison import FidelityChange
from perfbench.results.interval import LEVEL_95, Interval
from perfbench.results.types import _number, _table
from perfbench.results.types import _list as _list_field
from perfbench.results.types import _text as _text_field

SCHEMA = "perfbench.suite"
SCHEMA_VERSION = 2


#: the suite's optional fields: a missing text reads None, a missing list empty
_text = functools.partial(_text_field, optional=True)
_list = functools.partial(_list_field, optional=True)


def _names(data: dict, key: str, where: str) -> tuple[str, ...] | None:
    """An optional list of names (None: the key is absent, and is not written)."""
    return None if data.get(key) is None else tuple(str(n) for n in _list(data, key, where))


def _num(data: dict, key: str, where: str) -> float | None:
    return _number(data, key, where, optional=True)


def _object(data: dict, key: str, where: str) -> dict | None:
    value = data.get(key)
    return None if value is None else _table(value, f"{where}.{key}")


def _interval(data: dict, key: str, where: str, centre: str) -> Interval | None:
    value = data.get(key)
    return None if value is None else Interval.from_dict(value, f"{where}.{key}", centre)


def _put(out: dict, **values: Any) -> dict:
    """``out`` with each value that is not None (an optional key, written when present)."""
    out.update({k: v for k, v in values.items() if v is not None})
    return out


@dataclass(frozen=True)
class Judged:
    """The interval a verdict was judged on, at the level it was judged at (its family's,
    wider than 95 %).  ``level`` is always known; ``low``/``high`` are None when the
    interval could not be formed, and ``ratio`` (its centre) is None only in a version-1
    file judged on latency, which did not record it."""

    ratio: float | None
    low: float | None
    high: float | None
    level: float

    def to_dict(self) -> dict:
        return {"ratio": self.ratio, "low": self.low, "high": self.high, "level": self.level}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Judged":
        data = _table(data, where)
        level = _number(data, "level", where)
        assert level is not None
        return cls(_num(data, "ratio", where), _num(data, "low", where),
                   _num(data, "high", where), level)


@dataclass(frozen=True)
class Headline:
    """A plain entry's headline figures, from its result (``results.metrics``)."""

    fps: Interval
    p50_ms: float | None = None
    p99_ms: float | None = None
    compile_ms: float | None = None
    peak_rss_mb: float | None = None
    precision: str | None = None

    def to_dict(self) -> dict:
        return {"fps": self.fps.to_dict(), "p50_ms": self.p50_ms, "p99_ms": self.p99_ms,
                "compile_ms": self.compile_ms, "peak_rss_mb": self.peak_rss_mb,
                "precision": self.precision}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Headline":
        data = _table(data, where)
        return cls(Interval.from_dict(data.get("fps"), f"{where}.fps"),
                   _num(data, "p50_ms", where), _num(data, "p99_ms", where),
                   _num(data, "compile_ms", where), _num(data, "peak_rss_mb", where),
                   _text(data, "precision", where))


@dataclass(frozen=True)
class EntryRecord:
    """One entry: what it runs, its status, its file in DIR and its headline (None for a
    failed or an A/B entry).  ``fallback``, ``provenance`` (the OpenVINO versions and
    hardware class its result names) and ``history`` (the row ``--history`` appended it
    as) are written only when there are some."""

    name: str
    status: str
    model: str | None = None
    model_path: str | None = None
    settings: dict | None = None
    time_limit_s: float | None = None
    file: str | None = None
    message: str | None = None
    headline: Headline | None = None
    wall_s: float | None = None
    fallback: str | None = None
    provenance: dict | None = None
    history: dict | None = None

    def to_dict(self) -> dict:
        out = {"name": self.name, "model": self.model, "model_path": self.model_path,
               "settings": self.settings, "time_limit_s": self.time_limit_s,
               "status": self.status, "file": self.file, "message": self.message,
               "headline": None if self.headline is None else self.headline.to_dict(),
               "wall_s": self.wall_s}
        return _put(out, fallback=self.fallback, provenance=self.provenance,
                    history=self.history)

    def record(self) -> dict:
        """The fields as a producer's working record (the headline stays typed)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "EntryRecord":
        data = _table(data, where)
        head = data.get("headline")
        return cls(str(_text(data, "name", where, optional=False)),
                   str(_text(data, "status", where, optional=False)),
                   _text(data, "model", where), _text(data, "model_path", where),
                   _object(data, "settings", where), _num(data, "time_limit_s", where),
                   _text(data, "file", where), _text(data, "message", where),
                   None if head is None else Headline.from_dict(head, f"{where}.headline"),
                   _num(data, "wall_s", where), _text(data, "fallback", where),
                   _object(data, "provenance", where), _object(data, "history", where))


@dataclass(frozen=True)
class Summary:
    """Counts, and the geomean of the ok entries' FPS (descriptive of this run)."""

    entries: int
    ok: int
    failed: int
    skipped: int = 0
    pending: int = 0
    geomean_fps: float | None = None

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Summary":
        data = _table(data, where)
        def count(key: str) -> int:
            return int(_num(data, key, where) or 0)
        return cls(count("entries"), count("ok"), count("failed"), count("skipped"),
                   count("pending"), _num(data, "geomean_fps", where))


@dataclass(frozen=True)
class Geomean:
    """The geomean of the per-entry ratios (``stats.geomean``), with its 95 % interval,
    its scope (``fixed``: these models; ``random``: models like them) and the spread
    between models.  A judged geomean (``excluded`` not None) adds its verdict; an A/B
    one also the random-models estimate (None for one entry) and the interval it was
    judged on, at the family's level (a baseline's is judged at 95 %: neither key)."""

    ratio: Interval
    scope: str
    entries: int | None = None
    between_sd_pct: float | None = None
    run_sd_pct: float | None = None
    excluded: tuple[str, ...] | None = None
    verdict: str | None = None
    random: "Geomean | None" = None
    judged: Judged | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"ratio": self.ratio.to_dict("ratio"), "scope": self.scope,
                               "entries": self.entries,
                               "between_sd_pct": self.between_sd_pct,
                               "run_sd_pct": self.run_sd_pct}
        if self.excluded is not None:
            out["excluded"] = list(self.excluded)
        if self.random is not None or self.judged is not None:      # an A/B's
            out["random"] = None if self.random is None else self.random.to_dict()
            out["judged"] = None if self.judged is None else self.judged.to_dict()
        return _put(out, verdict=self.verdict)

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Geomean":
        data = _table(data, where)
        entries = _num(data, "entries", where)
        return cls(Interval.from_dict(data.get("ratio"), f"{where}.ratio", "ratio"),
                   str(_text(data, "scope", where, optional=False)),
                   None if entries is None else int(entries),
                   _num(data, "between_sd_pct", where), _num(data, "run_sd_pct", where),
                   _names(data, "excluded", where), _text(data, "verdict", where),
                   None if data.get("random") is None else
                   Geomean.from_dict(data["random"], f"{where}.random"),
                   None if data.get("judged") is None else
                   Judged.from_dict(data["judged"], f"{where}.judged"))


@dataclass(frozen=True)
class MetricChange:
    """A regressed metric: its change in %, with the interval at the entry's judged level."""

    name: str
    change_pct: Interval

    def to_dict(self) -> dict:
        return {"name": self.name, "change_pct": self.change_pct.to_dict()}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "MetricChange":
        data = _table(data, where)
        return cls(str(_text(data, "name", where, optional=False)),
                   Interval.from_dict(data.get("change_pct"), f"{where}.change_pct"))


@dataclass(frozen=True)
class BaselineRow:
    """One entry against its baseline (``tracking.verdict.compare``): NEW/BASE FPS ratio
    with compare's 95 % interval, the verdict and the interval it was judged on, each
    regressed metric, the noise checks that failed, and both sides' FPS and p50."""

    name: str
    verdict: str
    ratio: Interval | None = None
    judged: Judged | None = None
    family_size: int | None = None
    regressed: tuple[str, ...] = ()
    regressions: tuple[MetricChange, ...] = ()
    disturbed: tuple[str, ...] = ()
    new_disturbed: bool = False
    base_fps: float | None = None
    new_fps: float | None = None
    base_p50_ms: float | None = None
    new_p50_ms: float | None = None
    log_dof: float | None = None
    in_geomean: bool = False
    like_for_like_warnings: tuple[str, ...] | None = None
    baseline_entry: str | None = None

    #: A baseline verdict is always judged on FPS (and the other gating metrics).
    judged_metric: ClassVar[str] = "fps"

    def to_dict(self) -> dict:
        out = {"name": self.name, "verdict": self.verdict,
               "ratio": None if self.ratio is None else self.ratio.to_dict("ratio"),
               "judged": None if self.judged is None else self.judged.to_dict(),
               "family_size": self.family_size, "regressed": list(self.regressed),
               "regressions": [c.to_dict() for c in self.regressions],
               "disturbed": list(self.disturbed), "new_disturbed": self.new_disturbed}
        _put(out, base_fps=self.base_fps, new_fps=self.new_fps,
             base_p50_ms=self.base_p50_ms, new_p50_ms=self.new_p50_ms)
        out.update(log_dof=self.log_dof, in_geomean=self.in_geomean)
        return _put(out, like_for_like_warnings=None if self.like_for_like_warnings is None
                    else list(self.like_for_like_warnings), baseline_entry=self.baseline_entry)

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "BaselineRow":
        data = _table(data, where)
        size = _num(data, "family_size", where)
        return cls(str(_text(data, "name", where, optional=False)),
                   str(_text(data, "verdict", where, optional=False)),
                   _interval(data, "ratio", where, "ratio"),
                   None if data.get("judged") is None else
                   Judged.from_dict(data["judged"], f"{where}.judged"),
                   None if size is None else int(size),
                   _names(data, "regressed", where) or (),
                   tuple(MetricChange.from_dict(c, f"{where}.regressions[{i}]")
                         for i, c in enumerate(_list(data, "regressions", where))),
                   _names(data, "disturbed", where) or (),
                   bool(data.get("new_disturbed", True)),   # as the reader took a row without
                   _num(data, "base_fps", where), _num(data, "new_fps", where),
                   _num(data, "base_p50_ms", where), _num(data, "new_p50_ms", where),
                   _num(data, "log_dof", where), bool(data.get("in_geomean")),
                   _names(data, "like_for_like_warnings", where),
                   _text(data, "baseline_entry", where))


@dataclass(frozen=True)
class NotComparable:
    name: str
    differences: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"name": self.name, "differences": list(self.differences)}


@dataclass(frozen=True)
class BaselineBlock:
    """The run against ``source`` (a baseline suite directory, or ``history DB``): each
    entry's row, the geomean, and the entries whose standing changed or has no pair.
    ``not_comparable`` and ``no_baseline`` (a baseline suite) and ``no_history`` (a
    history database) are written only for their source."""

    source: str | None
    entries: tuple[BaselineRow, ...]
    geomean: Geomean | None
    new_failures: tuple[str, ...] = ()
    fixed_failures: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    not_comparable: tuple[NotComparable, ...] | None = None
    no_baseline: tuple[str, ...] | None = None
    no_history: tuple[str, ...] | None = None

    def to_dict(self) -> dict:
        out = {"source": self.source, "entries": [r.to_dict() for r in self.entries],
               "geomean": None if self.geomean is None else self.geomean.to_dict(),
               "new_failures": list(self.new_failures),
               "fixed_failures": list(self.fixed_failures), "missing": list(self.missing)}
        return _put(out, not_comparable=None if self.not_comparable is None else
                    [n.to_dict() for n in self.not_comparable],
                    no_baseline=None if self.no_baseline is None else list(self.no_baseline),
                    no_history=None if self.no_history is None else list(self.no_history))

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "BaselineBlock":
        data = _table(data, where)
        comparable = None if data.get("not_comparable") is None else tuple(
            NotComparable(str(_table(n, f"{where}.not_comparable[{i}]").get("name")),
                          tuple(str(d) for d in n.get("differences") or ()))
            for i, n in enumerate(_list(data, "not_comparable", where)))
        return cls(_text(data, "source", where),
                   tuple(BaselineRow.from_dict(r, f"{where}.entries[{i}]")
                         for i, r in enumerate(_list(data, "entries", where))),
                   None if data.get("geomean") is None else
                   Geomean.from_dict(data["geomean"], f"{where}.geomean"),
                   _names(data, "new_failures", where) or (),
                   _names(data, "fixed_failures", where) or (),
                   _names(data, "missing", where) or (), comparable,
                   _names(data, "no_baseline", where),
                   _names(data, "no_history", where))


@dataclass(frozen=True)
class TopCause:
    """An entry's top cause (``suite --ab --attribute``): the first node of its A/B's
    attribution (ranked by contribution), as the attribution stated it: its name (BASE →
    NEW where renamed), node type, contribution (NEW − BASE ms per inference, with its
    interval at the attribution's rows' family level), that as a share of BASE's time per
    inference, what changed in it (implementation, precision, fusion, a node on one
    side only), and whether its interval excludes 0 (``beyond_level``: else no node's
    change stands out of the noise, as in an A/A; None where there is no interval)."""

    node: str
    type: str
    contribution_ms: Interval
    share_pct: float | None
    changes: tuple[str, ...]
    beyond_level: bool | None

    def to_dict(self) -> dict:
        return {"node": self.node, "type": self.type,
                "contribution_ms": self.contribution_ms.to_dict(),
                "share_pct": self.share_pct, "changes": list(self.changes),
                "beyond_level": self.beyond_level}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "TopCause":
        data = _table(data, where)
        contribution = Interval.from_dict(data.get("contribution_ms"),
                                          f"{where}.contribution_ms")
        judged = data.get("beyond_level")        # no interval: not judged, whatever was said
        return cls(str(_text(data, "node", where, optional=False)),
                   str(_text(data, "type", where, optional=False)), contribution,
                   _num(data, "share_pct", where), _names(data, "changes", where) or (),
                   None if judged is None or contribution.low is None else bool(judged))


@dataclass(frozen=True)
class ABSummary:
    """What the suite shows of one entry's A/B (its full document is DIR/ENTRY.json):
    the FPS ratio NEW/BASE with its 95 % interval, the verdict the A/B took once, the
    metric and interval it was judged on, its epochs, why it stopped, each side's
    OpenVINO, and the entry's status.  Built from the A/B document by ``suite.ab``.
    With ``--attribute``: the attribution pass's status (``complete``, ``interrupted``,
    ``failed``, with its error), and the entry's top cause where a node was timed; the
    three keys are written only then.  With ``--fidelity``: the answers' verdict
    (``regression``, ``within tolerance``, ``failed`` or ``interrupted``, as the entry's A/B
    document stored it in ``fidelity.verdict``), the pass's error, and the regressed
    figures (``compare``'s); written only then.  With ``--attribute-out``: the
    reproducer's fate, ``written`` or ``not written: …`` (a failure fails the gate);
    written only then."""

    name: str
    verdict: str
    ratio: Interval | None = None
    dof: float | None = None
    epochs: int | None = None
    stop_reason: str | None = None
    judged_metric: str | None = None
    judged: Judged | None = None
    family_size: int | None = None
    openvino: dict | None = None
    status: str = "ok"
    attribution: str | None = None
    attribution_error: str | None = None
    top_cause: TopCause | None = None
    fidelity: str | None = None
    fidelity_error: str | None = None
    fidelity_regressions: tuple[FidelityChange, ...] = ()
    reproducer: str | None = None

    #: An A/B row has no per-metric regressions or noise checks of its own (its epochs
    #: are interleaved); the views read these as a baseline row's.
    regressions: ClassVar[tuple[MetricChange, ...]] = ()
    disturbed: ClassVar[tuple[str, ...]] = ()
    new_disturbed: ClassVar[bool] = False
    base_fps = new_fps = base_p50_ms = new_p50_ms = None

    def to_dict(self) -> dict:
        return {"name": self.name, "verdict": self.verdict,
                "ratio": None if self.ratio is None else self.ratio.to_dict("ratio"),
                "dof": self.dof, "epochs": self.epochs, "stop_reason": self.stop_reason,
                "judged_metric": self.judged_metric,
                "judged": None if self.judged is None else self.judged.to_dict(),
                "family_size": self.family_size, "openvino": self.openvino,
                "status": self.status, **({} if self.attribution is None else {
                    "attribution": self.attribution,
                    "attribution_error": self.attribution_error,
                    "top_cause": None if self.top_cause is None else self.top_cause.to_dict()}),
                **({} if self.fidelity is None else {
                    "fidelity": self.fidelity, "fidelity_error": self.fidelity_error,
                    "fidelity_regressions": [c.to_dict() for c in self.fidelity_regressions]}),
                **({} if self.reproducer is None else {"reproducer": self.reproducer})}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "ABSummary":
        data = _table(data, where)
        epochs, size = _num(data, "epochs", where), _num(data, "family_size", where)
        return cls(str(_text(data, "name", where, optional=False)),
                   str(_text(data, "verdict", where, optional=False)),
                   _interval(data, "ratio", where, "ratio"), _num(data, "dof", where),
                   None if epochs is None else int(epochs), _text(data, "stop_reason", where),
                   _text(data, "judged_metric", where),
                   None if data.get("judged") is None else
                   Judged.from_dict(data["judged"], f"{where}.judged"),
                   None if size is None else int(size), _object(data, "openvino", where),
                   _text(data, "status", where) or "ok", _text(data, "attribution", where),
                   _text(data, "attribution_error", where),
                   None if data.get("top_cause") is None else
                   TopCause.from_dict(data["top_cause"], f"{where}.top_cause"),
                   _text(data, "fidelity", where), _text(data, "fidelity_error", where),
                   tuple(FidelityChange.from_dict(c, f"{where}.fidelity_regressions[{i}]")
                         for i, c in enumerate(_list(data, "fidelity_regressions", where))),
                   _text(data, "reproducer", where))


@dataclass(frozen=True)
class ABBlock:
    """Each entry's A/B summary, the geomean over them (fixed and random), the entries
    that failed, and the run's sides, threshold, budget and family size."""

    entries: tuple[ABSummary, ...]
    geomean: Geomean | None
    failed: tuple[str, ...] = ()
    threshold_pct: float | None = None
    base: dict | None = None
    new: dict | None = None
    budget_s: float | None = None
    family_size: int | None = None

    no_history: ClassVar[tuple[str, ...] | None] = None

    def to_dict(self) -> dict:
        return {"entries": [r.to_dict() for r in self.entries],
                "geomean": None if self.geomean is None else self.geomean.to_dict(),
                "failed": list(self.failed), "threshold_pct": self.threshold_pct,
                "base": self.base, "new": self.new, "budget_s": self.budget_s,
                "family_size": self.family_size}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "ABBlock":
        data = _table(data, where)
        size = _num(data, "family_size", where)
        return cls(tuple(ABSummary.from_dict(r, f"{where}.entries[{i}]")
                         for i, r in enumerate(_list(data, "entries", where))),
                   None if data.get("geomean") is None else
                   Geomean.from_dict(data["geomean"], f"{where}.geomean"),
                   _names(data, "failed", where) or (), _num(data, "threshold_pct", where),
                   _object(data, "base", where), _object(data, "new", where),
                   _num(data, "budget_s", where), None if size is None else int(size))


@dataclass(frozen=True)
class Gate:
    """The gate's outcome as the command's exit status gives it, in words."""

    exit_status: int
    outcome: str

    def to_dict(self) -> dict:
        return {"exit_status": self.exit_status, "outcome": self.outcome}


@dataclass(frozen=True)
class SuiteDocument:
    """``DIR/suite.json``.  ``mode``: how the entries were measured (``{"kind": "plain"}``,
    or ``{"kind": "ab", "base": …, "new": …}``); ``gate``: written once the command has
    decided its exit status; ``fleet``: the block ``fleet run`` adds on the driver."""

    suite: str
    status: str
    entries: tuple[EntryRecord, ...]
    summary: Summary
    baseline: BaselineBlock | None = None
    ab: ABBlock | None = None
    mode: dict | None = None
    provenance: dict | None = None
    gate: Gate | None = None
    fleet: dict | None = None

    schema: ClassVar[str] = SCHEMA
    schema_version: ClassVar[int] = SCHEMA_VERSION

    def to_dict(self) -> dict:
        out = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "suite": self.suite,
               "status": self.status, "entries": [e.to_dict() for e in self.entries],
               "summary": self.summary.to_dict(),
               "baseline": None if self.baseline is None else self.baseline.to_dict(),
               "ab": None if self.ab is None else self.ab.to_dict(), "mode": self.mode,
               "provenance": self.provenance}
        return _put(out, gate=None if self.gate is None else self.gate.to_dict(),
                    fleet=self.fleet)

    def entry(self, name: str) -> EntryRecord | None:
        return next((e for e in self.entries if e.name == name), None)

    @classmethod
    def from_dict(cls, data: Any) -> "SuiteDocument":
        data = _table(data, "suite")
        gate = _object(data, "gate", "suite")
        return cls(str(_text(data, "suite", "suite", optional=False)),
                   str(_text(data, "status", "suite", optional=False)),
                   tuple(EntryRecord.from_dict(e, f"entries[{i}]")
                         for i, e in enumerate(_list(data, "entries", "suite"))),
                   Summary.from_dict(data.get("summary") or {}, "summary"),
                   None if data.get("baseline") is None else
                   BaselineBlock.from_dict(data["baseline"], "baseline"),
                   None if data.get("ab") is None else ABBlock.from_dict(data["ab"], "ab"),
                   _object(data, "mode", "suite"), _object(data, "provenance", "suite"),
                   None if gate is None else
                   Gate(int(_number(gate, "exit_status", "gate") or 0),
                        str(_text(gate, "outcome", "gate"))),
                   _object(data, "fleet", "suite"))


# -- version 1 → 2 --------------------------------------------------------------------


def _respelled(row: Any, groups: dict[tuple[str, ...], Any]) -> Any:
    """``row`` with each group of keys replaced, where its first key was, by one key: the
    value the group's function makes of the row (``groups[keys] = (new key, make)``)."""
    if not isinstance(row, dict):
        return row                       # malformed: from_dict names it
    out: dict[str, Any] = {}
    for key, value in row.items():
        group = next((g for g in groups if key in g), None)
        if group is None:
            out[key] = value
        elif not any(k in out for k in (groups[group][0],)):
            new_key, make = groups[group]
            out[new_key] = make(row)
    return out


def _bounds(low: Any, high: Any, level: float | None) -> dict:
    ranged = low is not None and high is not None
    return {"low": low if ranged else None, "high": high if ranged else None,
            "level": level if ranged else None}


def _ratio_v1(row: dict) -> dict | None:
    if row.get("ratio") is None:
        return None
    return {"ratio": row["ratio"], **_bounds(row.get("ci_low"), row.get("ci_high"),
                                             row.get("level", LEVEL_95))}


def _judged_v1(row: dict) -> dict | None:
    """The judged interval of a version-1 row; its centre is the row's FPS ratio when it
    was judged on FPS (the same estimate at a wider level), unrecorded otherwise."""
    level = row.get("judged_level")
    if level is None:
        return None
    on_fps = row.get("judged_metric", "fps") in (None, "fps")
    return {"ratio": row.get("ratio") if on_fps else None, "low": row.get("judged_ci_low"),
            "high": row.get("judged_ci_high"), "level": level}


RATIO_V1 = ("ratio", "ci_low", "ci_high")
JUDGED_V1 = ("judged_level", "judged_ci_low", "judged_ci_high")


def _row_v1(row: Any) -> Any:
    out = _respelled(row, {RATIO_V1: ("ratio", _ratio_v1), JUDGED_V1: ("judged", _judged_v1)})
    if isinstance(out, dict) and isinstance(out.get("regressions"), list):
        level = (out.get("judged") or {}).get("level")
        out["regressions"] = [_respelled(c, {("change_pct", "ci_low_pct", "ci_high_pct"): (
            "change_pct", lambda c: {"value": c.get("change_pct"), **_bounds(
                c.get("ci_low_pct"), c.get("ci_high_pct"), level)})})
            for c in out["regressions"]]
    return out


def _geomean_v1(block: Any) -> Any:
    out = _respelled(block, {RATIO_V1: ("ratio", _ratio_v1), JUDGED_V1: ("judged", _judged_v1)})
    if isinstance(out, dict) and isinstance(out.get("random"), dict):
        out["random"] = _geomean_v1(out["random"])
    return out


def _headline_v1(record: Any) -> Any:
    if not isinstance(record, dict) or not isinstance(record.get("headline"), dict):
        return record
    head = _respelled(record["headline"], {("fps", "fps_low", "fps_high"): (
        "fps", lambda h: {"value": h.get("fps"),
                          **_bounds(h.get("fps_low"), h.get("fps_high"), LEVEL_95)})})
    return dict(record, headline=head)


def _block_v1(block: Any) -> Any:
    if not isinstance(block, dict):
        return block
    out = dict(block)
    if isinstance(block.get("entries"), list):
        out["entries"] = [_row_v1(r) for r in block["entries"]]
    if isinstance(block.get("geomean"), dict):
        out["geomean"] = _geomean_v1(block["geomean"])
    return out


def upgrade_suite_v1(data: dict) -> dict:
    """Version 1 → 2: every interval one object (see the module's docstring); nothing else
    changes, and each respelled key stands where the first of the keys it replaces stood."""
    out = dict(data, schema_version=2)
    if isinstance(data.get("entries"), list):
        out["entries"] = [_headline_v1(r) for r in data["entries"]]
    for key in ("baseline", "ab"):
        out[key] = _block_v1(data.get(key)) if key in data else None
    return out
