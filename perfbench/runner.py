"""One benchmark, start to finish: config → model → compiled model → timings → result.

This is the Python API the CLI is a thin layer over::

    from perfbench import BenchmarkConfig, run
    result = run(BenchmarkConfig(hint="latency", time=10))
    print(result.fps, result.latency.p99)
"""

from __future__ import annotations

import threading
from typing import Callable

import openvino as ov

from . import environment
from .config import BenchmarkConfig
from .device import check_device, compile_model
from .engine import Progress, StopLimits, make_pool, measure_async, measure_sync, warm_up
from .inputs import make_tensors
from .model import prepare_model
from .result import BenchmarkResult, ModelInfo


def run(config: BenchmarkConfig, on_window: Callable[[Progress], None] | None = None,
        stop_event: threading.Event | None = None) -> BenchmarkResult:
    core = ov.Core()
    check_device(core, config.device)  # before the model build, which takes a while
    prepared = prepare_model(config, core)
    compiled = compile_model(core, prepared.model, config)
    pool_size = 1 if config.api == "sync" else (
        config.requests or compiled.resolved.get("optimal_requests", 1))
    tensors = make_tensors(prepared.inputs, config.seed, pool_size)
    queue = make_pool(compiled.compiled, pool_size, tensors)
    first_ms, warmup_runs = warm_up(queue, config.warmup)
    limits = StopLimits(config.time_limit_s, config.iterations)
    if stop_event is not None:
        limits.stop_event = stop_event
    if config.api == "sync":
        measured = measure_sync(queue[0], limits, on_window)
    else:
        measured = measure_async(queue, limits, on_window)
    model_info = ModelInfo(prepared.name, prepared.source,
                           tuple({"name": s.name, "element_type": s.element_type,
                                  "shape": list(s.shape)} for s in prepared.inputs),
                           prepared.batch, prepared.gflops_per_image, prepared.gflops_source)
    return BenchmarkResult(
        status="interrupted" if measured.stop_reason == "interrupted" else "complete",
        model=model_info, requested=config.to_dict(), resolved=compiled.resolved,
        pool_size=pool_size, compile_ms=compiled.compile_ms, first_inference_ms=first_ms,
        warmup_inferences=warmup_runs, duration_s=measured.duration_s,
        completed_requests=measured.completed, stop_reason=measured.stop_reason,
        latency=measured.latency, windows=measured.windows,
        environment=environment.describe())
