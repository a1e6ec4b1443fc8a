"""The race with real workers on the tiny model: fresh workers every epoch, a worker that
dies mid-race, a stop mid-race that keeps the rounds and resumes."""

import json
import os
import threading

import psutil
import pytest

from perfbench.runner.side import Side
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.race_run import run_race
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import load_previous, save_to
from tests.sizing.previous import resumed


def _workers() -> list[psutil.Process]:
    children = psutil.Process(os.getpid()).children(recursive=True)
    return [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE
            and "perfbench.runner.worker" in " ".join(c.cmdline())]


def _spec(tiny_ir, **kwargs):
    options = dict(epoch_s=0.1, max_epochs=3, confirm=False)
    options.update(kwargs)
    return SweepSpec(BenchmarkConfig(model=tiny_ir), {"requests": [1, 2]}, **options)


def _side(blocks: dict, pids: dict, on_block):
    """A Side that counts each point's blocks and records its worker's pid per epoch."""
    class Watched(Side):
        def __init__(self, label, *args, **kwargs):
            super().__init__(label, *args, **kwargs)
            pids.setdefault(label, []).append(self.process.pid)

        def block(self, seconds, warmup, record=True):
            blocks[self.label] = blocks.get(self.label, 0) + 1
            on_block(self, blocks[self.label])
            return super().block(seconds, warmup, record)
    return Watched


def test_a_worker_that_dies_is_dropped_and_the_race_goes_on_with_fresh_workers(
        tiny_ir, tmp_path):
    path = str(tmp_path / "race.json")
    blocks, pids = {}, {}

    def kill_in_second_epoch(side, count):
        # epoch 0: one probe block and 8 rounds; the third block of epoch 1 dies
        if side.label == "requests=2" and count == 12:
            side.process.kill()
            side.process.wait(10)
    sweep = run_race(_spec(tiny_ir), save_to(path),
                     side=_side(blocks, pids, kill_in_second_epoch))
    data = json.loads(open(path).read())
    race = data["race"]
    assert data["schema_version"] == 4 and data["mode"] == "race"
    assert len(race["epochs"]) == 3
    dead = next(p for p in data["points"] if p["key"] == "requests=2")
    assert dead["status"] == "failed" and "worker died" in dead["reason"]
    exit_ = next(x for x in race["exits"] if x["key"] == "requests=2")
    assert exit_["reason"].startswith("worker failed") and exit_["epoch"] == 1
    assert [e["points"] for e in race["epochs"][2:]] == [["default", "requests=1"]]
    # every epoch started fresh workers: a new process per point per epoch
    assert len(set(pids["default"])) == 3 and len(set(pids["requests=1"])) == 3
    for epoch in race["epochs"]:
        assert set(epoch["points"]) <= set(epoch["start_order"])      # who started, first first
        blocks_in_time = [b for r in epoch["rounds"] for b in r["blocks"]]
        assert all(a["t_end"] <= b["t_start"] for a, b in zip(blocks_in_time,
                                                                blocks_in_time[1:]))
    for interval in data["vs_default"].values():
        assert interval["level"] == 0.95 and "process level counted" in interval["interval"]
        assert interval["low"] <= interval["ratio"] <= interval["high"]
    assert sweep.status == "complete" and _workers() == []


def test_a_stop_mid_race_keeps_the_rounds_and_resume_goes_on(tiny_ir, tmp_path):
    path = str(tmp_path / "race.json")
    stop = threading.Event()
    blocks, pids = {}, {}

    def stop_in_second_epoch(side, count):
        if side.label == "default" and count == 12:
            stop.set()
    first = run_race(_spec(tiny_ir), save_to(path), stop_event=stop,
                     side=_side(blocks, pids, stop_in_second_epoch))
    saved = json.loads(open(path).read())
    assert first.status == "interrupted" and saved["status"] == "interrupted"
    assert saved["race"]["status"] == "interrupted" and len(saved["race"]["epochs"]) == 2
    kept = saved["race"]["epochs"]
    assert len(kept[0]["rounds"]) == 8 and 1 <= len(kept[1]["rounds"]) < 8
    assert _workers() == []
    again = run_race(_spec(tiny_ir), save_to(path), previous=load_previous(path))
    resumed = json.loads(open(path).read())["race"]
    assert resumed["epochs"][:2] == kept and len(resumed["epochs"]) == 3
    assert again.race.status in ("won", "tied", "budget") and again.status == "complete"
    assert _workers() == []


