"""Command-line interface: parse, build a config, call the API, hand the result to reporters.

Every user mistake surfaces as one ``perfbench: error: …`` line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from perfbench import startup
from perfbench.cli.options import flag, given_settings
from perfbench.cli.outputs import announce, forget
from perfbench.cli.pipes import exit_status, guarded_streams
from perfbench.cli.parser import make_parser
from perfbench.settings.config import GRID_KEYS, build_config, coerce, validate
from perfbench.settings.values import non_negative_float, positive_float
from perfbench.errors import Interrupted, RunFailed, UsageError
from perfbench.files import check_writable

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _run_settings(args: argparse.Namespace, skip: tuple[str, ...] = ()) -> dict:
    return {key: coerce(key, value, flag(key))
            for key, value in given_settings(args, skip).items()}


def cmd_run(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.run import run_command
    profile_settings = {}
    if args.profile is not None:
        from perfbench.settings.profiles import load_profile
        profile_settings = load_profile(args.profile).settings
    config = build_config(profile_settings, _run_settings(args))  # validates across fields
    fidelity = _fidelity_samples(args.fidelity, config)
    for path, option in ((args.json, "--json"), (args.history, "--history")):
        if path is not None:
            check_writable(path, option)
    _check_html(args)
    if args.history is not None:
        from perfbench.tracking.history import check_target
        check_target(args.history)
    if config.data_shape is not None:
        if args.history is not None or _exports(args):
            raise UsageError("--data-shape writes one result per shape (--json); --history "
                             "and --export-* take a single run: run each shape with --shape")
        from perfbench.cli.commands.shapes import shapes_command
        return shapes_command(config, json_path=args.json, quiet=args.quiet,
                              html_path=args.html)
    return run_command(config, json_path=args.json, quiet=args.quiet,
                       history=args.history, exports=_exports(args), html_path=args.html,
                       fidelity=fidelity, style=getattr(args, "style", "table"))


def _fidelity_samples(given: str | None, config) -> int | None:
    """``--fidelity [N]``: None when absent, 0 for the default count; checked before
    anything is built."""
    if given is None:
        return None
    from perfbench.runner.fidelity import check_fidelity
    from perfbench.settings.values import positive_int
    samples = None if given == "default" else validate(given, positive_int, "N", "--fidelity")
    check_fidelity(config, samples)
    return samples or 0


def cmd_benchmark_app(args: argparse.Namespace) -> int:
    """benchmark_app's flags as run settings (``cli.commands.benchmark_app``)."""
    from perfbench.cli.commands import benchmark_app as app
    from perfbench.cli.commands.run import run_command
    percentile = app.percentile_of(args.app_percentile)
    settings = {}
    for key, value in app.settings_of(args).items():
        where = next((f for f, (s, _, _) in app.MAPPED.items() if s == key), flag(key))
        settings[key] = coerce(key, value, f"benchmark-app {where}")
    config = build_config(settings)
    if args.json is not None:
        check_writable(args.json, "--json")
    _check_html(args)
    if config.data_shape is not None:
        from perfbench.cli.commands.shapes import shapes_command
        return shapes_command(config, json_path=args.json, quiet=args.quiet,
                              html_path=args.html)
    return run_command(config, json_path=args.json, quiet=args.quiet, html_path=args.html,
                       style="benchmark_app", percentile=percentile)


def _check_html(args: argparse.Namespace) -> None:
    from perfbench.cli.commands.report import check_html
    check_html(getattr(args, "html", None))


