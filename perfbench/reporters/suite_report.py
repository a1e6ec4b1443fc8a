"""A suite's summary: one table (terminal, Markdown for a CI job summary, CSV), the
failures, and the comparison with a baseline or the A/B geomean where there is one."""

from __future__ import annotations

import csv
import math
import io

from rich.console import Console
from rich.table import Table

from perfbench.reporters.md_table import cell, table as md_table
from perfbench.reporters.numbers import readable
from perfbench.stats.intervals import NOT_MEASURED, rate_measured

COLUMNS = ("entry", "status", "FPS", "FPS 95% CI", "p50 ms", "p99 ms", "compile ms",
           "peak RSS MB", "precision")


def _n(value) -> str:
    return "" if value is None else readable(value)


def rows(doc: dict) -> list[list[str]]:
    out = []
    for e in doc["entries"]:
        h = e.get("headline") or {}
        ci = (f"[{readable(h['fps_low'])}, {readable(h['fps_high'])}]"
              if h.get("fps_low") is not None else "")
        if ci and not rate_measured(h.get("fps"), h["fps_low"], h.get("fps_high")):
            ci = NOT_MEASURED
        out.append([e["name"], e["status"], _n(h.get("fps")), ci, _n(h.get("p50_ms")),
                    _n(h.get("p99_ms")), _n(h.get("compile_ms")), _n(h.get("peak_rss_mb")),
                    h.get("precision") or ""])
    return out


def level_text(level: float) -> str:
    """A confidence level with the digits that tell it from 100 % (99.44 %, 99.9950 %)."""
    gap = 100 * (1 - level)
    if gap >= 1 - 1e-9:
        return f"{100 * level:.4g} %"
    return f"{100 * level:.{max(2, 1 - math.floor(math.log10(gap)))}f} %"


def judged_text(row: dict) -> str:
    """A row's verdict was judged on its own interval, at its family's level (wider than the
    95 % one beside it); say which, so the two never seem to disagree, and name each other
    metric that regressed with its judged change (a p90 regression at unchanged FPS)."""
    level, size = row.get("judged_level"), row.get("family_size") or 1
    fps = row.get("judged_metric", "fps") in (None, "fps")
    text = ""
    if level is not None and not (fps and size == 1 and level == 0.95):
        metric = "" if fps else " on p50 latency"
        family = f" (one of {size})" if size > 1 else ""
        text = f"; judged{metric} at {level_text(level)}{family}"
        text += (": no interval" if row.get("judged_ci_low") is None else
                 f": [{row['judged_ci_low']:.3f}, {row['judged_ci_high']:.3f}]")
    return text + "".join(_metric_text(c) for c in row.get("regressions") or ()
                          if c["name"] not in ("fps", "gflops"))


def _metric_text(change: dict) -> str:
    ci = (f" [{change['ci_low_pct']:+.1f} %, {change['ci_high_pct']:+.1f} %]"
          if change.get("ci_low_pct") is not None else "")
    return f"; {change['name']} {change['change_pct']:+.1f} %{ci}"


def disturbed_lines(title: str, row: dict) -> list[str]:
    """A baseline entry measured while something else took the machine: a disturbed NEW
    may read slower than it is (re-run it); a disturbed baseline reads slow and may hide a
    regression (measure the baseline again)."""
    if not row.get("disturbed"):
        return []
    prefix = f"{title}: " if title else ""
    advice = (f"re-run it (--select {row['name']}) before trusting its verdict"
              if row.get("new_disturbed", True) else
              "the slow baseline may hide a regression; measure the baseline again")
    return [f"{prefix}{row['name']}: measured on a disturbed machine "
            f"({'; '.join(row['disturbed'])}): {advice}"]


def unconfirmed_lines(block: dict) -> list[str]:
    names = [e["name"] for e in block["entries"] if e["verdict"] == "unconfirmed regression"]
    geomean = (block.get("geomean") or {}).get("verdict") == "unconfirmed regression"
    if not names and not geomean:
        return []
    what = ", ".join(names + (["the geomean"] if geomean else []))
    again = f" (--select {' '.join(names)})" if names else ""
    return [f"unconfirmed regressions, measured on a disturbed machine: {what}; re-run "
            f"them on a quiet machine{again} before blaming the change"]


def comparison_lines(doc: dict) -> list[str]:
    """The failures, then the baseline's or the A/B's verdicts and geomean."""
    lines = [f"{e['name']}: {e['status']}: {e['message']}" for e in doc["entries"]
             if e["status"] in ("failed", "timeout", "oom")]
    s = doc["summary"]
    lines.append(f"{s['ok']}/{s['entries']} ok, {s['failed']} failed; status {doc['status']}")
    for key, title in (("baseline", "against the baseline"), ("ab", "A/B NEW/BASE")):
        block = doc.get(key)
        if not block:
            continue
        for e in block["entries"]:
            ratio = "no ratio" if e.get("ratio") is None else f"ratio {e['ratio']:.3f}"
            ci = (f" [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"
                  if e.get("ci_low") is not None else "")
            lines.append(f"{title}: {e['name']}: {ratio}{ci} {e['verdict']}{judged_text(e)}")
            lines += disturbed_lines(title, e)
        g = block.get("geomean")
        for g in (block.get("geomean"), (block.get("geomean") or {}).get("random")):
            if g:
                spread = (f"; spread between models {g['between_sd_pct']:.1f} %"
                          if g.get("between_sd_pct") is not None else "")
                lines.append(f"{title}: geomean ratio {g['ratio']:.3f} [{g['ci_low']:.3f}, "
                             f"{g['ci_high']:.3f}] ({g['scope']}{spread}) "
                             f"{g.get('verdict', '')}".rstrip())
        for name in ("new_failures", "fixed_failures", "missing", "no_history",
                     "no_baseline"):
            if block.get(name):
                lines.append(f"{name.replace('_', ' ')}: {', '.join(block[name])}")
        lines += [f"{item['name']}: not judged, the baseline measured something else "
                  f"({'; '.join(item['differences'])})"
                  for item in block.get("not_comparable") or ()]
        lines += unconfirmed_lines(block)
    if doc.get("gate"):
        lines.append(f"gate: {doc['gate']['outcome']} (exit {doc['gate']['exit_status']})")
    return lines


def render(doc: dict, console: Console) -> None:
    table = Table(title=f"suite {doc['suite']}")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("entry", "status",
                                                               "precision") else "right")
    for row in rows(doc):
        table.add_row(*row)
    console.print(table)
    for line in comparison_lines(doc):
        console.print(line, highlight=False, markup=False, soft_wrap=True)   # CI logs: whole lines


def markdown(doc: dict) -> str:
    lines = md_table(list(COLUMNS), [[cell(c) for c in row] for row in rows(doc)])
    notes = "".join(f"- {line}\n" for line in comparison_lines(doc))
    return f"## Suite {cell(doc['suite'])}\n\n" + "\n".join(lines) + f"\n\n{notes}"


def csv_text(doc: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["entry", "model", "status", "fps", "fps_low", "fps_high", "p50_ms",
                     "p99_ms", "compile_ms", "peak_rss_mb", "precision", "wall_s", "message"])
    for e in doc["entries"]:
        h = e.get("headline") or {}
        writer.writerow([e["name"], e["model"], e["status"], *(h.get(k) for k in (
            "fps", "fps_low", "fps_high", "p50_ms", "p99_ms", "compile_ms", "peak_rss_mb",
            "precision")), e.get("wall_s"), e.get("message") or ""])
    return buffer.getvalue()
