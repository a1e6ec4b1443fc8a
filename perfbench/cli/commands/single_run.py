"""One configuration measured, shown live, then delivered and reported (signals:
``cli.signals``): the body of ``perfbench run`` and of ``perfbench benchmark-app``, which
differ in the flags they read and the lines they print at the end."""

from __future__ import annotations

import functools
import sys

from rich.console import Console

from perfbench.reporters.consoles import report_console

from perfbench.settings.config import BenchmarkConfig
from perfbench.errors import Interrupted, RunFailed
from perfbench.cli.outputs import Outputs, write_outputs
from perfbench.results.types import BenchmarkResult
from perfbench.cli.live import LiveDisplay
from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.reporters import json_report, table
from perfbench.reporters.peer_summary import lines
from perfbench.runner.benchmark import run
from perfbench.runner.fidelity import check_fidelity, run_with_fidelity


def run_command(config: BenchmarkConfig, json_path: str | None, quiet: bool,
                history: str | None = None, exports: dict[str, str] | None = None,
                html_path: str | None = None, fidelity: int | None = None,
                style: str = "table", percentile: float = 50.0) -> int:
    """``fidelity``: None for no comparison, 0 for the default sample count, else N.
    ``style`` "benchmark_app" adds its summary lines after the table (on the same
    stream), with ``percentile`` on the first latency line."""
    measure = run
    if fidelity is not None:
        samples = fidelity or None
        check_fidelity(config, samples)          # one line, before anything is built
        measure = functools.partial(run_with_fidelity, samples=samples)
    # With JSON on stdout, the human-readable table moves to stderr to keep stdout parseable.
    out = report_console(stderr=json_path == "-")
    progress = Console(stderr=True)
    with SignalStop() as stop, LiveDisplay(progress, enabled=not quiet,
                                           target_pct=config.until_stable) as live:
        failed = None
        try:
            result = run_in_worker(measure, config, on_window=live.update, stop_event=stop.event)
        except Interrupted as exc:
            print(f"perfbench: {exc}", file=sys.stderr)
            return stop.exit_code
        except RunFailed as exc:
            kept = getattr(exc, "result", None)     # --fidelity failed after the timed run
            if kept is None:
                raise
            result, failed = kept, exc              # its figures stand: written below
    # Files first, then the terminal: nothing that happens to the screen or a pipe (a
    # reader that closed it, a rendering fault) can cost a result that was asked for.
    delivered = deliver(result, None if json_path == "-" else json_path, history,
                        exports or {}, html_path)
    table.render(result, out)
    if style == "benchmark_app":
        for line in lines(result, percentile):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    if json_path == "-":
        json_report.write(result, "-")
    if failed is not None:
        kept = where_kept(json_path, history, exports or {}, html_path, delivered)
        print(f"perfbench: run failed: {failed} ({kept})", file=sys.stderr)
        return stop.exit_code or 1
    return stop.exit_code or (0 if delivered else 1)


def where_kept(json_path: str | None, history: str | None, exports: dict[str, str],
               html_path: str | None, delivered: bool) -> str:
    """Where the figures of a run whose ``--fidelity`` failed are, said truly: written
    only where a file was asked for (and the writes went through), else on the screen."""
    asked = [flag for flag, target in (("--json", None if json_path == "-" else json_path),
                                       ("--history", history), ("--html", html_path),
                                       *((f"--export-{o}", d) for o, d in exports.items()))
             if target]
    shown = "the JSON on stdout and the table" if json_path == "-" else "the table above"
    if not asked:
        return f"the measured figures are in {shown}; no output file was asked for"
    if not delivered:
        return "the measured figures are in the fallback file named above"
    return f"the measured figures were written: {', '.join(asked)}"


def deliver(result: BenchmarkResult, json_path: str | None, history: str | None,
            exports: dict[str, str], html_path: str | None = None) -> bool:
    """Write the result everywhere it was asked for (the one door out: whatever fails is
    named on one line and the result saved to a fallback file).  False when anything
    failed."""
    return write_outputs(result, Outputs(json=json_path, history=history, html=html_path,
                                         exports=tuple(exports.items())), "the result")


