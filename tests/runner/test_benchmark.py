"""End to end through the Python API on real models."""

import math
import statistics
import time

import pytest

from perfbench import BenchmarkConfig
from perfbench import run
from tests.models import FakeClock


@pytest.fixture
def fake_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("perfbench.measure.windows.clock", clock)
    return clock


def test_tiny_model_result_is_consistent(tiny_ir):
    started = time.perf_counter()
    result = run(BenchmarkConfig(model=tiny_ir, time=1.5, batch=2))
    wall = time.perf_counter() - started
    assert result.status == "complete" and result.stop_reason == "time"
    assert result.images == 2 * result.completed_requests
    assert result.fps == pytest.approx(result.images / result.duration_s)
    assert result.duration_s <= wall                    # the window is inside the call
    assert result.effective_gflops == pytest.approx(result.fps * result.model.gflops_per_image)
    assert result.latency.count == result.completed_requests
    assert result.pool_size == result.resolved["optimal_requests"]
    timeline = result.timeline_fps()
    assert len(timeline) == len(result.windows) >= 1
    # the per-window figures must average back to the whole-window FPS
    total_images = sum(f * (w.end_s - w.start_s) for f, w in zip(timeline, result.windows))
    assert total_images == pytest.approx(result.images)


def test_requests_override_and_sync_api(tiny_ir):
    assert run(BenchmarkConfig(model=tiny_ir, iterations=20, requests=3)).pool_size == 3
    sync = run(BenchmarkConfig(model=tiny_ir, iterations=20, api="sync"))
    assert sync.pool_size == 1 and sync.completed_requests == 20


def test_builtin_model_short_run():
    result = run(BenchmarkConfig(iterations=6, hint="latency"))
    assert result.model.name == "inception-resnet-v2-tf"
    assert result.model.gflops_per_image == 22.227
    assert result.completed_requests == 6 and result.latency.count == 6
    assert result.first_inference_ms > 0 and result.compile_ms > 0
    assert result.resolved["hint"] == "LATENCY"
    assert result.effective_gflops == pytest.approx(result.fps * 22.227)


def test_repeat_pools_trials_and_reports_their_spread(tiny_ir):
    result = run(BenchmarkConfig(model=tiny_ir, time=0.6, repeat=3))
    assert len(result.trials) == 3
    assert result.completed_requests == sum(t.completed_requests for t in result.trials)
    assert result.latency.count == result.completed_requests
    assert result.duration_s == pytest.approx(sum(t.duration_s for t in result.trials))
    spread = result.precision.fps_trials
    # each trial's steady FPS (as a one-trial run's figure), whole-trial where one has none
    steady = [t.steady_fps for t in result.trials]
    fps = steady if all(steady) else [t.completed_requests / t.duration_s
                                      for t in result.trials]
    half = 4.302653 * statistics.stdev(fps) / 3 ** 0.5    # t(0.975, 2 dof), from tables
    assert spread.n == 3 and spread.value == pytest.approx(statistics.fmean(fps))
    # a rate: its interval is on the log scale, value·exp(±t·SE/value)
    assert (spread.low, spread.high) == pytest.approx(
        (spread.value * math.exp(-half / spread.value), spread.value * math.exp(half / spread.value)))
    assert {w.trial for w in result.windows} == {0, 1, 2}
    # the run's FPS is that interval: the only one that counts run-to-run noise
    from perfbench.results.metrics import fps_estimate
    assert fps_estimate(result) == pytest.approx((spread.value, spread.low, spread.high))


def test_until_stable_stops_when_precise(tiny_ir, fake_clock):
    """Under the fake clock every window holds the same number of completions, so the run
    is precise as soon as the rule has its minimum of steady windows: it must stop there."""
    from perfbench.stats.intervals import MIN_STEADY_WINDOWS
    result = run(BenchmarkConfig(model=tiny_ir, until_stable=1.0, max_time=600))
    assert result.stop_reason == "stable" and result.precision.stable is True
    assert result.precision.fps_windows.half_width_pct <= 1.0
    assert len(result.windows) == MIN_STEADY_WINDOWS + 2     # ramp-up, steady ones, drain
    assert not any("NOT STABLE" in w for w in result.warnings)


def test_until_stable_bound_hit_is_marked_not_stable(tiny_ir):
    result = run(BenchmarkConfig(model=tiny_ir, until_stable=0.001, max_time=2.5))
    assert result.status == "complete" and result.stop_reason == "max_time"
    assert result.precision.stable is False
    assert result.warnings[0].startswith("NOT STABLE")
    assert result.fps > 0


