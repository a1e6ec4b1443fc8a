"""``perfbench history``: the trend of one metric per configuration, with step changes."""

from __future__ import annotations

import argparse

from rich.console import Console

from perfbench.reporters.consoles import report_console
from perfbench.reporters.sparkline import sparkline
from rich.table import Table

from perfbench.reporters.fidelity_comparison import summary
from perfbench.results.metrics import METRICS
from perfbench.settings.config import validate
from perfbench.settings.values import positive_float
from perfbench.tracking.fidelity_history import fidelity_steps
from perfbench.tracking.fidelity_tolerances import (DEFAULT_THRESHOLDS, FidelityThresholds,
                                                    thresholds_from)
from perfbench.tracking.fidelity_tolerances import add_options as add_fidelity_tolerances
from perfbench.tracking.history import (ABRow, LastRun, Point, ab_series, last_run_verdict,
                                        series, trend, version_changes)

MAX_POINTS = 40
HANDLES_SIGNALS = False


def add_parser(sub) -> None:
    hist = sub.add_parser("history", help="trend per configuration from a history database")
    hist.add_argument("database")
    hist.add_argument("--metric", default="fps", help="fps, p50, p90, p99 or gflops")
    hist.add_argument("--config-match", metavar="TEXT",
                      help="only configurations whose key or name contains TEXT")
    hist.add_argument("--threshold", default="5", help="step-change threshold in %% (default 5)")
    add_fidelity_tolerances(hist)


def run(args: argparse.Namespace) -> int:
    threshold = validate(args.threshold.rstrip("%"), positive_float, "threshold", "--threshold")
    return history_command(args.database, args.metric, args.config_match, threshold,
                           thresholds_from(args))


def history_command(path: str, metric: str, config_match: str | None,
                    threshold_pct: float,
                    fidelity: FidelityThresholds = DEFAULT_THRESHOLDS) -> int:
    groups = series(path, metric)
    if config_match:
        groups = {k: v for k, v in groups.items()
                  if config_match in k[0] or config_match.lower() in k[1].lower()}
    unit = METRICS[metric][0]
    table = Table(title=f"History of {metric} ({unit}) in {path}", title_justify="left")
    for column in ("config", "benchmark", "runs", "from – to", f"last ({unit})",
                   f"trend (last {MAX_POINTS})", "steps", "last run vs before", "OpenVINO"):
        table.add_column(column)
    notes = []
    for (key, name), points in groups.items():
        steps = _steps(points, threshold_pct)
        table.add_row(key, name, str(len(points)),
                      f"{points[0].recorded_at[:10]} – {points[-1].recorded_at[:10]}",
                      f"{points[-1].value:,.3f}",
                      sparkline([p.value for p in points[-MAX_POINTS:]]), str(len(steps)),
                      _last_text(last_run_verdict(points, metric, threshold_pct)),
                      points[-1].openvino or "?")
        notes += [f"{key}: step {step}" for step in steps]
        notes += [f"{key}: OpenVINO {change}" for change in _versions(points)]
    console = report_console()
    pairs = {k: v for k, v in ab_series(path).items()
             if not config_match or config_match.lower() in k.lower()}
    if groups:
        console.print(table)
    for note in notes:
        console.print(note, soft_wrap=True, highlight=False)
    if pairs:
        console.print(_ab_table(pairs))
    if not groups and not pairs:
        Console(stderr=True).print("no complete runs match")
    return _fidelity(path, config_match, console, fidelity)


def _fidelity(path: str, config_match: str | None, console,
              thresholds: FidelityThresholds) -> int:
    """Each configuration's last --fidelity run against its previous one; exit 1 when
    its answers regressed (the rules of compare)."""
    steps = [s for s in fidelity_steps(path, thresholds) if not config_match
             or config_match in s.config or config_match.lower() in s.benchmark.lower()]
    if not steps:
        return 0
    table = Table(title="Fidelity: each configuration's last --fidelity run against the one "
                  "before", title_justify="left")
    for column in ("config", "benchmark", "runs", "runs compared", "verdict"):
        table.add_column(column)
    for step in steps:
        found = summary(step.judged)
        verdict = ("[bold red]REGRESSION: " + ", ".join(found) + "[/]") if found else \
            "within tolerance"
        table.add_row(step.config, step.benchmark, str(step.runs),
                      f"{step.previous_run} → {step.last_run}", verdict)
    console.print(table)
    for step in steps:
        for warning in step.judged.warnings:
            console.print(f"[yellow]warning:[/] {step.config}: {warning}")
    return 1 if any(step.judged.regressions for step in steps) else 0


def _ab_table(pairs: dict[str, list[ABRow]]) -> Table:
    """Interleaved A/B runs per pair: the latest ratio with its interval, and the trend."""
    table = Table(title="A/B runs (NEW/BASE FPS, paired)", title_justify="left")
    for column in ("pair", "runs", "last ratio", "95 % CI", "verdict", "regressions",
                   f"trend (last {MAX_POINTS})"):
        table.add_column(column)
    for pair, rows in pairs.items():
        last = rows[-1]
        interval = (f"[{last.low:.4f}, {last.high:.4f}]" if last.low is not None else "–")
        ratios = [r.ratio for r in rows[-MAX_POINTS:] if r.ratio is not None]
        table.add_row(pair, str(len(rows)), _fmt_ratio(last.ratio), interval, last.verdict,
                      str(sum(r.verdict == "regression" for r in rows)), sparkline(ratios))
    return table


def _last_text(last: LastRun | None) -> str:
    """compare's verdict on the last run against the runs before it: inconclusive when
    its interval can neither call nor exclude a change beyond the threshold."""
    if last is None:
        return "–"
    ci = "" if last.ci_pct is None else f" [{last.ci_pct[0]:+.1f}, {last.ci_pct[1]:+.1f}]"
    return f"{last.verdict} {last.change_pct:+.1f} %{ci} (vs {last.before} runs)"


def _fmt_ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _steps(points: list[Point], threshold_pct: float) -> list[str]:
    """Each step change with the run, commit and date where it began, and whether the
    OpenVINO version changed there (an upgrade is a likely cause)."""
    upgrades = {index: (before, after) for index, before, after in version_changes(points)}
    described = []
    for step in trend(points, threshold_pct):
        cause = ""
        if step.index in upgrades:
            cause = f", OpenVINO {upgrades[step.index][0]} → {upgrades[step.index][1]}"
        described.append(f"{step.change_pct:+.1f} % at run {step.point.run_id} "
                         f"({(step.point.commit or 'no commit')[:10]}, "
                         f"{step.point.recorded_at[:10]}{cause})")
    return described


def _versions(points: list[Point]) -> list[str]:
    return [f"{before} → {after} at run {points[i].run_id} ({points[i].recorded_at[:10]})"
            for i, before, after in version_changes(points)]
