"""Results of ``--data-shape`` side by side, and their JSON document (schema
``perfbench.shapes``: every shape's full ``perfbench.result``, in the order measured)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from perfbench.results.metrics import fps_estimate
from perfbench.results.types import BenchmarkResult

SCHEMA = "perfbench.shapes"
SCHEMA_VERSION = 1


def shape_text(result: BenchmarkResult) -> str:
    return ",".join(f"{i['name']}{i['shape']}".replace(" ", "") for i in result.model.inputs)


def document(results: list[BenchmarkResult], expected: int, error: str | None = None) -> dict:
    """``status`` is complete only when every shape was measured to its end; ``partial``
    (with the ``error``) when a later shape failed and the shapes before it are kept."""
    complete = len(results) == expected and all(r.status == "complete" for r in results)
    status = "partial" if error else "complete" if complete else "interrupted"
    doc = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "status": status,
           "shapes_requested": expected, "shapes_measured": len(results),
           "results": [r.to_dict() for r in results]}
    if error:
        doc["error"] = error
    return doc


def render(doc: dict, results: list[BenchmarkResult], console: Console) -> None:
    table = Table(title=f"Shapes ({doc['status']}, {doc['shapes_measured']} of "
                  f"{doc['shapes_requested']}; one compilation)", title_justify="left")
    for column in ("shape", "FPS ± CI", "p50 ms", "p99 ms", "GFLOPs/image", "GFLOP/s",
                   "status"):
        table.add_column(column, justify="left" if column in ("shape", "status") else "right")
    for result in results:
        fps, _, high = fps_estimate(result)
        ci = f" ± {100 * (high / fps - 1):.1f}%" if high is not None and fps else ""
        table.add_row(shape_text(result), f"{fps:,.1f}{ci}", f"{result.latency.median:.3f}",
                      f"{result.latency.p99:.3f}", f"{result.model.gflops_per_image:.4f}",
                      f"{result.effective_gflops:,.1f}", result.status)
    console.print(table)
