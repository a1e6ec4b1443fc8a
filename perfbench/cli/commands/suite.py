"""``perfbench suite SUITE.toml --out DIR``: every entry in its own process, one summary.

Exit status: 0 when every entry ran and (with a baseline) nothing regressed; 1 when an entry
failed (without a baseline), or on a regression or a new failure (with one), or an A/B
regression; 2 for bad input, before anything runs; 3 (with a baseline) when the only
regressions were measured on a disturbed machine (unconfirmed: re-run them on a quiet one);
128+N when stopped by signal N.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from rich.console import Console

from perfbench.cli.outputs import write_all
from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.errors import UsageError
from perfbench.files import atomic_write, check_writable, write_json
from perfbench.reporters import suite_report
from perfbench.reporters.consoles import report_console
from perfbench.settings.config import validate
from perfbench.settings.values import duration
from perfbench.suite import baseline as judge
from perfbench.suite.document import read_suite
from perfbench.suite.runner import load_previous, resume_notes, run_suite, start
from perfbench.suite.spec import SuiteSpec, load_suite, select

#: Nothing regressed on a quiet machine, but some entry (or the geomean) did on a disturbed
#: one: not the change's fault until a quiet re-run says so.
EXIT_UNCONFIRMED = 3


def _check(args: argparse.Namespace, spec: SuiteSpec) -> tuple[set[str], float | None]:
    """Every input, before anything runs."""
    selected = select(spec, args.select)
    budget = validate(args.budget, duration, "budget", "--budget") if args.budget else None
    for path, flag in ((args.json, "--json"), (args.markdown, "--markdown"),
                       (args.csv, "--csv")):
        if path is not None:
            check_writable(path, flag)
    check_writable(os.path.join(args.out, "suite.json"), "--out")
    ab_flags = args.base_set or args.new_set or args.base_python or args.new_python
    if ab_flags and not args.ab:
        raise UsageError("--base-set/--new-set/--base-python/--new-python need --ab")
    if args.ab and (args.baseline or args.history or args.resume):
        raise UsageError("--ab compares two sides itself; drop --baseline/--history/--resume")
    if args.ab and not ab_flags:
        raise UsageError("--ab needs two sides: --base-python/--new-python or "
                         "--base-set/--new-set")
    if args.baseline:
        _check_baseline(args.baseline)
    if args.history:
        from perfbench.tracking.history import check_target
        check_target(args.history)
    return selected, budget


def _check_baseline(directory: str) -> None:
    """The baseline's suite file and every result it lists as ok: one that is gone or
    unreadable is bad input now, not a lost judgement after the whole suite has run."""
    from perfbench.results.io import load
    for record in read_suite(directory, "--baseline")["entries"]:
        if record.get("status") == "ok" and record.get("file"):
            load(os.path.join(directory, record["file"]))


def suite_command(args: argparse.Namespace) -> int:
    spec = load_suite(args.suite_file)
    selected, budget = _check(args, spec)
    if args.ab:
        from perfbench.cli.commands.suite_ab import suite_ab_command
        return _finish(args, *suite_ab_command(args, spec, selected, budget))
    previous = load_previous(args.out) if args.resume else None
    if previous is not None:
        for note in resume_notes(spec, previous, args.out):
            print(f"perfbench: resuming {args.out}: {note}", file=sys.stderr)
    run = start(spec, args.out, previous, budget)
    run.save()
    from perfbench.suite.process import kill_live_groups
    with SignalStop(on_hard_exit=[kill_live_groups]) as stop:
        run_in_worker(run_suite, run, selected, stop.event, live_view(args.quiet, budget))
    doc = _compare(args, run)
    return _finish(args, doc, stop)


def _compare(args: argparse.Namespace, run) -> dict:
    doc = run.document()
    block = None
    if args.baseline:
        block = judge.against_suite(doc, args.out, read_suite(args.baseline, "--baseline"),
                                    args.baseline, args.baseline)
    elif args.history:
        block = judge.against_history(doc, args.out, args.history)
    saved = run.save(baseline=block)          # the judgement first: nothing below can lose it
    if args.history:
        write_all([("--history", args.history,
                    lambda: _append_history(doc, args.out, args.history))],
                  "suite", lambda path: write_json(path, saved), "the suite summary")
    return saved


def _append_history(doc: dict, out: str, database: str) -> None:
    """This run's results become the next run's baseline, except those measured on a
    disturbed machine: the quiet re-run an unconfirmed regression asks for would otherwise
    be compared with the disturbed result, and pass."""
    from perfbench.results.io import load
    from perfbench.tracking.history import append
    for record in doc["entries"]:
        if record["status"] != "ok":
            continue
        result = load(os.path.join(out, record["file"]))
        if judge.disturbed(result, "new"):
            print(f"perfbench: {record['name']}: not added to {database}: measured on a "
                  "disturbed machine", file=sys.stderr)
            continue
        append(database, result)


def _finish(args: argparse.Namespace, doc: dict, stop: SignalStop) -> int:
    """The summary's outputs: one that cannot be written is named on one line (the summary
    is in DIR/suite.json already, and a fallback file)."""
    steps = [("--markdown", args.markdown,
              lambda: atomic_write(args.markdown, suite_report.markdown(doc))),
             ("--csv", args.csv, lambda: atomic_write(args.csv, suite_report.csv_text(doc))),
             ("--json", args.json if args.json != "-" else None,
              lambda: write_json(args.json, doc))]
    written = write_all(steps, "suite", lambda path: write_json(path, doc),
                        "the suite summary")
    from perfbench.cli.outputs import wrote
    if getattr(args, "out", None):
        wrote("--out", os.path.join(args.out, "suite.json"))
    suite_report.render(doc, report_console(stderr=args.json == "-"))
    if args.json == "-":
        write_json("-", doc)
    return exit_status(doc, stop.signum) or (0 if written else 1)


def exit_status(doc: dict, signum: int | None) -> int:
    if signum is not None or doc["status"] == "interrupted":
        return 128 + (signum or 2)
    if doc.get("baseline"):
        if judge.regressed(doc["baseline"]):
            return 1
        return EXIT_UNCONFIRMED if judge.unconfirmed(doc["baseline"]) else 0
    if doc.get("ab"):
        geomean = doc["ab"].get("geomean") or {}
        return 1 if any(e["verdict"] == "regression" for e in doc["ab"]["entries"]) or \
            doc["ab"]["failed"] or geomean.get("verdict") == "regression" else 0
    return 1 if doc["summary"]["failed"] else 0


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
