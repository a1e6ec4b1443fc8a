"""``perfbench ab BASE NEW``: interleaved A/B with a verdict; exit 1 on a regression, 3 when
inconclusive (docs/ci.md, "Exit statuses")."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from perfbench.cli.ab_attribute_options import add_attribute_options
from perfbench.cli.ab_control_option import add_control_option, controls_of
from perfbench.cli.ab_epoch_option import add_epoch_option, epoch_options
from perfbench.cli.ab_fidelity import (add_fidelity_options, check_sides, fidelity_options,
                                      fidelity_run)
from perfbench.cli.arguments import AB_SKIPS, add_html_option, check_html, run_settings
from perfbench.cli.commands.ab_attribute import attribute_run, check_out, finish
from perfbench.cli.options import add_setting_options
from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.errors import UsageError
from perfbench.cli.outputs import Outputs, write_outputs
from perfbench.files import check_writable, write_json
from perfbench.reporters import ab_report
from perfbench.reporters.consoles import report_console
from perfbench.results.ab import ABResult
from perfbench.runner.ab import ABRun, document, run_ab
from perfbench.runner.ab_fidelity import skipped_fidelity
from perfbench.runner.side import check_interpreter, needs_nncf
from perfbench.settings.config import validate
from perfbench.settings.sides import side_settings
from perfbench.settings.values import positive_float, positive_int
from perfbench.tracking.history import check_target
from perfbench.tracking.verdict import EXIT_NOT_DECIDED, EXIT_REGRESSION

#: It stops on a signal itself, keeping the epochs measured (``cli.signals``).
HANDLES_SIGNALS = True


def add_parser(sub) -> None:
    ab = sub.add_parser("ab", help="interleaved A/B: is NEW slower than BASE, beyond noise?")
    ab.add_argument("base", metavar="BASE", help="model path, or builtin")
    ab.add_argument("new", metavar="NEW", help="model path, or builtin")
    add_setting_options(ab, skip=AB_SKIPS)
    own = ab.add_argument_group("A/B")
    own.add_argument("--base-set", action="append", default=[], metavar="KEY=VALUE",
                     help="a setting for BASE only (repeatable), e.g. threads=1")
    own.add_argument("--new-set", action="append", default=[], metavar="KEY=VALUE",
                     help="a setting for NEW only (repeatable)")
    own.add_argument("--base-python", metavar="PATH", help="interpreter for BASE (another "
                     "OpenVINO installed there); default: this one")
    own.add_argument("--new-python", metavar="PATH", help="interpreter for NEW")
    own.add_argument("--threshold", default="2", metavar="PCT",
                     help="a regression must be larger than this %% (default 2)")
    own.add_argument("--target-pct", default="1", metavar="PCT",
                     help="stop once the ratio's interim interval half-width is within PCT "
                     "(default 1)")
    own.add_argument("--max-time", dest="ab_max_time", default="120", metavar="S",
                     help="measure at most this long (default 120)")
    own.add_argument("--no-early-stop", action="store_true",
                     help="measure for the whole --max-time (e.g. to establish a true ratio)")
    own.add_argument("--block-ms", metavar="MS", help="block length (default: from the "
                     "model's speed, at least 100 ms and 20 requests)")
    add_epoch_option(own)
    add_control_option(own)
    own.add_argument("--process-level", choices=("auto", "this-run"), default="auto",
                     help="count the process level from this run's epochs pooled with "
                     "earlier runs' on this machine and model (auto), or from this run's "
                     "epochs alone (this-run)")
    _add_attribute_options(ab)
    add_fidelity_options(ab)
    out = ab.add_argument_group("output")
    out.add_argument("--json", help="the A/B result as JSON (- for stdout)")
    out.add_argument("--markdown", metavar="PATH", help="Markdown summary (CI job summary)")
    out.add_argument("--export-bmf", metavar="PATH", help="Bencher Metric Format: the ratio")
    out.add_argument("--export-gab", metavar="PREFIX", help="github-action-benchmark JSON: "
                     "PREFIX-bigger.json (FPS ratio) and PREFIX-smaller.json (latency ratios)")
    out.add_argument("--history", metavar="DB", help="append the A/B run to this history "
                     "database (`perfbench history DB` lists A/B runs per pair)")
    add_html_option(out)
    out.add_argument("-q", "--quiet", action="store_true", help="no per-round progress")
    out.add_argument("-v", "--verbose", action="store_true", help="print each phase")


def _add_attribute_options(ab) -> None:
    """``ab --attribute``: which nodes the change comes from (a separate pass)."""
    attrib = ab.add_argument_group("attribution (after the verdict, never part of it)")
    add_attribute_options(attrib, "rank the nodes and node types by their contribution to "
                          "the change")
    attrib.add_argument("--attribute-out", metavar="DIR", help="write a reproducer there: "
                        "both versions and the machine, both measurements, the top node's "
                        "subgraph as a model file (implies --attribute)")


def run(args: argparse.Namespace) -> int:
    common = run_settings(args, skip=AB_SKIPS)
    options = _options(args)
    check_html(args.html)
    return ab_command(args.base, args.new, common, options)


def _options(args: argparse.Namespace) -> dict:
    """The A/B's own options, each parsed and checked."""
    pct = lambda text, flag: validate(text.rstrip("%"), positive_float, flag[2:], flag)  # noqa
    return {"json": args.json, "markdown": args.markdown, "export_bmf": args.export_bmf,
            "export_gab": args.export_gab, "history": args.history,
            "base_set": args.base_set, "new_set": args.new_set,
            "base_python": args.base_python, "new_python": args.new_python,
            "threshold": pct(args.threshold, "--threshold"),
            "target": pct(args.target_pct, "--target-pct"),
            "max_time": pct(args.ab_max_time, "--max-time"),
            "block_s": pct(args.block_ms, "--block-ms") / 1e3 if args.block_ms else None,
            **epoch_options(args),
            "controls": controls_of(args),
            "use_cache": args.process_level == "auto",
            "quiet": args.quiet, "early_stop": not args.no_early_stop, "html": args.html,
            "attribute": args.attribute or args.attribute_out is not None,
            "attribute_out": args.attribute_out,
            "attribute_rounds": validate(args.attribute_rounds, positive_int,
                                         "attribute_rounds", "--attribute-rounds"),
            "attribute_epochs": validate(args.attribute_epochs, positive_int,
                                         "attribute_epochs", "--attribute-epochs"),
            **fidelity_options(args)}


