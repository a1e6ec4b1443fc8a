"""``perfbench ab BASE NEW``: interleaved A/B with a verdict; exit 1 on a regression, 3 when
inconclusive (docs/ci.md, "Exit statuses")."""

from __future__ import annotations

import sys

from rich.console import Console

from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.errors import UsageError
from perfbench.cli.outputs import Outputs, write_outputs
from perfbench.files import check_writable, write_json
from perfbench.reporters import ab_report
from perfbench.reporters.consoles import report_console
from perfbench.results.ab import ABResult
from perfbench.runner.ab import ABRun, document, run_ab
from perfbench.runner.side import check_interpreter, needs_nncf
from perfbench.settings.sides import side_settings

from perfbench.tracking.verdict import EXIT_NOT_DECIDED, EXIT_REGRESSION


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
                early_stop=options.get("early_stop", True),
                dimension=options.get("dimension", False))
    if options.get("controls"):
        run.controls = options["controls"]
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
    if options["json"] == "-":          # one document on stdout, the report on stderr
        write_json("-", doc.to_dict())
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
    """Every asked-for output, through the one door; one that fails is named on one line
    and the document saved to a fallback file, so nothing measured is lost, with the exit
    status raised to 1 (the command's own).  The document as the command ends with it.
    Only a complete run is recorded in ``--history``."""
    exports = tuple((fmt, options[f"export_{fmt}"]) for fmt in ("bmf", "gab")
                    if options.get(f"export_{fmt}"))
    outputs = Outputs(json=options["json"], markdown=options["markdown"],
                      history=options.get("history") if doc.status == "complete" else None,
                      html=options.get("html"), exports=exports)
    ended = [doc]

    def save_fallback(path: str) -> None:
        ended[0] = doc.raised(1)           # what the command returns
        write_json(path, ended[0].to_dict())
    write_outputs(doc, outputs, "the A/B result", save_fallback)
    return ended[0]

