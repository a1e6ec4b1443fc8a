"""What a worker's block reply says: throughput in images per second (one definition), the
block's latency histogram, and for the server scenario what the open loop knows about its
schedule.  Real worker processes on the tiny model, under a deadline."""

import sys

import numpy as np
import pytest

from perfbench.measure.recorder import LatencyRecorder
from perfbench.measure.server import arrival_times
from perfbench.results.metrics import images_per_second
from perfbench.runner.side import Side
from perfbench.runner.worker import latency_histogram
from perfbench.settings.config import BenchmarkConfig
from perfbench.stats.histogram import LogHistogram
from tests.runner.test_ab import ab_measuring, survivors
from tests.runner.test_side import DEADLINE_S, within


def _blocks(settings: dict, seconds: float, count: int = 1) -> tuple[dict, list[dict]]:
    def talk():
        side = Side("BASE", sys.executable, settings)
        try:
            return side.ready, [side.block(seconds, 0.0) for _ in range(count)]
        finally:
            side.close()
    return within(DEADLINE_S, talk)


def test_images_per_second_counts_every_image_of_a_request():
    assert images_per_second(completed=10, batch=4, duration_s=2.0) == 20.0
    assert images_per_second(completed=10, batch=1, duration_s=2.0) == 5.0
    assert images_per_second(completed=0, batch=4, duration_s=0.0) == 0.0


def test_a_blocks_fps_is_images_per_second(tiny_ir):
    """A batch-4 request holds 4 images: the block's FPS counts them (it once counted
    requests, and `ab --new-set batch=4` printed a 0.58 "regression")."""
    ready, (block,) = _blocks(BenchmarkConfig(model=tiny_ir, batch=4).to_dict(), 0.1)
    assert ready["batch"] == 4 and block["batch"] == 4 and block["completed"] > 0
    assert block["fps"] * block["duration_s"] == pytest.approx(block["completed"] * 4)


def test_a_block_carries_its_latency_histogram(tiny_ir):
    """Its percentiles agree with the worker's exact ones to the histogram's 0.5 %."""
    _, blocks = _blocks(BenchmarkConfig(model=tiny_ir).to_dict(), 0.1, count=2)
    for block in blocks:
        histogram = LogHistogram.from_dict(block["latency_hist"])
        assert histogram.count == block["completed"] > 0
        assert histogram.percentile(50) == pytest.approx(block["median_ms"], rel=0.005)
        assert histogram.percentile(99) == pytest.approx(block["p99_ms"], rel=0.005)
        assert "server" not in block


def test_past_the_exact_limit_the_histogram_comes_from_the_recorders_buckets():
    values = np.random.default_rng(5).lognormal(0.0, 1.0, 1000)
    recorder = LatencyRecorder(exact_limit=100)
    recorder.pending.extend(values.tolist())
    recorder.flush()
    assert not recorder.exact
    histogram = latency_histogram(recorder)
    assert histogram.count == 1000
    for p in (1, 50, 99):
        exact = float(np.percentile(values, p, method="inverted_cdf"))
        assert histogram.percentile(p) == pytest.approx(exact, rel=0.0051)


def test_a_server_block_says_what_happened_to_its_schedule(tiny_ir):
    """Every block replays the same seeded arrivals; the reply counts those due in the
    block, those sent and those never sent, the requests over the bound (1 µs: all), the
    generator's own lateness, and that latencies run from the scheduled arrival."""
    rate, seconds = 200.0, 0.25
    config = BenchmarkConfig(model=tiny_ir, scenario="server", rate=rate, sla_ms=0.001)
    _, blocks = _blocks(config.to_dict(), seconds, count=2)
    due = int(np.count_nonzero(arrival_times(rate, 1000, config.seed) < seconds))
    for block in blocks:
        server = block["server"]
        assert server["scheduled"] == due and server["target_rate"] == rate
        assert server["sent"] == block["completed"] > 0
        assert server["sent"] + server["missed"] == due and server["missed"] >= 0
        assert server["latency_from"] == "scheduled arrival"
        assert server["sla_ms"] == 0.001 and server["over_sla"] == block["completed"]
        assert set(server["issue_delay_ms"]) == {"median", "p99", "max"}
        assert isinstance(server["valid"], bool)


def test_a_worker_whose_parent_is_killed_exits_in_the_middle_of_its_block(tiny_ir):
    """A parent killed outright runs no hook: its workers see stdin end and leave at once,
    rather than measure their (hour-long) block to its end on cores nobody measures."""
    proc, workers = ab_measuring(tiny_ir)
    proc.kill()
    proc.communicate()
    assert survivors(workers) == []
