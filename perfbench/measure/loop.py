"""Drive inference requests and collect timings; no statistics beyond per-window summaries.

The measuring loop is the hot path of the whole tool, so it does as little Python as
possible per request: wait for an idle request (GIL released inside OpenVINO), append its
latency to an ``array``, start it again.  It uses the pybind base methods of
``AsyncInferQueue`` directly, skipping the Python wrapper's per-call input dispatch, and no
per-request Python callback.  Everything else (windows, progress, stop checks) happens once
per window tick.

Latency is OpenVINO's own ``request.latency``: from just before the request is started to
its completion callback, so time queued inside the plugin counts.

The closed loop also records the CPU time of its own thread over the measured window
(``Measurement.driver_cpu_s``): when that thread is busy most of the time, the FPS is
bounded by the Python driver, not by the runtime (``system.checks``).  That one thread is
all the Python there is per request: ``AsyncInferQueue``'s default completion callbacks are
C++ that push the idle handle and notify, without taking the GIL, and this loop sets no
Python callback.  Its time includes the once-per-window work (live view, monitor sample,
stop rule) it does between requests, which costs the inference just as much.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import TYPE_CHECKING, Callable

import openvino as ov

from perfbench.errors import RunFailed, runtime_message
from perfbench.measure import windows
from perfbench.measure.recorder import LatencyRecorder
from perfbench.measure.windows import (WINDOW_S, Measurement, StopLimits, WindowHook,
                                       WindowTracker, deadline_of, finish)

if TYPE_CHECKING:      # a type only: measuring needs no input-data module
    from perfbench.model.inputs import SampleFeed

#: CPU seconds of the calling thread: the measuring thread's own cost (tests replace it).
thread_cpu = time.thread_time

#: How long a run stopped by its time limit (or by a signal, or as stable) waits at least
#: for the requests still in flight.  On a stalled host that wait was unbounded:
#: ``--max-time 12`` measured 14.15 s.  Those that complete within the bound count (in the
#: window they end in, which then ends at the last of them); the rest are left out of the
#: figures and are waited for outside the measured window.  Cutting a request loses the
#: work it had done, so FPS is understated by the share of the requests cut: the bound
#: (:func:`drain_bound`) is long enough for every request executing at the stop to finish
#: (a slow model's too), and no longer, so requests queued behind them are not waited for.
#: An iteration limit waits for every request: it asked for exactly that many.
DRAIN_LIMIT_S = WINDOW_S / 2
#: The drain waits up to this many service times (the time one request takes on a stream,
#: from the measured completion rate): one for the requests executing at the stop, one of
#: room for a host slower during the drain than during the run.
DRAIN_SERVICE_TIMES = 2.0
#: Granularity of that wait (real milliseconds per poll of one request).
DRAIN_POLL_MS = 5
#: The drain's bound runs on real time, not on ``windows.clock``: a test's fake clock
#: then sees one read for the drain however long the requests take on a loaded machine.
drain_clock = time.perf_counter


def drain_bound(completed: int, elapsed_s: float, pool: int, streams: int) -> float:
    """How long the drain may wait: :data:`DRAIN_SERVICE_TIMES` service times, at least
    :data:`DRAIN_LIMIT_S` and at most the measured time before the stop (the drain never
    doubles a run).  ``completed`` requests in ``elapsed_s``, at most ``min(pool,
    streams)`` executing at once: one service time is that many over the completion rate.
    Not the latency (2 × the longest, say): latency includes the time queued behind other
    requests, so with 32 requests on one stream it is 32 service times, and waiting it is
    waiting for the whole queue.  Before any completion the service time is unknown (and
    longer than ``elapsed_s``): the cap then."""
    cap = max(DRAIN_LIMIT_S, elapsed_s)
    if completed <= 0 or elapsed_s <= 0:
        return cap
    service_s = min(pool, streams) * elapsed_s / completed
    return min(cap, max(DRAIN_LIMIT_S, DRAIN_SERVICE_TIMES * service_s))


def streams_of(request: ov.InferRequest, pool: int) -> int:
    """How many requests the device executes at once (its streams); the pool's size where
    the device does not say (every request is then taken as executing)."""
    try:
        return max(1, int(request.get_compiled_model().get_property("NUM_STREAMS")))
    except (RuntimeError, TypeError, ValueError):
        return pool


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
    clock = windows.clock
    first = queue[0]
    first.infer()
    first_ms = first.latency
    runs = 1
    deadline = clock() + seconds
    while True:
        for _ in range(len(queue)):
            queue.start_async()
        runs += len(queue)
        if clock() >= deadline or stop_event.is_set():
            break
    queue.wait_all()
    return first_ms, runs


def measure_async(queue: ov.AsyncInferQueue, limits: StopLimits,
                  on_window: WindowHook | None = None,
                  feeds: SampleFeed | None = None) -> Measurement:
    """Closed loop: keep every request busy until a limit is hit, then drain.  A request
    that fails ends the run as failed, with the runtime's message: its numbers are never
    reported as if the run had been fine.  ``feeds`` (a ``model.inputs.SampleFeed``): the
    input samples, when there are more than requests; each restart sets the request's next
    one, continuing where the feed's previous run left off."""
    try:
        return _measure_async(queue, limits, on_window, feeds)
    except RuntimeError as exc:
        drain(queue)
        raise RunFailed(f"inference failed: {runtime_message(exc)}") from None


