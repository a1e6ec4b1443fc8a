"""The --attribute pass with real workers on tiny models whose difference is known."""

import json
import sys

import numpy as np
import openvino as ov
import openvino.opset15 as ops
import pytest

from perfbench.results.attribution import Attribution
from perfbench.runner.attribute import attribution, profile_pass
from perfbench.runner.side import Side
from perfbench.settings.config import BenchmarkConfig
from tests.models import FakeClock, save


def _model(extra: bool) -> ov.Model:
    """A small conv; with ``extra`` also a MatMul stack after it, the known cause."""
    x = ops.parameter([1, 8, 16, 16], np.float32, name="x")
    w = ops.constant(np.full((8, 8, 3, 3), 0.01, np.float32))
    y = ops.relu(ops.convolution(x, w, [1, 1], [1, 1], [1, 1], [1, 1]))
    if extra:
        flat = ops.reshape(y, ops.constant(np.array([16, 128], np.int64)), False)
        m = ops.constant(np.full((128, 128), 0.001, np.float32))
        for _ in range(6):
            flat = ops.matmul(flat, m, False, False)      # runs as FullyConnected
        y = ops.reshape(flat, ops.constant(np.array([1, 8, 16, 16], np.int64)), False)
    return ov.Model([y], [x], "extra" if extra else "plain")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("attrib")
    return save(_model(False), root / "plain.xml"), save(_model(True), root / "extra.xml")


def _settings(model, **more):
    return BenchmarkConfig(model=model, **more).to_dict()


@pytest.mark.slow
def test_a_profile_block_times_each_node_per_inference_on_one_streams_scale(pair):
    side = Side("BASE", sys.executable, _settings(pair[0]))
    try:
        first = side.profile(0.05, min_inferences=20, graph=True)
        block = side.profile(0.05, min_inferences=20)
        timed = side.block(0.05, 0.0)               # the timed block still works after it
    finally:
        side.close()
    assert "graph" in first and "graph" not in block and timed["completed"] > 0
    assert block["inferences"] >= 20
    # the counters time parts of a stream's work: never more than its time per inference
    assert 0 < sum(block["nodes_ms"].values()) <= block["time_ms"]
    assert 1 <= block["streams"] <= block["pool_size"]
    names = {n["name"] for n in first["graph"]}
    assert block["nodes_ms"] and set(block["nodes_ms"]) <= names
    assert any(n["type"] == "Convolution" and n["precision"] for n in first["graph"])


@pytest.fixture
def profiler(pair, monkeypatch):
    """A side's profiler in this process (one stream, two requests) on a clock that
    advances 0.25 s a read: a block of 0 s and 10 inferences reads it at its start, once
    to check the deadline when the 10 are done, and at its end, so its wall is 0.5 s."""
    from perfbench.runner import worker
    clock = FakeClock(step=0.25)
    monkeypatch.setattr(worker, "profile_clock", clock)
    side = worker._Worker(_settings(pair[0], streams=1, requests=2, warmup=0.0))
    return worker._Profiler(side), clock


def test_a_profile_blocks_figures_are_known_answers_on_a_synthetic_profile(profiler,
                                                                          monkeypatch):
    """Every inference's counters are a synthetic profile (conv 0.3 ms, relu 0.1 ms, a
    node not run 5 ms); 12 inferences (the 10 asked for, and the 2 in flight then,
    drained) in 0.5 s on one stream: 41.667 ms each, 0.3 and 0.1 of it in the counters."""
    import datetime

    from perfbench.runner import worker
    profile = []
    for name, ms, status in (("conv", 0.3, "EXECUTED"), ("relu", 0.1, "EXECUTED"),
                             ("skipped", 5.0, "NOT_RUN")):
        info = ov.ProfilingInfo()
        info.node_name, info.real_time = name, datetime.timedelta(milliseconds=ms)
        info.status = getattr(ov.ProfilingInfo.Status, status)
        profile.append(info)
    monkeypatch.setattr(worker, "read_profile", lambda request: profile)
    block = profiler[0].block(0.0, 10, graph=False)
    assert (block["inferences"], block["streams"], block["pool_size"]) == (12, 1, 2)
    assert block["wall_s"] == pytest.approx(0.5)
    assert block["time_ms"] == pytest.approx(41.6667, abs=1e-4)
    assert block["nodes_ms"] == pytest.approx({"conv": 0.3, "relu": 0.1})


def test_the_per_node_sums_are_made_after_the_blocks_clock_stopped(profiler, monkeypatch):
    """A review found the per-node Python work of every inference inside the wall it
    splits (in "outside the counters"): the sums now start at the wall's end reading
    (they would see an earlier one inside it), over one profile per inference."""
    from perfbench.runner import worker
    side, clock = profiler
    seen: dict = {}
    real = worker.node_times

    def summed(profiles):
        seen["clock_at"], seen["profiles"] = clock.now, len(profiles)
        return real(profiles)
    monkeypatch.setattr(worker, "node_times", summed)
    block = side.block(0.0, 10, graph=False)
    assert seen["clock_at"] == clock.now == pytest.approx(0.25 + block["wall_s"])
    assert seen["profiles"] == block["inferences"] == 12
    assert block["nodes_ms"] and all(ms > 0 for ms in block["nodes_ms"].values())