def test_a_points_table_figures_cover_every_epoch_it_ran_in(tiny_ir, tmp_path):
    """Issue 25 (B1): the point's result was its last epoch's worker's alone, so its
    latency percentiles and CPU use were one epoch's, beside a paired ratio over all of
    them.  Now it is every epoch's blocks pooled: the requests and latencies of each
    epoch's worker summed, CPU use weighted by each epoch's seconds, and the p99 the pooled
    histogram's (within its 1 % bucket)."""
    from perfbench.results import from_document
    from perfbench.stats.histogram import LogHistogram
    epochs: dict[str, list] = {}

    class Recorded(Side):
        def result(self, interrupted):
            document = super().result(interrupted)
            epochs.setdefault(self.label, []).append(from_document(document, self.label))
            return document
    sweep = run_race(_spec(tiny_ir), save_to(str(tmp_path / "race.json")), side=Recorded)
    point = next(p for p in sweep.points if p.key == "requests=1")
    seen = epochs["requests=1"]
    assert len(seen) == 3 and point.result is not None
    result = point.result
    assert result.completed_requests == sum(r.completed_requests for r in seen)
    assert result.latency.count == sum(r.latency.count for r in seen)
    assert result.duration_s == sum(r.duration_s for r in seen)
    seconds = [r.system.seconds for r in seen]
    assert result.system.cpu_own_pct == \
        sum(r.system.cpu_own_pct * s for r, s in zip(seen, seconds)) / sum(seconds)
    pool = LogHistogram()
    for r in seen:
        pool.merge(LogHistogram.from_dict(r.latency_histogram))
    assert result.latency.p99 == min(max(pool.percentile(99.0), result.latency.min),
                                     result.latency.max)
    assert sorted({w.trial for w in result.windows}) == [0, 1, 2]
    # every epoch's worker a trial: the interval between them is over all three (it was
    # the last epoch's, of one trial: none); compile time the mean of the three compiles
    from perfbench.stats.intervals import rate_mean_ci
    assert [t.fps for t in result.trials] == [r.trials[0].fps for r in seen]
    steady = [r.trials[0].steady_fps for r in seen]
    assert result.precision.fps_trials == rate_mean_ci(
        steady if all(steady) else [r.trials[0].fps for r in seen])
    # the point's FPS, as the sweep's table, CSV and plot print it: between the epochs
    from perfbench.results.metrics import fps_estimate
    assert fps_estimate(result) == pytest.approx((result.precision.fps_trials.value,
                                                  result.precision.fps_trials.low,
                                                  result.precision.fps_trials.high))
    assert result.compile_ms == pytest.approx(sum(r.compile_ms for r in seen) / 3)


def test_a_race_resumed_under_a_constraint_that_now_leaves_a_point_out_says_so():
    """The saved race raced int8; a constraint that now excludes int8 leaves the grid's
    raced points other than the saved ones: one line naming the point left out, not the
    bare "other points" that would send the user looking at the grid."""
    import numpy as np
    import pytest

    from perfbench.errors import UsageError
    from perfbench.sizing import race as rules
    from perfbench.sizing.race_run import new_race
    from tests.sizing import race_model
    keys = {"default": 1.0, "precision=f32": 0.9, "precision=int8": 1.3}
    saved = rules.document(race_model.play(np.random.default_rng(1), keys), 0.1)
    spec = SweepSpec(BenchmarkConfig(model="m.xml"), {"precision": ["f32", "int8"]})
    previous = resumed(race=saved)
    race, points = new_race(spec, previous)             # as saved: resumes
    assert list(race.keys) == list(keys)
    with pytest.raises(UsageError, match=r"the fidelity constraint now leaves out "
                                         r"precision=int8\)"):
        new_race(spec, previous, {"precision=int8": "excluded by the fidelity constraint"})


def test_a_race_stopped_before_its_first_epoch_starts_again_on_resume():
    """A Ctrl-C while the race measured fidelity saves a race of every point and no epoch;
    resumed under the constraint that now excludes int8, it starts again on the points
    admitted (it was refused: "the saved race has other points")."""
    from perfbench.sizing import race as rules
    from perfbench.sizing.race import Race, RaceRules
    from perfbench.sizing.race_run import new_race
    spec = SweepSpec(BenchmarkConfig(model="m.xml"), {"precision": ["f32", "int8"]})
    keys = ["default", "precision=f32", "precision=int8"]
    unstarted = Race(keys, {k: {} for k in keys}, RaceRules(), 0)
    previous = resumed(race=rules.document(unstarted, 0.1))
    race, points = new_race(spec, previous,
                            {"precision=int8": "excluded by the fidelity constraint"})
    assert list(race.keys) == ["default", "precision=f32"] and not race.epochs
    assert {p.key: p.status for p in points}["precision=int8"] == "skipped"
