"""The racing sweep's document: its rules, every epoch's rounds, who left the race, when
and on which interval, each look's intervals, the answer, and the confirmation A/B.

A typed, frozen part of the sweep document (``perfbench.sweep`` version 2, key
``race``), owning its ``to_dict``/``from_dict`` as :mod:`perfbench.results.types` does.
Every interval is spelled ``{ratio|value, low, high, level}`` (plus how it was paired):
one spelling in every document from now on.  The figures are computed once, by the race
(:mod:`perfbench.sizing.race`), and stored; readers never recompute them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perfbench.results.ab import EpochDesign
from perfbench.results.interval import read_bounds
from perfbench.results.types import SchemaError, _number, _table, _text

#: The fewest rounds an epoch's level is computed from (``stats.racing.MIN_LEVEL_ROUNDS``)
#: and the most a design may choose (``stats.dimensioning.ROUNDS_GRID[-1]``): not
#: imported, results are below stats (tests/test_layering.py);
#: tests/results/test_race.py checks that they agree.
MIN_LEVEL_ROUNDS = 3
MAX_RULE_ROUNDS = 512

RACE_VERSION = 2
#: The race's reference point: the device's default, measured in every epoch.
REFERENCE = "default"


def _version(data: dict, where: str) -> int:
    """The race block's version: the registry upgrades a version 1 block (before the epochs
    were dimensioned) with its sweep, so any other is a file this release cannot read."""
    version = data.get("version", RACE_VERSION)
    if version != RACE_VERSION:
        raise SchemaError(f"{where}.version {version!r} is not one this release reads "
                          f"({RACE_VERSION})")
    return RACE_VERSION


#: How a race's epochs were sized (``EpochDesign.chosen_by``).
CHOSEN_BY = ("fixed", "defaults", "dimensioned")


def _rules(data: dict, where: str) -> dict:
    """The race's rules as written; ``rounds`` (a dimensioned race's rounds per epoch) is
    checked here, since a hand-edited one would otherwise fail mid-race on --resume."""
    rules = dict(_get(data, "rules", where))
    rounds = rules.get("rounds")
    if rounds is not None and (isinstance(rounds, bool) or not isinstance(rounds, int)
                               or not MIN_LEVEL_ROUNDS <= rounds <= MAX_RULE_ROUNDS):
        raise SchemaError(f"{where}.rules.rounds must be a whole number from "
                          f"{MIN_LEVEL_ROUNDS} (a level's least) to {MAX_RULE_ROUNDS}, "
                          f"not {rounds!r}")
    return rules


def _design(data: dict, where: str) -> EpochDesign | None:
    if data.get("design") is None:
        return None
    design = EpochDesign.from_dict(data["design"], where + ".design")
    if design.chosen_by not in CHOSEN_BY:
        raise SchemaError(f"{where}.design.chosen_by must be one of {', '.join(CHOSEN_BY)}, "
                          f"not {design.chosen_by!r}")
    if design.rounds_per_epoch < 1:
        raise SchemaError(f"{where}.design.rounds_per_epoch must be ≥ 1")
    return design


def _get(data: Any, key: str, where: str):
    if not isinstance(data, dict) or key not in data:
        raise SchemaError(f"{where}.{key} is missing")
    return data[key]


@dataclass(frozen=True)
class Interval:
    """A ratio (or a value, for a latency) with its interval at ``level``, and how it was
    paired (``epochs``, ``through``); ``low``, ``high`` and ``level`` are None together
    where the figure has none (a sequential sweep's precision gain between points without
    an interval of their own), and then written null, as every document writes it.  The
    race's intervals and a sweep's precision gains are this one type."""

    ratio: float | None
    low: float | None
    high: float | None
    level: float | None
    epochs: int | None = None
    through: str | None = None        # "epochs", "reference" (a ratio) or None
    value: float | None = None        # a latency's estimate (then ratio is None)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"ratio": self.ratio, "low": self.low, "high": self.high,
                               "level": self.level}
        if self.value is not None:
            out = {"value": self.value, "low": self.low, "high": self.high,
                   "level": self.level}
        if self.epochs is not None:
            out["epochs"] = self.epochs
        if self.through is not None:
            out["through"] = self.through
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str, bounds_optional: bool = False
                  ) -> Interval | None:
        """A race's interval has its bounds; a sweep's precision gain may not
        (``bounds_optional``): an older sweep's gain without one wrote ``{ratio}`` alone,
        read as bounds None (written null from now on)."""
        if data is None:
            return None
        data = _table(data, where)
        ratio, value = (_number(data, k, where, optional=True) for k in ("ratio", "value"))
        if (ratio is None) == (value is None):
            raise SchemaError(f"{where}: needs exactly one of ratio and value")
        low, high, level = read_bounds(data, where)
        if low is None and not bounds_optional:
            raise SchemaError(f"{where}.low is missing")
        epochs = _number(data, "epochs", where, optional=True)
        return cls(ratio, low, high, level, None if epochs is None else int(epochs),
                   _text(data, "through", where, optional=True), value)


@dataclass(frozen=True)
class RaceExit:
    key: str
    epoch: int                        # the look after this many epochs
    reason: str
    leader: str | None = None
    interval: Interval | None = None  # against the leader, at the elimination level

    def to_dict(self) -> dict:
        return {"key": self.key, "epoch": self.epoch, "reason": self.reason,
                "leader": self.leader,
                "interval": self.interval.to_dict() if self.interval else None}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> RaceExit:
        return cls(_get(data, "key", where), int(_get(data, "epoch", where)),
                   _get(data, "reason", where), data.get("leader"),
                   Interval.from_dict(data.get("interval"), where + ".interval"))


def _intervals(data: dict | None, where: str) -> dict[str, Interval]:
    return {k: Interval.from_dict(v, f"{where}.{k}") for k, v in (data or {}).items()}


def _dump(intervals: dict[str, Interval]) -> dict:
    return {k: v.to_dict() for k, v in intervals.items()}


@dataclass(frozen=True)
class RaceLook:
    """One look: the leader, the points live before it, each one's interval against the
    leader (elimination level) and against the default (95 %), who it eliminated."""

    epoch: int
    leader: str
    level: float
    live: tuple[str, ...]
    versus_leader: dict[str, Interval]
    versus_default: dict[str, Interval]
    eliminated: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"epoch": self.epoch, "leader": self.leader, "level": self.level,
                "live": list(self.live), "versus_leader": _dump(self.versus_leader),
                "versus_default": _dump(self.versus_default),
                "eliminated": list(self.eliminated)}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> RaceLook:
        return cls(int(_get(data, "epoch", where)), _get(data, "leader", where),
                   float(_get(data, "level", where)), tuple(data.get("live", ())),
                   _intervals(data.get("versus_leader"), where + ".versus_leader"),
                   _intervals(data.get("versus_default"), where + ".versus_default"),
                   tuple(data.get("eliminated", ())))


@dataclass(frozen=True)
class RaceEpochRecord:
    """An epoch of fresh workers: who was in it, who started first, its rounds (each
    ``{"order", "fps", "blocks"}``), and each point's latency at the SLA percentile."""

    index: int
    points: tuple[str, ...]
    start_order: tuple[str, ...]
    wall_s: float
    rounds: tuple[dict, ...]
    latency_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"index": self.index, "points": list(self.points),
                "start_order": list(self.start_order), "wall_s": self.wall_s,
                "rounds": list(self.rounds), "latency_ms": dict(self.latency_ms)}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> RaceEpochRecord:
        return cls(int(_get(data, "index", where)), tuple(_get(data, "points", where)),
                   tuple(data.get("start_order", ())), float(data.get("wall_s", 0.0)),
                   tuple(_get(data, "rounds", where)), dict(data.get("latency_ms") or {}))


