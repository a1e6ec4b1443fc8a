"""Results of ``--data-shape`` side by side, read from their typed document
(``results.shapes.ShapesResult``, schema ``perfbench.shapes``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from perfbench.results.metrics import fps_estimate
from perfbench.results.shapes import ShapesResult
from perfbench.results.types import BenchmarkResult


def shape_text(result: BenchmarkResult) -> str:
    return ",".join(f"{i['name']}{i['shape']}".replace(" ", "") for i in result.model.inputs)


def render(shapes: ShapesResult, console: Console) -> None:
    table = Table(title=f"Shapes ({shapes.status}, {shapes.shapes_measured} of "
                  f"{shapes.shapes_requested}; one compilation)", title_justify="left")
    for column in ("shape", "FPS ± CI", "p50 ms", "p99 ms", "GFLOPs/image", "GFLOP/s",
                   "status"):
        table.add_column(column, justify="left" if column in ("shape", "status") else "right")
    for result in shapes.results:
        fps, _, high = fps_estimate(result)
        ci = f" ± {100 * (high / fps - 1):.1f}%" if high is not None and fps else ""
        table.add_row(shape_text(result), f"{fps:,.1f}{ci}", f"{result.latency.median:.3f}",
                      f"{result.latency.p99:.3f}", f"{result.model.gflops_per_image:.4f}",
                      f"{result.effective_gflops:,.1f}", result.status)
    console.print(table)