def test_too_short_a_run_gives_no_fps_interval_rather_than_a_fake_one(tiny_ir):
    result = run(BenchmarkConfig(model=tiny_ir, time=0.5))
    assert result.precision.fps_windows is None
    assert result.fps > 0


def test_steady_fps_and_its_interval_come_from_the_steady_windows(tiny_ir):
    """Both figures recomputed from the reported windows: steady FPS is images over time
    of the windows between ramp-up and drain, and it is the interval's centre."""
    result = run(BenchmarkConfig(model=tiny_ir, time=4.5, batch=2))
    steady = result.windows[1:-1]
    span = sum(w.end_s - w.start_s for w in steady)
    assert result.steady_fps == pytest.approx(2 * sum(w.completed for w in steady) / span)
    assert result.precision.fps_windows.value == pytest.approx(result.steady_fps)
    assert result.precision.fps_windows.n == len(steady)


@pytest.mark.parametrize("seconds", [1, 2, 3, 4, 5])
def test_no_drain_tail_window_and_an_interval_exactly_when_there_are_steady_windows(
        tiny_ir, fake_clock, seconds):
    """`run -t 1` ended with a 1.7 ms window of 1 request beside a full one, which gave
    "steady-state FPS 17,489 ± 1206 %" and a noisy-machine warning; -t 2 had an interval
    and -t 3 none.  On the fake clock: every window lasts at least half a window, the
    interval (two or more steady windows) comes from -t 4 on and agrees with the steady
    FPS, and no run blames the machine."""
    result = run(BenchmarkConfig(model=tiny_ir, time=seconds))
    assert all(w.end_s - w.start_s >= 0.5 for w in result.windows)
    assert len(result.windows) == seconds
    estimate = result.precision.fps_windows
    assert (estimate is not None) == (seconds >= 4)
    assert (result.steady_fps is not None) == (seconds >= 3)
    if estimate is not None:
        assert estimate.value == pytest.approx(result.steady_fps)
        assert 0 < estimate.low <= result.steady_fps <= estimate.high
        assert estimate.half_width_pct < 5
    assert result.steady_fps is None or result.steady_fps == pytest.approx(result.fps, rel=0.05)
    assert not any("noisy" in w for w in result.warnings)


def test_iterations_apply_per_trial_and_pool(tiny_ir):
    """(That trials keep their own latency figures is tested on the recorder, in
    test_latency.py: at this level a pooled figure would pass for a trial's.)"""
    result = run(BenchmarkConfig(model=tiny_ir, iterations=300, repeat=2, requests=1))
    assert [t.completed_requests for t in result.trials] == [300, 300]
    assert result.latency.count == result.completed_requests == 600


def _stop_at_first_window(stop):
    return lambda progress: stop.set()


def test_stop_between_repeat_trials_makes_the_run_interrupted(tiny_ir, fake_clock):
    """Trial 1 of 3 finishes (its last window sees the stop), trial 2 never starts: fewer
    trials than asked is an interrupted run, and no extra pass runs after the stop.  (On
    the fake clock 50 requests take 50 ms: a loaded machine cannot stretch trial 1 past a
    window tick, where the stop would cut it short.)"""
    import threading
    stop = threading.Event()
    result = run(BenchmarkConfig(model=tiny_ir, iterations=50, repeat=3, perf_counters=True),
                 on_window=_stop_at_first_window(stop), stop_event=stop)
    assert len(result.trials) == 1 and result.trials[0].completed_requests == 50
    assert result.status == "interrupted"
    assert result.layers == ()


def test_stop_during_the_final_drain_keeps_a_finished_run_complete(tiny_ir, fake_clock):
    """The stop comes with the run's only window, the final one (fake clock: 50 requests
    never reach a window tick, however slow the machine)."""
    import threading
    stop = threading.Event()
    result = run(BenchmarkConfig(model=tiny_ir, iterations=50, perf_counters=True),
                 on_window=_stop_at_first_window(stop), stop_event=stop)
    assert result.status == "complete" and result.stop_reason == "iterations"
    assert result.completed_requests == 50
    assert result.layers == () and any("extra passes" in w for w in result.warnings)