@pytest.mark.slow
def test_an_extra_node_on_one_side_is_named_first_and_the_sum_is_the_total(pair):
    measured = profile_pass(_settings(pair[0]), _settings(pair[1]),
                            (sys.executable, sys.executable), rounds=2, block_s=0.05, seed=3,
                            epochs=2)
    assert [r["epoch"] for r in measured["rounds"]] == [0, 0, 1, 1]
    assert [e["started_first"] for e in measured["epochs"]] == (
        [measured["started_first"], "new" if measured["started_first"] == "base" else "base"])
    result = attribution(measured)
    assert isinstance(result, Attribution) and result.table is not None
    assert result.status == "complete" and result.profiling.separate_pass is True
    table = result.table
    top = table.nodes[0]
    assert top.type == "FullyConnected" and not top.matched
    assert top.changes == ("only in NEW",)
    assert top.change.delta.value > 0
    rows = sum(r.change.delta.value for r in table.nodes)
    outside = table.outside_counters.delta.value
    assert rows + outside == pytest.approx(table.total.delta.value, rel=1e-9)
    assert table.unmatched.delta.value == pytest.approx(
        sum(r.change.delta.value for r in table.nodes if not r.matched))
    assert table.types[0].key == "FullyConnected"
    # the typed block is the dict it always was: it reads back as itself
    assert Attribution.from_dict(json.loads(json.dumps(result.to_dict()))) == result


@pytest.mark.slow
def test_a_precision_forced_on_one_side_is_named_in_what_changed(pair):
    capabilities = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    if "BF16" not in capabilities:
        pytest.skip("this CPU has no bf16: the sides would run the same precision")
    measured = profile_pass(_settings(pair[0], precision="bf16"),
                            _settings(pair[0], precision="f32"),
                            (sys.executable, sys.executable), rounds=2, block_s=0.05, seed=1,
                            epochs=1)
    conv = next(r for r in attribution(measured).table.nodes if r.type == "Convolution")
    assert "precision bf16 → f32" in conv.changes


def test_the_pass_runs_under_the_verdicts_controls(pair):
    """Review (issue 29): the pass started its workers without the A/B's controls, so
    under ``pin`` its nodes ran on other CPUs, with other thread counts, than the verdict
    timed.  Each epoch's two workers now start under them, each with its own layout draw,
    and report what they see."""
    from perfbench.runner.controls import parse_controls
    controls = parse_controls(["arena=2", "layout"])
    measured = profile_pass(_settings(pair[0]), _settings(pair[0]),
                            (sys.executable, sys.executable), rounds=1, block_s=0.05, seed=5,
                            epochs=2, controls=controls)
    assert measured["status"] == "complete" and len(measured["epochs"]) == 2
    seen = [e["controls"][side] for e in measured["epochs"] for side in ("base", "new")]
    assert all(s["malloc_arena_max"] == "2" for s in seen)
    assert len({s["layout"]["env_bytes"] for s in seen}) > 1    # four draws, not one
    plain = profile_pass(_settings(pair[0]), _settings(pair[0]),
                         (sys.executable, sys.executable), rounds=1, block_s=0.05, epochs=1)
    assert "controls" not in plain["epochs"][0]


def test_a_stop_before_the_first_round_gives_no_attribution(pair):
    import threading
    stop = threading.Event()
    stop.set()
    measured = profile_pass(_settings(pair[0]), _settings(pair[0]),
                            (sys.executable, sys.executable), rounds=3, block_s=0.05,
                            stop_event=stop)
    assert measured["status"] == "interrupted" and measured["rounds"] == []
    assert attribution(measured) is None


def failing_python(directory, fail_from: int) -> str:
    """An interpreter for the workers that starts them ``fail_from - 1`` times, then fails
    to (a worker that dies: a real process failure, at the seam a side's python is)."""
    script = directory / "python-that-fails"
    count = directory / "starts"
    script.write_text(f"""#!/bin/sh
n=$(cat '{count}' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '{count}'
if [ $n -ge {fail_from} ]; then echo "worker start $n refused (test)" >&2; exit 1; fi
exec '{sys.executable}' "$@"
""")
    script.chmod(0o755)
    return str(script)


@pytest.mark.slow
def test_a_worker_failing_in_epoch_2_keeps_epoch_1_as_a_partial_attribution(pair, tmp_path):
    """A review found that a failure in epoch k > 1 dropped every round profiled before
    it: the pass raised and the attribution was ``failed``."""
    new_python = failing_python(tmp_path, fail_from=2)
    measured = profile_pass(_settings(pair[0]), _settings(pair[1]),
                            (sys.executable, new_python), rounds=2, block_s=0.05, seed=3,
                            epochs=3)
    assert measured["status"] == "partial"
    assert measured["error"].startswith("epoch 2 failed: ")
    assert [r["epoch"] for r in measured["rounds"]] == [0, 0]
    assert [e["index"] for e in measured["epochs"]] == [0]
    result = attribution(measured)
    assert result.status == "partial" and result.error == measured["error"]
    assert (result.table.rounds, result.table.epochs) == (2, 1)
    assert any(r.type == "FullyConnected" and r.changes == ("only in NEW",)
               for r in result.table.nodes)


def test_a_worker_failing_in_the_first_epoch_fails_the_pass(pair, tmp_path):
    """Nothing completed to keep: the failure is the pass's (the caller says ``failed``)."""
    from perfbench.errors import RunFailed
    with pytest.raises(RunFailed):
        profile_pass(_settings(pair[0]), _settings(pair[0]),
                     (sys.executable, failing_python(tmp_path, fail_from=1)), rounds=1,
                     block_s=0.05, epochs=2)
