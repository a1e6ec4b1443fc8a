import threading

import openvino as ov
import pytest

from perfbench.measure.loop import make_pool, measure_async, measure_sync, warm_up
from perfbench.measure.windows import StopLimits
from perfbench.model.inputs import make_tensors
from perfbench.model.prepare import InputSpec
from tests.models import FakeClock, conv_model


@pytest.fixture
def fake_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("perfbench.measure.windows.clock", clock)
    return clock


@pytest.fixture(scope="module")
def compiled(core):
    return core.compile_model(conv_model(size=64, channels=16, filters=32), "CPU",
                              {"PERFORMANCE_HINT": "THROUGHPUT"})


def _pool(compiled, size):
    specs = [InputSpec("image", "f32", (1, 64, 64, 16))]
    return make_pool(compiled, size, make_tensors(specs, 0, size))


def test_warm_up_runs_every_request_and_reports_first_inference(compiled):
    queue = _pool(compiled, 3)
    first_ms, runs = warm_up(queue, seconds=0)
    assert first_ms > 0 and runs == 1 + 3
    assert all(request.latency > 0 for request in queue)


def test_iteration_limit_is_exact_and_every_completion_is_timed(compiled):
    queue = _pool(compiled, 2)
    warm_up(queue, 0)
    result = measure_async(queue, StopLimits(time_s=None, iterations=57))
    assert result.completed == 57 and result.latency.count == 57
    assert sum(w.completed for w in result.windows) == 57
    assert result.stop_reason == "iterations"


def test_time_limit_and_windows_cover_the_run(compiled, fake_clock):
    """On the fake clock (1 ms a read, one read per completion) the limit and the window
    ticks fall at known places: 2.2 s gives windows [0,1], [1,2.2+] (the 0.2 s tail is
    shorter than half a window, so it joins the one before)."""
    queue = _pool(compiled, 2)
    warm_up(queue, 0)
    result = measure_async(queue, StopLimits(time_s=2.2, iterations=None))
    assert result.stop_reason == "time"
    assert 2.2 <= result.duration_s <= 2.2 + 0.005
    assert result.windows[0].start_s == 0 and result.windows[-1].end_s == pytest.approx(
        result.duration_s)
    assert all(a.end_s == b.start_s for a, b in zip(result.windows, result.windows[1:]))
    assert [round(w.end_s, 1) for w in result.windows] == [1, 2.2]
    assert sum(w.completed for w in result.windows) == result.completed == result.latency.count


def test_one_request_latencies_add_up_to_the_wall_time(compiled):
    """With one request in flight, the requests run back to back: their latencies must sum
    to (almost all of) the measured window.  Catches wrong units or a wrong latency source."""
    queue = _pool(compiled, 1)
    warm_up(queue, 0)
    result = measure_async(queue, StopLimits(time_s=1.0, iterations=None))
    busy_s = result.latency.mean * result.latency.count / 1e3
    # Back to back, so never more than the window; a unit error (s vs ms) is 1000× off, and
    # no load on the machine takes 95 % of the time between two requests of one loop.
    assert 0.05 * result.duration_s < busy_s <= result.duration_s


def test_sync_api(compiled):
    request = compiled.create_infer_request()
    request.set_tensor("image", ov.Tensor(make_tensors(
        [InputSpec("image", "f32", (1, 64, 64, 16))], 0, 1)[0]["image"].data))
    result = measure_sync(request, StopLimits(time_s=None, iterations=25))
    assert result.completed == 25 and result.latency.count == 25
    busy_s = result.latency.mean * 25 / 1e3
    assert 0.05 * result.duration_s < busy_s <= result.duration_s


def test_stop_event_interrupts_at_the_next_window(compiled, fake_clock):
    """A stop requested during the first window ends the run when that window closes."""
    queue = _pool(compiled, 2)
    warm_up(queue, 0)
    stop = threading.Event()
    limits = StopLimits(time_s=30, iterations=None, stop_event=stop)
    result = measure_async(queue, limits, on_window=lambda progress: stop.set())
    assert result.stop_reason == "interrupted"
    # the drain (a few ms) joins the first window instead of being a window of its own
    assert len(result.windows) == 1 and result.duration_s < 1.01
    assert result.completed == result.latency.count > 0


def test_request_failing_mid_run_raises_run_failed_without_hanging(core):
    import numpy as np

    from perfbench.errors import RunFailed
    from tests.models import failing_model
    compiled = core.compile_model(failing_model(), "CPU")
    good = {"x": ov.Tensor(np.zeros((1, 12), np.float32)),
            "target_shape": ov.Tensor(np.array([3, 4], dtype=np.int64))}
    bad = {"x": ov.Tensor(np.zeros((1, 12), np.float32)),
           "target_shape": ov.Tensor(np.array([5, 7], dtype=np.int64))}
    queue = make_pool(compiled, 2, [good, bad])
    queue[0].infer()                       # the good request really works
    with pytest.raises(RunFailed, match="inference failed: .*Reshape"):
        measure_async(queue, StopLimits(time_s=30, iterations=None))


