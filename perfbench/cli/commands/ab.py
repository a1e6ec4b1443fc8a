"""``perfbench ab BASE NEW``: interleaved A/B with a verdict; exit 1 on a regression."""

from __future__ import annotations

import sys

from rich.console import Console

from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.files import atomic_write, check_writable, write_json
from perfbench.reporters import ab_report
from perfbench.reporters.consoles import report_console
from perfbench.runner.ab import ABRun, check_python, run_ab
from perfbench.settings.config import build_config, coerce
from perfbench.errors import UsageError

EXIT_REGRESSION = 1


def side_settings(model: str, common: dict, overrides: list[str], flag: str) -> dict:
    """One side's settings, validated here (before any process starts) as a config."""
    settings = dict(common, model=None if model == "builtin" else model)
    for spec in overrides:
        key, sep, value = spec.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag}: expected KEY=VALUE, got {spec!r:.40}")
        key = key.strip().replace("-", "_")
        if key == "model":
            raise UsageError(f"{flag}: the model is BASE or NEW itself")
        settings[key] = coerce(key, value, flag)
    return build_config(settings).to_dict()


def ab_command(base: str, new: str, common: dict, options: dict) -> int:
    for path, flag in ((options["json"], "--json"), (options["markdown"], "--markdown"),
                       (options["export_bmf"], "--export-bmf")):
        if path is not None:
            check_writable(path, flag)
    if options.get("export_gab"):
        for suffix in ("bigger", "smaller"):
            check_writable(f"{options['export_gab']}-{suffix}.json", "--export-gab")
    if options.get("history"):
        from perfbench.tracking.history import check_target
        check_target(options["history"])
    base_settings = side_settings(base, common, options["base_set"], "--base-set")
    new_settings = side_settings(new, common, options["new_set"], "--new-set")
    pythons = (options["base_python"] or sys.executable, options["new_python"] or sys.executable)
    for python, flag in zip(pythons, ("--base-python", "--new-python")):
        if python != sys.executable:
            check_python(python, flag)
    run = ABRun(settings={"common": common, "base": base_settings, "new": new_settings},
                threshold_pct=options["threshold"], target_pct=options["target"],
                max_time_s=options["max_time"], block_s=options["block_s"],
                early_stop=options.get("early_stop", True))
    err = Console(stderr=True)

    def progress(ab: ABRun) -> None:
        if not options["quiet"] and err.is_terminal:
            err.print(ab_report.progress_line(ab), highlight=False)

    with SignalStop() as stop:
        run_in_worker(run_ab, base_settings, new_settings, pythons, run,
                      stop_event=stop.event, on_round=progress)
    document = run.to_dict()
    ab_report.render(document, report_console(stderr=options["json"] == "-"))
    _write_outputs(document, options)
    if stop.signum is not None:
        return stop.exit_code
    return EXIT_REGRESSION if document["regression"] else 0


def _write_outputs(document: dict, options: dict) -> None:
    if options["json"]:
        write_json(options["json"], document)
    if options["markdown"]:
        atomic_write(options["markdown"], ab_report.markdown(document))
    if options["export_bmf"]:
        write_json(options["export_bmf"], ab_report.bmf(document))
    if options.get("export_gab"):
        from perfbench.tracking.exporters import gab
        gab.export(ab_report.pair_name(document), ab_report.metrics(document),
                   options["export_gab"])
    if options.get("history") and document["status"] == "complete":
        from perfbench.tracking.history import append_ab
        append_ab(options["history"], document, ab_report.pair_name(document))
