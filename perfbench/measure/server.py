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

import dataclasses
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


def _wait_until(moment: float, clock, slack_work) -> None:
    """Sleep, then spin, until ``moment``; ``slack_work`` runs first while there is time."""
    if moment - clock() > 2 * _SPIN_S:
        slack_work()
    remaining = moment - clock()
    if remaining > _SPIN_S:
        time.sleep(remaining - _SPIN_S)
    while clock() < moment:
        pass


def measure_server(queue: ov.AsyncInferQueue, rate: float, limits: StopLimits, seed: int,
                   on_window: WindowHook | None = None, feeds=None) -> Measurement:
    """``feeds`` (a ``model.inputs.SampleFeed``): query k takes sample k mod N."""
    try:
        return _OpenLoop(queue, feeds).run(rate, limits, seed, on_window)
    except RuntimeError as exc:
        drain(queue)
        raise RunFailed(f"inference failed: {runtime_message(exc)}") from None


def issue_delay_ms(ready: float, scheduled: float, previous_issue: float) -> float:
    """How late the generator was ready to issue an arrival, by its own doing: from the
    later of its scheduled time and the previous issue (a backlog left by a busy device is
    queueing, not lateness) to the moment the loop was ready, before it waited for a free
    request."""
    return 1e3 * max(ready - max(scheduled, previous_issue), 0.0)


class _OpenLoop:
    """The server scenario's request pool: issues arrivals, records each latency from its
    scheduled arrival, and measures the generator's own lateness apart from queueing.

    Issue delay (MLPerf LoadGen's word) of an arrival is the time the generator itself lost:
    see :func:`issue_delay_ms`.  Time blocked waiting for a free request is the device's
    queue and belongs to latency; the rest (a late wake-up, a slow loop) is the
    generator's, which makes a run invalid for its rate when it grows."""

    def __init__(self, queue: ov.AsyncInferQueue, feeds=None):
        self.queue = queue
        self.requests = [queue[i] for i in range(len(queue))]
        self.waited_ms = [0.0] * len(self.requests)
        self.in_flight = [False] * len(self.requests)
        self.recorder = LatencyRecorder()
        self.delays = LatencyRecorder()
        no_inputs: dict = {}
        self.inputs = feeds.next_query if feeds is not None else (lambda: no_inputs)
        self.lag_s = 0.0        # how far behind its schedule the latest arrival was issued
        base = super(ov.AsyncInferQueue, queue)     # skips the wrapper's input dispatch
        self.get_idle, self.start = (base.get_idle_request_id,  # type: ignore[attr-defined]
                                     base.start_async)  # type: ignore[attr-defined]

    def harvest(self) -> None:
        """Record requests that have completed, while waiting for the next arrival: a
        latency lands in the window it completed in, not when its request is reused."""
        for index, busy in enumerate(self.in_flight):
            if busy and self.requests[index].wait_for(0):
                self._record(index)

    def _record(self, index: int) -> None:
        self.recorder.pending.append(self.waited_ms[index] + self.requests[index].latency)
        self.in_flight[index] = False

    def run(self, rate: float, limits: StopLimits, seed: int, on_window) -> Measurement:
        """Issue the arrivals scheduled within the limits; the scheduled span (the run's
        length for the achieved rate) ends at ``-t``, at the arrival after the ``-n``-th,
        or at a stop, and the loop waits it out, so a slow rate is not counted over the
        time to its last completion only."""
        clock = windows.clock
        duration = limits.time_s if limits.time_s is not None else float("inf")
        max_issued = limits.iterations or 2**62
        t0 = clock()
        tracker = WindowTracker(self.recorder, t0, limits, on_window)
        next_tick, issued, last_issue = t0 + WINDOW_S, 0, t0
        for offset in arrivals(rate, seed):
            if offset >= duration or issued >= max_issued:
                span = min(offset, duration)
                _wait_until(t0 + span, clock, self.harvest)
                break
            _wait_until(t0 + offset, clock, self.harvest)
            ready = clock()
            # The time limit holds under overload too: arrivals the device could not take
            # by then are not issued (the run's achieved rate shows the shortfall).
            if ready - t0 >= duration:
                span, self.lag_s = duration, ready - (t0 + offset)
                break
            now = self._issue(t0 + offset, ready, last_issue)
            issued, last_issue = issued + 1, now
            if now >= next_tick:
                self.delays.flush()
                if tracker.close_window(now):
                    span = now - t0
                    break
                next_tick = now + WINDOW_S
        return self._finish(tracker, t0, limits, issued, span)

    def _issue(self, arrival: float, ready: float, last_issue: float) -> float:
        """Start the arrival on the first idle request (waiting for one while all are
        busy: queueing, part of its latency); returns when it started."""
        idle = self.get_idle()                     # blocks while every request is busy
        if self.in_flight[idle]:
            self._record(idle)
        now = windows.clock()
        self.waited_ms[idle] = (now - arrival) * 1e3
        self.lag_s = now - arrival
        self.in_flight[idle] = True
        self.start(self.inputs(), None)
        self.delays.pending.append(issue_delay_ms(ready, arrival, last_issue))
        return now

    def _finish(self, tracker: WindowTracker, t0: float, limits: StopLimits,
                issued: int, span: float) -> Measurement:
        self.queue.wait_all()
        t_end = windows.clock()
        for index, busy in enumerate(self.in_flight):
            if busy:
                self._record(index)
        tracker.close_window(t_end, final=True)
        measured = finish(self.recorder, tracker, t_end - t0, limits, issued)
        return dataclasses.replace(measured, issue_delays=self.delays, scheduled_s=span,
                                   behind_schedule_s=max(self.lag_s, 0.0))
