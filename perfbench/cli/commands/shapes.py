"""``perfbench run --data-shape``: one compilation, each shape measured in turn, a full
result per shape, a table side by side and one JSON document holding them all."""

from __future__ import annotations

import sys

from rich.console import Console

from perfbench.cli.live import LiveDisplay
from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.cli.outputs import Outputs, write_outputs
from perfbench.files import write_json
from perfbench.reporters import shapes_report, table
from perfbench.reporters.consoles import report_console
from perfbench.results.shapes import ShapesResult
from perfbench.runner.benchmark import ShapesFailed, run_shapes
from perfbench.settings.config import BenchmarkConfig
from perfbench.settings.shapes import parse_data_shapes


def shapes_command(config: BenchmarkConfig, json_path: str | None, quiet: bool,
                   html_path: str | None = None) -> int:
    out = report_console(stderr=json_path == "-")
    progress = Console(stderr=True)
    expected = len(parse_data_shapes(config.data_shape))
    with SignalStop() as stop, LiveDisplay(progress, enabled=not quiet,
                                           target_pct=config.until_stable) as live:
        def announce(index: int, total: int, view) -> None:
            live.header = f"shape {index + 1}/{total}: {view.inputs[0].shape}"
        try:
            results, error = run_in_worker(run_shapes, config, on_window=live.update,
                                           stop_event=stop.event, on_shape=announce), None
        except ShapesFailed as failed:          # the shapes measured before it are kept
            results, error = failed.results, str(failed)
    for result in results:
        table.render(result, out)
    document = ShapesResult.measured(results, expected, error)
    shapes_report.render(document, out)
    drawn = write_outputs(document, Outputs(json=json_path, html=html_path if results else None),
                          "the shapes measured")
    if json_path == "-":
        write_json("-", document.to_dict())
    if error:
        print(f"perfbench: run failed: {error}", file=sys.stderr)
        return 1
    if not results:
        print("perfbench: interrupted before the first shape was measured", file=sys.stderr)
    return stop.exit_code or (0 if drawn else 1)
