"""``ab --attribute`` / ``--attribute-out DIR``: the profiling pass after the verdict, its
table, and the reproducer a bug report needs.

The pass can fail (a worker that dies while profiling) without costing the verdict: the
document then says ``attribution: {"status": "failed", "error": ...}``
(:class:`perfbench.results.attribution.Attribution`) and the command
exits 1, as for any asked-for output that failed.  A failure after one or more epochs
completed keeps them: the attribution is computed from their rounds, ``"status":
"partial"`` with the ``error``, said on stderr, and the command exits 1 as well.
"""

from __future__ import annotations

import os

from rich.console import Console

from perfbench.cli.signals import run_in_worker
from perfbench.errors import UsageError
from perfbench.files import check_directory_writable
from perfbench.reporters import attribution_report
from perfbench.reporters.consoles import report_console
from perfbench.results.ab import ABResult
from perfbench.results.attribution import Attribution
from perfbench.runner.attribute import (DEFAULT_EPOCHS, DEFAULT_ROUNDS, MIN_PROFILE_S,
                                        attribution, profile_pass)
from perfbench.runner.reproducer import write_reproducer


def check_out(path: str) -> None:
    """Refuse, before measuring, a reproducer directory that cannot be written."""
    if not path.strip() or "\x00" in path:
        raise UsageError(f"--attribute-out: expected a directory, got {path!r:.40}")
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--attribute-out: {path} is a file, not a directory")
    check_directory_writable(path, "--attribute-out")


def attribute_run(run, base: dict, new: dict, pythons, stop, options: dict) -> dict | None:
    """Profile both sides and store the attribution in ``run.attribution``; the
    measurement (for the reproducer), or None when the pass failed."""
    err = Console(stderr=True)
    if not options.get("quiet"):
        err.print("attribution: profiling both sides (perf counters on, a separate pass)",
                  highlight=False)
    try:
        measured = run_in_worker(profile_pass, base, new, pythons,
                                 options.get("attribute_rounds") or DEFAULT_ROUNDS,
                                 max(run.block_s or 0.0, MIN_PROFILE_S), stop.event,
                                 epochs=options.get("attribute_epochs") or DEFAULT_EPOCHS,
                                 controls=run.controls)
        attributed = attribution(measured) or Attribution.failed(
            "no profiling round completed",
            "interrupted" if measured["status"] == "interrupted" else "failed")
        run.attribution = attributed
        if attributed.status == "partial" and attributed.table is not None:
            err.print(f"perfbench ab: --attribute partial: {attributed.error}; "
                      f"attributed from the {attributed.table.rounds} rounds of the "
                      f"{attributed.table.epochs} epoch(s) completed", highlight=False,
                      soft_wrap=True)
        return measured if attributed.table is not None else None   # nothing to reproduce
    except Exception as exc:        # the verdict stands; the pass is named as failed
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        run.attribution = Attribution.failed(first[:300])
        err.print(f"perfbench ab: --attribute failed: {first[:300]}", highlight=False)
        return None


def finish(doc: ABResult, measured: dict | None, options: dict) -> ABResult:
    """The table, then the reproducer; a failure raises the exit status to 1 (the
    document returned)."""
    attribution_report.render(doc.attribution,
                              report_console(stderr=options["json"] == "-"))
    failed = doc.attribution is not None and doc.attribution.status in ("failed", "partial")
    if options.get("attribute_out") and measured is not None:
        try:
            write_reproducer(options["attribute_out"], doc, measured)
        except (OSError, RuntimeError, ValueError) as exc:
            Console(stderr=True).print(f"perfbench ab: --attribute-out failed: {exc}",
                                       highlight=False)
            failed = True
    return doc.raised(1) if failed else doc
