"""``perfbench sweep --scenario server``: the highest Poisson rate whose latency percentile
meets ``--sla-ms``.  A stop keeps every finished probe, and the file and the summary say
the answer is the best found so far, not final."""

from __future__ import annotations

import dataclasses

from rich.console import Console

from perfbench.cli.outputs import Outputs, write_outputs
from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.files import write_json
from perfbench.reporters import server_search_report
from perfbench.reporters.consoles import report_console
from perfbench.sizing.rate_search import find_max_rate
from perfbench.sizing.spec import SweepSpec


def server_search_command(spec: SweepSpec, json_path: str | None, quiet: bool) -> int:
    err = Console(stderr=True)

    def announce(step: int, steps: int, rate: float) -> None:
        if not quiet and err.is_terminal:
            err.print(f"[dim]probe {step + 1}/{steps}: {rate:,.2f} queries/s[/]")

    with SignalStop() as stop:
        found = run_in_worker(find_max_rate, spec.base, spec.sla_ms, spec.sla_percentile,
                              spec.point_time_s, stop_event=stop.event, on_point=announce,
                              spec=spec.to_dict())
    if stop.signum is not None:     # the document says so, with the status we exit with
        found = dataclasses.replace(found, status="interrupted", stop_status=stop.exit_code)
    written = write_outputs(found, Outputs(json=json_path), "the rate search")
    server_search_report.render(found, report_console(stderr=json_path == "-"))
    if json_path == "-":
        write_json("-", found.to_dict())
    # No rate met the bound: exit 1, as compare and ab do for a regression, so that a CI
    # job gating on the bound fails rather than reading a printed "0/s" as a pass; a rate
    # met only by its point estimate is not decided: 3 (docs/ci.md).
    return found.exit_status or (0 if written else 1)