def test_live_progress_counts_images_not_requests(tiny_ir):
    """A model batched by --shape (config.batch unset) still shows images per second."""
    from perfbench.cli.live import LiveDisplay
    from rich.console import Console
    seen = []
    result = run(BenchmarkConfig(model=tiny_ir, shape="[2,32,32,3]", iterations=200),
                 on_window=seen.append)
    assert result.model.batch == 2 and seen and all(p.batch == 2 for p in seen)
    window = seen[-1].last_window
    line = LiveDisplay(Console(), enabled=False).describe(seen[-1])
    assert f"{2 * window.completed / (window.end_s - window.start_s):,.1f} FPS" in line


def test_a_real_run_records_its_drivers_cpu_share(tiny_ir):
    result = run(BenchmarkConfig(model=tiny_ir, time=0.5, requests=2))
    assert result.driver_cpu_s is not None and 0 < result.driver_cpu_share < 1.5
    check = next(c for c in result.checks if c.name == "driver_cpu_share")
    assert check.value == round(result.driver_cpu_share, 3)
    figures = result.to_dict()["results"]
    assert figures["driver_cpu_share"] == result.driver_cpu_s / result.duration_s


@pytest.mark.parametrize("share,fires", [(0.95, True), (0.5, False)])
def test_driver_bound_check_is_wired_into_the_result(tiny_ir, fake_clock, monkeypatch, share,
                                                    fires):
    """A CPU clock injected as a fixed share of the (fake) wall clock makes the thread look
    that busy whatever the machine: the check, and its warning, follow from it."""
    monkeypatch.setattr("perfbench.measure.loop.thread_cpu", lambda: share * fake_clock.now)
    result = run(BenchmarkConfig(model=tiny_ir, time=0.3, repeat=2))
    assert result.driver_cpu_share == pytest.approx(share, rel=1e-9)
    check = next(c for c in result.checks if c.name == "driver_cpu_share")
    assert check.ok is not fires
    assert any("measuring thread used" in w for w in result.warnings) is fires


def test_blocks_merge_their_drivers_cpu_time_only_when_each_measured_it():
    """An interleaved point's share is its blocks' CPU over their summed durations; one
    block without the figure leaves it unknown rather than understated."""
    from perfbench.measure.recorder import LatencyRecorder
    from perfbench.measure.windows import Measurement
    from perfbench.runner.benchmark import merge_blocks

    def block(cpu):
        recorder = LatencyRecorder()
        recorder.pending.extend([1.0, 2.0])
        recorder.flush()
        return Measurement(0.5, 2, recorder, (), "time", driver_cpu_s=cpu)
    assert merge_blocks([(0.0, block(0.2)), (1.0, block(0.3))], "time").driver_cpu_s == 0.5
    assert merge_blocks([(0.0, block(0.2)), (1.0, block(None))], "time").driver_cpu_s is None
def _fed_sample(session, samples) -> int:
    """Which of ``samples`` request 0 last ran on: its output is 2·x + 1 of exactly one."""
    import numpy as np
    out = session.queue[0].get_output_tensor().data
    return next(k for k, x in enumerate(samples) if np.array_equal(out, 2 * x + 1))


@pytest.mark.parametrize("scenario", ["offline", "server"])
def test_input_samples_go_on_across_blocks(core, tmp_path, scenario):
    """An A/B or sweep worker measures many one-block runs of one session: each block must
    take the next sample, not start over (offline) or keep the request's own (server: it
    fed no sample at all).  One request, three distinct samples, blocks of one request:
    the sample each block ran on, read back from the real model's output, goes 1, 2, 0, 1
    (the request already holds sample 0) in the closed loop, 0, 1, 2, 0 in the server."""
    import numpy as np
    from perfbench.measure.windows import StopLimits
    from perfbench.model.prepare import prepare_model
    from perfbench.runner.benchmark import Session, measure_once
    from tests.models import affine_model, save
    samples = np.arange(3 * 2 * 3, dtype=np.float32).reshape(3, 2, 3) / 7
    np.save(tmp_path / "x.npy", samples)
    extra = dict(scenario="server", rate=1000.0) if scenario == "server" else {}
    config = BenchmarkConfig(model=save(affine_model(), tmp_path / "affine.xml"),
                             input=(str(tmp_path / "x.npy"),), requests=1, **extra)
    session = Session(core, prepare_model(config, core), config)
    fed = []
    for _ in range(4):
        measure_once(session, config, StopLimits(time_s=None, iterations=1))
        fed.append(_fed_sample(session, samples))
    assert fed == ([1, 2, 0, 1] if scenario == "offline" else [0, 1, 2, 0])


