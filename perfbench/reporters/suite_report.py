"""A suite's summary: one table (terminal, Markdown for a CI job summary, CSV), the
failures, and the comparison with a baseline or the A/B geomean where there is one."""

from __future__ import annotations

import csv
import math
import io

from rich.console import Console
from rich.table import Table

from perfbench.reporters.fidelity_comparison import regression_text
from perfbench.reporters.md_table import cell, table as md_table
from perfbench.reporters.numbers import readable
from perfbench.results.suite import (ABBlock, ABSummary, BaselineBlock, BaselineRow,
                                     Geomean, MetricChange, SuiteDocument)
from perfbench.stats.intervals import NOT_MEASURED, rate_measured

#: A row of a judged block: an entry against its baseline, or an entry's A/B.
Row = BaselineRow | ABSummary

COLUMNS = ("entry", "status", "FPS", "FPS 95% CI", "p50 ms", "p99 ms", "compile ms",
           "peak RSS MB", "precision")


def _n(value) -> str:
    return "" if value is None else readable(value)


def rows(doc: SuiteDocument) -> list[list[str]]:
    out = []
    for e in doc.entries:
        h = e.headline
        if h is None:
            out.append([e.name, e.status, *[""] * 7])
            continue
        fps = h.fps
        ci = (f"[{readable(fps.low)}, {readable(fps.high)}]"
              if fps.low is not None and fps.high is not None else "")
        if ci and not rate_measured(fps.value, fps.low, fps.high):
            ci = NOT_MEASURED
        out.append([e.name, e.status, _n(fps.value), ci, _n(h.p50_ms), _n(h.p99_ms),
                    _n(h.compile_ms), _n(h.peak_rss_mb), h.precision or ""])
    return out


def level_text(level: float) -> str:
    """A confidence level with the digits that tell it from 100 % (99.44 %, 99.9950 %)."""
    gap = 100 * (1 - level)
    if gap >= 1 - 1e-9:
        return f"{100 * level:.4g} %"
    return f"{100 * level:.{max(2, 1 - math.floor(math.log10(gap)))}f} %"


def judged_text(row: Row) -> str:
    """A row's verdict was judged on its own interval, at its family's level (wider than the
    95 % one beside it); say which, so the two never seem to disagree, and name each other
    metric that regressed with its judged change (a p90 regression at unchanged FPS)."""
    judged, size = row.judged, row.family_size or 1
    fps = row.judged_metric in (None, "fps")
    text = ""
    if judged is not None and not (fps and size == 1 and judged.level == 0.95):
        metric = "" if fps else " on p50 latency"
        family = f" (one of {size})" if size > 1 else ""
        text = f"; judged{metric} at {level_text(judged.level)}{family}"
        text += (": no interval" if judged.low is None or judged.high is None else
                 f": [{judged.low:.3f}, {judged.high:.3f}]")
    return text + "".join(_metric_text(c) for c in row.regressions
                          if c.name not in ("fps", "gflops"))


def _metric_text(change: MetricChange) -> str:
    pct = change.change_pct
    ci = (f" [{pct.low:+.1f} %, {pct.high:+.1f} %]"
          if pct.low is not None and pct.high is not None else "")
    return f"; {change.name} {pct.value:+.1f} %{ci}"


def disturbed_lines(title: str, row: Row) -> list[str]:
    """A baseline entry measured while something else took the machine: a disturbed NEW
    may read slower than it is (re-run it); a disturbed baseline reads slow and may hide a
    regression (measure the baseline again)."""
    if not row.disturbed:
        return []
    prefix = f"{title}: " if title else ""
    advice = (f"re-run it (--select {row.name}) before trusting its verdict"
              if row.new_disturbed else
              "the slow baseline may hide a regression; measure the baseline again")
    return [f"{prefix}{row.name}: measured on a disturbed machine "
            f"({'; '.join(row.disturbed)}): {advice}"]


def unconfirmed_lines(block: BaselineBlock | ABBlock) -> list[str]:
    names = [e.name for e in block.entries if e.verdict == "unconfirmed regression"]
    geomean = block.geomean is not None and block.geomean.verdict == "unconfirmed regression"
    if not names and not geomean:
        return []
    what = ", ".join(names + (["the geomean"] if geomean else []))
    again = f" (--select {' '.join(names)})" if names else ""
    return [f"unconfirmed regressions, measured on a disturbed machine: {what}; re-run "
            f"them on a quiet machine{again} before blaming the change"]


def comparison_lines(doc: SuiteDocument) -> list[str]:
    """The failures, then the baseline's or the A/B's verdicts and geomean."""
    lines = [f"{e.name}: {e.status}: {e.message}" for e in doc.entries
             if e.status in ("failed", "timeout", "oom")]
    s = doc.summary
    lines.append(f"{s.ok}/{s.entries} ok, {s.failed} failed; status {doc.status}")
    blocks: list[tuple[str, BaselineBlock | ABBlock | None]] = [
        ("against the baseline", doc.baseline), ("A/B NEW/BASE", doc.ab)]
    for title, block in blocks:
        if block is not None:
            lines += _block_lines(title, block)
    if doc.gate is not None:
        lines.append(f"gate: {doc.gate.outcome} (exit {doc.gate.exit_status})")
    return lines


