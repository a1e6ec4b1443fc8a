"""Measurement windows: the clock, the ~1 s window tracker and the stop limits.

Every measuring loop (closed loop, sync, server) cuts its run into windows the same way,
so they share this module.  The clock is :data:`clock`, looked up when a loop starts:
tests replace it with a fake clock to make time-dependent behaviour deterministic.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from perfbench.measure.recorder import LatencyRecorder
from perfbench.results.types import LatencyStats, Window
from perfbench.stats.percentiles import nearest_rank

WINDOW_S = 1.0
#: A final window shorter than this (the drain after the last tick) joins the window
#: before it, so every window of a run lasts 0.5-1.5 s: a window of a few milliseconds
#: holding one request is not a throughput sample of the same weight as a full one.
MIN_WINDOW_S = WINDOW_S / 2

#: The time source of every loop (seconds, monotonic).
clock = time.perf_counter


@dataclass(frozen=True)
class Measurement:
    """Raw outcome of one measured window (warm-up excluded)."""

    duration_s: float           # first start to last completion, drain included
    completed: int              # requests completed (each holds ``batch`` images)
    recorder: LatencyRecorder   # every latency, for statistics and pooling across trials
    windows: tuple[Window, ...]
    stop_reason: str            # "time", "iterations", "stable" or "interrupted"
    issue_delays: LatencyRecorder | None = None   # server scenario: the generator's lateness
    #: CPU time of the thread that drove the requests over the window (closed loop only)
    driver_cpu_s: float | None = None
    #: server scenario: the span arrivals were scheduled over (``-t``, or up to the stop),
    #: which the achieved rate is counted over...
    scheduled_s: float | None = None
    #: ...and how far behind its schedule the last arrival was issued (a queue building)
    behind_schedule_s: float | None = None

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
    batch: int = 1              # images per request, set by whoever knows the model

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


class WindowTracker:
    """Cuts the measured window into ~1 s windows as the loop passes each tick, and decides
    there (never per request) whether the run must stop early."""

    def __init__(self, recorder: LatencyRecorder, t0: float, limits: StopLimits,
                 on_window: WindowHook | None):
        self.recorder, self.t0, self.limits, self.on_window = recorder, t0, limits, on_window
        self.windows: list[Window] = []
        self.window_start = t0
        self.completed = 0
        self.stop_reason: str | None = None
        self._last_chunk = np.empty(0)

    def close_window(self, now: float, final: bool = False) -> bool:
        """Close the current window; True when the run should stop.  The final window
        (after the drain) is shown to the hook but cannot change why the run stopped; when
        it is shorter than :data:`MIN_WINDOW_S` it joins the window before it."""
        chunk = self.recorder.flush()
        self.completed += len(chunk)
        if final and self.windows and now - self.window_start < MIN_WINDOW_S:
            self._join_tail(chunk, now)
        else:
            self.windows.append(_window(chunk, self.window_start - self.t0, now - self.t0))
            self._last_chunk = chunk
        self.window_start = now
        if self.on_window is not None:
            reason = self.on_window(Progress(now - self.t0, self.limits.time_s,
                                             self.limits.iterations, self.completed,
                                             self.windows))
            if not final and self.stop_reason is None:
                self.stop_reason = reason
        if not final and self.stop_reason is None and self.limits.stop_event.is_set():
            self.stop_reason = "interrupted"
        return self.stop_reason is not None

    def _join_tail(self, chunk: np.ndarray, now: float) -> None:
        """The last window, extended to ``now`` with the tail's completions (percentiles
        of the joined samples; the recorder keeps one chunk per window for intervals)."""
        if len(chunk):
            self.recorder.join_last_chunks()
        joined = np.concatenate([self._last_chunk, chunk])
        self.windows[-1] = _window(joined, self.windows[-1].start_s, now - self.t0)
        self._last_chunk = joined


def _window(chunk: np.ndarray, start_s: float, end_s: float) -> Window:
    median, p90, p99 = window_percentiles(chunk)
    return Window(start_s, end_s, len(chunk), median, p90, p99)


def window_percentiles(chunk: np.ndarray) -> tuple[float | None, ...]:
    """Nearest-rank median, p90 and p99 of one window, by partial partitioning (O(n)): a
    full sort of up to ~30,000 samples a second would stall the measuring thread."""
    if len(chunk) == 0:
        return None, None, None
    ranks = [nearest_rank(len(chunk), p) for p in (50, 90, 99)]
    parted = np.partition(chunk, ranks)
    return tuple(float(parted[r]) for r in ranks)



def deadline_of(limits: StopLimits) -> float:
    return limits.time_s if limits.time_s is not None else float("inf")


def finish(recorder: LatencyRecorder, tracker: WindowTracker, duration: float,
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
