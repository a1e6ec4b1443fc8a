"""A comparison as a rich table (terminal) or Markdown (CI job summary): the typed
document (``results.comparison``) as its producer decided it, each figure read, none
recomputed."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from perfbench.reporters import fidelity_comparison
from perfbench.reporters.attribution_report import TOP
from perfbench.reporters.attribution_report import markdown as attribution_markdown
from perfbench.reporters.attribution_report import table as attribution_table
from perfbench.reporters.numbers import readable, signed_pct
from perfbench.results.attribution import AttributionTable
from perfbench.results.comparison import Comparison, FidelityComparison, MetricChange

_STYLE = {"regression": "bold red", "improvement": "green", "no significant change": "dim",
          "inconclusive": "yellow"}


def _verdict(change: MetricChange) -> str:
    return change.verdict + ("" if change.gating else " (not gating)")


def _ci(change: MetricChange) -> str:
    if change.diff_ci_pct is None:
        return "n/a (too few samples)" if change.change_pct is not None else "n/a"
    low, high = change.diff_ci_pct
    return f"[{low:+.1f} %, {high:+.1f} %]"


def render(comparison: Comparison, console: Console) -> None:
    table = Table(title="perfbench compare", title_justify="left")
    for column in ("metric", "baseline", "new", "change", "95 % CI of change", "verdict"):
        table.add_column(column, justify="right" if column in ("baseline", "new", "change")
                         else "left")
    for c in comparison.changes:
        table.add_row(c.name, readable(c.baseline), readable(c.new), signed_pct(c.change_pct),
                      _ci(c), f"[{_STYLE[c.verdict]}]{_verdict(c)}[/]")
    console.print(table)
    thresholds = ", ".join(f"{c.name} {c.threshold_pct:g} %" for c in comparison.changes)
    kinds = sorted({c.samples for c in comparison.changes})
    console.print(f"[dim]units: fps images/s, p50/p90/p99 ms, gflops GFLOP/s; thresholds: "
                  f"{thresholds}; samples: {', '.join(kinds)}[/]")
    for warning in comparison.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if comparison.fidelity is not None:
        _render_fidelity(comparison.fidelity, console)
    console.print(summary_line(comparison), soft_wrap=True, highlight=False)


def _render_fidelity(fidelity: FidelityComparison, console: Console) -> None:
    if fidelity.changes:
        console.print(fidelity_comparison.table(fidelity))
    for warning in fidelity.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


def summary_line(comparison: Comparison) -> str:
    """The stored outcome in words, with what decided it, its exit status, and the
    disturbed-machine checks of either side."""
    if comparison.outcome == "regression":
        found = [f"{c.name} {c.change_pct:+.1f} %" for c in comparison.regressions]
        text = "REGRESSION: " + ", ".join(
            found + fidelity_comparison.summary(comparison.fidelity))
    elif comparison.outcome == "inconclusive":
        text = "INCONCLUSIVE: " + ", ".join(
            f"{c.name} {signed_pct(c.change_pct)} {_ci(c)}" for c in comparison.undecided) + \
            " cannot exclude a regression beyond the threshold"
    else:
        text = "no regression"
    if comparison.disturbed:
        text += "; disturbed machine: " + ", ".join(comparison.disturbed)
    return f"{text} (exit {comparison.exit_status})"


def markdown(comparison: Comparison) -> str:
    lines = ["## perfbench compare", "",
             f"Baseline: {', '.join(comparison.baseline_files)}  ",
             f"New: {', '.join(comparison.new_files)}", "",
             "| metric | baseline | new | change | 95 % CI of change | threshold | verdict |",
             "|---|---:|---:|---:|---|---:|---|"]
    icons = {"regression": "❌ regression", "improvement": "✅ improvement",
             "no significant change": "no significant change",
             "inconclusive": "⚠️ inconclusive"}
    for c in comparison.changes:
        ci = _ci(c).replace("[", "").replace("]", "")
        gating = "" if c.gating else " (not gating)"
        lines.append(f"| {c.name} ({c.unit}) | {readable(c.baseline)} | {readable(c.new)} | "
                     f"{signed_pct(c.change_pct)} | {ci} | {c.threshold_pct:g} % | "
                     f"{icons[c.verdict]}{gating} |")
    lines.append("")
    lines.extend(f"> warning: {w}" for w in comparison.warnings)
    if comparison.fidelity is not None:
        lines.extend(fidelity_comparison.markdown(comparison.fidelity))
    if comparison.attribution is not None:
        lines.extend(markdown_attribution(comparison))
    lines.extend(["", f"**{summary_line(comparison)}**", ""])
    return "\n".join(lines)


def markdown_attribution(comparison: Comparison, top: int = TOP) -> list[str]:
    """``compare --attribute`` in the job summary: the terminal's two tables and its
    lines on what two result files can and cannot say."""
    shown = comparison.attribution
    assert shown is not None
    sides = (len(comparison.baseline_files), len(comparison.new_files))
    return ["", f"### Top {min(top, len(shown.nodes))} nodes by contribution to the change "
            "of the per-layer counters (ms per inference)", "",
            *attribution_markdown(shown.nodes, True, top), "", "### Node types", "",
            *attribution_markdown(shown.types, False, top), "",
            *(part for line in attribution_lines(shown, sides) for part in (line, ""))][:-1]


def render_attribution(attribution: AttributionTable, sides: tuple[int, int],
                       console: Console, top: int = TOP) -> None:
    """``compare --attribute``: the tables of ``ab --attribute`` (nodes, node types), and
    what two result files can and cannot say (``tracking.layer_attribution``).
    ``sides``: how many files each side pooled."""
    console.print(attribution_table(
        f"Top {min(top, len(attribution.nodes))} nodes by contribution to the change of the "
        "per-layer counters (ms per inference)", attribution.nodes, True, top))
    console.print(attribution_table("Node types", attribution.types, False, top))
    for line in attribution_lines(attribution, sides):
        console.print(line, highlight=False)


def attribution_lines(attribution: AttributionTable, sides: tuple[int, int]) -> list[str]:
    total, unmatched = attribution.counted, attribution.unmatched
    change = total.delta.value
    share = "" if total.share_pct is None else f" ({total.share_pct:+.2f} % of BASE)"
    ratio = "" if total.ratio is None else f", time ratio {total.ratio.value:.3f}"
    pooled = "one file a side" if sides == (1, 1) else \
        f"{sides[0]} and {sides[1]} files, each node's time their mean"
    return [
        f"per-layer counters (each file's --perf-counters pass, one stream): BASE "
        f"{total.base_ms:.4f} ms, NEW {total.new_ms:.4f} ms per inference, change "
        f"{change:+.4f} ms{share}{ratio}; of it, nodes on one side only "
        f"{unmatched.delta.value:+.4f} ms",
        f"no intervals: {pooled}, one profiling pass each and not paired (ab --attribute "
        "takes intervals over repeated interleaved passes); time outside the counters and "
        "runtime precision are not stored in result files, so not compared",
    ]
