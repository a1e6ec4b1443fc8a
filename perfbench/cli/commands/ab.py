"""``perfbench ab BASE NEW``: interleaved A/B with a verdict; exit 1 on a regression, 3 when
inconclusive (docs/ci.md, "Exit statuses")."""

from __future__ import annotations

import sys

from rich.console import Console

from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.errors import UsageError
from perfbench.cli.commands.report import write_html
from perfbench.cli.outputs import write_all
from perfbench.files import atomic_write, check_writable, write_json
from perfbench.reporters import ab_report
from perfbench.reporters.consoles import report_console
from perfbench.results.ab import ABResult
from perfbench.runner.ab import ABRun, document, run_ab
from perfbench.runner.side import check_interpreter, needs_nncf
from perfbench.settings.config import build_config, coerce

from perfbench.tracking.verdict import EXIT_NOT_DECIDED, EXIT_REGRESSION


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


def _check_outputs(options: dict) -> None:
    for path, flag in ((options["json"], "--json"), (options["markdown"], "--markdown"),
                       (options["export_bmf"], "--export-bmf")):
        if path is not None:
            check_writable(path, flag)
    if options.get("export_gab"):
        for suffix in ("bigger", "smaller"):
            check_writable(f"{options['export_gab']}-{suffix}.json", "--export-gab")
    if options.get("attribute_out"):
        from perfbench.cli.commands.ab_attribute import check_out
        check_out(options["attribute_out"])
    if options.get("history"):
        from perfbench.tracking.history import check_target
        check_target(options["history"])


def ab_command(base: str, new: str, common: dict, options: dict) -> int:
    _check_outputs(options)
    base_settings = side_settings(base, common, options["base_set"], "--base-set")
    new_settings = side_settings(new, common, options["new_set"], "--new-set")
    pythons = (options["base_python"] or sys.executable, options["new_python"] or sys.executable)
    for python, flag, settings in zip(pythons, ("--base-python", "--new-python"),
                                      (base_settings, new_settings)):
        check_interpreter(python, flag, needs_nncf(settings))
    run = ABRun(settings={"common": common, "base": base_settings, "new": new_settings},
                threshold_pct=options["threshold"], target_pct=options["target"],
                max_time_s=options["max_time"], block_s=options["block_s"],
                epoch_s=options.get("epoch_s", 10.0), use_cache=options.get("use_cache", True),
                early_stop=options.get("early_stop", True))
    err = Console(stderr=True)

    def progress(ab: ABRun) -> None:
        err.print(ab_report.progress_line(ab), highlight=False)
    shown = not options["quiet"] and err.is_terminal     # else no running interval is made

    failure = None
    with SignalStop() as stop:
        try:
            run_in_worker(run_ab, base_settings, new_settings, pythons, run,
                          stop_event=stop.event, on_round=progress if shown else None)
        except Exception as exc:    # a worker that failed, a model gone between epochs, …
            if not run.rounds:
                raise
            failure = exc           # keep what was measured: written below, marked failed
        attributed = None           # the pass after the verdict, under the same Ctrl-C stop
        if options.get("attribute") and failure is None and stop.signum is None and run.rounds:
            from perfbench.cli.commands.ab_attribute import attribute_run
            attributed = attribute_run(run, base_settings, new_settings, pythons, stop,
                                       options)
    doc = document(run, _exit_status(run, stop, failure))
    ab_report.render(doc, report_console(stderr=options["json"] == "-"))
    if attributed is not None or getattr(run, "attribution", None) is not None:
        # a pass that failed (attributed None, run.attribution says so) raises the status too
        from perfbench.cli.commands.ab_attribute import finish
        doc = finish(doc, attributed, options)
    doc = _write_outputs(doc, options)
    if failure is not None:
        raise failure
    return doc.exit_status or 0


def _exit_status(run: ABRun, stop: SignalStop, failure: Exception | None) -> int:
    """The status this command will return, settled before the document records it."""
    if stop.signum is not None:
        return stop.exit_code
    if failure is not None:
        return 2 if isinstance(failure, UsageError) else 1
    verdict = run.decision.verdict
    if verdict == "regression":
        return EXIT_REGRESSION
    return EXIT_NOT_DECIDED if verdict == "inconclusive" else 0


def _write_outputs(doc: ABResult, options: dict) -> ABResult:
    """Every asked-for output; one that fails is named on one line and the document is
    saved to a fallback file, so nothing measured is lost, with the exit status raised to
    1 (the command's own).  The document as the command ends with it."""
    steps = [("--json", options["json"], lambda: write_json(options["json"], doc.to_dict())),
             ("--markdown", options["markdown"],
              lambda: atomic_write(options["markdown"], ab_report.markdown(doc))),
             ("--export-bmf", options["export_bmf"],
              lambda: write_json(options["export_bmf"], ab_report.bmf(doc))),
             ("--export-gab", options.get("export_gab"), lambda: _export_gab(doc, options)),
             ("--history", options.get("history") if doc.status == "complete" else None,
              lambda: _append_history(doc, options["history"])),
             ("--html", options.get("html"),
              lambda: write_html([(doc.to_dict(), "A/B")], options["html"]))]

    ended = [doc]

    def save_fallback(path: str) -> None:
        ended[0] = doc.raised(1)           # what the command returns
        write_json(path, ended[0].to_dict())
    write_all(steps, "ab", save_fallback, "the A/B result")
    return ended[0]


def _export_gab(doc: ABResult, options: dict) -> None:
    from perfbench.tracking.exporters import gab
    gab.export(ab_report.pair_name(doc), ab_report.metrics(doc), options["export_gab"])


def _append_history(doc: ABResult, path: str) -> None:
    from perfbench.tracking.history import append_ab
    append_ab(path, doc, ab_report.pair_name(doc))
