"""``perfbench sweep``: a grid of full runs within a budget, or (server scenario) the highest
rate that meets a latency bound.  Signals behave as in ``perfbench run``: the first stops
the current point and saves the sweep (resume it with --resume), a second exits at once."""

from __future__ import annotations

import sys

import time

from rich.console import Console

from perfbench.files import write_json
from perfbench.cli.live import LiveDisplay
from perfbench.cli.outputs import wrote
from perfbench.reporters import sweep_report
from perfbench.reporters.numbers import readable
from perfbench.results.metrics import fps_estimate
from perfbench.reporters.consoles import report_console
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.rate_search import find_max_rate
from perfbench.errors import UsageError
from perfbench.reporters import race_lines
from perfbench.sizing.confirm import confirm
from perfbench.sizing.race_run import model_size, run_race
from perfbench.sizing.sweep import check_resumable, load_previous, run_sweep, save_to
from perfbench.cli.signals import SignalStop, run_in_worker


def sweep_command(spec: SweepSpec, json_path: str | None, csv_path: str | None,
                  plot_path: str | None, resume: bool, quiet: bool,
                  interleaved: bool | None = None, html_path: str | None = None) -> int:
    """``interleaved`` None: a race, or with --resume whatever the saved sweep was."""
    previous = load_previous(json_path) if resume else None
    interleaved = _raced(previous, interleaved, json_path)
    if previous is not None:
        for note in check_resumable(spec, previous, json_path):
            print(f"perfbench: resuming {json_path}: {note}", file=sys.stderr)
    err = Console(stderr=True)
    saved = save_to(json_path)
    with SignalStop() as stop, LiveDisplay(err, enabled=not quiet,
                                           target_pct=spec.until_stable_pct) as live:
        if interleaved:
            weights, inputs = model_size(spec.base)
            sweep = run_in_worker(run_race, spec, saved, previous, _epoch_progress(live),
                                  stop.event, weights_mb=weights, input_mb=inputs)
            if stop.signum is None:
                live.show("confirming the race's pick against the default (A/B)")
                sweep.confirmation = run_in_worker(confirm, sweep, stop.event)
                saved(sweep)
        else:
            sweep = run_in_worker(run_sweep, spec, saved, previous,
                                  _point_header(live), live.update, stop.event)
    document = sweep.result()           # every figure, computed once; the outputs read it
    sweep_report.render(document, report_console(stderr=json_path == "-"))
    if csv_path:
        sweep_report.write_csv(document, csv_path)
        wrote("--csv", csv_path)
    if plot_path and document.done():
        sweep_report.plot(document, plot_path)
        wrote("--plot", plot_path)
    if json_path:
        wrote("--json" if not saved.moved else "fallback", saved.path)
    from perfbench.cli.commands.report import html_of
    drawn = html_of([(document.to_dict(), "sweep")], html_path)
    if stop.signum is not None and json_path:
        hint = (f"its {len(sweep.race.epochs)} epochs are saved in {saved.path}; continue "
                f"the race with --resume --json {saved.path}" if interleaved else
                f"continue it with --resume --json {saved.path}")
        print(f"perfbench: sweep interrupted; {hint}", file=sys.stderr)
    if getattr(sweep, "status", None) == "failed":       # every point's worker failed
        why = getattr(getattr(sweep, "race", None), "why", "") or "no point measured"
        print(f"perfbench: sweep failed: {why}",
              file=sys.stderr)
        return stop.exit_code or 1
    return stop.exit_code or (1 if saved.moved or not drawn else 0)


def _point_header(live: LiveDisplay):
    """The sweep's line above the point's own view: point i of n, time left at the pace so
    far (or the points' caps, before any finished), and the best point so far."""
    started = time.monotonic()

    def announce(index: int, total: int, point, sweep) -> None:
        done = [p for p in sweep.points[:index] if p.status == "done"]
        elapsed = time.monotonic() - started
        pending = sum(1 for p in sweep.points[index:] if p.status == "pending")
        pace = elapsed / len(done) if done else (point.time_cap_s or 0) + 3.0
        best = max(done, key=lambda p: fps_estimate(p.result)[0], default=None)
        lead = (f"; best so far: {best.key} ({fps_estimate(best.result)[0]:,.1f} FPS)"
                if best else "")
        live.header = (f"sweep point {index + 1}/{total}: {point.key}; about "
                       f"{pace * pending:.0f} s left{lead}")
    return announce


def _raced(previous: dict | None, asked: bool | None, path: str | None) -> bool:
    """Race unless --sequential; a resumed sweep goes on as it was measured."""
    if previous is None:
        return asked is not False
    raced = previous.get("mode") == "race"
    if asked is not None and asked != raced:
        kind = "race (interleaved)" if raced else "sequential sweep"
        raise UsageError(f"--resume: {path} is a {kind}; resume it without "
                         f"{'--sequential' if raced else '--interleave'}")
    return raced


def _epoch_progress(live: LiveDisplay):
    """After each epoch: points left, the leader and its interval, the latest exits."""
    def show(sweep) -> None:
        if live.enabled:
            live.show(race_lines.live_line(sweep.document()))
    return show


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
    if json_path:
        write_json(json_path, {"schema": "perfbench.server-search", "schema_version": 1,
                               "spec": spec.to_dict(), **found})
        wrote("--json", json_path)
    _print_rate(found, spec, report_console(stderr=json_path == "-"))
    # No rate met the bound: exit 1, as compare and ab do for a regression, so that a CI
    # job gating on the bound fails rather than reading a printed "0/s" as a pass.
    if stop.exit_code == 0 and found["status"] == "complete" and found["rate"] is None:
        return 1
    return stop.exit_code


def _print_rate(found: dict, spec: SweepSpec, out: Console) -> None:
    label = f"p{spec.sla_percentile:g}"
    partial = found["status"] != "complete"
    if found["offline_fps"] is None:
        out.print("interrupted before the offline run finished: no rate found")
        return
    out.print(_rate_line(found, label, spec.sla_ms, partial))
    for trial in found["trials"]:
        verdict = "pass" if trial["passed"] else ("INVALID" if not trial["valid"] else "FAIL")
        note = f" [{trial['note']}]" if trial["note"] else ""
        out.print(f"  {trial['rate']:10,.2f}/s -> {label} {readable(trial['latency_ms']):>8} ms "
                  f"{verdict} (achieved {trial['achieved_rate']:,.2f}/s){note}")


def _rate_line(found: dict, label: str, sla_ms: float, partial: bool) -> str:
    """The answer; when no probe passed, that no rate met the bound (never "0.00/s")."""
    offline = f"offline maximum {found['offline_fps']:,.2f} FPS"
    if found["rate"] is None:
        lowest = min((t["rate"] for t in found["trials"]), default=None)
        tried = f"the lowest rate tried, {lowest:,.2f}/s, failed; " if lowest else ""
        return (f"{'INTERRUPTED: so far ' if partial else ''}[bold]no rate met {label} ≤ "
                f"{sla_ms:g} ms[/] ({tried}{offline})")
    bracket = ("no probe failed" if found["failed_above"] is None else
               f"failed at {found['failed_above']:,.2f}/s: ±{found['precision_pct']:.1f} %")
    return (f"{'INTERRUPTED, best so far: ' if partial else ''}highest rate with {label} ≤ "
            f"{sla_ms:g} ms: [bold]{found['rate']:,.2f}/s[/] ({bracket}; {offline})")
