"""The device's practical compute peak, for roofline efficiency.

Method: the best rate of a few dense kernels (a 2048³ MatMul and two 3×3 convolutions),
compiled by OpenVINO itself for the same device and precision at the throughput hint and
driven by perfbench's own engine.  No single kernel is the fastest everywhere: on an AMX
Xeon in bf16 the convolutions beat the MatMul by ~20 %, and a model can only be compared
with the fastest one.  This is the practical peak of this runtime on this machine, which
makes "effective GFLOP/s ÷ peak" a fair efficiency; a vendor's theoretical peak would count
instructions OpenVINO cannot keep busy.  Peaks are cached per machine fingerprint (CPU,
cores, OpenVINO version, device), per precision.  The int8 peak counts an integer
multiply-accumulate as two operations, as the FLOP counts of models do, so an INT8 run's
efficiency is its effective GOP/s against it.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset15 as ops

from perfbench.settings.config import BenchmarkConfig
from perfbench.model.cache import cache_root
from perfbench.errors import RunFailed
from perfbench.model.compile import compile_model
from perfbench.model.executed import MOST, describe, executed_precision
from perfbench.measure.loop import make_pool, measure_async, warm_up
from perfbench.measure.windows import StopLimits
from perfbench.system.environment import cpu_model
from perfbench.files import write_json
from perfbench.model.inputs import make_tensors
from perfbench.model.prepare import InputSpec

METHOD = ("best 0.25 s burst of OpenVINO MatMul 2048^3 and 3x3 conv 256ch@56 / 512ch@28, "
          "throughput hint (int8: the same with FakeQuantize on inputs and weights)")


def matmul_kernel(size: int = 2048) -> tuple[ov.Model, float]:
    a = ops.parameter([size, size], np.float32, name="x")
    weights = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32) / size
    model = ov.Model([ops.matmul(a, ops.constant(weights), False, False)], [a], "peak_matmul")
    return model, 2.0 * size**3


def conv_kernel(channels: int, size: int) -> tuple[ov.Model, float]:
    x = ops.parameter([1, channels, size, size], np.float32, name="x")
    weights = np.random.default_rng(0).standard_normal((channels, channels, 3, 3))
    weights = (weights / (channels * 9)).astype(np.float32)
    y = ops.convolution(x, ops.constant(weights), [1, 1], [1, 1], [1, 1], [1, 1])
    return ov.Model([y], [x], "peak_conv"), 2.0 * channels * size * size * channels * 9


def _fake_quantize(node, bound: float, levels: int, low: float | None = None):
    """What NNCF inserts: OpenVINO's low-precision transformations turn a FakeQuantize
    feeding a MatMul or convolution into an integer kernel (u8 activations, i8 weights)."""
    low = -bound if low is None else low
    lo, hi = ops.constant(np.float32(low)), ops.constant(np.float32(bound))
    return ops.fake_quantize(node, lo, hi, lo, hi, levels)


def int8_matmul_kernel(size: int = 2048) -> tuple[ov.Model, float]:
    a = ops.parameter([size, size], np.float32, name="x")
    weights = np.random.default_rng(0).standard_normal((size, size)).astype(np.float32) / size
    w = _fake_quantize(ops.constant(weights), float(np.abs(weights).max()), 255)
    y = ops.matmul(_fake_quantize(a, 255.0, 256, low=0.0), w, False, False)
    return ov.Model([y], [a], "peak_matmul_int8"), 2.0 * size**3


def int8_conv_kernel(channels: int, size: int) -> tuple[ov.Model, float]:
    x = ops.parameter([1, channels, size, size], np.float32, name="x")
    weights = np.random.default_rng(0).standard_normal((channels, channels, 3, 3))
    weights = (weights / (channels * 9)).astype(np.float32)
    w = _fake_quantize(ops.constant(weights), float(np.abs(weights).max()), 255)
    y = ops.convolution(_fake_quantize(x, 255.0, 256, low=0.0), w, [1, 1], [1, 1], [1, 1],
                        [1, 1])
    return ov.Model([y], [x], "peak_conv_int8"), 2.0 * channels * size * size * channels * 9


def kernels(precision: str = "f32") -> list[tuple[ov.Model, float]]:
    if precision == "int8":
        return [int8_matmul_kernel(), int8_conv_kernel(256, 56), int8_conv_kernel(512, 28)]
    return [matmul_kernel(), conv_kernel(256, 56), conv_kernel(512, 28)]


class PeakNotInPrecision(RunFailed):
    """A peak kernel ran in another precision than the one its peak is for."""


def _check_executed(compiled: ov.CompiledModel, model: ov.Model, precision: str) -> None:
    """Refuse a kernel whose conv/matmul did not run in ``precision`` (read back from the
    runtime graph): an int8 kernel left in f32 by the low-precision transformations would
    otherwise be cached as the int8 ceiling, and every INT8 run's efficiency measured
    against a float peak."""
    shares = executed_precision(compiled, model)
    if shares and shares.get(precision, 0.0) < MOST:
        raise PeakNotInPrecision(f"peak kernel {model.get_friendly_name()} ran "
                                 f"{describe(shares)}, not {precision}")


def kernel_rate(core: ov.Core, model: ov.Model, flops: float, device: str, precision: str,
                seconds: float) -> float:
    """GFLOP/s of one kernel at the throughput hint."""
    config = BenchmarkConfig(device=device, precision=precision, hint="throughput")
    compiled = compile_model(core, model, config)
    _check_executed(compiled.model, model, precision)
    requests = compiled.resolved.get("optimal_requests", 1)
    shape = tuple(int(d) for d in model.input(0).get_shape())
    tensors = make_tensors([InputSpec("x", "f32", shape)], 0, requests)
    queue = make_pool(compiled.model, requests, tensors)
    warm_up(queue, 0.3)
    bursts = []
    for _ in range(max(int(seconds / BURST_S), 1)):
        measured = measure_async(queue, StopLimits(time_s=BURST_S, iterations=None))
        bursts.append(gflops_per_s(flops, measured.completed, measured.duration_s))
    return best_burst(bursts)


#: The peak is the best of short bursts: noise on a shared machine only ever lowers
#: throughput, so the maximum is the robust estimate (a mean would carry every slow spell).
BURST_S = 0.25


def best_burst(rates: list[float]) -> float:
    return max(rates)


def gflops_per_s(flops_per_inference: float, inferences: int, seconds: float) -> float:
    return flops_per_inference * inferences / seconds / 1e9


def measure_peak(core: ov.Core, device: str = "CPU", precision: str = "f32",
                 seconds: float = 2.0) -> float:
    """The best kernel's rate, over the kernels that really ran in ``precision``; none
    that did is :class:`PeakNotInPrecision`."""
    rates, refused = [], []
    for model, flops in kernels(precision):
        try:
            rates.append(kernel_rate(core, model, flops, device, precision, seconds))
        except PeakNotInPrecision as exc:
            refused.append(str(exc))
    if not rates:
        raise PeakNotInPrecision(f"no {precision} peak on {device}: {'; '.join(refused)}")
    return max(rates)


def cache_path() -> Path:
    return cache_root() / "peak.json"


def fingerprint(device: str) -> str:
    return f"{cpu_model()}|{os.cpu_count()} cpus|openvino {ov.get_version()}|{device}"


def _load() -> dict:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def cached_peak(device: str, precision: str) -> dict | None:
    entry = _load().get(fingerprint(device), {}).get(precision)
    return entry if isinstance(entry, dict) and isinstance(entry.get("gflops"), (int, float)) \
        else None


def store_peak(device: str, precision: str, gflops: float) -> dict:
    """Cache a measured peak and return the entry kept.  A peak is a max (noise only ever
    lowers a rate), so a lower measurement never replaces a higher one: it is kept beside
    it as ``latest``, with its time, and the higher peak stays the ceiling."""
    data = _load()
    measured = {"gflops": gflops, "method": METHOD,
                "measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds")}
    old = cached_peak(device, precision)
    entry = measured
    if old is not None and old["gflops"] > gflops:
        entry = dict(old, latest={k: measured[k] for k in ("gflops", "measured_at")})
    data.setdefault(fingerprint(device), {})[precision] = entry
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(str(path), data)
    return entry


def peak_for(core: ov.Core, device: str, precision: str, measure: bool) -> dict | None:
    """Cached peak for this machine, measured now (and cached) when ``measure`` is set."""
    entry = cached_peak(device, precision)
    if entry is None and measure:
        entry = store_peak(device, precision, measure_peak(core, device, precision))
    return entry
