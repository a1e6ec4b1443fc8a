"""Several run files compared with ``perfbench compare``'s own statistics: the command's
own comparison for ``compare --html``, each run against the first at the defaults for
``perfbench report`` (``against_first``, the producer the command hands in).  The view
draws the typed comparisons (``results.comparison``) as they were decided.

The section opens with the answer: the verdict in the terminal's own words
(``reporters.comparison``) and what makes either side untrustworthy; the table of
changes and the charts follow.  ``compare --attribute``: the comparison's per-layer table
as the A/B view's waterfall (``ab_view.waterfall_chart``, one renderer for both) and its
top rows in the terminal's cells.
"""

from __future__ import annotations

from collections.abc import Callable

from perfbench.report.ab_view import WATERFALL_TOP, waterfall_chart
from perfbench.report.html import (Section, chart, error_bars, esc, heading, interval, note,
                                   num, require_plotly, table)
from perfbench.report.run_view import caveat_box, caveats
from perfbench.reporters.attribution_report import headers, row_cells
from perfbench.reporters.comparison import attribution_lines
from perfbench.reporters.comparison import summary_line as verdict_line
from perfbench.results.comparison import Comparison
from perfbench.results.metrics import fps_estimate
from perfbench.results.types import BenchmarkResult

#: Each run against the first, compared (``tracking.verdict.against_first``).
AgainstFirst = Callable[[list[tuple[str, BenchmarkResult]]], list[tuple[str, Comparison]]]


def badge(comparisons: list[Comparison]) -> tuple[str, str]:
    """The stored outcome, coloured: a regression is bad, an inconclusive comparison
    (the gate could not settle it: exit 3) a warning."""
    outcomes = {c.outcome for c in comparisons}
    if "regression" in outcomes:
        return "REGRESSION", "bad"
    if "inconclusive" in outcomes:
        return "INCONCLUSIVE", "warn"
    return "NO REGRESSION", "ok"


def section(runs: list[tuple[str, BenchmarkResult]], anchor: str,
            comparison: Comparison | None = None,
            against_first: AgainstFirst | None = None) -> Section:
    """``comparison``: the command's own (pooled sides, its thresholds, floors and gate),
    drawn as it judged; without one, each run against the first at the defaults, as
    ``against_first`` compares them."""
    base_name, base = runs[0]
    if comparison is None:      # `perfbench report a b …`: each against the first
        if against_first is None:
            raise ValueError("several runs and no comparison of them to draw")
        pairs = against_first(runs)
        how = f"each run against {base_name}, at compare's default thresholds and floors"
    else:                       # `compare --html`: the command's own verdict, drawn
        pairs = [("NEW", comparison)]
        how = ("the command's own comparison: " + ", ".join(comparison.new_files)
               + " against " + ", ".join(comparison.baseline_files))
    title = (f"Comparison: {', '.join(comparison.new_files)} against "
             f"{', '.join(comparison.baseline_files)}" if comparison is not None
             else f"Compared with {base_name}")
    part = Section(anchor, title, badge=badge([c for _, c in pairs]))
    part.add(answer(pairs, runs), _changes_table(pairs))
    if comparison is not None and comparison.attribution is not None:
        part.add(attribution_part(comparison, f"{anchor}-waterfall"))
    part.add(*charts(runs, pairs, anchor, how))
    return part


#: What two result files' counters cannot give (``tracking.layer_attribution``).
COMPARE_CAVEAT = ("From the stored per-layer counters of each side's result files: one "
                  "profiling pass a side, not paired, so no intervals; the files store no "
                  "time outside the counters (that bar is 0: the total is the change of "
                  "the counters' sum) and no runtime precision.")


def attribution_part(comparison: Comparison, chart_id: str) -> str:
    """``compare --attribute``: the waterfall of the A/B view, then the top node rows and
    the lines the terminal prints under its tables."""
    shown = comparison.attribution
    assert shown is not None
    sides = (len(comparison.baseline_files), len(comparison.new_files))
    rows = [row_cells(rank, row, True) for rank, row in
            enumerate(shown.nodes[:WATERFALL_TOP], 1)]
    return (heading("Which nodes the change comes from (compare --attribute)")
            + waterfall_chart(shown, chart_id, "Contributions to the change of the "
                              "per-layer counters, ms per inference (NEW − BASE)",
                              COMPARE_CAVEAT)
            + table(headers(True), rows)
            + "".join(note(line) for line in attribution_lines(shown, sides)))


def answer(pairs: list[tuple[str, Comparison]], runs: list[tuple[str, BenchmarkResult]]) -> str:
    """The verdict line(s), the comparison's warnings and why a side cannot be trusted:
    the first screen of the page, with the change per metric right under it (the
    comparison's own figures: no second FPS of each run beside them)."""
    lines = "".join(f'<p class="verdict"><strong>{esc(verdict_line(c))}</strong>'
                    + (f" ({esc(name)})" if len(pairs) > 1 else "") + "</p>"
                    for name, c in pairs)
    warnings = "".join(note("warning: " + w, "warn") for _, c in pairs for w in c.warnings)
    return lines + warnings + "".join(caveat_box(caveats(result), name)
                                      for name, result in runs)


def _changes_table(pairs: list[tuple[str, Comparison]]) -> str:
    rows = [[name, c.name, num(c.baseline), num(c.new), num(c.change_pct),
             interval(*(c.diff_ci_pct or (None, None))), f"{c.threshold_pct:g} %",
             c.verdict + ("" if c.gating else " (not gating)")]
            for name, comparison in pairs for c in comparison.changes]
    return heading("Change per metric") + table(
        ["run", "metric", "baseline", "new", "change %", "95 % interval of change %",
         "threshold", "verdict"], rows)


def charts(runs: list[tuple[str, BenchmarkResult]], pairs: list[tuple[str, Comparison]],
           anchor: str, how: str) -> list[str]:
    go = require_plotly()
    names = [name for name, _ in runs]
    estimates = [fps_estimate(r) for _, r in runs]
    fps = go.Figure(go.Bar(
        x=names, y=[e[0] for e in estimates], name="FPS (95 % interval)",
        error_y=error_bars([e[0] for e in estimates], [e[1] for e in estimates],
                           [e[2] for e in estimates]),
        hovertemplate="%{x}: %{y:,.1f} images/s"))
    fig = go.Figure()
    for name, comparison in pairs:
        changes = comparison.changes
        ci = [c.diff_ci_pct or (None, None) for c in changes]
        fig.add_trace(go.Scatter(
            x=[c.name for c in changes], y=[c.change_pct for c in changes], mode="markers",
            name=name, error_y=error_bars([c.change_pct for c in changes],
                                          [lo for lo, _ in ci], [hi for _, hi in ci]),
            hovertemplate=name + ": %{x} %{y:+.2f} %"))
    fig.add_hline(y=0, line_color="#888")
    return [chart(fig, f"{anchor}-changes", f"Change: {how}", "metric",
                  "change (% of baseline, 95 % interval)"),
            chart(fps, f"{anchor}-fps", "Throughput of each run", "run",
                  "steady-state FPS (images/s)")]
