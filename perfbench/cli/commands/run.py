"""``perfbench run``: one benchmark of a model, its options and their checks; the measuring
and reporting are :mod:`perfbench.cli.commands.single_run`'s (one shape) and
:mod:`perfbench.cli.commands.shapes`' (``--data-shape``)."""

from __future__ import annotations

import argparse

from perfbench.cli.arguments import (add_output_options, check_html, check_writable_all,
                                     exports, run_settings)
from perfbench.cli.commands.shapes import shapes_command
from perfbench.cli.commands.single_run import run_command
from perfbench.cli.options import add_setting_options, flag
from perfbench.cli.peer_flags import MAPPED, REFUSED
from perfbench.errors import UsageError
from perfbench.runner.fidelity import check_fidelity
from perfbench.settings.config import BenchmarkConfig, build_config, validate
from perfbench.settings.profiles import load_profile
from perfbench.settings.values import positive_int
from perfbench.tracking.history import check_target

#: It stops on a signal itself, keeping what was measured (``cli.signals``).
HANDLES_SIGNALS = True


def add_parser(sub) -> None:
    run = sub.add_parser("run", help="benchmark a model")
    add_setting_options(run)
    add_output_options(run)
    run.add_argument("--fidelity", nargs="?", const="default", metavar="N",
                     help="after timing, compare the outputs with the f32 reference's "
                     "(unquantized) on the run's inputs: every --input sample, else N "
                     "synthetic ones (default 8)")
    run.add_argument("--style", choices=("table", "benchmark_app"), default="table",
                     help="terminal output: perfbench's table (default), or it followed by "
                     "benchmark_app's summary lines (Count, Duration, Latency, Throughput)")


def check_argv(argv: list[str]) -> None:
    """Before parsing: benchmark_app's single-dash flags given to run (``-hint`` would read
    as ``-h int``, ``-nstreams 2`` as ``-n streams``): say which option, or command, means
    it."""
    if argv[:1] != ["run"]:
        return
    peer = {**{f: s for f, (s, _, _) in MAPPED.items()}, "-pc": "perf_counters",
            "-i": "input"}
    for token in argv[1:]:
        name = token.split("=")[0]
        if len(name) > 2 and not name.startswith("--") and (name in peer or name in REFUSED):
            instead = f"use {flag(peer[name])}, or " if name in peer else ""
            raise UsageError(f"run: {name} is benchmark_app's spelling; {instead}run "
                             f"`perfbench benchmark-app {name} …`, which takes its flags")


def check_settings(args: argparse.Namespace) -> None:
    """The settings checked as :func:`run` checks them (fleet run's driver, before any
    node starts)."""
    build_config(run_settings(args))


def run(args: argparse.Namespace) -> int:
    profile_settings = {} if args.profile is None else load_profile(args.profile).settings
    config = build_config(profile_settings, run_settings(args))  # validates across fields
    fidelity = _fidelity_samples(args.fidelity, config)
    check_writable_all((args.json, "--json"), (args.history, "--history"))
    check_html(args.html)
    if args.history is not None:
        check_target(args.history)
    if config.data_shape is not None:
        if args.history is not None or exports(args):
            raise UsageError("--data-shape writes one result per shape (--json); --history "
                             "and --export-* take a single run: run each shape with --shape")
        return shapes_command(config, json_path=args.json, quiet=args.quiet,
                              html_path=args.html)
    return run_command(config, json_path=args.json, quiet=args.quiet,
                       history=args.history, exports=exports(args), html_path=args.html,
                       fidelity=fidelity, style=args.style)


def _fidelity_samples(given: str | None, config: BenchmarkConfig) -> int | None:
    """``--fidelity [N]``: None when absent, 0 for the default count; checked before
    anything is built."""
    if given is None:
        return None
    samples = None if given == "default" else validate(given, positive_int, "N", "--fidelity")
    check_fidelity(config, samples)
    return samples or 0
