"""An A/B's attribution (``ab --attribute``) on the terminal: the top nodes and node types
by their contribution to the change, and what is left unattributed.

Reads the ``attribution`` block of a ``perfbench.ab`` document only; every figure was
computed once by :mod:`perfbench.stats.attribution`.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

TOP = 10


def _ms(value: float) -> str:
    return f"{value:+.4f}" if abs(value) < 1 else f"{value:+.3f}"


def _delta(entry: dict) -> str:
    delta = entry["delta_ms"]
    if delta["low"] is None:
        return _ms(delta["value"])
    return f"{_ms(delta['value'])} [{_ms(delta['low'])}, {_ms(delta['high'])}]"


def _ratio(entry: dict) -> str:
    ratio = entry.get("ratio")
    if ratio is None:
        return "–"
    if ratio["low"] is None:
        return f"{ratio['ratio']:.3f}"
    return f"{ratio['ratio']:.3f} [{ratio['low']:.3f}, {ratio['high']:.3f}]"


def _level(level: float | None, digits: int = 0) -> str:
    """An interval's confidence, or that there is none (one epoch: no interval)."""
    return "no interval" if level is None else f"{100 * level:.{digits}f} %"


def _share(entry: dict) -> str:
    share = entry.get("share_pct")
    return "–" if share is None else f"{share:+.2f} %"


def _name(entry: dict) -> str:
    base, new = entry["base_nodes"], entry["new_nodes"]
    if base and new and base != new:
        return f"{', '.join(base)} → {', '.join(new)}"
    return ", ".join(base or new)


def _table(title: str, entries: list[dict], named: bool, top: int) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("node" if named else "node type", overflow="fold", max_width=48)
    if named:
        table.add_column("type")
    table.add_column("BASE ms", justify="right")
    table.add_column("NEW ms", justify="right")
    table.add_column("change ms [interval]", justify="right")
    table.add_column("of BASE time", justify="right")
    table.add_column("time ratio [interval]", justify="right")
    table.add_column("what changed", overflow="fold", max_width=44)
    for rank, entry in enumerate(entries[:top], 1):
        mark = "*" if entry["beyond_level"] else ""
        cells = [f"{rank}{mark}", _name(entry) if named else entry["key"]]
        if named:
            cells.append(entry["type"])
        cells += [f"{entry['base_ms']:.4f}", f"{entry['new_ms']:.4f}", _delta(entry),
                  _share(entry), _ratio(entry), "; ".join(entry["changes"]) or "–"]
        table.add_row(*cells)
    return table


def summary_lines(attribution: dict) -> list[str]:
    """The total, how it splits, and the family level the intervals are at."""
    total = attribution["total"]
    outside = attribution["unattributed"]["outside_counters"]
    unmatched = attribution["unattributed"]["unmatched"]
    counted = attribution["counted"]
    rows = attribution["row_family"]
    return [
        f"time per inference (profiled, one stream): BASE {total['base_ms']:.4f} ms, NEW "
        f"{total['new_ms']:.4f} ms, change {_delta(total)} ms ({_share(total)} of BASE; "
        f"{_level(total['delta_ms']['level'])}), time ratio {_ratio(total)}",
        f"= nodes in the counters {_ms(counted['delta_ms']['value'])} ms "
        f"(of which unmatched nodes {_ms(unmatched['delta_ms']['value'])} ms) "
        f"+ outside the counters {_delta(outside)} ms ({_share(outside)}): unattributed "
        f"{_ms(outside['delta_ms']['value'] + unmatched['delta_ms']['value'])} ms",
        f"intervals at the family level {_level(rows['level'], 2)} (Bonferroni over "
        f"{rows['size']} rows; node types {_level(attribution['type_family']['level'], 2)}"
        f" over {attribution['type_family']['size']}); * = excludes 0; "
        f"{attribution['rounds']} paired rounds in {attribution['epochs']} pair(s) of "
        f"workers (intervals over the {attribution['interval_over']}); a separate pass "
        f"with perf counters on ({attribution['wall_s']:.1f} s), not the verdict's",
    ]


def render(attribution: dict | None, console: Console, top: int = TOP) -> None:
    if attribution is None:
        return
    if "nodes" not in attribution:
        console.print(f"attribution: {attribution.get('status')}: {attribution.get('error')}",
                      highlight=False)
        return
    console.print(_table(f"Top {min(top, len(attribution['nodes']))} nodes by contribution "
                         "to the change (ms per inference)", attribution["nodes"], True, top))
    console.print(_table("Node types", attribution["types"], False, top))
    for line in summary_lines(attribution):
        console.print(line, highlight=False)
