"""The window tracker on synthetic times: no loop, no device, so every boundary is known."""

import pytest

from perfbench.measure.recorder import LatencyRecorder
from perfbench.measure.windows import StopLimits, WindowTracker


def _tracker():
    recorder = LatencyRecorder()
    return recorder, WindowTracker(recorder, 10.0, StopLimits(time_s=1.0, iterations=None),
                                   None)


def test_a_short_drain_tail_joins_the_window_before_it():
    """`run -t 1` ended with a window of 1.7 ms holding 1 request beside a full one: as a
    window of its own it made the FPS interval ±1206 %.  It belongs to the last window."""
    recorder, tracker = _tracker()
    recorder.pending.extend([1.0] * 99 + [3.0])
    tracker.close_window(11.0)
    recorder.pending.append(2.0)
    tracker.close_window(11.0017, final=True)
    assert len(tracker.windows) == 1
    window = tracker.windows[0]
    assert (window.start_s, window.end_s, window.completed) == (0.0, pytest.approx(1.0017), 101)
    assert window.latency_p99_ms == 2.0         # nearest rank 100 of the 101 merged samples
    assert tracker.completed == 101
    assert [len(c) for c in recorder._exact] == [101]   # one chunk per window, for intervals


def test_a_tail_of_half_a_window_or_more_stays_a_window():
    from perfbench.measure.windows import MIN_WINDOW_S
    recorder, tracker = _tracker()
    recorder.pending.extend([1.0] * 100)
    tracker.close_window(11.0)
    recorder.pending.extend([1.0] * 50)
    tracker.close_window(11.0 + MIN_WINDOW_S, final=True)
    assert [w.completed for w in tracker.windows] == [100, 50]


def test_the_only_window_is_kept_however_short():
    recorder, tracker = _tracker()
    recorder.pending.extend([1.0] * 3)
    tracker.close_window(10.002, final=True)
    assert [w.completed for w in tracker.windows] == [3]
