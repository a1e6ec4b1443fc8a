"""Command-line interface: parse, build a config, call the API, hand the result to reporters.

Every user mistake surfaces as one ``perfbench: error: …`` line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from perfbench import startup
from perfbench.cli.options import flag, given_settings
from perfbench.cli.parser import make_parser
from perfbench.settings.config import GRID_KEYS, build_config, coerce, validate
from perfbench.settings.values import positive_float
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
    for path, flag in ((args.json, "--json"), (args.history, "--history")):
        if path is not None:
            check_writable(path, flag)
    if args.history is not None:
        from perfbench.tracking.history import check_target
        check_target(args.history)
    return run_command(config, json_path=args.json, quiet=args.quiet,
                       history=args.history, exports=_exports(args))


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
    for path, flag in ((args.markdown, "--markdown"), (args.json, "--json")):
        if path is not None:
            check_writable(path, flag)
    return compare_command(base, new, args.threshold, args.noise_floor, args.gate,
                           args.strict, args.markdown, args.json, _exports(args))


def cmd_ab(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.ab import ab_command
    from perfbench.cli.parser import AB_SKIPS
    common = _run_settings(args, skip=AB_SKIPS)
    pct = lambda text, flag: validate(text.rstrip("%"), positive_float, flag[2:], flag)  # noqa
    options = {"json": args.json, "markdown": args.markdown, "export_bmf": args.export_bmf,
               "base_set": args.base_set, "new_set": args.new_set,
               "base_python": args.base_python, "new_python": args.new_python,
               "threshold": pct(args.threshold, "--threshold"),
               "target": pct(args.target_pct, "--target-pct"),
               "max_time": pct(args.ab_max_time, "--max-time"),
               "block_s": pct(args.block_ms, "--block-ms") / 1e3 if args.block_ms else None,
               "quiet": args.quiet, "early_stop": not args.no_early_stop}
    return ab_command(args.base, args.new, common, options)


def cmd_history(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.history import history_command
    threshold = validate(args.threshold.rstrip("%"), positive_float, "threshold", "--threshold")
    return history_command(args.database, args.metric, args.config_match, threshold)


def cmd_export(args: argparse.Namespace) -> int:
    from perfbench.cli.commands.export import export_command
    return export_command(args.output, coerce("batch", args.batch, "--batch"),
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
    from perfbench.cli.commands.sweep import server_search_command, sweep_command
    from perfbench.sizing.spec import SPEC_OPTIONS, build_spec
    grid_flags = {k: getattr(args, k) for k in GRID_KEYS if getattr(args, k) is not None}
    option_flags = {k: getattr(args, k) for k in SPEC_OPTIONS if getattr(args, k) is not None}
    settings = _run_settings(args, skip=GRID_KEYS + tuple(SPEC_OPTIONS) + ("scenario",))
    spec, server = build_spec(args.profile, grid_flags, option_flags, settings, args.scenario)
    for path, flag in ((args.json, "--json"), (args.csv, "--csv"), (args.plot, "--plot")):
        if path is not None:
            check_writable(path, flag)
    if args.resume and not args.json:
        raise UsageError("--resume needs --json PATH (the sweep file to continue)")
    if args.plot is not None:
        if not args.plot.endswith((".png", ".svg")):
            raise UsageError("--plot: the file must end in .png or .svg")
        from perfbench.reporters.sweep_report import require_matplotlib
        require_matplotlib()
    if server:
        return server_search_command(spec, args.json, args.quiet)
    return sweep_command(spec, args.json, args.csv, args.plot, args.resume, args.quiet)


#: Commands that handle signals themselves (cli.signals.SignalStop); the others get the
#: default behaviour back once the program has started.
SIGNAL_AWARE = ("run", "sweep", "ab")
COMMANDS = {"ab": cmd_ab, "run": cmd_run, "sweep": cmd_sweep, "export": cmd_export, "info": cmd_info,
            "profiles": cmd_profiles,
            "peak": cmd_peak, "compare": cmd_compare, "history": cmd_history}


def _log_phases(verbose: bool) -> None:
    import logging
    logger = logging.getLogger("perfbench")
    if verbose and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("perfbench: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    try:
        args = make_parser().parse_args(argv)
        if startup.pending:        # a Ctrl-C while the program started: stop here
            raise Interrupted("interrupted")
        if args.command not in SIGNAL_AWARE:
            startup.release_signals()
        _log_phases(getattr(args, "verbose", False))
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"perfbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunFailed as exc:
        print(f"perfbench: run failed: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Interrupted):  # before a command took over the signals
        print("perfbench: interrupted", file=sys.stderr)
        return 128 + startup.pending[0] if startup.pending else EXIT_INTERRUPTED

