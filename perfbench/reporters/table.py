"""The human-readable result: requested vs resolved config, throughput, latency."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table

from ..result import BenchmarkResult

_CONFIG_ROWS = (  # (label, requested key, resolved key)
    ("device", "device", "execution_devices"),
    ("hint", "hint", "hint"),
    ("streams", "streams", "streams"),
    ("threads", "threads", "threads"),
    ("precision", "precision", "precision"),
    ("pinning", "pin", "pinning"),
    ("requests", "requests", "optimal_requests"),
)


def _fmt(value) -> str:
    if value is None:
        return "[dim]auto[/]"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def config_table(result: BenchmarkResult) -> Table:
    table = Table(title="Configuration", title_justify="left")
    table.add_column("setting")
    table.add_column("requested")
    table.add_column("resolved by device")
    for label, req_key, res_key in _CONFIG_ROWS:
        resolved = result.resolved.get(res_key)
        if label == "requests":
            resolved = f"{result.pool_size} (optimal {resolved})"
        table.add_row(label, _fmt(result.requested.get(req_key)), _fmt(resolved))
    table.add_row("batch", _fmt(result.requested.get("batch")), str(result.model.batch))
    table.add_row("api", result.requested["api"], result.requested["api"])
    return table


def results_table(result: BenchmarkResult) -> Table:
    lat = result.latency
    status = "" if result.status == "complete" else f" [bold red]({result.status.upper()})[/]"
    table = Table(title=f"Results: {result.model.name}{status}", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [
        ("throughput", f"{result.fps:,.2f} FPS"),
        ("effective compute", f"{result.effective_gflops:,.1f} GFLOP/s"),
        ("model cost", f"{result.model.gflops_per_image:.3f} GFLOPs/image "
                       f"[dim]({result.model.gflops_source})[/]"),
        ("measured", f"{result.completed_requests:,} requests × batch {result.model.batch} "
                     f"in {result.duration_s:.2f} s [dim](stopped by {result.stop_reason})[/]"),
        ("compile time", f"{result.compile_ms:,.1f} ms"),
        ("first inference", f"{result.first_inference_ms:,.2f} ms [dim](not in stats)[/]"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    exact = "" if lat.exact else " [dim](histogram, ±0.005 %)[/]"
    for label, value in (("latency min", lat.min), ("latency mean", lat.mean),
                         ("latency std", lat.std), ("latency median", lat.median),
                         ("latency p90", lat.p90), ("latency p95", lat.p95),
                         ("latency p99", lat.p99), ("latency p99.9", lat.p99_9),
                         ("latency max", lat.max)):
        table.add_row(label, f"{value:,.3f} ms{exact if 'p' in label[8:] else ''}")
    return table


def render(result: BenchmarkResult, console: Console) -> None:
    console.print(Group(config_table(result), results_table(result)))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
