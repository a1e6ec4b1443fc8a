"""Load scenarios in MLPerf's vocabulary.

* ``offline``: the closed loop of :mod:`engine` (every request busy; maximum throughput).
* ``single-stream``: one request in flight at a time; its p90 latency is the headline.
* ``server``: open loop.  Arrivals follow a seeded Poisson process at the target rate and
  each latency is counted **from the scheduled arrival**: when the device is saturated a
  query waits for a free request, and that wait is part of its latency (no coordinated
  omission: a late sender cannot hide queueing).  No Python callback runs per request:
  the wait before starting is measured in the loop, and OpenVINO's own ``latency`` covers
  start to completion, so latency = (start − scheduled) + request.latency.
"""

from __future__ import annotations

import time
from typing import Iterator

import numpy as np
import openvino as ov

from perfbench.measure import windows
from perfbench.measure.loop import drain
from perfbench.measure.windows import (WINDOW_S, Measurement, StopLimits, WindowHook,
                                       WindowTracker, finish)
from perfbench.errors import RunFailed, runtime_message
from perfbench.measure.recorder import LatencyRecorder

#: Sleep until this close to an arrival, then spin: sleep() overshoots by ~0.1 ms.
_SPIN_S = 0.0005


#: Arrivals are drawn this many at a time, so memory stays bounded at any rate or duration.
ARRIVAL_CHUNK = 65_536


def arrival_times(rate: float, count: int, seed: int) -> np.ndarray:
    """Seconds from the start of each arrival of a Poisson process at ``rate`` per second."""
    gaps = np.random.default_rng(seed).exponential(1.0 / rate, count)
    return np.cumsum(gaps)


def arrivals(rate: float, seed: int, chunk: int = ARRIVAL_CHUNK) -> Iterator[float]:
    """The same arrivals as :func:`arrival_times`, endless, drawn one chunk at a time."""
    rng = np.random.default_rng(seed)
    last = 0.0
    while True:
        times = last + np.cumsum(rng.exponential(1.0 / rate, chunk))
        last = float(times[-1])
        yield from times.tolist()


def _wait_until(moment: float, clock) -> None:
    remaining = moment - clock()
    if remaining > _SPIN_S:
        time.sleep(remaining - _SPIN_S)
    while clock() < moment:
        pass


def measure_server(queue: ov.AsyncInferQueue, rate: float, limits: StopLimits, seed: int,
                   on_window: WindowHook | None = None) -> Measurement:
    try:
        return _measure_server(queue, rate, limits, seed, on_window)
    except RuntimeError as exc:
        drain(queue)
        raise RunFailed(f"inference failed: {runtime_message(exc)}") from None


def _measure_server(queue, rate, limits, seed, on_window) -> Measurement:
    clock = windows.clock
    duration = limits.time_s if limits.time_s is not None else float("inf")
    max_issued = limits.iterations or 2**62
    recorder = LatencyRecorder()
    record = recorder.pending.append
    requests = [queue[i] for i in range(len(queue))]
    waited_ms = [0.0] * len(requests)
    in_flight = [False] * len(requests)
    base = super(ov.AsyncInferQueue, queue)
    get_idle, start = base.get_idle_request_id, base.start_async
    no_inputs: dict = {}
    t0 = clock()
    tracker = WindowTracker(recorder, t0, limits, on_window)
    next_tick = t0 + WINDOW_S
    issued = 0
    deadline = t0 + duration
    for offset in arrivals(rate, seed):
        # The time limit holds under overload too: arrivals the device could not take by
        # then are not issued (the run's achieved rate shows the shortfall).
        if offset >= duration or issued >= max_issued or clock() >= deadline:
            break
        arrival = t0 + offset
        _wait_until(arrival, clock)
        idle = get_idle()                       # blocks while every request is busy
        if in_flight[idle]:
            record(waited_ms[idle] + requests[idle].latency)
        now = clock()
        waited_ms[idle] = (now - arrival) * 1e3
        in_flight[idle] = True
        start(no_inputs, None)
        issued += 1
        if now >= next_tick:
            if tracker.close_window(now):
                break
            next_tick = now + WINDOW_S
    queue.wait_all()
    t_end = clock()
    for idle, busy in enumerate(in_flight):
        if busy:
            record(waited_ms[idle] + requests[idle].latency)
    tracker.close_window(t_end, final=True)
    return finish(recorder, tracker, t_end - t0, limits, issued)
