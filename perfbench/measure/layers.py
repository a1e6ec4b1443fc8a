"""Per-layer time from OpenVINO's performance counters, in a separate profiling pass.

Profiling changes what is measured (counters cost time, and reading them per inference is
slow Python), so it never runs inside the timed window.  Unlike benchmark_app, which shows
the last inference of each request, the times here are summed over every inference of the
pass, so one unlucky inference does not decide the ranking.
"""

from __future__ import annotations

import time

import openvino as ov

from perfbench.results.types import LayerTime

from perfbench.settings.config import BenchmarkConfig
from perfbench.measure.loop import make_pool, run_each
from perfbench.model.compile import compile_model


def _accumulate(totals: dict, request) -> None:
    for info in request.profiling_info:
        if info.status != info.Status.EXECUTED:
            continue
        key = info.node_name
        entry = totals.get(key)
        ms = info.real_time.total_seconds() * 1e3
        if entry is None:
            totals[key] = [info.node_type, info.exec_type, ms]
        else:
            entry[2] += ms


def profile_layers(core: ov.Core, model: ov.Model, config: BenchmarkConfig,
                   tensors: list[dict[str, ov.Tensor]], seconds: float = 2.0,
                   min_inferences: int = 10) -> list[LayerTime]:
    """Run the model with counters on for ``seconds`` (at least ``min_inferences``)."""
    compilation = compile_model(core, model, config, extra={"PERF_COUNT": True})
    queue = make_pool(compilation.model, len(tensors), tensors)
    queue.start_async()          # warm-up: one inference, not counted
    queue.wait_all()
    totals: dict[str, list] = {}
    deadline = time.perf_counter() + seconds
    done = run_each(queue, lambda n: n < min_inferences or time.perf_counter() < deadline,
                    lambda request: _accumulate(totals, request))
    grand = sum(v[2] for v in totals.values()) or 1.0
    layers = [LayerTime(name, t, e, ms, ms / done, 100 * ms / grand)
              for name, (t, e, ms) in totals.items()]
    return sorted(layers, key=lambda layer: layer.total_ms, reverse=True)
