"""``perfbench suite SUITE.toml --out DIR``: every entry in its own process, one summary.

Exit status: 0 when every entry ran and (with a baseline) nothing regressed; 1 when an entry
failed (without a baseline), or on a regression or a new failure (with one), or an A/B
regression; 2 for bad input, before anything runs; 3 (with a baseline) when the only
regressions were measured on a disturbed machine (unconfirmed: re-run them on a quiet one);
128+N when stopped by signal N.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

from rich.console import Console

from perfbench.cli.ab_attribute_options import add_attribute_options
from perfbench.cli.ab_control_option import add_control_option
from perfbench.cli.ab_epoch_option import add_epoch_option
from perfbench.cli.ab_fidelity import add_fidelity_options, fidelity_options
from perfbench.cli.arguments import Parser
from perfbench.cli.commands.suite_ab import ab_mode, ab_plan, suite_ab_command
from perfbench.cli.outputs import Outputs, write_all, write_outputs, wrote
from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.errors import UsageError
from perfbench.files import check_writable, write_json
from perfbench.reporters import suite_report
from perfbench.reporters.consoles import report_console
from perfbench.results.io import load
from perfbench.results.suite import Gate, SuiteDocument
from perfbench.settings.config import validate
from perfbench.settings.values import duration
from perfbench.suite import baseline as judge
from perfbench.suite.document import FAILED, PLAIN, mode_of, read_suite, same_mode
from perfbench.suite.process import hangup_stops, kill_live_groups
from perfbench.suite.runner import load_previous, resume_notes, run_suite, start
from perfbench.suite.spec import SuiteSpec, load_suite, select
from perfbench.tracking.history import append, check_target

#: Nothing regressed on a quiet machine, but some entry (or the geomean) did on a disturbed
#: one: not the change's fault until a quiet re-run says so.
EXIT_UNCONFIRMED = 3
#: It stops on a signal itself, its entries' process groups with it (``cli.signals``).
HANDLES_SIGNALS = True


def add_parser(sub) -> None:
    suite = sub.add_parser("suite", help="many models × settings, each entry in its own "
                           "process; one summary; against a baseline or A/B across releases",
                           epilog="exit status: 0 fine; 1 a regression or a new failure (an "
                           "entry failed, without a baseline); 2 bad input; 3 the only "
                           "regressions were measured on a disturbed machine (unconfirmed: "
                           "re-run them on a quiet one); 128+N stopped by signal N")
    suite.add_argument("suite_file", metavar="SUITE.toml", help="the suite: models, defaults, "
                       "matrix")
    suite.add_argument("--out", required=True, metavar="DIR", help="DIR/ENTRY.json per entry "
                       "and DIR/suite.json, written as each entry finishes")
    suite.add_argument("--resume", action="store_true", help="run only entries without a "
                       "complete result in --out (changed entries are re-run)")
    suite.add_argument("--select", nargs="+", default=[], metavar="NAME",
                       help="run only these entries")
    suite.add_argument("--budget", metavar="TIME", help="spread this time over the entries: "
                       "300, 90s, 10m, 1h")
    comp = suite.add_argument_group("comparison").add_mutually_exclusive_group()
    comp.add_argument("--baseline", metavar="DIR", help="an earlier suite directory")
    comp.add_argument("--history", metavar="DB", help="the last run of each entry's "
                      "configuration in this history; this suite's results are appended")
    _add_ab_options(suite)
    out = suite.add_argument_group("output")
    out.add_argument("--json", metavar="PATH", help="also write suite.json here (- stdout)")
    out.add_argument("--markdown", metavar="PATH", help="Markdown summary (CI job summary)")
    out.add_argument("--csv", metavar="PATH", help="one row per entry")
    out.add_argument("-q", "--quiet", action="store_true", help="no live view")


def _add_ab_options(suite: Parser) -> None:
    ab = suite.add_argument_group("A/B across releases or settings")
    ab.add_argument("--ab", action="store_true", help="every entry an interleaved A/B")
    ab.add_argument("--base-set", action="append", default=[], metavar="KEY=VALUE")
    ab.add_argument("--new-set", action="append", default=[], metavar="KEY=VALUE")
    ab.add_argument("--base-python", metavar="PATH")
    ab.add_argument("--new-python", metavar="PATH")
    ab.add_argument("--threshold", default="2", metavar="PCT",
                    help="A/B: a regression must be larger than this %% (default 2)")
    add_epoch_option(ab, "A/B: ", " per entry")
    add_control_option(ab, "A/B: ")
    add_attribute_options(ab, "name each entry's top cause", "A/B: ")
    ab.add_argument("--attribute-out", action="store_true", help="A/B: write each entry's "
                    "reproducer in OUT/ENTRY.reproducer/ (implies --attribute)")
    add_fidelity_options(suite, "A/B: ")


def check_settings(args: argparse.Namespace) -> None:
    """The suite file, the selection and the budget, checked as :func:`run` checks them
    (fleet run's driver, before any node starts: the nodes read the same paths)."""
    select(load_suite(args.suite_file), args.select)
    if args.budget:
        validate(args.budget, duration, "budget", "--budget")


def run(args: argparse.Namespace) -> int:
    return suite_command(args)


def _check(args: argparse.Namespace, spec: SuiteSpec) -> tuple[set[str], float | None]:
    """Every input, before anything runs; nothing is created until all of it holds."""
    selected = select(spec, args.select)
    budget = validate(args.budget, duration, "budget", "--budget") if args.budget else None
    ab_flags = args.base_set or args.new_set or args.base_python or args.new_python
    if ab_flags and not args.ab:
        raise UsageError("--base-set/--new-set/--base-python/--new-python need --ab")
    if getattr(args, "attribute", False) and not args.ab:
        raise UsageError("--attribute profiles each entry's two sides: it needs --ab")
    if getattr(args, "attribute_out", False) and not args.ab:
        raise UsageError("--attribute-out profiles each entry's two sides: it needs --ab")
    if getattr(args, "control", None) and not args.ab:
        raise UsageError("--control applies to an A/B's workers: it needs --ab")
    if getattr(args, "fidelity", None) is not None and not args.ab:
        raise UsageError("--fidelity compares each entry's two sides' outputs: it needs --ab")
    fidelity_options(args)              # a bad count or a stray tolerance: one line, now
    if args.ab and (args.baseline or args.history):
        raise UsageError("--ab compares two sides itself; drop --baseline/--history")
    if args.ab and not ab_flags:
        raise UsageError("--ab needs two sides: --base-python/--new-python or "
                         "--base-set/--new-set")
    if args.baseline and _same_directory(args.baseline, args.out):
        raise UsageError(f"--baseline {args.baseline} is the --out directory: the run would "
                         "overwrite its own baseline; give another --out")
    if args.history:
        check_target(args.history)
    return selected, budget


def _same_directory(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_outputs(args: argparse.Namespace) -> None:
    """Last of the checks: these create the directories they will write in."""
    for path, flag in ((args.json, "--json"), (args.markdown, "--markdown"),
                       (args.csv, "--csv")):
        if path is not None:
            check_writable(path, flag)
    check_writable(os.path.join(args.out, "suite.json"), "--out")


def previous_run(args: argparse.Namespace, mode: dict) -> SuiteDocument | None:
    """The --out directory's suite.json: required by --resume (in the same mode, with the
    same sides); without it, the records a --select re-run leaves untouched (when it is a
    readable suite of the same mode; else the directory starts afresh)."""
    if args.resume:
        previous = load_previous(args.out)
        found = mode_of(previous)
        if not same_mode(found, mode):
            raise UsageError(f"--resume {args.out}: it holds {_mode_text(found)}, this run is "
                             f"{_mode_text(mode)}; resume it as it was started, or give "
                             "another --out")
        return previous
    if not args.select or not os.path.isfile(os.path.join(args.out, "suite.json")):
        return None
    try:
        previous = read_suite(args.out, "--out")
    except UsageError:
        return None
    return previous if same_mode(mode_of(previous), mode) else None


def _mode_text(mode: dict) -> str:
    if mode["kind"] != "ab":
        return "a plain suite (no --ab)"
    sides = " vs ".join(_side_text(s) for s in (mode.get("base") or {}, mode.get("new") or {}))
    controls = f", --control {_words(mode['controls'])}" if mode.get("controls") else ""
    epochs = _epochs_text(mode["epoch_s"]) if "epoch_s" in mode else ""
    return f"an --ab suite ({sides}{epochs}{controls})" if "base" in mode else "an --ab suite"


def _epochs_text(epoch_s: object) -> str:
    if epoch_s is None:
        return ", epochs dimensioned"
    return f", --epoch-s {epoch_s:g}" if isinstance(epoch_s, (int, float)) else \
        f", --epoch-s {str(epoch_s)[:20]}"


def _side_text(side: object) -> str:
    """One side of a saved mode in words; a hand-edited file's odd value is shown as it
    is, in the one-line refusal, never a traceback."""
    if not isinstance(side, dict):
        return str(side)[:60]
    return f"{side.get('python')} {_words(side.get('set') or [])}".strip()


def _words(values: object) -> str:
    return " ".join(map(str, values)) if isinstance(values, list) else str(values)[:60]


def suite_command(args: argparse.Namespace) -> int:
    spec = load_suite(args.suite_file)
    selected, budget = _check(args, spec)
    if args.ab:
        plan = ab_plan(args, spec, selected, budget)
        mode = ab_mode(args)
        previous = previous_run(args, mode)
        if previous is not None and "epoch_s" not in mode_of(previous):
            # its entries' epochs are unrecorded: saved as unknown, not as this run's
            plan.options["epoch_s_unrecorded"] = True
        _check_outputs(args)
        return _finish(args, *suite_ab_command(args, spec, selected, plan, previous))
    previous = previous_run(args, PLAIN)
    base = judge.read_baseline(args.baseline) if args.baseline else None
    _check_outputs(args)
    if previous is not None and args.resume:
        for note in resume_notes(spec, previous, args.out):
            print(f"perfbench: resuming {args.out}: {note}", file=sys.stderr)
    run = start(spec, args.out, previous, budget, selected, args.resume)
    if previous is not None and not args.resume and run.kept:
        print(f"perfbench: {args.out}: kept the earlier records of {len(run.kept)} entries "
              "--select leaves out", file=sys.stderr)
    run.save()
    with SignalStop(on_hard_exit=[kill_live_groups]) as stop, hangup_stops(stop):
        run_in_worker(run_suite, run, selected, stop.event, live_view(args.quiet, budget))
    doc = _compare(args, run, base)
    return _finish(args, doc, stop, run.file)


def _compare(args: argparse.Namespace, run, base) -> SuiteDocument:
    doc = run.document()
    block = None
    if base is not None:
        block = judge.against_suite(doc, args.out, base[0], base[1], args.baseline)
    elif args.history:
        block = judge.against_history(doc, args.out, args.history)
    saved = run.save(baseline=block)          # the judgement first: nothing below can lose it
    if args.history:
        written = write_all([("--history", args.history,
                              lambda: _append_history(run, args.out, args.history))],
                            "suite", lambda path: write_json(path, saved.to_dict()),
                            "the suite summary")
        saved = run.save(baseline=block)      # which results the history now holds
        if not written:
            run.file.failed = True
    return saved


def _append_history(run, out: str, database: str) -> None:
    """This run's results become the next run's baseline, except those measured on a
    disturbed machine: the quiet re-run an unconfirmed regression asks for would otherwise
    be compared with the disturbed result, and pass.  One appended already (kept by a
    resume) is not appended again; each appended one's row is noted in its record."""
    for record in run.records.values():
        if record["status"] != "ok" or \
                judge.appended_id(record.get("history"), database) is not None:
            continue
        result = load(os.path.join(out, record["file"]))
        if judge.disturbed(result, "new"):
            print(f"perfbench: {record['name']}: not added to {database}: measured on a "
                  "disturbed machine", file=sys.stderr)
            continue
        record["history"] = {"database": os.path.realpath(database),
                             "run_id": append(database, result)}


def _finish(args: argparse.Namespace, doc: SuiteDocument, stop: SignalStop,
            file=None) -> int:
    """The summary's outputs: one that cannot be written is named on one line (the summary
    is in DIR/suite.json already, and a fallback file).  ``file``: the suite.json writer,
    whose failure (a full disk) makes the exit status 1 at least."""
    doc = dataclasses.replace(doc, gate=gate(doc, stop.signum))
    if file is not None and file.failed:      # a write that already failed (history)
        doc = _output_failed(doc)
    if file is not None:
        file.write(doc)                       # the gate's outcome, for the HTML report
        if file.failed:                       # suite.json itself (in its fallback now)
            doc = _output_failed(doc)
    ended = [doc]

    def save_fallback(path: str) -> None:     # the summary as the command ends with it
        ended[0] = _output_failed(doc)
        write_json(path, ended[0].to_dict())
    write_outputs(doc, Outputs(json=args.json, markdown=args.markdown, csv=args.csv),
                  "the suite summary", save_fallback)
    doc = ended[0]
    if getattr(args, "out", None):
        wrote("--out", os.path.join(args.out, "suite.json"))
    suite_report.render(doc, report_console(stderr=args.json == "-"))
    if args.json == "-":
        write_json("-", doc.to_dict())
    return doc.gate.exit_status if doc.gate is not None else 1


def _output_failed(doc: SuiteDocument) -> SuiteDocument:
    """An output asked for and not written: the status at least 1, as docs/suite.md says
    of a full disk; a regression's 1 or a stop's 128+N stand, a 0 or a 3 does not (the
    documents then carry the status the command exits with)."""
    assert doc.gate is not None
    if doc.gate.exit_status not in (0, EXIT_UNCONFIRMED):
        return doc
    return dataclasses.replace(doc, gate=Gate(1, f"failed: an output could not be written "
                                                 f"(the gate alone: {doc.gate.outcome})"))


def gate(doc: SuiteDocument, signum: int | None) -> Gate:
    """The gate's outcome as the exit status gives it, in words, for the page and the
    summary (computed here once; readers show it)."""
    code = exit_status(doc, signum)
    block = doc.baseline or doc.ab
    entries = block.entries if block is not None else ()
    regressed = [e.name for e in entries if e.verdict == "regression"] + (
        ["geomean"] if block is not None and block.geomean is not None and
        block.geomean.verdict == "regression" else [])
    failures = list(doc.baseline.new_failures if doc.baseline is not None else
                    doc.ab.failed if doc.ab is not None else ())
    unattributed = _attribution_failed(doc)
    answers = _answers_changed(doc)
    unreproduced = _unreproduced(doc)
    if code == 0:
        outcome = "passed"
    elif code >= 128:
        outcome = "interrupted"
    elif code == EXIT_UNCONFIRMED and block is not None:
        verdicts = {e.name: e.verdict for e in entries}
        verdicts["geomean"] = block.geomean.verdict if block.geomean is not None else None
        outcome = "not decided (re-run on a quiet machine, or longer): " + ", ".join(
            f"{name} ({verdicts.get(name) or 'unconfirmed regression'})"
            for name in judge.unconfirmed(block))
    elif regressed or failures or unattributed or answers or unreproduced:
        outcome = "failed: " + "; ".join(
            part for part in (f"regression in {', '.join(regressed)}" if regressed else "",
                              f"failed {', '.join(failures)}" if failures else "",
                              f"attribution failed for {', '.join(unattributed)}"
                              if unattributed else "",
                              f"fidelity {', '.join(answers)}" if answers else "",
                              f"reproducer not written for {', '.join(unreproduced)}"
                              if unreproduced else "") if part)
    else:
        outcome = "failed: " + ", ".join(e.name for e in doc.entries if e.status in FAILED)
    return Gate(code, outcome)


def exit_status(doc: SuiteDocument, signum: int | None) -> int:
    if signum is not None or doc.status == "interrupted":
        return 128 + (signum or 2)
    if doc.baseline is not None:
        if judge.regressed(doc.baseline):
            return 1
        return EXIT_UNCONFIRMED if judge.unconfirmed(doc.baseline) else 0
    if doc.ab is not None:
        geomean = doc.ab.geomean
        if any(e.verdict == "regression" for e in doc.ab.entries) or doc.ab.failed or \
                (geomean is not None and geomean.verdict == "regression") or \
                _attribution_failed(doc) or _answers_changed(doc) or _unreproduced(doc):
            return 1
        return EXIT_UNCONFIRMED if judge.unconfirmed(doc.ab) else 0
    return 1 if doc.summary.failed else 0


def _answers_changed(doc: SuiteDocument) -> list[str]:
    """``--fidelity``: each entry whose answers changed (``regression in NAME``) or could
    not be compared (``failed for NAME``): the gate fails as on a speed regression."""
    return [f"{e.fidelity} {'in' if e.fidelity == 'regression' else 'for'} {e.name}"
            for e in (doc.ab.entries if doc.ab is not None else ())
            if e.fidelity in ("regression", "failed")]


def _unreproduced(doc: SuiteDocument) -> list[str]:
    """``--attribute-out``: the A/B entries whose reproducer could not be written, an
    output asked for and not given (exit status 1, as ``ab --attribute-out``'s)."""
    return [e.name for e in (doc.ab.entries if doc.ab is not None else ())
            if e.reproducer is not None and e.reproducer != "written"]


def _attribution_failed(doc: SuiteDocument) -> list[str]:
    """The A/B entries whose ``--attribute`` pass failed, in whole or in part (an epoch
    lost: ``partial``): an output asked for and not given in full, which makes the exit
    status 1 (as ``ab --attribute``'s does); their verdicts stand."""
    return [e.name for e in (doc.ab.entries if doc.ab is not None else ())
            if e.attribution in ("failed", "partial")]


def live_view(quiet: bool, budget: float | None):
    """Entry i/N and the time left, on a terminal (rich); nothing otherwise."""
    err = Console(stderr=True)
    began = time.monotonic()

    def show(index: int, total: int, entry, run) -> None:
        if quiet or not err.is_terminal:
            return
        elapsed = time.monotonic() - began
        left = (f"{budget - elapsed:.0f} s of the budget left" if budget else
                f"about {elapsed / index * (total - index):.0f} s left" if index else "")
        err.print(f"[bold]entry {index + 1}/{total}[/]: {entry.name}  {left}", highlight=False)
    return show
