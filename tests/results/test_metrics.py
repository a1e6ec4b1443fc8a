"""Headline metrics: one FPS definition whatever the run's length."""

import dataclasses
import math

import pytest

from perfbench import BenchmarkConfig, run
from perfbench.results.metrics import fps_estimate
from perfbench.stats.intervals import trials_fps_ci
from tests.models import FakeClock


@pytest.fixture
def fake_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("perfbench.measure.windows.clock", clock)
    return clock


def test_one_steady_window_gives_the_steady_fps_without_an_interval(tiny_ir, fake_clock):
    """3.2 s on a clock that ticks per read: windows [0, 1], [1, 2], [2, 3.2]; the middle
    one is steady.  The estimate is its rate, not the headline with ramp-up and drain."""
    result = run(BenchmarkConfig(model=tiny_ir, time=3.2))
    assert len(result.windows) == 3
    middle = result.windows[1]
    value, low, high = fps_estimate(result)
    assert value == pytest.approx(middle.completed / (middle.end_s - middle.start_s))
    assert value == pytest.approx(result.steady_fps) and (low, high) == (None, None)


def test_a_run_too_short_for_a_steady_window_falls_back_to_the_headline(tiny_ir, fake_clock):
    result = run(BenchmarkConfig(model=tiny_ir, time=1.2))
    assert fps_estimate(result) == (result.fps, None, None)


def test_fps_has_one_definition():
    """Images per second was written out three times (``results.metrics.images_per_second``,
    ``BenchmarkResult.fps`` as images / duration, each trial's completed × batch / duration
    in ``runner/benchmark.py``); every one now calls ``results.types.images_per_second``."""
    import re
    from pathlib import Path

    from perfbench.results import metrics, types
    assert metrics.images_per_second is types.images_per_second
    package = Path(__file__).resolve().parent.parent.parent / "perfbench"
    again = re.compile(r"completed\w*\s*\*\s*[\w.]*batch\s*/|\bimages\s*/\s*[\w.]*duration")
    found = [f"{path.relative_to(package)}:{n}" for path in package.rglob("*.py")
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if again.search(line) and "def images_per_second" not in line
             and "return completed * batch / duration_s" not in line]
    assert found == []
    assert types.images_per_second(10, 4, 2.0) == 20.0
    assert types.images_per_second(10, 4, 0.0) == 0.0 == types.images_per_second(0, 4, 2.0)


def test_with_two_trials_the_fps_is_their_steady_mean_with_the_interval_between_them(
        tiny_ir, fake_clock):
    """Two trials whose steady FPS are 100 and 120 (made so on a real run's result): the
    FPS is 110, its interval t(0.975, 1) = 12.706 on the log scale around it, SE 10:
    110·exp(±12.706·10/110); the windows' interval (one process's view) is not used."""
    result = run(BenchmarkConfig(model=tiny_ir, time=3.2))
    trials = tuple(dataclasses.replace(result.trials[0], steady_fps=s) for s in (100.0, 120.0))
    made = dataclasses.replace(result, trials=trials, precision=dataclasses.replace(
        result.precision, fps_trials=trials_fps_ci(trials)))
    value, low, high = fps_estimate(made)
    spread = 12.706205 * 10 / 110
    assert value == pytest.approx(110.0)
    assert (low, high) == pytest.approx((110 * math.exp(-spread), 110 * math.exp(spread)),
                                        rel=1e-6)


def test_an_older_files_trials_read_at_todays_definition():
    """``result_v1.json`` (two trials) stored its interval between trials around their
    whole-trial FPS (ramp-up and drain in): the FPS read from it is the mean of the
    trials' steady FPS, today's definition, with that interval's relative bounds around
    it; compare's trial units are the same figures, so its mean is that FPS."""
    from pathlib import Path

    from perfbench.results import load
    from perfbench.results.metrics import unit_samples
    result = load(str(Path(__file__).resolve().parent.parent / "data" / "result_v1.json"))
    steady = [t.steady_fps for t in result.trials]
    assert len(steady) == 2 and all(steady)
    stored = result.precision.fps_trials
    assert stored.value == pytest.approx(sum(t.fps for t in result.trials) / 2)  # whole
    value, low, high = fps_estimate(result)
    assert value == pytest.approx(sum(steady) / 2) and value != pytest.approx(stored.value)
    assert (low / value, high / value) == pytest.approx((stored.low / stored.value,
                                                         stored.high / stored.value))
    samples, units = unit_samples(result, "fps")
    assert units == "trials" and samples == steady
