"""``perfbench fleet report``: results of many machines merged per hardware class;
``perfbench fleet run``: the same run, sweep or suite on every node of a Ray cluster."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from perfbench import startup
from perfbench.cli.arguments import Parser, add_html_option, check_html
from perfbench.cli.parser import make_parser
from perfbench.cli.signals import SignalStop
from perfbench.cli.outputs import Outputs, write_outputs
from perfbench.errors import UsageError
from perfbench.files import check_writable, write_json
from perfbench.reporters import fleet_report
from perfbench.reporters.sweep_report import require_matplotlib
from perfbench.reporters.consoles import report_console
from perfbench.settings.config import validate
from perfbench.settings.values import non_negative_float, positive_float
from perfbench.sizing.fleet import (check_prices, measured_from, parse_mix, read_prices, report,
                                    suite_directory_measured)
from perfbench.sizing.fleet_nodes import measuring_nodes
from perfbench.sizing.fleet_ray import RayExecutor
from perfbench.sizing.fleet_run import FleetRun, run_fleet
from perfbench.sizing.fleet_task import DEFAULT_TIMEOUT_S

#: fleet run stops on a signal itself, cancelling the remote tasks (fleet report does not:
#: it gives the default behaviour back, see :func:`run`).
HANDLES_SIGNALS = True
#: Options a fleet node sets itself (its own file, no live view, no local side effects).
FLEET_OWNED = ("--json", "-q", "--quiet", "--history", "--export-gab", "--export-bmf",
               "--export-csv", "--csv", "--plot", "--resume", "--html", "--out", "--markdown",
               "--baseline")


def add_parser(sub) -> None:
    fleet = sub.add_parser("fleet", help="sizing across machines: merge results per hardware "
                           "class (report), or run on every node of a Ray cluster (run)")
    actions = fleet.add_subparsers(dest="fleet_command", required=True, parser_class=Parser)
    report = actions.add_parser("report", help="best configuration, machines and cost per "
                                "hardware class, from result files")
    report.add_argument("inputs", nargs="+", metavar="RESULT_OR_DIR",
                        help="perfbench run/sweep JSON files, directories of them, or "
                        "suite directories (or a fleet run's directory of them)")
    report.add_argument("--prices", metavar="TOML", help="[prices] class = price per hour")
    report.add_argument("--target-fps", metavar="N", help="throughput to serve")
    report.add_argument("--sla-ms", metavar="X", help="p99 latency bound per machine")
    report.add_argument("--headroom", metavar="F", default="0.2",
                        help="spare capacity per machine, 0..0.9 (default 0.2)")
    report.add_argument("--mix", metavar="NAME=FPS,…", help="suite directories: the FPS "
                        "each model must serve; machines per class shared across models")
    report.add_argument("--json", metavar="PATH", help="the report as JSON (- for stdout)")
    report.add_argument("--csv", metavar="PATH", help="one row per class, per suite model "
                        "and class, and per class for the --mix (column row)")
    report.add_argument("--markdown", metavar="PATH", help="Markdown tables")
    report.add_argument("--plot", metavar="PATH", help="cost per 1,000 FPS and p99 per class; "
                        "for suites, each model's FPS and the mix's machines per class "
                        "(.png/.svg, needs perfbench[plot])")
    add_html_option(report)
    run = actions.add_parser("run", help="the same perfbench run or sweep on every Ray node "
                             "offering the resource 'perfbench' (needs perfbench[ray])")
    run.add_argument("--ray", required=True, metavar="ADDRESS",
                     help="the cluster: auto, HOST:PORT, or ray://HOST:10001")
    run.add_argument("--out", required=True, metavar="DIR",
                     help="one JSON file per node is saved here as it arrives")
    run.add_argument("--nodes", action="append", default=[], metavar="LABEL=VALUE",
                     help="only nodes with this Ray label (repeatable)")
    run.add_argument("--label-from", metavar="LABEL", help="use this node label as each "
                     "result's hardware class (--label)")
    run.add_argument("--resume", action="store_true", help="run only nodes without a "
                     "complete result of this command in --out")
    run.add_argument("--timeout", metavar="S", help="stop a node's benchmark after S seconds "
                     "and report the node failed (default 14400)")
    run.add_argument("perfbench_command", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                     help="after --: the perfbench run or sweep to execute, e.g. "
                     "-- run -m model.xml -t 20")


def run(args: argparse.Namespace) -> int:
    if args.fleet_command == "run":
        command = [a for a in args.perfbench_command if a != "--"] \
            if args.perfbench_command[:1] == ["--"] else list(args.perfbench_command)
        command = _check_inner_command(command)
        return run_command(args.ray, args.out, command, args.nodes, args.label_from,
                           args.resume, args.timeout)
    startup.release_signals()       # a report reads files: Ctrl-C just stops it
    number = lambda text, flag: validate(text, positive_float, flag[2:], flag)  # noqa
    options = {"prices": args.prices, "json": args.json, "csv": args.csv, "mix": args.mix,
               "markdown": args.markdown, "plot": args.plot, "html": args.html,
               "target_fps": number(args.target_fps, "--target-fps") if args.target_fps else None,
               "sla_ms": number(args.sla_ms, "--sla-ms") if args.sla_ms else None,
               "headroom": validate(args.headroom, non_negative_float, "headroom", "--headroom")}
    check_html(args.html)
    if options["headroom"] >= 0.9:
        raise UsageError("--headroom must be below 0.9 (a share of each machine kept spare)")
    return report_command(args.inputs, options)


def _check_inner_command(command: list[str]) -> list[str]:
    """The node command is checked here, as the CLI would, before any task starts; a suite
    file is named by its absolute path (the nodes do not share the driver's directory)."""
    if not command or command[0] not in ("run", "sweep", "suite"):
        raise UsageError("fleet run: give the perfbench command after --, e.g. "
                         "-- run -m model.xml -t 20 (run, sweep or suite)")
    owned = [a for a in command if a.split("=")[0] in FLEET_OWNED]
    if owned:
        raise UsageError(f"fleet run: {owned[0]} is set by fleet run itself (each node's "
                         "result goes to --out)")
    argv = command + ["--out", "-"] if command[0] == "suite" else command
    inner = make_parser(argv).parse_args(argv)
    inner.command_module.check_settings(inner)
    if inner.command == "suite":
        if inner.ab:
            raise UsageError("fleet run: -- suite --ab is not supported; run the A/B on one "
                             "machine")
        where = command.index(inner.suite_file)
        return command[:where] + [os.path.abspath(inner.suite_file)] + command[where + 1:]
    return command


def suite_directories(path: Path) -> list[Path]:
    """A suite directory (it holds ``suite.json``), or a fleet run's directory with one per
    node."""
    if (path / "suite.json").is_file():
        return [path]
    return sorted(p.parent for p in path.glob("*/suite.json"))


def result_files(inputs: list[str]) -> list[Path]:
    """Files as given, and every ``*.json`` in a directory given (sorted); suite
    directories are read whole (:func:`suite_directories`), not file by file."""
    files = []
    for item in inputs:
        path = Path(item)
        if path.is_dir() and suite_directories(path):
            continue
        if path.is_dir():
            found = sorted(path.glob("*.json"))
            if not found:
                raise UsageError(f"{item}: no .json result file in this directory")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{item}: no such file or directory")
    return files


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not readable as JSON ({exc})") from None


def report_command(inputs: list[str], options: dict) -> int:
    for flag in ("json", "csv", "markdown", "plot"):
        if options[flag] and options[flag] != "-":
            check_writable(options[flag], f"--{flag}")
    if options["plot"]:
        if not options["plot"].endswith((".png", ".svg")):
            raise UsageError("--plot: the file must end in .png or .svg")
        require_matplotlib()
    measured = [m for path in result_files(inputs) for m in measured_from(_load(path), str(path))]
    measured += [m for item in inputs if Path(item).is_dir()
                 for directory in suite_directories(Path(item))
                 for m in suite_directory_measured(str(directory))]
    if not measured:
        raise UsageError("no complete result in the files given")
    prices = None
    if options["prices"]:
        try:
            text = Path(options["prices"]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--prices {options['prices']}: {exc.strerror}") from None
        prices = read_prices(text, options["prices"])
        check_prices(prices, sorted({m.hardware_class for m in measured}), options["prices"])
    mix = parse_mix(options["mix"]) if options.get("mix") else None
    document = report(measured, options["target_fps"], options["sla_ms"], options["headroom"],
                      prices, mix)
    fleet_report.render(document, report_console(stderr=options["json"] == "-"))
    outputs = Outputs(json=options["json"], csv=options["csv"], markdown=options["markdown"],
                      plot=options["plot"], html=options.get("html"))
    written = write_outputs(document, outputs, "the fleet report")
    if options["json"] == "-":
        write_json("-", document.to_dict())
    return 0 if written else 1


def run_command(address: str, out_dir: str, command: list[str], selectors: list[str],
                label_key: str | None, resume: bool, timeout: str | None = None) -> int:
    """Everything is checked before a task starts; Ctrl-C cancels the remote tasks and
    keeps what arrived (exit 130); any failed node makes the exit status 1."""
    timeout_s = DEFAULT_TIMEOUT_S if timeout is None else \
        validate(timeout, positive_float, "timeout", "--timeout")
    wanted = {}
    for spec in selectors:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise UsageError(f"--nodes: expected LABEL=VALUE, got {spec!r:.40}")
        wanted[key] = value
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out_dir}: {exc.strerror}") from None
    check_writable(str(out / "fleet-run.json"), "--out")
    executor = RayExecutor(address)
    try:
        fleet = FleetRun(command, out, measuring_nodes(executor, wanted), timeout_s=timeout_s)
        with SignalStop() as stop:
            run_fleet(executor, fleet, resume, stop.event, label_key)
    finally:
        executor.close()
    fleet_report.render_run(fleet.document(), report_console())
    if stop.signum is not None:
        return stop.exit_code
    return 0 if fleet.status == "complete" else 1