@dataclass(frozen=True)
class LatencyJudgement:
    """A point's latency at the SLA percentile over its epochs, with its interval, and
    what that says against the SLA: "within", "over" or "uncertain" (it straddles)."""

    key: str
    interval: Interval | None
    verdict: str

    def to_dict(self) -> dict:
        return {"key": self.key, "verdict": self.verdict,
                "interval": self.interval.to_dict() if self.interval else None}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> LatencyJudgement:
        return cls(_get(data, "key", where), Interval.from_dict(data.get("interval"), where),
                   _get(data, "verdict", where))


@dataclass(frozen=True)
class Confirmation:
    """The winner against the default, measured as ``perfbench ab`` does."""

    base: str
    new: str
    status: str                        # the A/B's status, or "skipped"
    verdict: str | None = None
    ratio: Interval | None = None      # FPS(new)/FPS(base), at the level it was judged
    sustained_fps: dict[str, float] = field(default_factory=dict)   # base/new
    block_fps: dict[str, float] = field(default_factory=dict)       # the race's blocks
    gap_pct: dict[str, float] = field(default_factory=dict)         # block vs sustained
    epochs: int = 0
    note: str = ""

    def to_dict(self) -> dict:
        return {"base": self.base, "new": self.new, "status": self.status,
                "verdict": self.verdict, "ratio": self.ratio.to_dict() if self.ratio else None,
                "sustained_fps": self.sustained_fps, "block_fps": self.block_fps,
                "gap_pct": self.gap_pct, "epochs": self.epochs, "note": self.note}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Confirmation | None:
        if data is None:
            return None
        return cls(_get(data, "base", where), _get(data, "new", where),
                   _get(data, "status", where), data.get("verdict"),
                   Interval.from_dict(data.get("ratio"), where + ".ratio"),
                   dict(data.get("sustained_fps") or {}), dict(data.get("block_fps") or {}),
                   dict(data.get("gap_pct") or {}), int(data.get("epochs") or 0),
                   data.get("note", ""))


