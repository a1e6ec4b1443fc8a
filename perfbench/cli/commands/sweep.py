"""``perfbench sweep``: a grid of full runs within a budget, or (server scenario) the highest
rate that meets a latency bound.  Signals behave as in ``perfbench run``: the first stops
the current point and saves the sweep (resume it with --resume), a second exits at once."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from rich.console import Console

from perfbench.cli.arguments import (add_output_options, check_html, check_writable_all,
                                     run_settings)
from perfbench.cli.commands.server_search import server_search_command
from perfbench.cli.live import LiveDisplay
from perfbench.cli.options import add_setting_options
from perfbench.files import write_json
from perfbench.cli.outputs import Outputs, wrote, write_outputs
from perfbench.reporters import sweep_report
from perfbench.results.metrics import fps_estimate
from perfbench.results.sweep import SweepResult
from perfbench.reporters.consoles import report_console
from perfbench.settings.config import GRID_KEYS
from perfbench.sizing.spec import SPEC_OPTIONS, SweepSpec, build_spec
from perfbench.errors import UsageError
from perfbench.reporters import race_lines
from perfbench.sizing.confirm import confirm
from perfbench.sizing.race_run import model_size, run_race
from perfbench.sizing.sweep import check_resumable, load_previous, run_sweep, save_to
from perfbench.cli.signals import SignalStop, run_in_worker

#: It stops on a signal itself, saving the sweep to resume (``cli.signals``).
HANDLES_SIGNALS = True


def add_parser(sub) -> None:
    sweep = sub.add_parser("sweep", help="sizing study over a grid of settings")
    add_setting_options(sweep, sweep=True)
    add_output_options(sweep, tracking=False)
    grid = sweep.add_argument_group("sweep output")
    grid.add_argument("--csv", metavar="PATH", help="one row per point")
    grid.add_argument("--plot", metavar="PATH", help="throughput vs latency, .png or .svg "
                      "(needs perfbench[plot])")
    grid.add_argument("--resume", action="store_true",
                      help="continue the sweep saved in --json, re-running missing points")
    order = sweep.add_argument_group("order of measuring").add_mutually_exclusive_group()
    order.add_argument("--interleave", dest="order", action="store_const", const="interleave",
                       help="a race (the default, any grid size): rounds over the points "
                       "still in it, epochs of fresh workers, eliminations")
    order.add_argument("--sequential", dest="order", action="store_const", const="sequential",
                       help="one full run per point, one after another")
    sweep.add_argument("--no-confirm", dest="confirm", action="store_false",
                       help="skip the confirmation A/B of the race's winner against the "
                       "default")


def check_settings(args: argparse.Namespace) -> tuple[SweepSpec, bool]:
    """The sweep's spec, checked as :func:`run` checks it (fleet run's driver calls this
    before any node starts), and whether it is a server-scenario rate search."""
    grid = {k: getattr(args, k) for k in GRID_KEYS if getattr(args, k) is not None}
    options = {k: getattr(args, k) for k in SPEC_OPTIONS if getattr(args, k) is not None}
    settings = run_settings(args, skip=GRID_KEYS + tuple(SPEC_OPTIONS) + ("scenario",))
    return build_spec(args.profile, grid, options, settings, args.scenario)


def run(args: argparse.Namespace) -> int:
    spec, server = check_settings(args)
    if not args.confirm:
        spec = dataclasses.replace(spec, confirm=False)
    if server and (args.csv or args.plot):
        raise UsageError(f"{'--csv' if args.csv else '--plot'}: a server-scenario rate search "
                         "has no grid of points to write; use --json")
    check_writable_all((args.json, "--json"), (args.csv, "--csv"), (args.plot, "--plot"))
    check_html(args.html)
    if args.resume and not args.json:
        raise UsageError("--resume needs --json PATH (the sweep file to continue)")
    if args.plot is not None:
        if not args.plot.endswith((".png", ".svg")):
            raise UsageError("--plot: the file must end in .png or .svg")
        sweep_report.require_matplotlib()
    if server:
        if args.order == "interleave":
            raise UsageError("--interleave: the server-scenario rate search probes one rate "
                             "after another; drop --interleave")
        if args.html:
            raise UsageError("--html: a server-scenario rate search has no report view; "
                             "use --json")
        return server_search_command(spec, args.json, args.quiet)
    # --interleave (a race) or --sequential as asked; None: a race of any size, or with
    # --resume whatever the saved sweep was (decided once the file is read)
    interleaved = None if args.order is None else args.order == "interleave"
    return sweep_command(spec, args.json, args.csv, args.plot, args.resume, args.quiet,
                         interleaved, args.html)


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
                                  stop.event, weights_mb=weights, input_mb=inputs,
                                  on_fidelity=_fidelity_progress(live))
            if stop.signum is None:
                live.show("confirming the race's pick against the default (A/B)")
                sweep.confirmation = run_in_worker(confirm, sweep, stop.event)
                saved(sweep)
        else:
            sweep = run_in_worker(run_sweep, spec, saved, previous,
                                  _point_header(live), live.update, stop.event,
                                  on_fidelity=_fidelity_progress(live))
    document = sweep.result()           # every figure, computed once; the outputs read it
    sweep_report.render(document, report_console(stderr=json_path == "-"))
    if json_path:           # saved after every point and epoch (save_to), not here
        wrote("--json" if not saved.moved else "fallback", saved.path)
    outputs = Outputs(csv=csv_path, plot=plot_path if document.done() else None,
                      html=html_path)
    drawn = write_outputs(document, outputs, "the sweep")
    if json_path == "-":                # once, the sweep ended; the table went to stderr
        write_json("-", document.to_dict())
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


def _fidelity_progress(live: LiveDisplay):
    """Before the points: which precision's outputs are being compared with f32."""
    def show(precision: str) -> None:
        live.show(f"fidelity: comparing {precision} with f32 on the sweep's inputs "
                  "(once per precision, before the points)")
    return show


def _raced(previous: SweepResult | None, asked: bool | None, path: str | None) -> bool:
    """Race unless --sequential; a resumed sweep goes on as it was measured."""
    if previous is None:
        return asked is not False
    raced = previous.mode == "race"
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
