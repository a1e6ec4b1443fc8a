"""An A/B's attribution (``ab --attribute``) on the terminal: the top nodes and node types
by their contribution to the change, and what is left unattributed.

Reads the typed block (:class:`perfbench.results.attribution.Attribution`) only; every
figure was computed once by its producer (``runner.attribute``, with
:mod:`perfbench.stats.attribution`'s arithmetic).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from perfbench.reporters.md_table import cell
from perfbench.reporters.md_table import table as md_table
from perfbench.results.attribution import Attribution, AttributionRow, AttributionTable, TimeChange
from perfbench.results.interval import Interval

TOP = 10


def _ms(value: float) -> str:
    return f"{value:+.4f}" if abs(value) < 1 else f"{value:+.3f}"


def _delta(change: TimeChange) -> str:
    delta = change.delta
    if delta.low is None or delta.high is None:
        return _ms(delta.value)
    return f"{_ms(delta.value)} [{_ms(delta.low)}, {_ms(delta.high)}]"


def _ratio(ratio: Interval | None) -> str:
    if ratio is None:
        return "–"
    if ratio.low is None or ratio.high is None:
        return f"{ratio.value:.3f}"
    return f"{ratio.value:.3f} [{ratio.low:.3f}, {ratio.high:.3f}]"


def _level(level: float | None, digits: int = 0) -> str:
    """An interval's confidence, or that there is none (one epoch: no interval)."""
    return "no interval" if level is None else f"{100 * level:.{digits}f} %"


def _share(change: TimeChange) -> str:
    return "–" if change.share_pct is None else f"{change.share_pct:+.2f} %"


COLUMNS = ("BASE ms", "NEW ms", "change ms [interval]", "of BASE time",
           "time ratio [interval]", "what changed")


def headers(named: bool) -> list[str]:
    return ["#", "node" if named else "node type", *(["type"] if named else []), *COLUMNS]


def row_cells(rank: int, row: AttributionRow, named: bool) -> list[str]:
    """One ranked row's cells, as both the terminal and Markdown tables write them
    (``*``: its interval excludes 0)."""
    change = row.change
    cells = [f"{rank}{'*' if change.beyond_level else ''}", row.name if named else row.key]
    if named:
        cells.append(row.type)
    return cells + [f"{change.base_ms:.4f}", f"{change.new_ms:.4f}", _delta(change),
                    _share(change), _ratio(change.ratio), "; ".join(row.changes) or "–"]


def table(title: str, rows: Sequence[AttributionRow], named: bool, top: int) -> Table:
    """The ranked rows (nodes, or node types when not ``named``): ``ab --attribute``'s and
    ``compare --attribute``'s table."""
    out = Table(title=title, title_justify="left")
    for header in headers(named):
        wide = header in ("node", "node type", "what changed")
        out.add_column(header, justify="left" if wide or header == "type" else "right",
                       overflow="fold" if wide else "ellipsis",
                       max_width={"node": 48, "node type": 48, "what changed": 44}.get(header))
    for rank, row in enumerate(rows[:top], 1):
        out.add_row(*row_cells(rank, row, named))
    return out


def markdown(rows: Sequence[AttributionRow], named: bool, top: int) -> list[str]:
    """The same ranked rows as a Markdown table (a CI job summary), names escaped."""
    right = (0,) + tuple(range(3 if named else 2, (3 if named else 2) + 5))
    return md_table([cell(h) for h in headers(named)],
                    [[cell(c) for c in row_cells(rank, row, named)]
                     for rank, row in enumerate(rows[:top], 1)], right)


def summary_lines(attribution: Attribution) -> list[str]:
    """The total, how it splits, and the family level the intervals are at."""
    shown, profiling = attribution.table, attribution.profiling
    assert shown is not None and profiling is not None
    total, outside, unmatched = shown.total, shown.outside_counters, shown.unmatched
    wall = "" if profiling.wall_s is None else f" ({profiling.wall_s:.1f} s)"
    return [
        f"time per inference (profiled, one stream): BASE {total.base_ms:.4f} ms, NEW "
        f"{total.new_ms:.4f} ms, change {_delta(total)} ms ({_share(total)} of BASE; "
        f"{_level(total.delta.level)}), time ratio {_ratio(total.ratio)}",
        f"= nodes in the counters {_ms(shown.counted.delta.value)} ms "
        f"(of which unmatched nodes {_ms(unmatched.delta.value)} ms) "
        f"+ outside the counters {_delta(outside)} ms ({_share(outside)}): unattributed "
        f"{_ms(shown.unattributed_ms)} ms",
        _intervals(shown) + f"; {shown.rounds} paired rounds in {shown.epochs} pair(s) "
        f"of workers{_over(shown)}; a separate pass with perf counters on{wall}, not the "
        f"verdict's",
    ]


def _intervals(shown: AttributionTable) -> str:
    rows, types = shown.row_family, shown.type_family
    if rows.level is None:
        return "no intervals (one round: nothing to take one over), so nothing judged"
    return (f"intervals at the family level {_level(rows.level, 2)} (Bonferroni over "
            f"{rows.size} rows; node types {_level(types.level, 2)} over {types.size}); "
            f"* = excludes 0")


def _over(shown: AttributionTable) -> str:
    return "" if shown.interval_over is None else f" (intervals over the {shown.interval_over})"


def render(attribution: Attribution | None, console: Console, top: int = TOP) -> None:
    if attribution is None:
        return
    shown = attribution.table
    if shown is None:
        console.print(f"attribution: {attribution.status}: {attribution.error}",
                      highlight=False)
        return
    console.print(table(f"Top {min(top, len(shown.nodes))} nodes by contribution to the "
                        "change (ms per inference)", shown.nodes, True, top))
    console.print(table("Node types", shown.types, False, top))
    for line in summary_lines(attribution):
        console.print(line, highlight=False)