def test_window_percentiles_follow_the_nearest_rank_definition():
    import numpy as np

    from perfbench.measure.windows import window_percentiles
    from perfbench.stats.percentiles import percentile
    values = np.random.default_rng(4).permutation(np.arange(1.0, 1001.0))
    assert window_percentiles(values) == (500.0, 900.0, 990.0)
    odd = np.random.default_rng(5).lognormal(0, 1, 777)
    ordered = np.sort(odd)
    assert window_percentiles(odd) == tuple(percentile(ordered, p) for p in (50, 90, 99))
    assert window_percentiles(np.array([])) == (None, None, None)


def test_windows_carry_their_own_percentiles(compiled, fake_clock):
    queue = _pool(compiled, 2)
    warm_up(queue, 0)
    result = measure_async(queue, StopLimits(time_s=2.5, iterations=None))
    assert all(w.completed for w in result.windows)
    for window in result.windows:
        assert result.latency.min <= window.latency_median_ms <= window.latency_p90_ms \
                <= window.latency_p99_ms <= result.latency.max


def test_closed_loop_records_its_threads_cpu_time(compiled):
    """A real run: the driving thread's CPU time is measured over the window, and can be
    neither negative nor (one thread) much more than the window's length."""
    queue = _pool(compiled, 2)
    warm_up(queue, 0)
    result = measure_async(queue, StopLimits(time_s=None, iterations=200))
    assert result.driver_cpu_s is not None
    assert 0 < result.driver_cpu_s / result.duration_s < 1.5


def test_driver_cpu_time_is_read_at_the_windows_ends(compiled, monkeypatch):
    """An injected CPU clock: start and end of the window are read once each, so the
    figure is exactly their difference (no per-request work added to the loop)."""
    readings = iter([10.0, 13.5])
    monkeypatch.setattr("perfbench.measure.loop.thread_cpu", lambda: next(readings))
    queue = _pool(compiled, 2)
    warm_up(queue, 0)
    assert measure_async(queue, StopLimits(None, 40)).driver_cpu_s == 3.5


def test_sync_loop_does_not_claim_a_driver_share(compiled):
    queue = _pool(compiled, 1)
    assert measure_sync(queue[0], StopLimits(None, 5)).driver_cpu_s is None


def test_a_time_limit_is_kept_when_requests_queue_behind_the_stop(core, slow_ir, monkeypatch):
    """Item 14 of issue 24: ``--max-time 12`` measured 14.15 s, the drain after the stop
    waiting on a stalled host for every request in flight.  Here 32 requests queue on one
    stream of a slow model, so waiting for them all takes 31 service times after the
    limit, however fast the machine (a service time: duration / completed, one stream).
    With the drain's bound at 0 the window ends within a few service times of the limit
    (the last completion before the stop, one poll; 16 leaves room for a loaded host's
    stalls), and what was cut counts nowhere."""
    monkeypatch.setattr("perfbench.measure.loop.DRAIN_LIMIT_S", 0.0, raising=False)
    compiled = core.compile_model(slow_ir, "CPU", {"PERFORMANCE_HINT": "LATENCY",
                                                   "NUM_STREAMS": "1"})
    queue = make_pool(compiled, 32, make_tensors([InputSpec("x", "f32", (1, 32, 64, 64))],
                                                 0, 32))
    warm_up(queue, 0)
    limit = 0.3
    result = measure_async(queue, StopLimits(time_s=limit, iterations=None))
    service_s = result.duration_s / result.completed
    assert result.duration_s - limit <= 16 * service_s       # unbounded: 31 (and up)
    assert result.completed == result.latency.count == sum(w.completed for w in result.windows)
    # the pool is idle and usable again: the cut requests were waited for afterwards
    again = measure_async(queue, StopLimits(time_s=None, iterations=5))
    assert again.completed == 5


def test_the_deadline_is_checked_after_a_slow_window_hook(compiled, fake_clock):
    """A window's hook (monitor sample, live view) that takes long must not let the loop
    start requests past the limit: the clock is read again after it."""
    def slow_hook(progress):
        fake_clock.now += 5.0          # the hook took 5 s at the 1 s tick
    queue = _pool(compiled, 2)
    warm_up(queue, 0)
    result = measure_async(queue, StopLimits(time_s=2.2, iterations=None), slow_hook)
    assert result.duration_s <= 6.0 + 0.01       # stopped right after the hook
    assert len(result.windows) == 1 or result.windows[-1].completed <= 2
