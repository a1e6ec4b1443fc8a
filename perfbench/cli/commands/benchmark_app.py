"""``perfbench benchmark-app``: benchmark_app's flags, with their meanings, mapped onto
``perfbench run``'s settings, and its summary lines at the end.

A command of its own because argparse reads ``-hint`` in ``run`` as ``-h int`` and
``-nstreams 2`` as ``-n streams``: here every benchmark_app flag is declared as it is
spelt.  A flag benchmark_app has and perfbench has not is refused, naming the nearest
equivalent; what perfbench adds (intervals, checks, the JSON result) is printed as usual.
"""

from __future__ import annotations

import argparse

from perfbench.cli.arguments import check_html, check_writable_all
from perfbench.cli.commands.shapes import shapes_command
from perfbench.cli.commands.single_run import run_command
from perfbench.cli.options import flag as option_of
from perfbench.cli.peer_flags import ALIASES, HINTS, MAPPED, REFUSED
from perfbench.errors import UsageError
from perfbench.settings.config import build_config, coerce

DEFAULT_TIME_S = "60"
#: It stops on a signal itself, keeping what was measured (``cli.signals``).
HANDLES_SIGNALS = True


class _Refuse(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        raise UsageError(f"benchmark-app: {option_string} is not supported; nearest: "
                         f"{REFUSED[self.dest[len('refused_'):]]}")


def add_parser(sub) -> None:
    app = sub.add_parser("benchmark-app", help="benchmark_app's flags and summary lines, "
                         "mapped onto perfbench run (see docs/run.md)")
    flags = app.add_argument_group("benchmark_app flags")
    for flag, (setting, metavar, text) in MAPPED.items():
        flags.add_argument(flag, *ALIASES.get(flag, []), dest=f"app_{setting}",
                           metavar=metavar, help=text)
    flags.add_argument("-i", *ALIASES["-i"], dest="app_input", nargs="+", metavar="PATH",
                       help="input data: FILE.npy, DIR, or name:FILE[,FILE…] (as --input)")
    flags.add_argument("-pc", *ALIASES["-pc"], dest="app_perf_counters", nargs="?",
                       const="true", metavar="true|false", help="per-layer times (as "
                       "--perf-counters)")
    flags.add_argument("-latency_percentile", dest="app_percentile", default="50",
                       metavar="P", help="the percentile on the summary's first latency "
                       "line, 1-100 (default 50: Median)")
    for flag in REFUSED:
        flags.add_argument(flag, dest=f"refused_{flag}", nargs="?", action=_Refuse,
                           help=argparse.SUPPRESS)
    out = app.add_argument_group("perfbench output")
    out.add_argument("--json", help="the full perfbench result as JSON (- for stdout)")
    out.add_argument("--html", metavar="PATH", help="also the HTML report")
    out.add_argument("-q", "--quiet", action="store_true", help="no live progress display")
    out.add_argument("-v", "--verbose", action="store_true", help="print each phase")


def run(args: argparse.Namespace) -> int:
    """benchmark_app's flags as run settings, measured as ``perfbench run`` measures."""
    percentile = percentile_of(args.app_percentile)
    settings = {}
    for key, value in settings_of(args).items():
        where = next((f for f, (s, _, _) in MAPPED.items() if s == key), option_of(key))
        settings[key] = coerce(key, value, f"benchmark-app {where}")
    config = build_config(settings)
    check_writable_all((args.json, "--json"))
    check_html(args.html)
    if config.data_shape is not None:
        return shapes_command(config, json_path=args.json, quiet=args.quiet,
                              html_path=args.html)
    return run_command(config, json_path=args.json, quiet=args.quiet, html_path=args.html,
                       style="benchmark_app", percentile=percentile)


def settings_of(args: argparse.Namespace) -> dict[str, str | list[str]]:
    """The run settings benchmark_app's flags mean, still as text (checked by ``coerce``
    as any run setting, the message naming the benchmark_app flag)."""
    given = {setting: getattr(args, f"app_{setting}") for _, (setting, _, _) in MAPPED.items()
             if getattr(args, f"app_{setting}") is not None}
    if "hint" in given:
        given["hint"] = HINTS.get(given["hint"], given["hint"])
        if given["hint"] == "latency" and "api" not in given:
            given["api"] = "sync"              # benchmark_app's default for -hint latency
    if "streams" in given and ":" in given["streams"]:
        given["streams"] = _one_device_value(given["streams"], "-nstreams")
    if "pin" in given:
        given["pin"] = {"YES": "true", "NO": "false"}.get(given["pin"].upper(), given["pin"])
    if "precision" in given:
        given["precision"] = given["precision"].lower()
        if given["precision"] not in ("f32", "bf16", "f16"):
            raise UsageError(f"benchmark-app: -infer_precision {given['precision']}: perfbench "
                             "takes f32, bf16 or f16 (INT8: --quantize int8 with perfbench run)")
    if "time" not in given and "iterations" not in given:
        given["time"] = DEFAULT_TIME_S
    if args.app_input:
        given["input"] = inputs_of(args.app_input)
    if args.app_perf_counters not in (None, "false", "False", "0"):
        given["perf_counters"] = "true"
    return given


def _one_device_value(text: str, flag: str) -> str:
    pairs = [part.split(":", 1) for part in text.split(",")]
    if len(pairs) != 1 or len(pairs[0]) != 2:
        raise UsageError(f"benchmark-app: {flag} {text}: one device's value (DEVICE:N or N); "
                         "perfbench sets one device's streams")
    return pairs[0][1]


def inputs_of(paths: list[str]) -> list[str]:
    """benchmark_app's ``-i`` (``FILE``, ``DIR``, ``name:FILE,FILE``) as ``--input``
    values (``FILE``, ``DIR``, ``name=FILE`` once per file)."""
    values = []
    for token in paths:
        name, sep, files = token.partition(":")
        if not sep or "/" in name or "\\" in name:
            values.extend(token.split(","))
        else:
            values.extend(f"{name}={path}" for path in files.split(","))
    return values


def percentile_of(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 1 <= value <= 100:
        raise UsageError(f"benchmark-app: -latency_percentile {text}: a percentile from 1 to "
                         "100")
    return value