def _block_lines(title: str, block: BaselineBlock | ABBlock) -> list[str]:
    lines = []
    for e in block.entries:
        ratio = "no ratio" if e.ratio is None else f"ratio {e.ratio.value:.3f}"
        ci = (f" [{e.ratio.low:.3f}, {e.ratio.high:.3f}]" if e.ratio is not None and
              e.ratio.low is not None and e.ratio.high is not None else "")
        lines.append(f"{title}: {e.name}: {ratio}{ci} {e.verdict}{judged_text(e)}")
        lines += disturbed_lines(title, e)
        if isinstance(e, ABSummary) and e.attribution is not None:
            lines.append(f"{title}: {e.name}: {cause_text(e)}")
        if isinstance(e, ABSummary) and e.fidelity is not None:
            lines.append(f"{title}: {e.name}: {answers_text(e)}")
    geomean = block.geomean
    for g in (geomean, geomean.random if geomean is not None else None):
        if g is not None:
            lines.append(f"{title}: {geomean_text(g)}")
    for name, names in standing(block):
        lines.append(f"{name}: {', '.join(names)}")
    if isinstance(block, BaselineBlock):
        lines += [f"{item.name}: not judged, the baseline measured something else "
                  f"({'; '.join(item.differences)})" for item in block.not_comparable or ()]
    return lines + unconfirmed_lines(block)


def answers_text(row: ABSummary) -> str:
    """An entry's fidelity (``--fidelity``) in one line, beside its speed verdict."""
    if row.fidelity == "regression":
        return "FIDELITY REGRESSION: " + "; ".join(regression_text(c)
                                                  for c in row.fidelity_regressions)
    if row.fidelity in ("failed", "interrupted"):
        why = f": {row.fidelity_error}" if row.fidelity_error else ""
        return f"fidelity {row.fidelity}{why}"
    return f"fidelity {row.fidelity}"


def cause_text(row: ABSummary) -> str:
    """An entry's top cause (``--attribute``) in one line: the node and its type, its
    contribution with its interval and level, its share of BASE's time per inference,
    and what changed in it; or what became of the attribution pass."""
    cause = row.top_cause
    if cause is None:
        why = f": {row.attribution_error}" if row.attribution_error else ": no node was timed"
        return f"attribution {row.attribution}{why}"
    c = cause.contribution_ms
    interval = ("" if c.low is None or c.high is None or c.level is None else
                f" [{c.low:+.4f}, {c.high:+.4f}] at {level_text(c.level)}")
    share = "" if cause.share_pct is None else f", {cause.share_pct:+.1f} % of BASE"
    changed = "; ".join(cause.changes) or "no change in implementation, precision or fusion"
    noise = {True: "", False: "; its interval holds 0: no node stands out",
             None: "; no interval (one round): not judged"}[cause.beyond_level]
    partial = "" if row.attribution == "complete" else f" (attribution {row.attribution})"
    return (f"top cause {cause.node} ({cause.type}): {c.value:+.4f} ms per inference"
            f"{interval}{share}; {changed}{noise}{partial}")


def geomean_text(g: Geomean) -> str:
    spread = (f"; spread between models {g.between_sd_pct:.1f} %"
              if g.between_sd_pct is not None else "")
    return (f"geomean ratio {g.ratio.value:.3f} [{g.ratio.low:.3f}, {g.ratio.high:.3f}] "
            f"({g.scope}{spread}) {g.verdict or ''}").rstrip()


def standing(block: BaselineBlock | ABBlock) -> list[tuple[str, tuple[str, ...]]]:
    """The entries whose standing against the baseline is news, each list by its name in
    words (new failures, fixed failures, missing, no history, no baseline)."""
    if not isinstance(block, BaselineBlock):
        return []
    lists = (("new failures", block.new_failures), ("fixed failures", block.fixed_failures),
             ("missing", block.missing), ("no history", block.no_history),
             ("no baseline", block.no_baseline))
    return [(name, names) for name, names in lists if names]


def render(doc: SuiteDocument, console: Console) -> None:
    table = Table(title=f"suite {doc.suite}")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("entry", "status",
                                                               "precision") else "right")
    for row in rows(doc):
        table.add_row(*row)
    console.print(table)
    for line in comparison_lines(doc):
        console.print(line, highlight=False, markup=False, soft_wrap=True)   # CI logs: whole lines


def markdown(doc: SuiteDocument) -> str:
    lines = md_table(list(COLUMNS), [[cell(c) for c in row] for row in rows(doc)])
    notes = "".join(f"- {line}\n" for line in comparison_lines(doc))
    return f"## Suite {cell(doc.suite)}\n\n" + "\n".join(lines) + f"\n\n{notes}"


def csv_text(doc: SuiteDocument) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["entry", "model", "status", "fps", "fps_low", "fps_high", "p50_ms",
                     "p99_ms", "compile_ms", "peak_rss_mb", "precision", "wall_s", "message"])
    for e in doc.entries:
        h = e.headline
        figures = [None] * 8 if h is None else [
            h.fps.value, h.fps.low, h.fps.high, h.p50_ms, h.p99_ms, h.compile_ms,
            h.peak_rss_mb, h.precision]
        writer.writerow([e.name, e.model, e.status, *figures, e.wall_s, e.message or ""])
    return buffer.getvalue()
