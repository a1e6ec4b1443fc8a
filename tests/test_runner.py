"""End to end through the Python API on real models."""

import time

import pytest

from perfbench import BenchmarkConfig, run


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