def cmd_report(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.report import report_command
    return report_command(args.inputs, args.output)


def _exports(args: argparse.Namespace) -> dict[str, str]:
    """Requested exporters -> destination, each checked before anything is measured."""
    exports = {}
    for option in ("gab", "bmf", "csv"):
        destination = getattr(args, f"export_{option}")
        if destination is not None:
            paths = [f"{destination}-bigger.json"] if option == "gab" else [destination]
            for path in paths:
                check_writable(path, f"--export-{option}")
            exports[option] = destination
    return exports


def cmd_compare(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.compare import compare_command
    base, new = list(args.base), list(args.new)
    if args.files:
        if len(args.files) != 2 or base or new:
            raise UsageError("compare takes BASE.json NEW.json, or --base FILE... --new FILE...")
        base, new = [args.files[0]], [args.files[1]]
    if not base or not new:
        raise UsageError("compare needs a baseline and a new result (BASE.json NEW.json)")
    for path, option in ((args.markdown, "--markdown"), (args.json, "--json")):
        if path is not None:
            check_writable(path, option)
    _check_html(args)
    from perfbench.tracking.fidelity_tolerances import thresholds_from
    fidelity = thresholds_from(args)
    return compare_command(base, new, args.threshold, args.noise_floor, args.gate,
                           args.strict, args.markdown, args.json, _exports(args), args.html,
                           args.attribute, fidelity_thresholds=fidelity)


def cmd_ab(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.ab import ab_command
    from perfbench.cli.parser import AB_SKIPS
    from perfbench.runner.controls import parse_controls
    from perfbench.settings.values import positive_int
    common = _run_settings(args, skip=AB_SKIPS)
    pct = lambda text, flag: validate(text.rstrip("%"), positive_float, flag[2:], flag)  # noqa
    options = {"json": args.json, "markdown": args.markdown, "export_bmf": args.export_bmf,
               "export_gab": args.export_gab, "history": args.history,
               "base_set": args.base_set, "new_set": args.new_set,
               "base_python": args.base_python, "new_python": args.new_python,
               "threshold": pct(args.threshold, "--threshold"),
               "target": pct(args.target_pct, "--target-pct"),
               "max_time": pct(args.ab_max_time, "--max-time"),
               "block_s": pct(args.block_ms, "--block-ms") / 1e3 if args.block_ms else None,
               "epoch_s": pct(args.epoch_s, "--epoch-s") if args.epoch_s else 10.0,
               "dimension": args.epoch_s is None,
               "controls": parse_controls(args.control),
               "use_cache": args.process_level == "auto",
               "quiet": args.quiet, "early_stop": not args.no_early_stop, "html": args.html,
               "attribute": args.attribute or args.attribute_out is not None,
               "attribute_out": args.attribute_out,
               "attribute_rounds": validate(args.attribute_rounds, positive_int,
                                            "attribute_rounds", "--attribute-rounds"),
               "attribute_epochs": validate(args.attribute_epochs, positive_int,
                                            "attribute_epochs", "--attribute-epochs")}
    _check_html(args)
    return ab_command(args.base, args.new, common, options)


def cmd_history(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.history import history_command
    from perfbench.tracking.fidelity_tolerances import thresholds_from
    threshold = validate(args.threshold.rstrip("%"), positive_float, "threshold", "--threshold")
    return history_command(args.database, args.metric, args.config_match, threshold,
                           thresholds_from(args))


def cmd_save_model(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.save_model import save_model_command
    return save_model_command(args.output, coerce("batch", args.batch, "--batch"),
                          coerce("seed", args.seed, "--seed"))


def cmd_info(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.info import info_command
    if args.json is not None:
        check_writable(args.json, "--json")
    return info_command(args.json)


def cmd_profiles(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.profiles import profiles_command
    return profiles_command()


def cmd_peak(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.peak import peak_command
    precisions = [coerce("precision", p, "--precision") for p in args.precision or []]
    return peak_command(coerce("device", args.device, "--device"), precisions,
                        coerce("time", args.time, "--time"))


def cmd_sweep(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.server_search import server_search_command
    from perfbench.cli.commands.sweep import sweep_command
    from perfbench.sizing.spec import SPEC_OPTIONS, build_spec
    grid_flags = {k: getattr(args, k) for k in GRID_KEYS if getattr(args, k) is not None}
    option_flags = {k: getattr(args, k) for k in SPEC_OPTIONS if getattr(args, k) is not None}
    settings = _run_settings(args, skip=GRID_KEYS + tuple(SPEC_OPTIONS) + ("scenario",))
    spec, server = build_spec(args.profile, grid_flags, option_flags, settings, args.scenario)
    if not getattr(args, "confirm", True):
        spec = dataclasses.replace(spec, confirm=False)
    if server and (args.csv or args.plot):
        raise UsageError(f"{'--csv' if args.csv else '--plot'}: a server-scenario rate search "
                         "has no grid of points to write; use --json")
    for path, option in ((args.json, "--json"), (args.csv, "--csv"), (args.plot, "--plot")):
        if path is not None:
            check_writable(path, option)
    _check_html(args)
    if args.resume and not args.json:
        raise UsageError("--resume needs --json PATH (the sweep file to continue)")
    if args.plot is not None:
        if not args.plot.endswith((".png", ".svg")):
            raise UsageError("--plot: the file must end in .png or .svg")
        from perfbench.reporters.sweep_report import require_matplotlib
        require_matplotlib()
    if server:
        if args.order == "interleave":
            raise UsageError("--interleave: the server-scenario rate search probes one rate "
                             "after another; drop --interleave")
        if args.html:
            raise UsageError("--html: a server-scenario rate search has no report view; "
                             "use --json")
        return server_search_command(spec, args.json, args.quiet)
    return sweep_command(spec, args.json, args.csv, args.plot, args.resume, args.quiet,
                         _interleaved(spec, args.order, args.resume), args.html)


def _interleaved(spec, order: str | None, resume: bool) -> bool | None:
    """--interleave (a race) or --sequential as asked; None: a race of any size, or with
    --resume whatever the saved sweep was (decided once the file is read)."""
    if order is not None:
        return order == "interleave"
    return None


def cmd_fleet(args: argparse.Namespace) -> int:
    if args.fleet_command == "run":
        from perfbench.cli.commands.fleet import run_command as fleet_run_command
        command = [a for a in args.perfbench_command if a != "--"] \
            if args.perfbench_command[:1] == ["--"] else list(args.perfbench_command)
        command = _check_inner_command(command)
        return fleet_run_command(args.ray, args.out, command, args.nodes, args.label_from,
                                 args.resume, args.timeout)
    from perfbench.cli.commands.fleet import report_command
    number = lambda text, flag: validate(text, positive_float, flag[2:], flag)  # noqa
    options = {"prices": args.prices, "json": args.json, "csv": args.csv, "mix": args.mix,
               "markdown": args.markdown, "plot": args.plot, "html": args.html,
               "target_fps": number(args.target_fps, "--target-fps") if args.target_fps else None,
               "sla_ms": number(args.sla_ms, "--sla-ms") if args.sla_ms else None,
               "headroom": validate(args.headroom, non_negative_float, "headroom", "--headroom")}
    _check_html(args)
    if options["headroom"] >= 0.9:
        raise UsageError("--headroom must be below 0.9 (a share of each machine kept spare)")
    return report_command(args.inputs, options)


def cmd_suite(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.suite import suite_command
    return suite_command(args)


#: Options a fleet node sets itself (its own file, no live view, no local side effects).
_FLEET_OWNED = ("--json", "-q", "--quiet", "--history", "--export-gab", "--export-bmf",
                "--export-csv", "--csv", "--plot", "--resume", "--html", "--out", "--markdown",
                "--baseline")


def _check_fleet_suite(inner: argparse.Namespace) -> None:
    """The suite file and its options, checked on the driver before any task starts (the
    nodes read the same paths)."""
    from perfbench.suite.spec import load_suite, select
    spec = load_suite(inner.suite_file)
    select(spec, inner.select)
    if inner.budget:
        from perfbench.settings.values import duration
        validate(inner.budget, duration, "budget", "--budget")
    if inner.ab:
        raise UsageError("fleet run: -- suite --ab is not supported; run the A/B on one "
                         "machine")


def _check_inner_command(command: list[str]) -> list[str]:
    """The node command is checked here, as the CLI would, before any task starts; a suite
    file is named by its absolute path (the nodes do not share the driver's directory)."""
    if not command or command[0] not in ("run", "sweep", "suite"):
        raise UsageError("fleet run: give the perfbench command after --, e.g. "
                         "-- run -m model.xml -t 20 (run, sweep or suite)")
    owned = [a for a in command if a.split("=")[0] in _FLEET_OWNED]
    if owned:
        raise UsageError(f"fleet run: {owned[0]} is set by fleet run itself (each node's "
                         "result goes to --out)")
    inner = make_parser().parse_args(command + ["--out", "-"] if command[0] == "suite"
                                     else command)
    if inner.command == "suite":
        _check_fleet_suite(inner)
        import os
        where = command.index(inner.suite_file)
        return command[:where] + [os.path.abspath(inner.suite_file)] + command[where + 1:]
    if inner.command == "run":
        build_config(_run_settings(inner))
    else:
        from perfbench.sizing.spec import SPEC_OPTIONS, build_spec
        grid = {k: getattr(inner, k) for k in GRID_KEYS if getattr(inner, k) is not None}
        opts = {k: getattr(inner, k) for k in SPEC_OPTIONS if getattr(inner, k) is not None}
        build_spec(inner.profile, grid, opts,
                   _run_settings(inner, skip=GRID_KEYS + tuple(SPEC_OPTIONS) + ("scenario",)),
                   inner.scenario)
    return command


#: Commands that handle signals themselves (cli.signals.SignalStop); the others get the
#: default behaviour back once the program has started.
SIGNAL_AWARE = ("run", "sweep", "ab", "fleet", "suite", "benchmark-app")
COMMANDS = {"ab": cmd_ab, "run": cmd_run, "sweep": cmd_sweep, "save-model": cmd_save_model,
            "export": cmd_save_model,
            "info": cmd_info, "profiles": cmd_profiles,
            "peak": cmd_peak, "compare": cmd_compare, "history": cmd_history,
            "fleet": cmd_fleet, "report": cmd_report, "suite": cmd_suite,
            "benchmark-app": cmd_benchmark_app}


def _refuse_peer_spellings(argv: list[str]) -> None:
    """benchmark_app's single-dash flags given to run (``-hint`` would read as ``-h int``,
    ``-nstreams 2`` as ``-n streams``): say which option, or command, means it."""
    if argv[:1] != ["run"]:
        return
    from perfbench.cli.commands.benchmark_app import MAPPED, REFUSED
    peer = {**{f: s for f, (s, _, _) in MAPPED.items()}, "-pc": "perf_counters",
            "-i": "input"}
    for token in argv[1:]:
        name = token.split("=")[0]
        if len(name) > 2 and not name.startswith("--") and (name in peer or name in REFUSED):
            instead = f"use {flag(peer[name])}, or " if name in peer else ""
            raise UsageError(f"run: {name} is benchmark_app's spelling; {instead}run "
                             f"`perfbench benchmark-app {name} …`, which takes its flags")


def _log_phases(verbose: bool) -> None:
    import logging
    logger = logging.getLogger("perfbench")
    if verbose and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("perfbench: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    """Run one command; a reader that closes the pipe early never stops it (``cli.pipes``)."""
    with guarded_streams() as guards:
        status = _main(argv)
    return exit_status(status, guards)


def _main(argv: list[str] | None) -> int:
    try:
        _refuse_peer_spellings(sys.argv[1:] if argv is None else argv)
        args = make_parser().parse_args(argv)
        if startup.pending:        # a Ctrl-C while the program started: stop here
            raise Interrupted("interrupted")
        if args.command not in SIGNAL_AWARE or getattr(args, "fleet_command", "") == "report":
            startup.release_signals()
        _log_phases(getattr(args, "verbose", False))
        forget()
        try:
            return COMMANDS[args.command](args)
        finally:
            announce()          # where every file went, after the terminal report
    except UsageError as exc:
        # one line whatever the message quotes: a path given as "/\n" stays escaped
        message = str(exc).replace("\n", "\\n")
        print(f"perfbench: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except RunFailed as exc:
        print(f"perfbench: run failed: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Interrupted):  # before a command took over the signals
        print("perfbench: interrupted", file=sys.stderr)
        return 128 + startup.pending[0] if startup.pending else EXIT_INTERRUPTED

