"""Per-layer time from OpenVINO's performance counters, in a separate profiling pass.

Profiling changes what is measured (counters cost time, and reading them per inference is
slow Python), so it never runs inside the timed window.  Unlike benchmark_app, which shows
the last inference of each request, the times here are summed over every inference of the
pass, so one unlucky inference does not decide the ranking.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import openvino as ov

from .config import BenchmarkConfig
from .device import compile_properties


@dataclass(frozen=True)
class LayerTime:
    name: str
    type: str
    exec_type: str
    total_ms: float
    mean_ms: float       # per inference
    share_pct: float     # of all layers' summed time

    def to_dict(self) -> dict:
        return asdict(self)


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
                   min_inferences: int = 10) -> tuple[list[LayerTime], int]:
    """Run the model with counters on for ``seconds`` (at least ``min_inferences``)."""
    props = dict(compile_properties(config), PERF_COUNT=True)
    compiled = core.compile_model(model, config.device, props)
    queue = ov.AsyncInferQueue(compiled, len(tensors))
    for request, inputs in zip(queue, tensors):
        for name, tensor in inputs.items():
            request.set_tensor(name, tensor)
    requests = [queue[i] for i in range(len(queue))]
    queue.start_async()          # warm-up: one inference, not counted
    queue.wait_all()
    totals: dict[str, list] = {}
    in_flight = [False] * len(requests)
    done = 0
    deadline = time.perf_counter() + seconds
    while done < min_inferences or time.perf_counter() < deadline:
        idle = queue.get_idle_request_id()
        if in_flight[idle]:
            _accumulate(totals, requests[idle])
            done += 1
        in_flight[idle] = True
        queue.start_async()
    queue.wait_all()
    for idle, busy in enumerate(in_flight):
        if busy:
            _accumulate(totals, requests[idle])
            done += 1
    grand = sum(v[2] for v in totals.values()) or 1.0
    layers = [LayerTime(name, t, e, ms, ms / done, 100 * ms / grand)
              for name, (t, e, ms) in totals.items()]
    return sorted(layers, key=lambda layer: layer.total_ms, reverse=True), done
