"""``perfbench fleet report``: results of many machines merged per hardware class."""

from __future__ import annotations

import json
from pathlib import Path

from perfbench.cli.signals import SignalStop
from perfbench.cli.outputs import Outputs, write_outputs
from perfbench.errors import UsageError
from perfbench.files import check_writable, write_json
from perfbench.reporters import fleet_report
from perfbench.reporters.consoles import report_console
from perfbench.settings.config import validate
from perfbench.settings.values import positive_float
from perfbench.sizing.fleet import check_prices, measured_from, parse_mix, read_prices, report
from perfbench.sizing.fleet_nodes import measuring_nodes
from perfbench.sizing.fleet_ray import RayExecutor
from perfbench.sizing.fleet_run import FleetRun, run_fleet
from perfbench.sizing.fleet_task import DEFAULT_TIMEOUT_S


def suite_directories(path: Path) -> list[Path]:
    """A suite directory (it holds ``suite.json``), or a fleet run's directory with one per
    node."""
    if (path / "suite.json").is_file():
        return [path]
    return sorted(p.parent for p in path.glob("*/suite.json"))


def _suite_measured(directory: Path) -> list:
    from perfbench.sizing.fleet import suite_directory_measured
    return suite_directory_measured(str(directory))


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
        from perfbench.reporters.sweep_report import require_matplotlib
        require_matplotlib()
    measured = [m for path in result_files(inputs) for m in measured_from(_load(path), str(path))]
    measured += [m for item in inputs if Path(item).is_dir()
                 for directory in suite_directories(Path(item))
                 for m in _suite_measured(directory)]
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
