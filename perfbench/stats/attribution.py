"""Which nodes a change in time per inference comes from, each with an interval.

Input: each side's profiling blocks, paired by round (block r of BASE and block r of NEW
ran one after the other, in random order), and the node groups of
:mod:`perfbench.stats.matching`.  A block gives, per inference, its **time** (what one
busy stream spends per inference: wall time × busy streams / inferences, the counters'
own scale) and each executed node's counter time.

* A group's **contribution** is the mean over rounds of (NEW time − BASE time) of its
  nodes, in ms per inference, also as a percentage of BASE's time per inference.
* Time outside the counters (scheduling, memory traffic between nodes, the driving loop)
  is the block time less the sum of its counters; its change is a row of its own.  So,
  per round and therefore on average, the contributions of every group plus the change
  outside the counters **are** the total change, exactly: nothing is scaled to fit.
  The **unattributed** part is stated: the change outside the counters, and that of
  the groups present on one side only (no match).
* Intervals are Student-t over the epochs: the rounds come from K pairs of freshly
  started worker processes, each figure is the mean of the K epoch means, with K − 1
  degrees of freedom (over the rounds, R − 1, when there is one epoch: then a
  process-level difference between the two workers is not in the interval).  A table of
  m groups is a family: each interval is at the Bonferroni level 1 − (1 − level)/m, so
  under no change the chance that *any* group's interval excludes 0 is at most 1 − level,
  whatever the dependence between groups.  Node types are a family of their own.
* A group's **time ratio** is the geometric mean of its per-round NEW/BASE time ratios,
  with its interval at the same family level (none where a side has no time).

Why epochs: a process is drawn once (memory layout, thread placement), as the A/B's
docs say; in A/A passes of one pair of workers on this project's 2-core VM, 3 of 6 had a
node (an output Reorder, a Convolution) whose round-level interval excluded 0 at the
family level: a real, persistent difference between two processes, not a cause.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from perfbench.stats.matching import Group, Node, changes
from perfbench.stats.intervals import family_level
from perfbench.stats.tdist import t_critical

METHOD = "bonferroni"


@dataclass(frozen=True)
class Block:
    """One profiling block of one side: per-inference figures."""

    inferences: int
    time_ms: float                 # wall × busy streams / inferences
    nodes_ms: dict[str, float]     # node name → counter time per inference

    @property
    def counted_ms(self) -> float:
        return sum(self.nodes_ms.values())

    def to_dict(self) -> dict:
        return {"inferences": self.inferences, "time_ms": self.time_ms,
                "nodes_ms": self.nodes_ms}

    @classmethod
    def from_dict(cls, data: dict) -> "Block":
        return cls(int(data["inferences"]), float(data["time_ms"]),
                   {k: float(v) for k, v in data["nodes_ms"].items()})


@dataclass(frozen=True)
class Figure:
    """A per-round difference summarised: BASE and NEW means, the mean change with its
    interval, the time ratio with its interval."""

    base_ms: float
    new_ms: float
    delta_ms: float
    low_ms: float | None
    high_ms: float | None
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    level: float

    @property
    def beyond(self) -> bool:
        """The interval excludes 0: a change at the stated (family) level."""
        return self.low_ms is not None and (self.low_ms > 0 or self.high_ms < 0)

    def to_dict(self, base_total_ms: float) -> dict:
        interval = None if self.low_ms is None else self.level
        return {"base_ms": self.base_ms, "new_ms": self.new_ms,
                "delta_ms": {"value": self.delta_ms, "low": self.low_ms,
                             "high": self.high_ms, "level": interval},
                "share_pct": 100 * self.delta_ms / base_total_ms if base_total_ms else None,
                "ratio": None if self.ratio is None else {
                    "ratio": self.ratio, "low": self.ratio_low, "high": self.ratio_high,
                    "level": None if self.ratio_low is None else self.level},
                # no interval, no judgement: None, not "within the level"
                "beyond_level": None if self.low_ms is None else self.beyond}


def _units(values: list[float], epochs: list[int] | None) -> list[float]:
    """The values the interval is taken over: each epoch's mean when the rounds come from
    two or more pairs of worker processes, else the rounds themselves."""
    if epochs is None or len(set(epochs)) < 2:
        return values
    by_epoch: dict[int, list[float]] = {}
    for epoch, value in zip(epochs, values):
        by_epoch.setdefault(epoch, []).append(value)
    return [statistics.fmean(v) for _, v in sorted(by_epoch.items())]


def _mean_and_half(units: list[float], level: float) -> tuple[float, float | None]:
    centre = statistics.fmean(units)
    if len(units) < 2:
        return centre, None
    return centre, t_critical(len(units) - 1, level) * statistics.stdev(units) / math.sqrt(
        len(units))


#: A log-ratio bound beyond this (one degree of freedom at a family level) is kept at it,
#: so that the ratio's bound stays a finite number (e^700 ≈ 1e304) a JSON file can hold.
_LOG_BOUND = 700.0


def _exp(value: float) -> float:
    return math.exp(max(-_LOG_BOUND, min(_LOG_BOUND, value)))


def figure(base: list[float], new: list[float], level: float,
           epochs: list[int] | None = None) -> Figure:
    """Paired rounds of one quantity summarised at ``level``.  With ``epochs`` (each
    round's pair of worker processes, two or more) every figure is the mean of the epoch
    means and its interval counts the epochs (K − 1 degrees of freedom): a process-level
    difference between two workers is then inside the interval, not a false cause.
    Means stay linear in the rounds, so sums of figures are figures of sums.  No interval
    from one unit."""
    differences = [b - a for a, b in zip(base, new)]
    mean, half = _mean_and_half(_units(differences, epochs), level)
    low = high = None
    if half is not None:
        low, high = mean - half, mean + half
    ratio = ratio_low = ratio_high = None
    if all(a > 0 for a in base) and all(b > 0 for b in new):
        logs = [math.log(b / a) for a, b in zip(base, new)]
        centre, half = _mean_and_half(_units(logs, epochs), level)
        ratio = math.exp(centre)
        if half is not None:
            ratio_low, ratio_high = _exp(centre - half), _exp(centre + half)
    return Figure(statistics.fmean(_units(base, epochs)), statistics.fmean(_units(new, epochs)),
                  mean, low, high, ratio, ratio_low, ratio_high, level)


@dataclass(frozen=True)
class Row:
    key: str
    type: str
    base_nodes: tuple[str, ...]
    new_nodes: tuple[str, ...]
    figure: Figure
    changes: tuple[str, ...]

    @property
    def matched(self) -> bool:
        return bool(self.base_nodes) and bool(self.new_nodes)


@dataclass(frozen=True)
class Attribution:
    rounds: int
    epochs: int                    # pairs of worker processes the rounds came from
    level: float                   # the family's level
    total: Figure                  # time per inference, at ``level`` (one figure)
    counted: Figure                # the counters' sum
    outside: Figure                # time outside the counters, at the rows' family level
    unmatched: Figure              # groups on one side only, summed, same level
    rows: list[Row]                # ranked by |contribution|
    types: list[Row]               # by node type, ranked the same way
    row_level: float
    type_level: float

    def to_dict(self) -> dict:
        base = self.total.base_ms

        def row(r: Row) -> dict:
            return {"key": r.key, "type": r.type, "base_nodes": list(r.base_nodes),
                    "new_nodes": list(r.new_nodes), "matched": r.matched,
                    "changes": list(r.changes), **r.figure.to_dict(base)}
        # one unit (one round of one pair of workers, or compare --attribute's one
        # pass a side): no interval anywhere, so no level or family level is claimed
        judged = self.total.low_ms is not None
        return {"rounds": self.rounds, "epochs": self.epochs,
                "interval_over": ("epochs" if self.epochs >= 2 else "rounds") if judged
                else None,
                "level": self.level if judged else None, "method": METHOD,
                # each family: its rows and the time outside the counters
                "row_family": {"size": len(self.rows) + 1,
                               "level": self.row_level if judged else None},
                "type_family": {"size": len(self.types) + 1,
                                "level": self.type_level if judged else None},
                "total": self.total.to_dict(base), "counted": self.counted.to_dict(base),
                "unattributed": {"outside_counters": self.outside.to_dict(base),
                                 "unmatched": self.unmatched.to_dict(base)},
                "nodes": [row(r) for r in self.rows], "types": [row(r) for r in self.types]}


def _times(blocks: list[Block], names: list[str]) -> list[float]:
    return [sum(b.nodes_ms.get(n, 0.0) for n in names) for b in blocks]


def _ranked(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: -abs(r.figure.delta_ms))


def attribute(groups: list[Group], base_graph: list[Node], new_graph: list[Node],
              base_blocks: list[Block], new_blocks: list[Block],
              level: float = 0.95, epochs: list[int] | None = None) -> Attribution:
    """The attribution of the paired blocks (``base_blocks[r]`` with ``new_blocks[r]``),
    ``epochs[r]`` the pair of worker processes round r ran in (see :func:`figure`)."""
    if len(base_blocks) != len(new_blocks) or not base_blocks:
        raise ValueError("attribution needs the same number (≥ 1) of blocks on each side")
    groups = groups + _ungrouped(groups, base_blocks, new_blocks)
    by_b = {n.name: n for n in base_graph}
    by_n = {n.name: n for n in new_graph}
    for name in {n for g in groups for n in g.base} - set(by_b):
        by_b[name] = Node(name, "unknown")
    for name in {n for g in groups for n in g.new} - set(by_n):
        by_n[name] = Node(name, "unknown")
    m = len(groups) + 1                       # the groups and the time outside the counters
    row_level = family_level(level, m)
    rows = []
    for group in groups:
        kind = (by_b[group.base[0]] if group.base else by_n[group.new[0]]).type
        rows.append(Row(group.key, kind, tuple(group.base), tuple(group.new),
                        figure(_times(base_blocks, group.base), _times(new_blocks, group.new),
                               row_level, epochs), tuple(changes(group, by_b, by_n))))
    outside = figure([b.time_ms - b.counted_ms for b in base_blocks],
                     [b.time_ms - b.counted_ms for b in new_blocks], row_level, epochs)
    only_b = [n for g in groups if not g.new for n in g.base]
    only_n = [n for g in groups if not g.base for n in g.new]
    unmatched = figure(_times(base_blocks, only_b), _times(new_blocks, only_n), row_level,
                       epochs)
    types = _type_rows(base_graph, new_graph, base_blocks, new_blocks, level, epochs)
    return Attribution(
        len(base_blocks), len(set(epochs)) if epochs else 1, level,
        figure([b.time_ms for b in base_blocks], [b.time_ms for b in new_blocks], level,
               epochs),
        figure([b.counted_ms for b in base_blocks], [b.counted_ms for b in new_blocks], level,
               epochs),
        outside, unmatched, _ranked(rows), _ranked(types[0]), row_level, types[1])


def _ungrouped(groups: list[Group], base_blocks: list[Block], new_blocks: list[Block]
               ) -> list[Group]:
    """A group of its own for every timed node no group holds, so every counted
    millisecond is in exactly one row (the sum is the total only then)."""
    held_b = {n for g in groups for n in g.base}
    held_n = {n for g in groups for n in g.new}
    timed_b = sorted({n for b in base_blocks for n in b.nodes_ms} - held_b)
    timed_n = sorted({n for b in new_blocks for n in b.nodes_ms} - held_n)
    return [Group([n], [], "") for n in timed_b] + [Group([], [n], "") for n in timed_n]


def _type_rows(base_graph, new_graph, base_blocks, new_blocks, level, epochs
               ) -> tuple[list[Row], float]:
    """One row per layer type: each side's nodes of that type, whatever matched."""
    kinds: dict[str, tuple[list[str], list[str]]] = {}
    for side, graph in ((0, base_graph), (1, new_graph)):
        blocks = base_blocks if side == 0 else new_blocks
        timed = {n for b in blocks for n in b.nodes_ms}
        types = {n.name: n.type for n in graph}
        for name in sorted(timed):
            kinds.setdefault(types.get(name, "unknown"), ([], []))[side].append(name)
    type_level = family_level(level, len(kinds) + 1)
    rows = []
    for kind, (base, new) in kinds.items():
        said = () if len(base) == len(new) else (f"{len(base)} → {len(new)} nodes",)
        rows.append(Row(kind, kind, tuple(base), tuple(new),
                        figure(_times(base_blocks, base), _times(new_blocks, new), type_level,
                               epochs),
                        said))
    return rows, type_level
