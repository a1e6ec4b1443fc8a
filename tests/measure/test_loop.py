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


def test_the_drain_bound_is_service_times_not_latency():
    """Known answers.  The reviewer's case: 3 s a request on 4 streams, 4 requests, ``-t
    10``: 12 complete by the stop (at 3, 6, 9 s), the 4 started at 9 s end at 12 s.  The
    bound (2 service times: 2 × 4 × 10 / 12 s) covers them, so 16 count over 12 s:
    1.33 FPS, the true rate; a fixed 0.5 s cut them all (12 over 10.5 s: 1.14)."""
    from perfbench.measure.loop import DRAIN_LIMIT_S, drain_bound
    bound = drain_bound(12, 10.0, pool=4, streams=4)
    assert bound == pytest.approx(2 * 4 * 10 / 12) and bound > 12 - 10
    # 32 queued on one stream, 1 s each: 2 s, where the latency (and the whole queue) is 32
    assert drain_bound(10, 10.0, pool=32, streams=1) == pytest.approx(2.0)
    # a fast model: the floor; a long first request: never more than the run before it
    assert drain_bound(10_000, 10.0, pool=4, streams=4) == DRAIN_LIMIT_S
    assert drain_bound(1, 10.0, pool=4, streams=4) == 10.0
    # nothing completed yet: no service time to go by, the cap (at least the floor)
    assert drain_bound(0, 3.0, pool=4, streams=4) == 3.0
    assert drain_bound(0, 0.2, pool=4, streams=4) == DRAIN_LIMIT_S


def _queued_pool(core, slow_ir, size):
    compiled = core.compile_model(slow_ir, "CPU", {"PERFORMANCE_HINT": "LATENCY",
                                                   "NUM_STREAMS": "1"})
    queue = make_pool(compiled, size, make_tensors([InputSpec("x", "f32", (1, 32, 64, 64))],
                                                   0, size))
    warm_up(queue, 0)
    return queue


def _spy_drain(monkeypatch):
    """What the drain was asked to wait for and what it counted (a seam: the real wait)."""
    from perfbench.measure import loop
    seen: dict = {}
    real_bound, real_wait = loop.drain_bound, loop._wait_bounded

    def bound(*args, **kwargs):
        seen["bound_args"], seen["bound"] = args, real_bound(*args, **kwargs)
        return seen["bound"]

    def wait(requests, in_flight, cut_at):
        seen["in_flight"] = sum(in_flight)
        finished, last_seen = real_wait(requests, in_flight, cut_at)
        seen["finished"] = len(finished)
        return finished, last_seen
    monkeypatch.setattr(loop, "drain_bound", bound)
    monkeypatch.setattr(loop, "_wait_bounded", wait)
    return seen


def test_requests_executing_at_the_stop_of_a_slow_model_all_count(core, slow_ir, monkeypatch):
    """The run's clock makes a request take at least 0.5 s of the one stream (0.5 s a
    read, a read per completion), so the drain may wait 1 s or more; the drain's clock
    says 0.75 s have passed from its first poll on.  A fixed 0.5 s cut the 7 requests in
    flight (their work lost: FPS low); now every one counts, however long they take."""
    monkeypatch.setattr("perfbench.measure.windows.clock", FakeClock(step=0.5))
    readings = iter([0.0])
    monkeypatch.setattr("perfbench.measure.loop.drain_clock", lambda: next(readings, 0.75))
    seen = _spy_drain(monkeypatch)
    queue = _queued_pool(core, slow_ir, 8)
    result = measure_async(queue, StopLimits(time_s=20, iterations=None))
    assert seen["in_flight"] == 7 and seen["finished"] == 7
    assert result.completed == result.latency.count == sum(w.completed for w in result.windows)
    assert result.stop_reason == "time"


def test_the_drain_does_not_wait_for_requests_queued_behind_the_stop(core, slow_ir,
                                                                    monkeypatch):
    """Item 14 of issue 24: ``--max-time 12`` measured 14.15 s, the drain waiting on a
    stalled host for every request in flight.  32 requests queue on one stream: the bound
    is 2 service times (one request's time on the stream, from the completion rate on the
    run's clock), where the queue needs 31 and the latency is 32."""
    monkeypatch.setattr("perfbench.measure.windows.clock", FakeClock(step=1.0))
    readings = iter([0.0])
    monkeypatch.setattr("perfbench.measure.loop.drain_clock", lambda: next(readings, 1e9))
    seen = _spy_drain(monkeypatch)
    queue = _queued_pool(core, slow_ir, 32)
    result = measure_async(queue, StopLimits(time_s=80, iterations=None))
    completed, elapsed_s, pool, streams = seen["bound_args"]
    assert (pool, streams) == (32, 1)
    service_s = elapsed_s / completed
    assert seen["bound"] == pytest.approx(2 * service_s) and seen["in_flight"] == 31
    # past the bound at the first poll: what was still running is cut and counts nowhere
    assert seen["finished"] < seen["in_flight"]
    assert result.completed == result.latency.count == sum(w.completed for w in result.windows)
    assert result.completed == completed + seen["finished"]
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
