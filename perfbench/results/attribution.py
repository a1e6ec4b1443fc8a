"""The ``attribution`` block of a ``perfbench.ab`` document (``ab --attribute``), typed:
:class:`Attribution`, its table :class:`AttributionTable`, rows :class:`AttributionRow`
and figures :class:`TimeChange`.

``runner.attribute.attribution`` makes it from a profiling pass (the arithmetic is
``stats.attribution``'s); ``compare --attribute`` makes the table alone from two result
files' counters.  The JSON spelling is the one the block had as a dict (docs/schemas.md):
``delta_ms`` is ``{value, low, high, level}``, ``ratio`` ``{ratio, low, high, level}``,
so ``to_dict(from_dict(d)) == d`` for every block written so far, and the A/B schema
version did not change.  Readers (terminal, HTML view, reproducer) take these attributes;
what a view groups (:meth:`AttributionTable.waterfall`) is defined here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from perfbench.results.interval import Interval
from perfbench.results.types import SchemaError, _number, _table, _text

#: ``complete``; ``interrupted`` (a Ctrl-C: the rounds done, or none and an ``error``);
#: ``partial`` (an epoch failed after others completed: their rounds, and the ``error``);
#: ``failed`` (nothing attributed: the ``error`` only).
STATUSES = ("complete", "interrupted", "partial", "failed")


def _names(data: dict, key: str, where: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SchemaError(f"{where}.{key} must be a list of strings (got {value!r:.40})")
    return tuple(value)


def _count(data: dict, key: str, where: str) -> int:
    value = _number(data, key, where)
    assert value is not None
    return int(value)


@dataclass(frozen=True)
class TimeChange:
    """One quantity's time per inference on both sides (ms, each the mean over the
    rounds' units), its change NEW − BASE with its interval (``delta``), that change as a
    share of BASE's whole time per inference, the NEW/BASE time ratio with its interval
    (None where a side has no time), and whether the change's interval excludes 0 (None
    where there is no interval: nothing was judged)."""

    base_ms: float
    new_ms: float
    delta: Interval                 # ``delta_ms``: {value, low, high, level}
    share_pct: float | None
    ratio: Interval | None          # {ratio, low, high, level}
    beyond_level: bool | None

    def to_dict(self) -> dict:
        return {"base_ms": self.base_ms, "new_ms": self.new_ms,
                "delta_ms": self.delta.to_dict(), "share_pct": self.share_pct,
                "ratio": None if self.ratio is None else self.ratio.to_dict("ratio"),
                "beyond_level": self.beyond_level}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "TimeChange":
        data = _table(data, where)
        base, new = _number(data, "base_ms", where), _number(data, "new_ms", where)
        assert base is not None and new is not None
        ratio = data.get("ratio")
        delta = Interval.from_dict(data.get("delta_ms"), f"{where}.delta_ms")
        # no interval, no judgement, whatever an older file (A/B v6, comparison v3) said
        judged = None if delta.low is None else _judged(data.get("beyond_level"))
        return cls(base, new, delta, _number(data, "share_pct", where, optional=True),
                   None if ratio is None else Interval.from_dict(ratio, f"{where}.ratio",
                                                                 "ratio"),
                   judged)


def _judged(value: Any) -> bool | None:
    return None if value is None else bool(value)


@dataclass(frozen=True)
class AttributionRow:
    """A group of matched nodes (or a node on one side only), or a node type: its nodes
    on each side, what changed (``execType``, precision, a fusion, a reorder, a rename,
    in words) and its :class:`TimeChange`."""

    key: str
    type: str
    base_nodes: tuple[str, ...]
    new_nodes: tuple[str, ...]
    matched: bool
    changes: tuple[str, ...]
    change: TimeChange

    @property
    def name(self) -> str:
        """The nodes, as a reader names them: ``BASE's → NEW's`` where they differ."""
        if self.base_nodes and self.new_nodes and self.base_nodes != self.new_nodes:
            return f"{', '.join(self.base_nodes)} → {', '.join(self.new_nodes)}"
        return ", ".join(self.base_nodes or self.new_nodes)

    def to_dict(self) -> dict:
        return {"key": self.key, "type": self.type, "base_nodes": list(self.base_nodes),
                "new_nodes": list(self.new_nodes), "matched": self.matched,
                "changes": list(self.changes), **self.change.to_dict()}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "AttributionRow":
        data = _table(data, where)
        return cls(_text(data, "key", where), _text(data, "type", where),
                   _names(data, "base_nodes", where), _names(data, "new_nodes", where),
                   bool(data.get("matched")), _names(data, "changes", where),
                   TimeChange.from_dict(data, where))


@dataclass(frozen=True)
class Family:
    """The rows judged together: their number (with the time outside the counters) and
    the Bonferroni level each interval is at."""

    size: int
    level: float | None

    def to_dict(self) -> dict:
        return {"size": self.size, "level": self.level}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Family":
        data = _table(data, where)
        return cls(_count(data, "size", where), _number(data, "level", where, optional=True))


@dataclass(frozen=True)
class Step:
    """One bar of the waterfall: a row, or rows grouped, or a part left unattributed; its
    change (with the interval where the producer computed one for exactly these rows)."""

    label: str
    kind: str                       # node, unmatched, rest, outside, total
    delta: Interval
    rows: tuple[AttributionRow, ...] = ()

    @property
    def changes(self) -> tuple[str, ...]:
        return tuple(c for r in self.rows for c in r.changes)


@dataclass(frozen=True)
class AttributionTable:
    """The attribution proper (``stats.attribution``'s arithmetic): the total change, its
    split into the counters and the time outside them, and the ranked node and node-type
    rows.  The rows plus ``outside_counters`` are the total, exactly (means are linear)."""

    rounds: int
    epochs: int
    interval_over: str | None       # "epochs", "rounds" from one pair of workers, None
    level: float | None             # None with the rest: one unit, so no interval at all
    method: str
    row_family: Family
    type_family: Family
    total: TimeChange
    counted: TimeChange
    outside_counters: TimeChange
    unmatched: TimeChange
    nodes: tuple[AttributionRow, ...]
    types: tuple[AttributionRow, ...]

    @property
    def unattributed_ms(self) -> float:
        """The change no matched node explains: outside the counters, and the nodes with
        no match (their means add: the mean of a sum; their intervals do not)."""
        return self.outside_counters.delta.value + self.unmatched.delta.value

    def waterfall(self, top: int) -> list[Step]:
        """The total change as bars that add up to it: the ``top`` rows by contribution,
        the other matched rows summed, the nodes with no match (the producer's figure,
        with its interval, where none of them is a bar of its own; else the others
        summed), the change outside the counters, and last the total.  A sum of rows has
        no interval: the rows' intervals do not add."""
        shown = list(self.nodes[:top])
        steps = [Step(r.key, "node" if r.matched else "unmatched", r.change.delta, (r,))
                 for r in shown]
        rest = [r for r in self.nodes[top:] if r.matched]
        if rest:
            steps.append(Step(f"{len(rest)} other matched node(s)", "rest",
                              Interval(sum(r.change.delta.value for r in rest)),
                              tuple(rest)))
        others = [r for r in self.nodes[top:] if not r.matched]
        if others and all(r.matched for r in shown):     # every unmatched row is here
            steps.append(Step(f"{len(others)} node(s) with no match", "unmatched",
                              self.unmatched.delta, tuple(others)))
        elif others:
            steps.append(Step(f"{len(others)} other node(s) with no match", "unmatched",
                              Interval(sum(r.change.delta.value for r in others)),
                              tuple(others)))
        steps.append(Step("outside the counters", "outside", self.outside_counters.delta))
        steps.append(Step("total change", "total", self.total.delta))
        return steps

    def to_dict(self) -> dict:
        return {"rounds": self.rounds, "epochs": self.epochs,
                "interval_over": self.interval_over, "level": self.level,
                "method": self.method, "row_family": self.row_family.to_dict(),
                "type_family": self.type_family.to_dict(), "total": self.total.to_dict(),
                "counted": self.counted.to_dict(),
                "unattributed": {"outside_counters": self.outside_counters.to_dict(),
                                 "unmatched": self.unmatched.to_dict()},
                "nodes": [r.to_dict() for r in self.nodes],
                "types": [r.to_dict() for r in self.types]}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "AttributionTable":
        data = _table(data, where)
        level = _number(data, "level", where, optional=True)
        over = data.get("interval_over")
        if over is not None and not isinstance(over, str):
            raise SchemaError(f"{where}.interval_over must be a string or null "
                              f"(got {over!r:.40})")
        parts = _table(data.get("unattributed"), f"{where}.unattributed")

        def rows(key: str) -> tuple[AttributionRow, ...]:
            value = data.get(key)
            if not isinstance(value, list):
                raise SchemaError(f"{where}.{key} must be a list (got {value!r:.40})")
            return tuple(AttributionRow.from_dict(r, f"{where}.{key}[{i}]")
                         for i, r in enumerate(value))
        total = TimeChange.from_dict(data.get("total"), f"{where}.total")
        rows_family = Family.from_dict(data.get("row_family"), f"{where}.row_family")
        types_family = Family.from_dict(data.get("type_family"), f"{where}.type_family")
        if total.delta.low is None:     # no interval: no level claimed, whatever the version
            over, level = None, None
            rows_family, types_family = Family(rows_family.size, None), \
                Family(types_family.size, None)
        return cls(_count(data, "rounds", where), _count(data, "epochs", where),
                   over, level, _text(data, "method", where), rows_family, types_family,
                   total,
                   TimeChange.from_dict(data.get("counted"), f"{where}.counted"),
                   TimeChange.from_dict(parts.get("outside_counters"),
                                        f"{where}.unattributed.outside_counters"),
                   TimeChange.from_dict(parts.get("unmatched"),
                                        f"{where}.unattributed.unmatched"),
                   rows("nodes"), rows("types"))


@dataclass(frozen=True)
class ProfilingPass:
    """How the pass ran: separately from the verdict, with ``counters`` on, blocks of
    ``block_s``, each round's order, the workers' setup and the pass's wall time, and
    the inferences profiled per side."""

    separate_pass: bool
    counters: str
    block_s: float
    orders: tuple[str, ...]
    setup_s: float
    wall_s: float | None
    inferences: dict[str, int]

    def to_dict(self) -> dict:
        return {"separate_pass": self.separate_pass, "counters": self.counters,
                "block_s": self.block_s, "orders": list(self.orders),
                "setup_s": self.setup_s, "wall_s": self.wall_s,
                "inferences": dict(self.inferences)}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> "ProfilingPass":
        block, setup = _number(data, "block_s", where), _number(data, "setup_s", where)
        assert block is not None and setup is not None
        inferences = _table(data.get("inferences"), f"{where}.inferences")
        return cls(bool(data.get("separate_pass")), _text(data, "counters", where), block,
                   _names(data, "orders", where), setup,
                   _number(data, "wall_s", where, optional=True),
                   {side: _count(inferences, side, f"{where}.inferences")
                    for side in inferences})


@dataclass(frozen=True)
class Attribution:
    """The block: its status (:data:`STATUSES`), the ``error`` of a pass that failed in
    part or whole, and, where any round completed, how the pass ran and its table."""

    status: str
    error: str | None = None
    profiling: ProfilingPass | None = None
    table: AttributionTable | None = None

    @classmethod
    def failed(cls, error: str, status: str = "failed") -> "Attribution":
        """No round completed: only the status and why."""
        return cls(status, error)

    @property
    def attributed(self) -> bool:
        """There is a table (complete, partial or interrupted after a round)."""
        return self.table is not None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"status": self.status}
        if self.error is not None:
            out["error"] = self.error
        if self.profiling is not None:
            out.update(self.profiling.to_dict())
        if self.table is not None:
            out.update(self.table.to_dict())
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "attribution") -> "Attribution":
        data = _table(data, where)
        status = _text(data, "status", where)
        if status not in STATUSES:
            raise SchemaError(f"{where}.status must be one of {', '.join(STATUSES)} "
                              f"(got {status!r:.40})")
        error = None if data.get("error") is None else _text(data, "error", where)
        if status in ("partial", "failed") and error is None:
            raise SchemaError(f"{where}: a {status} attribution names its error")
        if "nodes" not in data:
            if status in ("complete", "partial"):
                raise SchemaError(f"{where}: a {status} attribution has its nodes")
            return cls(status, error)
        if status == "failed":
            raise SchemaError(f"{where}: a failed attribution has no nodes")
        return cls(status, error, ProfilingPass.from_dict(data, where),
                   AttributionTable.from_dict(data, where))