@dataclass(frozen=True)
class RaceResult:
    rules: dict
    status: str                        # won, tied, budget, interrupted, failed, running
    winner: str | None
    why: str
    keys: tuple[str, ...]
    seed: int
    block_s: float | None
    waves_note: str
    epochs: tuple[RaceEpochRecord, ...]
    exits: tuple[RaceExit, ...]
    looks: tuple[RaceLook, ...]
    versus_default: dict[str, Interval]
    latency: tuple[LatencyJudgement, ...] = ()
    confirmation: Confirmation | None = None
    version: int = RACE_VERSION
    #: How the epochs were sized (version 2 on; None in a version 1 race, whose epochs
    #: were about ``rules.epoch_s`` of rounds, and before the first probe).
    design: EpochDesign | None = None

    def to_dict(self) -> dict:
        return {"version": self.version, "rules": self.rules, "status": self.status,
                "winner": self.winner, "why": self.why, "keys": list(self.keys),
                "seed": self.seed, "block_s": self.block_s, "waves_note": self.waves_note,
                "epochs": [e.to_dict() for e in self.epochs],
                "exits": [e.to_dict() for e in self.exits],
                "looks": [x.to_dict() for x in self.looks],
                "versus_default": _dump(self.versus_default),
                "latency": [x.to_dict() for x in self.latency],
                "confirmation": self.confirmation.to_dict() if self.confirmation else None,
                "design": self.design.to_dict() if self.design else None}

    @classmethod
    def from_dict(cls, data: Any, where: str = "race") -> RaceResult:
        if not isinstance(data, dict):
            raise SchemaError(f"{where} must be an object")
        return cls(_rules(data, where), _get(data, "status", where),
                   data.get("winner"), data.get("why", ""), tuple(_get(data, "keys", where)),
                   int(data.get("seed", 0)), data.get("block_s"), data.get("waves_note", ""),
                   tuple(RaceEpochRecord.from_dict(e, f"{where}.epochs[{i}]")
                         for i, e in enumerate(_get(data, "epochs", where))),
                   tuple(RaceExit.from_dict(e, f"{where}.exits[{i}]")
                         for i, e in enumerate(data.get("exits", []))),
                   tuple(RaceLook.from_dict(x, f"{where}.looks[{i}]")
                         for i, x in enumerate(data.get("looks", []))),
                   _intervals(data.get("versus_default"), where + ".versus_default"),
                   tuple(LatencyJudgement.from_dict(x, f"{where}.latency[{i}]")
                         for i, x in enumerate(data.get("latency", []))),
                   Confirmation.from_dict(data.get("confirmation"), where + ".confirmation"),
                   _version(data, where), _design(data, where))
