"""``perfbench peak``: measure and cache the device's practical compute peak."""

from __future__ import annotations

import argparse

import openvino as ov
from rich.console import Console
from rich.table import Table

from perfbench.model.compile import plain_value, check_device
from perfbench.measure.peak import (METHOD, PeakNotInPrecision, cache_path, measure_peak,
                                    store_peak)
from perfbench.settings.config import PRECISIONS, coerce

HANDLES_SIGNALS = False


def add_parser(sub) -> None:
    peak = sub.add_parser("peak", help="measure the device's practical compute peak (cached)")
    peak.add_argument("-d", "--device", default="CPU")
    peak.add_argument("--precision", action="append",
                      help=f"{', '.join(PRECISIONS[:-1])} or {PRECISIONS[-1]}; repeat for "
                      "several (default: f32, the device's default precision, and int8 "
                      "where the device has INT8 kernels)")
    peak.add_argument("-t", "--time", default="2", help="seconds per kernel (default 2)")


def run(args: argparse.Namespace) -> int:
    precisions = [coerce("precision", p, "--precision") for p in args.precision or []]
    return peak_command(coerce("device", args.device, "--device"), precisions,
                        coerce("time", args.time, "--time"))


def default_precisions(core: ov.Core, device: str) -> list[str]:
    precisions = ["f32"]
    try:
        native = plain_value(core.get_property(device, "INFERENCE_PRECISION_HINT"))
    except Exception:  # devices without the property
        native = None
    if native in ("bf16", "f16"):
        precisions.append(native)
    try:
        capabilities = [str(c) for c in core.get_property(device, "OPTIMIZATION_CAPABILITIES")]
    except Exception:
        capabilities = []
    if "INT8" in capabilities:
        precisions.append("int8")
    return precisions


def peak_command(device: str, precisions: list[str], seconds: float) -> int:
    core = ov.Core()
    check_device(core, device)
    console = Console()
    table = Table(title=f"Practical peak of {device}", title_justify="left")
    table.add_column("precision")
    table.add_column("GFLOP/s (int8: GOP/s)", justify="right")
    for precision in precisions or default_precisions(core, device):
        try:
            gflops = measure_peak(core, device, precision, seconds)
        except PeakNotInPrecision as exc:
            table.add_row(precision, f"not measured: {exc}")
            continue
        kept = store_peak(device, precision, gflops)["gflops"]
        cached = "" if kept == gflops else f" (cached {kept:,.1f} kept: a peak is a max)"
        table.add_row(precision, f"{gflops:,.1f}" + cached)
    console.print(table)
    console.print(f"[dim]method: {METHOD}\ncached in {cache_path()}[/]")
    return 0