def _measure_async(queue: ov.AsyncInferQueue, limits: StopLimits,
                   on_window: WindowHook | None, feeds=None) -> Measurement:
    clock = windows.clock
    recorder = LatencyRecorder()
    requests = [queue[i] for i in range(len(queue))]
    in_flight = [False] * len(requests)
    base = super(ov.AsyncInferQueue, queue)
    # the pybind base's own methods, which openvino's stubs do not declare
    get_idle, start = base.get_idle_request_id, base.start_async  # type: ignore[attr-defined]
    record = recorder.pending.append
    no_inputs: dict = {}
    take = feeds.for_request if feeds is not None and feeds.cycling else None
    max_starts = limits.iterations or 2**62
    starts = 0
    t0, cpu0 = clock(), thread_cpu()
    tracker = WindowTracker(recorder, t0, limits, on_window)
    deadline, next_tick = t0 + deadline_of(limits), t0 + WINDOW_S
    while True:
        idle = get_idle()
        if in_flight[idle]:
            record(requests[idle].latency)
            in_flight[idle] = False
        now = clock()
        if now >= next_tick:
            if tracker.close_window(now):
                break
            now = clock()        # the window's hook (monitor, live view) took time too
            next_tick = now + WINDOW_S
        if now >= deadline or starts >= max_starts:
            break
        in_flight[idle] = True
        start(no_inputs if take is None else take(idle), None)
        starts += 1
    return _drain(queue, requests, in_flight, recorder, tracker, limits, starts, cpu0, now)


def _drain(queue, requests, in_flight, recorder, tracker, limits, starts,
           cpu0: float, stopped_at: float) -> Measurement:
    """Wait for the requests still running; they count, in the window they end in, unless
    the wait passes :func:`drain_bound` (then they are cut: see :data:`DRAIN_LIMIT_S`).
    The measured window ends at the last completion counted (``stopped_at``, the loop's
    last reading, when none completes in the drain): a cut request's wait is no part of
    it.  The thread's CPU time is read with the window's end, before the bookkeeping."""
    exact = limits.iterations is not None and starts >= limits.iterations \
        and tracker.stop_reason is None
    if exact:
        queue.wait_all()
        finished = [i for i, busy in enumerate(in_flight) if busy]
        t_end = windows.clock()
    else:
        completed = tracker.completed + len(recorder.pending)
        bound = drain_bound(completed, stopped_at - tracker.t0, len(requests),
                            streams_of(requests[0], len(requests)))
        finished, last_seen = _wait_bounded(requests, in_flight, drain_clock() + bound)
        t_end = stopped_at if last_seen is None else last_seen
    cpu_end = thread_cpu()
    for idle in finished:
        recorder.pending.append(requests[idle].latency)
    tracker.close_window(t_end, final=True)
    if not exact:
        drain(queue)                  # the cut ones, outside the measured window
    measured = finish(recorder, tracker, t_end - tracker.t0, limits, starts)
    return dataclasses.replace(measured, driver_cpu_s=cpu_end - cpu0)


def _wait_bounded(requests, in_flight: list[bool],
                  cut_at: float) -> tuple[list[int], float | None]:
    """The in-flight requests that complete before ``cut_at`` (on :data:`drain_clock`),
    and when (on ``windows.clock``) the last of them was seen complete, None when none.
    It always waits on a request still running, so the last completion is seen at once
    (a timed-out poll can only delay seeing an earlier one)."""
    clock = drain_clock
    pending = [i for i, busy in enumerate(in_flight) if busy]
    finished: list[int] = []
    last_seen = None
    while pending:
        done = [i for i in pending if requests[i].wait_for(0)]
        if done:
            finished += done
            last_seen = windows.clock()
            pending = [i for i in pending if i not in done]
        if not pending or clock() >= cut_at:
            break
        requests[pending[0]].wait_for(DRAIN_POLL_MS)
    return finished, last_seen


def measure_sync(request: ov.InferRequest, limits: StopLimits,
                 on_window: WindowHook | None = None,
                 feeds=None) -> Measurement:
    """One blocking request at a time: latency-bound use, no overlap; ``feeds`` cycles
    input samples as in :func:`measure_async`."""
    try:
        return _measure_sync(request, limits, on_window, feeds)
    except RuntimeError as exc:
        raise RunFailed(f"inference failed: {runtime_message(exc)}") from None


def _measure_sync(request: ov.InferRequest, limits: StopLimits,
                  on_window: WindowHook | None, feeds=None) -> Measurement:
    clock = windows.clock
    recorder = LatencyRecorder()
    record = recorder.pending.append
    infer = request.infer
    max_runs = limits.iterations or 2**62
    runs = 0
    t0 = clock()
    tracker = WindowTracker(recorder, t0, limits, on_window)
    deadline = t0 + deadline_of(limits)
    next_tick = t0 + WINDOW_S
    while True:
        if feeds is None:
            infer()
        else:
            infer(feeds.for_request(0))
        record(request.latency)
        runs += 1
        now = clock()
        if now >= next_tick:
            if tracker.close_window(now):
                break
            next_tick = now + WINDOW_S
        if now >= deadline or runs >= max_runs:
            break
    t_end = clock()
    tracker.close_window(t_end, final=True)
    return finish(recorder, tracker, t_end - t0, limits, runs)


def run_each(queue: ov.AsyncInferQueue, keep_going: Callable[[int], bool],
             on_complete: Callable[[ov.InferRequest], None]) -> int:
    """A plain closed loop with a Python call per completed request, for passes that are
    not timed (profiling): the timed loop above never pays for such a call.  Returns how
    many requests completed; ``keep_going(completed)`` decides when to stop starting more."""
    requests = [queue[i] for i in range(len(queue))]
    in_flight = [False] * len(requests)
    done = 0
    while keep_going(done):
        idle = queue.get_idle_request_id()
        if in_flight[idle]:
            on_complete(requests[idle])
            done += 1
        in_flight[idle] = True
        queue.start_async()
    queue.wait_all()
    for idle, busy in enumerate(in_flight):
        if busy:
            on_complete(requests[idle])
            done += 1
    return done
