"""What each document can be written as, in one table: for every document type, the
writer of each output flag (``--json``, ``--markdown``, ``--csv``, ``--plot``, ``--html``,
``--history``, ``--export-FORMAT``), as hyperfine's ExportManager holds one exporter per
format.  :func:`perfbench.cli.outputs.write_outputs` is the one door that uses it; a
figure a writer prints is the document's own, computed by its producer.

The optional extras are imported where they are used: plotly by ``perfbench.report``
(``perfbench[report]``), the plot writers' matplotlib by the reporters.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from perfbench.files import atomic_write, write_json
from perfbench.report.page import write_documents, write_inputs
from perfbench.reporters import ab_report, comparison, fleet_report, suite_report, sweep_report
from perfbench.results.ab import ABResult
from perfbench.results.comparison import Comparison
from perfbench.results.fleet import FleetReport
from perfbench.results.server_search import ServerSearch
from perfbench.results.shapes import ShapesResult
from perfbench.results.suite import SuiteDocument
from perfbench.results.sweep import SweepResult
from perfbench.results.io import load
from perfbench.results.metrics import Metric, benchmark_name, headline
from perfbench.results.types import BenchmarkResult
from perfbench.tracking.exporters import export_all, gab
from perfbench.tracking.history import append, append_ab

#: A writer: (document, target) → None; the target is a path, or for ``--export`` the
#: {format: destination} of every ``--export-FORMAT`` asked for.
Writer = Callable[[Any, Any], None]


def argv() -> list[str]:
    """The command line a page records (how it was made)."""
    return sys.argv[1:]


def _json(document, path: str) -> None:
    write_json(path, document.to_dict())


def _page(name: Callable[[Any], str]) -> Writer:
    def write(document, path: str) -> None:
        write_documents([(document.to_dict(), name(document))], argv(), path)
    return write


def _comparison_page(document: Comparison, path: str) -> None:
    """The files compared, and the command's own comparison of them."""
    files = list(dict.fromkeys(document.baseline_files + document.new_files))
    write_inputs(files, argv(), path, document)


def _run_history(result: BenchmarkResult, path: str) -> None:
    append(path, result)


def _run_exports(result: BenchmarkResult, exports: dict[str, str]) -> None:
    export_all(benchmark_name(result), headline(result), exports)


def _comparison_exports(document: Comparison, exports: dict[str, str]) -> None:
    """The new side's figures, under the name of its first result (as compare did)."""
    metrics = [Metric(c.name, c.unit, c.bigger_is_better, c.new) for c in document.changes]
    export_all(benchmark_name(load(document.new_files[0])), metrics, exports)


def _ab_exports(document: ABResult, exports: dict[str, str]) -> None:
    if "bmf" in exports:
        write_json(exports["bmf"], ab_report.bmf(document))
    if "gab" in exports:
        gab.export(ab_report.pair_name(document), ab_report.metrics(document), exports["gab"])


def _ab_history(document: ABResult, path: str) -> None:
    append_ab(path, document, ab_report.pair_name(document))


def _ab_markdown(document: ABResult, path: str) -> None:
    atomic_write(path, ab_report.markdown(document))


def _comparison_markdown(document: Comparison, path: str) -> None:
    atomic_write(path, comparison.markdown(document))


def _fleet_csv(document: FleetReport, path: str) -> None:
    atomic_write(path, fleet_report.csv_text(document))


def _fleet_markdown(document: FleetReport, path: str) -> None:
    atomic_write(path, fleet_report.markdown(document))


def _fleet_plot(document: FleetReport, path: str) -> None:
    fleet_report.plot(document, path)


def _sweep_csv(document: SweepResult, path: str) -> None:
    sweep_report.write_csv(document, path)


def _sweep_plot(document: SweepResult, path: str) -> None:
    sweep_report.plot(document, path)


def _suite_markdown(document: SuiteDocument, path: str) -> None:
    atomic_write(path, suite_report.markdown(document))


def _suite_csv(document: SuiteDocument, path: str) -> None:
    atomic_write(path, suite_report.csv_text(document))


#: Document type → {flag: writer}.  A flag a command offers for a document must be here.
FORMATS: dict[type, dict[str, Writer]] = {
    BenchmarkResult: {"--json": _json, "--history": _run_history, "--export": _run_exports,
                      "--html": _page(lambda r: r.model.name)},
    ShapesResult: {"--json": _json, "--html": _page(lambda d: "data shapes")},
    ABResult: {"--json": _json, "--markdown": _ab_markdown, "--export": _ab_exports,
               "--history": _ab_history, "--html": _page(lambda d: "A/B")},
    Comparison: {"--json": _json, "--markdown": _comparison_markdown,
                 "--export": _comparison_exports, "--html": _comparison_page},
    FleetReport: {"--json": _json, "--csv": _fleet_csv, "--markdown": _fleet_markdown,
                  "--plot": _fleet_plot, "--html": _page(lambda d: "fleet report")},
    SweepResult: {"--json": _json, "--csv": _sweep_csv, "--plot": _sweep_plot,
                  "--html": _page(lambda d: "sweep")},
    ServerSearch: {"--json": _json},
    SuiteDocument: {"--json": _json, "--markdown": _suite_markdown, "--csv": _suite_csv},
}

#: The fallback file's kind (its name) per document type.
KIND = {BenchmarkResult: "result", ShapesResult: "shapes", ABResult: "ab",
        Comparison: "comparison", FleetReport: "fleet-report", SweepResult: "sweep",
        ServerSearch: "server-search", SuiteDocument: "suite"}


def writers_for(document) -> dict[str, Writer]:
    return FORMATS[type(document)]