def _check_outputs(options: dict) -> None:
    for path, flag in ((options["json"], "--json"), (options["markdown"], "--markdown"),
                       (options["export_bmf"], "--export-bmf")):
        if path is not None:
            check_writable(path, flag)
    if options.get("export_gab"):
        for suffix in ("bigger", "smaller"):
            check_writable(f"{options['export_gab']}-{suffix}.json", "--export-gab")
    if options.get("attribute_out"):
        check_out(options["attribute_out"])
    if options.get("history"):
        check_target(options["history"])


def ab_command(base: str, new: str, common: dict, options: dict) -> int:
    _check_outputs(options)
    base_settings = side_settings(base, common, options["base_set"], "--base-set")
    new_settings = side_settings(new, common, options["new_set"], "--new-set")
    if options.get("fidelity"):
        check_sides(options, [(base_settings, new_settings)])
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
            attributed = attribute_run(run, base_settings, new_settings, pythons, stop,
                                       options)
        if options.get("fidelity") and failure is None and stop.signum is None and run.rounds:
            fidelity_run(run, base_settings, new_settings, pythons, stop, options)
        elif options.get("fidelity") and run.rounds:     # asked, and skipped: said so, not
            run.fidelity = skipped_fidelity(stop.signum is not None, failure)
    doc = document(run, _exit_status(run, stop, failure))
    ab_report.render(doc, report_console(stderr=options["json"] == "-"))
    if attributed is not None or getattr(run, "attribution", None) is not None:
        # a pass that failed (attributed None, run.attribution says so) raises the status too
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
    answers = run.fidelity                  # --fidelity: changed answers fail the gate too
    if verdict == "regression" or (answers is not None and (answers.regression or
                                                           answers.failed)):
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

