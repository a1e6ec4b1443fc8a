"""Command-line interface: parse, build a config, call the API, hand the result to reporters.

Every user mistake surfaces as one ``perfbench: error: …`` line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from perfbench import __version__
from perfbench.cli.options import add_setting_options, flag, given_settings
from perfbench.settings.config import GRID_KEYS, build_config, coerce, validate
from perfbench.settings.values import positive_float
from perfbench.errors import RunFailed, UsageError
from perfbench.files import check_writable

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default prints the whole usage block
        raise UsageError(message)


def _add_output_options(p: argparse.ArgumentParser, tracking: bool = True) -> None:
    out = p.add_argument_group("output")
    out.add_argument("--profile", help="profile name (see `perfbench profiles`) or .toml path")
    out.add_argument("--json", help="write the result as JSON to this path (- for stdout)")
    out.add_argument("-q", "--quiet", action="store_true", help="no live progress display")
    out.add_argument("-v", "--verbose", action="store_true",
                     help="print each phase (compiled, warming up, measuring) to stderr")
    if tracking:
        _add_tracking_options(out)


def _add_tracking_options(group) -> None:
    group.add_argument("--history", metavar="DB", help="append the result to this SQLite "
                       "history database")
    group.add_argument("--export-gab", metavar="PREFIX", help="github-action-benchmark JSON: "
                       "PREFIX-bigger.json and PREFIX-smaller.json")
    group.add_argument("--export-bmf", metavar="PATH", help="Bencher Metric Format JSON")
    group.add_argument("--export-csv", metavar="PATH", help="CSV of the main figures")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="perfbench", description="Throughput/latency benchmarks for "
                     "OpenVINO inference.")
    parser.add_argument("--version", action="version", version=f"perfbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="benchmark a model")
    add_setting_options(run)
    _add_output_options(run)
    export = sub.add_parser("export", help="write the built-in model as OpenVINO IR")
    export.add_argument("output", help="path of the .xml file (the .bin goes beside it)")
    export.add_argument("-b", "--batch", default="1")
    export.add_argument("--seed", default="0")
    info = sub.add_parser("info", help="devices, CPU and OpenVINO version")
    info.add_argument("--json", help="also write the information as JSON (- for stdout)")
    sub.add_parser("profiles", help="list built-in profiles")
    comp = sub.add_parser("compare", help="baseline vs new result(s); exit 1 on regression")
    comp.add_argument("files", nargs="*", metavar="FILE", help="BASE.json NEW.json")
    comp.add_argument("--base", nargs="+", default=[], metavar="FILE",
                      help="baseline result files (pooled)")
    comp.add_argument("--new", nargs="+", default=[], metavar="FILE",
                      help="new result files (pooled)")
    comp.add_argument("--threshold", action="append", default=[], metavar="PCT",
                      help="minimum change that counts, e.g. 5%% or p99=10%% (default 5%%)")
    comp.add_argument("--gate", metavar="METRICS",
                      help="metrics whose regression fails the check (default fps,p50,p90,"
                      "gflops; p99 is reported but not gating unless listed)")
    comp.add_argument("--strict", action="store_true",
                      help="error (exit 2) instead of a warning when not like with like")
    comp.add_argument("--noise-floor", action="append", default=[], metavar="PCT",
                      help="run-to-run CV assumed for a side with one run, e.g. 4%% or "
                      "p99=20%% (defaults: fps/p50/gflops 4, p90 5, p99 20)")
    comp.add_argument("--markdown", metavar="PATH", help="write a Markdown summary")
    comp.add_argument("--json", metavar="PATH", help="write the comparison as JSON (- stdout)")
    comp.add_argument("--export-gab", metavar="PREFIX")
    comp.add_argument("--export-bmf", metavar="PATH")
    comp.add_argument("--export-csv", metavar="PATH")
    sweep = sub.add_parser("sweep", help="sizing study over a grid of settings")
    add_setting_options(sweep, sweep=True)
    _add_output_options(sweep, tracking=False)
    grid = sweep.add_argument_group("sweep output")
    grid.add_argument("--csv", metavar="PATH", help="one row per point")
    grid.add_argument("--plot", metavar="PATH", help="throughput vs latency, .png or .svg "
                      "(needs perfbench[plot])")
    grid.add_argument("--resume", action="store_true",
                      help="continue the sweep saved in --json, re-running missing points")
    hist = sub.add_parser("history", help="trend per configuration from a history database")
    hist.add_argument("database")
    hist.add_argument("--metric", default="fps", help="fps, p50, p90, p99 or gflops")
    hist.add_argument("--config-match", metavar="TEXT",
                      help="only configurations whose key or name contains TEXT")
    hist.add_argument("--threshold", default="5", help="step-change threshold in %% (default 5)")
    peak = sub.add_parser("peak", help="measure the device's practical compute peak (cached)")
    peak.add_argument("-d", "--device", default="CPU")
    peak.add_argument("--precision", action="append",
                      help="f32, bf16 or f16; repeat for several (default: f32 and the "
                      "device's default precision)")
    peak.add_argument("-t", "--time", default="2", help="seconds per kernel (default 2)")
    return parser


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


COMMANDS = {"run": cmd_run, "sweep": cmd_sweep, "export": cmd_export, "info": cmd_info,
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
        _log_phases(getattr(args, "verbose", False))
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"perfbench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunFailed as exc:
        print(f"perfbench: run failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before a command installed its own handlers
        print("perfbench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