def test_a_device_override_is_a_warning_in_the_result(tiny_ir):
    import os
    result = run(BenchmarkConfig(model=tiny_ir, threads=4 * (os.cpu_count() or 1),
                                 iterations=5))
    assert any(w.startswith("requested threads") for w in result.warnings)


def test_a_real_run_judges_its_idle_request_slots(tiny_ir):
    """The idle share is 1 − Σ latency / (slots × duration): recomputed here from the
    result's own mean latency and count."""
    result = run(BenchmarkConfig(model=tiny_ir, time=0.5, requests=2))
    check = next(c for c in result.checks if c.name == "request_slots_idle")
    busy = result.latency.mean * result.completed_requests / 1e3
    assert check.value == pytest.approx(max(0.0, 1 - busy / (2 * result.duration_s)), abs=1e-3)
    assert 0 <= check.value <= 1


@pytest.mark.parametrize("settings", [{"api": "sync"}, {"scenario": "single-stream"}])
def test_idle_slots_are_not_judged_where_one_request_is_the_design(tiny_ir, settings):
    result = run(BenchmarkConfig(model=tiny_ir, time=0.5, **settings))
    check = next(c for c in result.checks if c.name == "request_slots_idle")
    assert check.ok and check.value is None


def test_a_block_that_completed_nothing_is_an_empty_window_not_a_failure():
    """On a starved machine a 0.1 s race block completed nothing; merging the point's
    blocks then raised "no latency samples" and the race dropped the point."""
    from perfbench.measure.recorder import LatencyRecorder
    from perfbench.measure.windows import Measurement
    from perfbench.runner.benchmark import merge_blocks

    def block(latencies):
        recorder = LatencyRecorder()
        recorder.pending.extend(latencies)
        recorder.flush()
        return Measurement(0.5, len(latencies), recorder, (), "time", driver_cpu_s=0.1)
    merged = merge_blocks([(0.0, block([1.0, 2.0])), (1.0, block([])),
                           (2.0, block([3.0]))], "time")
    assert [w.completed for w in merged.windows] == [2, 0, 1]
    empty = merged.windows[1]
    assert (empty.latency_median_ms, empty.latency_p99_ms) == (None, None)
    assert empty.rate() == 0.0 and (empty.start_s, empty.end_s) == (1.0, 1.5)
    assert merged.completed == 3 and merged.latency.max == 3.0


def test_a_later_trial_that_completed_nothing_leaves_the_earlier_ones_standing(
        tiny_ir, monkeypatch):
    """A stop early in trial 2 of --repeat 2, with its in-flight requests cut: its empty
    summary raised "no latency samples" and trial 1's figures were lost (review)."""
    import dataclasses
    from perfbench.measure.recorder import LatencyRecorder
    from perfbench.runner import benchmark
    real, calls = benchmark._run_trial, []

    def second_empty(session, config, limits, hook, monitor):
        trial = real(session, config, limits, hook, monitor)
        calls.append(trial)
        if len(calls) == 2:
            empty = dataclasses.replace(trial.measured, completed=0,
                                        recorder=LatencyRecorder(), windows=(),
                                        stop_reason="interrupted")
            return dataclasses.replace(trial, measured=empty)
        return trial
    monkeypatch.setattr(benchmark, "_run_trial", second_empty)
    result = benchmark.run(BenchmarkConfig(model=tiny_ir, time=0.2, repeat=2))
    assert len(calls) == 2 and result.status == "interrupted"
    assert len(result.trials) == 1
    assert result.completed_requests == calls[0].measured.completed > 0


def test_a_first_trial_that_completed_nothing_leaves_the_later_ones_standing(
        tiny_ir, monkeypatch):
    """The first of --repeat 2 completed nothing (a stalled host): its summary raised
    "no latency samples" and the second trial was lost (final review)."""
    import dataclasses
    from perfbench.measure.recorder import LatencyRecorder
    from perfbench.runner import benchmark
    real, calls = benchmark._run_trial, []

    def first_empty(session, config, limits, hook, monitor):
        trial = real(session, config, limits, hook, monitor)
        calls.append(trial)
        if len(calls) == 1:
            empty = dataclasses.replace(trial.measured, completed=0,
                                        recorder=LatencyRecorder(), windows=())
            return dataclasses.replace(trial, measured=empty)
        return trial
    monkeypatch.setattr(benchmark, "_run_trial", first_empty)
    result = benchmark.run(BenchmarkConfig(model=tiny_ir, time=0.2, repeat=2))
    assert len(result.trials) == 1
    assert result.completed_requests == calls[1].measured.completed > 0
