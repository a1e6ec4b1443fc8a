"""Drive inference requests and collect timings; no statistics beyond per-window summaries.

The measuring loop is the hot path of the whole tool, so it does as little Python as
possible per request: wait for an idle request (GIL released inside OpenVINO), append its
latency to an ``array``, start it again.  It uses the pybind base methods of
``AsyncInferQueue`` directly, skipping the Python wrapper's per-call input dispatch, and no
per-request Python callback.  Everything else (windows, progress, stop checks) happens once
per window tick.

Latency is OpenVINO's own ``request.latency``: from just before the request is started to
its completion callback, so time queued inside the plugin counts.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import openvino as ov

from .errors import RunFailed, runtime_message
from .latency import LatencyRecorder
from .stats import LatencyStats, nearest_rank

#: Length of one measurement window (also the timeline's resolution and progress period).
WINDOW_S = 1.0

_clock = time.perf_counter


@dataclass(frozen=True)
class Window:
    """One slice of the measured window: completions observed in it and their latency."""

    start_s: float
    end_s: float
    completed: int
    latency_median_ms: float | None
    latency_p90_ms: float | None
    latency_p99_ms: float | None
    trial: int = 0


@dataclass(frozen=True)
class Measurement:
    """Raw outcome of one measured window (warm-up excluded)."""

    duration_s: float           # first start to last completion, drain included
    completed: int              # requests completed (each holds ``batch`` images)
    recorder: LatencyRecorder   # every latency, for statistics and pooling across trials
    windows: tuple[Window, ...]
    stop_reason: str            # "time", "iterations", "stable" or "interrupted"

    @property
    def latency(self) -> LatencyStats:
        return self.recorder.summary()


@dataclass
class Progress:
    """Handed to ``on_window`` once per window (live display, monitor, stop rule)."""

    elapsed_s: float
    time_limit_s: float | None
    iteration_limit: int | None
    completed: int
    windows: list[Window]

    @property
    def last_window(self) -> Window:
        return self.windows[-1]


#: ``on_window`` returns None to go on, or a stop reason (e.g. "stable") to end the run.
WindowHook = Callable[[Progress], "str | None"]


@dataclass
class StopLimits:
    time_s: float | None
    iterations: int | None
    stop_event: threading.Event = field(default_factory=threading.Event)


class _WindowTracker:
    """Cuts the measured window into ~1 s windows as the loop passes each tick, and decides
    there (never per request) whether the run must stop early."""

    def __init__(self, recorder: LatencyRecorder, t0: float, limits: StopLimits,
                 on_window: WindowHook | None):
        self.recorder, self.t0, self.limits, self.on_window = recorder, t0, limits, on_window
        self.windows: list[Window] = []
        self.window_start = t0
        self.completed = 0
        self.stop_reason: str | None = None

    def close_window(self, now: float, final: bool = False) -> bool:
        """Close the current window; True when the run should stop.  The final window
        (after the drain) is shown to the hook but cannot change why the run stopped."""
        chunk = self.recorder.flush()
        self.completed += len(chunk)
        median, p90, p99 = window_percentiles(chunk)
        window = Window(self.window_start - self.t0, now - self.t0, len(chunk), median, p90, p99)
        self.windows.append(window)
        self.window_start = now
        if self.on_window is not None:
            reason = self.on_window(Progress(now - self.t0, self.limits.time_s,
                                             self.limits.iterations, self.completed,
                                             self.windows))
            if not final and self.stop_reason is None:
                self.stop_reason = reason
        if self.limits.stop_event.is_set():
            self.stop_reason = "interrupted"
        return self.stop_reason is not None


def window_percentiles(chunk: np.ndarray) -> tuple[float | None, ...]:
    """Nearest-rank median, p90 and p99 of one window, by partial partitioning (O(n)): a
    full sort of up to ~30,000 samples a second would stall the measuring thread."""
    if len(chunk) == 0:
        return None, None, None
    ranks = [nearest_rank(len(chunk), p) for p in (50, 90, 99)]
    parted = np.partition(chunk, ranks)
    return tuple(float(parted[r]) for r in ranks)


def make_pool(compiled: ov.CompiledModel, size: int,
              tensors: list[dict[str, ov.Tensor]]) -> ov.AsyncInferQueue:
    queue = ov.AsyncInferQueue(compiled, size)
    for request, inputs in zip(queue, tensors):
        for name, tensor in inputs.items():
            request.set_tensor(name, tensor)
    return queue


def drain(queue: ov.AsyncInferQueue) -> None:
    """Wait for whatever is still running after a failure; its errors are already known."""
    try:
        queue.wait_all()
    except RuntimeError:
        pass


def warm_up(queue: ov.AsyncInferQueue, seconds: float,
            stop_event: threading.Event | None = None) -> tuple[float, int]:
    """First inference alone (reported separately), then every request at least once,
    then keep the pool busy for ``seconds`` (or until ``stop_event`` is set).
    Returns (first inference ms, inferences)."""
    try:
        return _warm_up(queue, seconds, stop_event or threading.Event())
    except RuntimeError as exc:
        drain(queue)
        raise RunFailed(f"inference failed during warm-up: {runtime_message(exc)}") from None


def _warm_up(queue: ov.AsyncInferQueue, seconds: float,
             stop_event: threading.Event) -> tuple[float, int]:
    first = queue[0]
    first.infer()
    first_ms = first.latency
    runs = 1
    deadline = _clock() + seconds
    while True:
        for _ in range(len(queue)):
            queue.start_async()
        runs += len(queue)
        if _clock() >= deadline or stop_event.is_set():
            break
    queue.wait_all()
    return first_ms, runs


def measure_async(queue: ov.AsyncInferQueue, limits: StopLimits,
                  on_window: WindowHook | None = None) -> Measurement:
    """Closed loop: keep every request busy until a limit is hit, then drain.  A request
    that fails ends the run as failed, with the runtime's message: its numbers are never
    reported as if the run had been fine."""
    try:
        return _measure_async(queue, limits, on_window)
    except RuntimeError as exc:
        drain(queue)
        raise RunFailed(f"inference failed: {runtime_message(exc)}") from None


def _measure_async(queue: ov.AsyncInferQueue, limits: StopLimits,
                   on_window: WindowHook | None) -> Measurement:
    recorder = LatencyRecorder()
    requests = [queue[i] for i in range(len(queue))]
    in_flight = [False] * len(requests)
    base = super(ov.AsyncInferQueue, queue)
    get_idle, start = base.get_idle_request_id, base.start_async
    record = recorder.pending.append
    no_inputs: dict = {}
    deadline = _deadline(limits)
    max_starts = limits.iterations or 2**62
    starts = 0
    t0 = _clock()
    tracker = _WindowTracker(recorder, t0, limits, on_window)
    deadline += t0
    next_tick = t0 + WINDOW_S
    while True:
        idle = get_idle()
        if in_flight[idle]:
            record(requests[idle].latency)
            in_flight[idle] = False
        now = _clock()
        if now >= next_tick:
            if tracker.close_window(now):
                break
            next_tick = now + WINDOW_S
        if now >= deadline or starts >= max_starts:
            break
        in_flight[idle] = True
        start(no_inputs, None)
        starts += 1
    queue.wait_all()
    t_end = _clock()
    for idle, busy in enumerate(in_flight):
        if busy:
            record(requests[idle].latency)
    tracker.close_window(t_end, final=True)
    return finish(recorder, tracker, t_end - t0, limits, starts)


def measure_sync(request: ov.InferRequest, limits: StopLimits,
                 on_window: WindowHook | None = None) -> Measurement:
    """One blocking request at a time: latency-bound use, no overlap."""
    try:
        return _measure_sync(request, limits, on_window)
    except RuntimeError as exc:
        raise RunFailed(f"inference failed: {runtime_message(exc)}") from None


def _measure_sync(request: ov.InferRequest, limits: StopLimits,
                  on_window: WindowHook | None) -> Measurement:
    recorder = LatencyRecorder()
    record = recorder.pending.append
    infer = request.infer
    max_runs = limits.iterations or 2**62
    runs = 0
    t0 = _clock()
    tracker = _WindowTracker(recorder, t0, limits, on_window)
    deadline = t0 + _deadline(limits)
    next_tick = t0 + WINDOW_S
    while True:
        infer()
        record(request.latency)
        runs += 1
        now = _clock()
        if now >= next_tick:
            if tracker.close_window(now):
                break
            next_tick = now + WINDOW_S
        if now >= deadline or runs >= max_runs:
            break
    t_end = _clock()
    tracker.close_window(t_end, final=True)
    return finish(recorder, tracker, t_end - t0, limits, runs)


def _deadline(limits: StopLimits) -> float:
    return limits.time_s if limits.time_s is not None else float("inf")


def finish(recorder: LatencyRecorder, tracker: _WindowTracker, duration: float,
           limits: StopLimits, starts: int) -> Measurement:
    """The measurement, with why it stopped: the tracker's reason (stable, interrupted),
    else the iteration limit, else time."""
    if tracker.stop_reason is not None:
        reason = tracker.stop_reason
    elif limits.iterations is not None and starts >= limits.iterations:
        reason = "iterations"
    else:
        reason = "time"
    recorder.flush()
    return Measurement(duration, tracker.completed, recorder, tuple(tracker.windows), reason)
