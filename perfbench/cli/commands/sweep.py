"""``perfbench sweep``: a grid of full runs within a budget, or (server scenario) the highest
rate that meets a latency bound.  Signals behave as in ``perfbench run``: the first stops
the current point and saves the sweep (resume it with --resume), a second exits at once."""

from __future__ import annotations

import sys

from rich.console import Console

from perfbench.files import write_json
from perfbench.cli.live import LiveDisplay
from perfbench.reporters import sweep_report
from perfbench.reporters.consoles import report_console
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.rate_search import find_max_rate
from perfbench.sizing.sweep import check_resumable, load_previous, run_sweep, save_to
from perfbench.cli.signals import SignalStop, run_in_worker


def sweep_command(spec: SweepSpec, json_path: str | None, csv_path: str | None,
                  plot_path: str | None, resume: bool, quiet: bool) -> int:
    previous = load_previous(json_path) if resume else None
    if previous is not None:
        for note in check_resumable(spec, previous, json_path):
            print(f"perfbench: resuming {json_path}: {note}", file=sys.stderr)
    err = Console(stderr=True)
    with SignalStop() as stop, LiveDisplay(err, enabled=not quiet) as live:
        def announce(index: int, total: int, point) -> None:
            if not quiet and err.is_terminal:
                err.print(f"[dim]point {index + 1}/{total}: {point.key} "
                          f"(up to {point.time_cap_s:.0f} s)[/]")
        sweep = run_in_worker(run_sweep, spec, save_to(json_path), previous, announce,
                              live.update, stop.event)
    sweep_report.render(sweep, report_console())
    if csv_path:
        sweep_report.write_csv(sweep, csv_path)
    if plot_path and any(p.status == "done" for p in sweep.points):
        sweep_report.plot(sweep, plot_path)
    if stop.signum is not None and json_path:
        print(f"perfbench: sweep interrupted; continue it with --resume --json {json_path}",
              file=sys.stderr)
    return stop.exit_code


def server_search_command(spec: SweepSpec, json_path: str | None, quiet: bool) -> int:
    """The rate search; a stop keeps every finished probe, and the file and the summary
    say the answer is the best found so far, not final."""
    err = Console(stderr=True)

    def announce(step: int, steps: int, rate: float) -> None:
        if not quiet and err.is_terminal:
            err.print(f"[dim]probe {step + 1}/{steps}: {rate:,.2f} queries/s[/]")

    with SignalStop() as stop:
        found = run_in_worker(find_max_rate, spec.base, spec.sla_ms, spec.sla_percentile,
                              spec.point_time_s, stop_event=stop.event, on_point=announce)
    if stop.signum is not None:
        found["status"] = "interrupted"
    _print_rate(found, spec, report_console())
    if json_path:
        write_json(json_path, {"schema": "perfbench.server-search", "schema_version": 1,
                               "spec": spec.to_dict(), **found})
    return stop.exit_code


def _print_rate(found: dict, spec: SweepSpec, out: Console) -> None:
    label = f"p{spec.sla_percentile:g}"
    partial = found["status"] != "complete"
    if found["offline_fps"] is None:
        out.print("interrupted before the offline run finished: no rate found")
        return
    bracket = ("no probe failed" if found["failed_above"] is None else
               f"failed at {found['failed_above']:,.2f}/s: ±{found['precision_pct']:.1f} %")
    out.print(f"{'INTERRUPTED, best so far: ' if partial else ''}highest rate with {label} ≤ "
              f"{spec.sla_ms:g} ms: [bold]{found['rate']:,.2f}/s[/] ({bracket}; offline "
              f"maximum {found['offline_fps']:,.2f} FPS)")
    for trial in found["trials"]:
        verdict = "pass" if trial["passed"] else ("INVALID" if not trial["valid"] else "FAIL")
        note = f" [{trial['note']}]" if trial["note"] else ""
        out.print(f"  {trial['rate']:10,.2f}/s -> {label} {trial['latency_ms']:8.2f} ms "
                  f"{verdict} (achieved {trial['achieved_rate']:,.2f}/s){note}")
