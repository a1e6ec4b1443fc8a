"""Command-line interface: parse, build a config, call the API, hand the result to reporters.

Every user mistake surfaces as one ``perfbench: error: …`` line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .config import APIS, HINTS, PRECISIONS, build_config, coerce, positive_float, validate
from .errors import RunFailed, UsageError
from .files import check_writable

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default prints the whole usage block
        raise UsageError(message)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    model = p.add_argument_group("model")
    model.add_argument("-m", "--model", help="model file (IR .xml, .onnx, …); default: the "
                       "built-in inception-resnet-v2-tf replica")
    model.add_argument("-b", "--batch", help="images per inference (sets dimension 0)")
    model.add_argument("--shape", help="input shapes, benchmark_app syntax: [1,3,224,224] "
                       "or ids[1,128],mask[1,128]")
    model.add_argument("--gflops", help="model cost per image, overriding the computed one")
    model.add_argument("--seed", help="seed for synthetic weights and inputs (default 0)")
    dev = p.add_argument_group("device")
    dev.add_argument("-d", "--device", help="OpenVINO device (default CPU; AUTO, MULTI:…, "
                     "HETERO:… too)")
    dev.add_argument("--hint", help=f"performance hint: {'|'.join(HINTS)} (default throughput)")
    dev.add_argument("--streams", help="number of streams, or AUTO")
    dev.add_argument("--threads", help="inference threads")
    dev.add_argument("--pin", dest="pin", action="store_const", const="true",
                     help="pin threads to cores")
    dev.add_argument("--no-pin", dest="pin", action="store_const", const="false")
    dev.add_argument("--precision", help=f"inference precision hint: {'|'.join(PRECISIONS)}")
    dev.add_argument("--cache-dir", help="OpenVINO model cache directory")
    load = p.add_argument_group("measurement")
    load.add_argument("--requests", help="requests in flight (default: device's optimal)")
    load.add_argument("--api", help=f"{'|'.join(APIS)} (default async)")
    load.add_argument("-t", "--time", help="measure for this many seconds (default 15)")
    load.add_argument("-n", "--iterations", help="stop after this many requests")
    load.add_argument("--warmup", help="extra warm-up seconds after every request ran once")
    load.add_argument("--scenario", help="offline (default, closed loop), single-stream, or "
                      "server (open loop, needs --rate)")
    load.add_argument("--rate", help="server scenario: target queries/s (Poisson arrivals)")
    load.add_argument("--sla-ms", help="latency bound: count requests above it")
    prec = p.add_argument_group("precision and diagnostics")
    prec.add_argument("--until-stable", nargs="?", const="1", metavar="PCT",
                      help="measure until the FPS 95%% CI half-width is within PCT %% "
                      "(default 1) and the last windows agree")
    prec.add_argument("--max-time", help="bound of --until-stable, seconds (default 60)")
    prec.add_argument("--repeat", help="independent trials; reports the spread between them")
    prec.add_argument("--recompile", action="store_const", const="true",
                      help="compile afresh for every --repeat trial")
    prec.add_argument("--roofline", action="store_const", const="true",
                      help="report efficiency vs the device peak (measured once, cached)")
    prec.add_argument("--perf-counters", action="store_const", const="true",
                      help="per-layer times from a separate profiling pass")
    out = p.add_argument_group("output")
    out.add_argument("--profile", help="profile name (see `perfbench profiles`) or .toml path")
    out.add_argument("--json", help="write the result as JSON to this path (- for stdout)")
    out.add_argument("-q", "--quiet", action="store_true", help="no live progress display")
    out.add_argument("-v", "--verbose", action="store_true",
                     help="print each phase (compiled, warming up, measuring) to stderr")
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
    _add_run_options(sub.add_parser("run", help="benchmark a model"))
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
    _add_run_options(sweep)
    grid = sweep.add_argument_group("sweep (dimensions take comma lists: --streams 1,2,4)")
    grid.add_argument("--budget", help="cap for the whole sweep: 300, 90s, 10m, 1h")
    grid.add_argument("--point-time", help="cap per point in seconds (default 20)")
    grid.add_argument("--sla-percentile", help="percentile of the latency bound (default 99)")
    grid.add_argument("--target-fps", help="sizing: machines needed for this many images/s")
    grid.add_argument("--gain-cutoff", help="stop growing a dimension when gains stay under "
                      "this %% (default 3)")
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
    from .config import PARSERS
    return {key: coerce(key, getattr(args, key), f"--{key.replace('_', '-')}")
            for key in PARSERS if key not in skip and getattr(args, key, None) is not None}


def cmd_run(args: argparse.Namespace) -> int:
    from .commands.run import run_command
    profile_settings = {}
    if args.profile is not None:
        from .profiles import load_profile
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
    from .commands.compare import compare_command
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
    from .commands.history import history_command
    threshold = validate(args.threshold.rstrip("%"), positive_float, "threshold", "--threshold")
    return history_command(args.database, args.metric, args.config_match, threshold)


def cmd_export(args: argparse.Namespace) -> int:
    from .commands.export import export_command
    return export_command(args.output, coerce("batch", args.batch, "--batch"),
                          coerce("seed", args.seed, "--seed"))


def cmd_info(args: argparse.Namespace) -> int:
    from .commands.info import info_command
    if args.json is not None:
        check_writable(args.json, "--json")
    return info_command(args.json)


def cmd_profiles(args: argparse.Namespace) -> int:
    from .commands.profiles import profiles_command
    return profiles_command()


def cmd_peak(args: argparse.Namespace) -> int:
    from .commands.peak import peak_command
    precisions = [coerce("precision", p, "--precision") for p in args.precision or []]
    return peak_command(coerce("device", args.device, "--device"), precisions,
                        coerce("time", args.time, "--time"))


def cmd_sweep(args: argparse.Namespace) -> int:
    from .commands.sweep import server_search_command, sweep_command
    from .sweep import GRID_KEYS
    from .sweepconfig import SWEEP_PARSERS, build_spec
    grid_flags = {k: getattr(args, k) for k in GRID_KEYS if getattr(args, k) is not None}
    option_flags = {k: getattr(args, k) for k in SWEEP_PARSERS if getattr(args, k) is not None}
    settings = _run_settings(args, skip=GRID_KEYS + tuple(SWEEP_PARSERS) + (
        "time", "iterations", "scenario", "rate"))
    spec, server = build_spec(args.profile, grid_flags, option_flags, settings, args.scenario)
    for path, flag in ((args.json, "--json"), (args.csv, "--csv"), (args.plot, "--plot")):
        if path is not None:
            check_writable(path, flag)
    if args.resume and not args.json:
        raise UsageError("--resume needs --json PATH (the sweep file to continue)")
    if args.plot is not None:
        if not args.plot.endswith((".png", ".svg")):
            raise UsageError("--plot: the file must end in .png or .svg")
        from .reporters.sweep_report import require_matplotlib
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

