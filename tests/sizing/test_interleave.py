"""Interleaved sweeps: real worker processes on the tiny model, and the paired figures."""

import json
import math
import os
import threading

import psutil
import pytest

from perfbench.cli.main import main
from perfbench.errors import UsageError
from perfbench.results import from_document
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.interleave import AUTO_MAX_POINTS, MIN_ROUNDS, run_interleaved
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point, Sweep, save_to
from tests.models import synthetic_result


def _workers() -> list[psutil.Process]:
    children = psutil.Process(os.getpid()).children(recursive=True)
    return [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE
            and "perfbench.runner.worker" in " ".join(c.cmdline())]


def _spec(tiny_ir, **kwargs):
    options = dict(point_time_s=1.0)
    options.update(kwargs)
    return SweepSpec(BenchmarkConfig(model=tiny_ir), {"requests": [1, 2]}, **options)


def test_every_round_measures_every_point_in_random_order_one_at_a_time(tiny_ir, tmp_path):
    path = str(tmp_path / "sweep.json")
    sweep = run_interleaved(_spec(tiny_ir), save_to(path))
    data = json.loads(open(path).read())
    keys = ["default", "requests=1", "requests=2"]
    assert data["mode"] == "interleaved" and data["status"] == "complete"
    assert len(data["rounds"]) >= MIN_ROUNDS
    orders = [tuple(r["order"]) for r in data["rounds"]]
    assert all(sorted(o) == sorted(keys) for o in orders) and len(set(orders)) > 1
    blocks = [b for r in data["rounds"] for b in r["blocks"]]
    assert [b["key"] for b in blocks] == [k for o in orders for k in o]
    assert all(a["t_end"] <= b["t_start"] for a, b in zip(blocks, blocks[1:]))
    for point in data["points"]:
        # each point's full result is its blocks pooled: one window per block
        result = from_document(point["result"], point["key"])
        mine = [b for b in blocks if b["key"] == point["key"]]
        assert point["status"] == "done" and len(result.windows) == len(mine)
        durations = [w.end_s - w.start_s for w in result.windows]
        assert result.duration_s == pytest.approx(sum(durations))
        assert result.fps == pytest.approx(
            sum(w.completed for w in result.windows) / result.duration_s)
    # the paired ratio to the default is a mean of the rounds' own ratios (its value on
    # known rounds: test_the_paired_ratio_is_the_known_ratio_of_constructed_rounds)
    for key in ("requests=1", "requests=2"):
        ratios = [r["fps"][key] / r["fps"]["default"] for r in data["rounds"]]
        ratio = data["vs_default"][key]
        assert min(ratios) <= ratio["ratio"] <= max(ratios)
        assert ratio["ci95_low"] < ratio["ratio"] < ratio["ci95_high"]
        assert ratio["rounds"] == len(data["rounds"])
        assert ratio["interval"] == "round-level only"      # no process level in it
    assert sweep.status == "complete" and _workers() == []


def test_a_stop_keeps_the_rounds_and_results_done(tiny_ir):
    stop = threading.Event()

    def after_round(index, total, sweep):
        if index == 2:
            stop.set()
    sweep = run_interleaved(_spec(tiny_ir, point_time_s=60.0), save_to(None), after_round,
                            stop)
    assert sweep.status == "interrupted" and len(sweep.rounds) == 3
    assert all(p.status == "interrupted" and p.result.status == "interrupted"
               and len(p.result.windows) == 3 for p in sweep.points)
    assert _workers() == []


def test_a_point_whose_worker_dies_fails_and_the_others_go_on(tiny_ir):
    def kill_one(index, total, sweep):
        if index == 1:
            victim = next(w for w in _workers() if w.is_running())
            victim.kill()
            victim.wait(10)
    sweep = run_interleaved(_spec(tiny_ir, point_time_s=1.5), save_to(None), kill_one)
    failed = [p for p in sweep.points if p.status == "failed"]
    assert len(failed) == 1 and "worker died" in failed[0].reason
    assert sum(p.status == "done" for p in sweep.points) == 2
    assert _workers() == []


def _synthetic_sweep(rounds: list[dict]) -> Sweep:
    spec = SweepSpec(BenchmarkConfig(), {"requests": [1, 4]})
    points = [Point("default", {}, "done", result=synthetic_result([100.0] * 5)),
              Point("requests=1", {"requests": 1}, "done",
                    result=synthetic_result([103.0] * 5, p99=0.5)),
              Point("requests=4", {"requests": 4}, "done",
                    result=synthetic_result([104.0] * 5, p99=9.0))]
    return Sweep(spec, points, status="complete", mode="interleaved", rounds=rounds,
                 block_s=0.1)


def _rounds(factors: dict[str, list[float]]) -> list[dict]:
    n = len(next(iter(factors.values())))
    return [{"order": list(factors), "fps": {k: 100.0 * v[i] for k, v in factors.items()},
             "blocks": []} for i in range(n)]


def test_the_paired_ratio_is_the_known_ratio_of_constructed_rounds():
    """requests=1 runs at 1.05 × the default in every round but for a wobble made of
    reciprocal pairs (1.02 and 1/1.02 …) under a drift that hits both alike: its ratio is
    1.05 exactly, and the interval is symmetric about it on the log scale."""
    drift = [1.0, 0.7, 1.3, 0.9, 1.1, 0.8, 1.2, 1.0]
    wobble = [1.02, 1 / 1.02, 1.01, 1 / 1.01, 1.03, 1 / 1.03, 1.0, 1.0]
    sweep = _synthetic_sweep(_rounds({"default": drift,
                                      "requests=1": [1.05 * w * d for w, d in zip(wobble, drift)],
                                      "requests=4": [1.04 * d for d in drift]}))
    versus = sweep.versus_default()
    assert versus["requests=1"]["ratio"] == pytest.approx(1.05, rel=1e-12)
    assert versus["requests=1"]["ci95_low"] * versus["requests=1"]["ci95_high"] == \
        pytest.approx(1.05 ** 2, rel=1e-12)
    assert versus["requests=1"]["ci95_low"] < 1.05 / 1.01 and versus["requests=1"]["rounds"] == 8
    # no wobble at all: every round says 1.04, and so does the estimate
    assert versus["requests=4"]["ratio"] == pytest.approx(1.04, rel=1e-12)


def test_picks_use_the_paired_interval():
    """requests=1 is 1 % behind the top in every round (a tight paired tie): it wins on
    latency; when its paired ratio scatters ±8 % it cannot win, whatever its mean."""
    drift = [1.0, 0.7, 1.3, 0.9, 1.1, 0.8, 1.2, 1.0]          # hits every point alike
    wobble = [1.000, 1.004, 0.996, 1.002, 0.998, 1.005, 0.995, 1.000]
    tight = _synthetic_sweep(_rounds({"default": drift,
                                      "requests=1": [1.03 * w * d for w, d in zip(wobble, drift)],
                                      "requests=4": [1.04 * d for d in drift]}))
    pick = tight.conclusions()["recommendations"]["best_throughput"]
    assert pick["key"] == "requests=1" and "tied" in pick["why"]
    assert pick["fps_vs_default_paired"]["ratio"] == pytest.approx(1.03, rel=1e-3)
    scatter = [1.11, 0.95, 1.10, 0.96, 1.12, 0.94, 1.09, 0.97]
    loose = _synthetic_sweep(_rounds({"default": drift,
                                      "requests=1": [s * d for s, d in zip(scatter, drift)],
                                      "requests=4": [1.04 * d for d in drift]}))
    assert loose.conclusions()["recommendations"]["best_throughput"]["key"] == "requests=4"


def test_error_bars_are_the_paired_interval_in_an_interleaved_sweep():
    from perfbench.reporters.sweep_report import _error_bars
    drift = [1.0, 0.7, 1.3, 0.9, 1.1, 0.8, 1.2, 1.0]
    wobble = [1.00, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.00]
    sweep = _synthetic_sweep(_rounds({"default": drift,
                                      "requests=1": [1.03 * w * d for w, d in zip(wobble, drift)],
                                      "requests=4": [1.04 * d for d in drift]}))
    ratio = sweep.versus_default()["requests=1"]
    low, high = _error_bars(sweep, sweep.points[1:2], [200.0])
    assert low[0] == pytest.approx(200.0 * (1 - ratio["ci95_low"] / ratio["ratio"]))
    assert high[0] == pytest.approx(200.0 * (ratio["ci95_high"] / ratio["ratio"] - 1))
    assert low[0] > 0 and high[0] > 0


def test_cli_interleaves_small_grids_and_says_how(tiny_ir, tmp_path, capsys):
    from perfbench.cli.main import _interleaved
    small = _spec(tiny_ir)
    big = SweepSpec(BenchmarkConfig(), {"requests": list(range(1, AUTO_MAX_POINTS + 1))})
    assert _interleaved(small, None, resume=False) is True
    assert _interleaved(big, None, resume=False) is False
    assert _interleaved(big, "interleave", resume=False) is True
    assert _interleaved(small, None, resume=True) is False
    with pytest.raises(UsageError, match="drop --resume or --interleave"):
        _interleaved(small, "interleave", resume=True)
    out, png = tmp_path / "s.json", tmp_path / "s.png"
    assert main(["sweep", "-m", str(tiny_ir), "--requests", "1,2", "--point-time", "1",
                 "-q", "--json", str(out), "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "interleaved" in text and "vs default" in text and "(paired" in text
    assert json.loads(out.read_text())["mode"] == "interleaved"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["sweep", "--interleave", "--sequential"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_precision_gains_are_paired_ratios_to_f32():
    spec = SweepSpec(BenchmarkConfig(), {"precision": ["f32", "int8"]})
    points = [Point("default", {}, "done", result=synthetic_result([100.0] * 5)),
              Point("precision=f32", {"precision": "f32"}, "done",
                    result=synthetic_result([90.0] * 5)),
              Point("precision=int8", {"precision": "int8"}, "done",
                    result=synthetic_result([180.0] * 5))]
    drift = [1.0, 0.8, 1.2, 0.9, 1.1, 1.0]
    wobble = [1.00, 1.01, 1 / 1.01, 1.00, 1.02, 1 / 1.02]    # reciprocal pairs: mean 1
    rounds = []
    for d, w in zip(drift, wobble):
        fps = {"default": 100 * d, "precision=f32": 90 * d, "precision=int8": 180 * d * w}
        p99 = {"default": 10 / d, "precision=f32": 11 / d, "precision=int8": 5.5 / d}
        rounds.append({"order": list(fps), "fps": fps,
                       "blocks": [{"key": k, "p99_ms": p99[k]} for k in fps]})
    sweep = Sweep(spec, points, status="complete", mode="interleaved", rounds=rounds)
    (gain,) = sweep.conclusions()["precision_gains"]
    assert gain["precision"] == "int8" and gain["settings"] == {}
    assert gain["fps_ratio"]["ratio"] == pytest.approx(2.0, rel=1e-12)    # 180 / 90
    assert gain["fps_ratio"]["ci95_low"] < gain["fps_ratio"]["ratio"] < gain["fps_ratio"]["ci95_high"]
    assert gain["p99_ratio"]["ratio"] == pytest.approx(0.5)


def test_cli_ctrl_c_keeps_the_rounds_and_leaves_no_worker(tiny_ir, tmp_path):
    import signal
    import subprocess
    import sys
    from tests.processes import checkout_env, wait_for_marker
    out = tmp_path / "s.json"
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "sweep", "-m", tiny_ir,
                             "--requests", "1,2", "--point-time", "600", "-q", "-v", "--json",
                             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=checkout_env())
    wait_for_marker(proc, "perfbench: sweep round 2/")
    workers = [c for c in psutil.Process(proc.pid).children(recursive=True)
               if "perfbench.runner.worker" in " ".join(c.cmdline())]
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    data = json.loads(out.read_text())
    assert data["status"] == "interrupted" and len(data["rounds"]) >= 2
    assert all(p["status"] == "interrupted" and p["result"]["status"] == "interrupted"
               for p in data["points"])
    assert len(workers) == 3 and all(not w.is_running() or w.status() == psutil.STATUS_ZOMBIE
                                     for w in workers)


def test_precision_gains_of_a_sequential_sweep_come_from_each_points_interval():
    from perfbench.results import from_document
    from tests.models import synthetic_document

    def with_interval(fps, low, high, p99):
        doc = synthetic_document([fps], p99=p99)
        doc["precision"] = {"fps_windows": {"value": fps, "ci95_low": low, "ci95_high": high,
                                            "n": 10, "cv_pct": 2.0}}
        return from_document(doc, "synthetic")
    spec = SweepSpec(BenchmarkConfig(), {"precision": ["f32", "bf16"]})
    f32 = with_interval(100.0, 98.0, 102.0, 10.0)
    bf16 = with_interval(300.0, 291.0, 309.0, 5.0)
    points = [Point("precision=f32", {"precision": "f32"}, "done", result=f32),
              Point("precision=bf16", {"precision": "bf16"}, "done", result=bf16)]
    (gain,) = Sweep(spec, points, status="complete").conclusions()["precision_gains"]
    # 300 / 100, with independent ±3 % and ±2 % intervals combined in quadrature on the log
    # scale: 3 × exp(√(ln²1.03 + ln²1.02)) = 3 × exp(0.035579) = 3.10866 (worked by hand)
    assert gain["fps_ratio"]["ratio"] == pytest.approx(3.0)
    assert gain["fps_ratio"]["ci95_high"] == pytest.approx(3.10866, rel=1e-5)
    assert gain["fps_ratio"]["ci95_low"] == pytest.approx(3 / 1.036220, rel=1e-5)
    # synthetic p99 = 100 × p99 / FPS: 100 × 5 / 300 against 100 × 10 / 100
    assert gain["p99_ratio"]["ratio"] == pytest.approx(1 / 6)


def test_a_step_failing_after_some_rounds_still_saves_them(tiny_ir):
    """A late failure (here the round callback) used to skip ``save``: every round lost."""
    saved = []

    def fail_late(index, total, sweep):
        if index == 2:
            raise RuntimeError("display broke")
    with pytest.raises(RuntimeError, match="display broke"):
        run_interleaved(_spec(tiny_ir, point_time_s=60.0), saved.append, fail_late)
    (sweep,) = saved
    document = sweep.to_dict()
    assert document["status"] == "failed" and len(document["rounds"]) == 3
    assert "failed after 3 rounds: display broke" in document["note"]
    assert _workers() == []


def _side_failing(key: str, probe: bool):
    """Real workers; the one for ``key`` dies at its probe block (``probe``) or when asked
    for its result, as a crashed worker would."""
    from perfbench.runner.ab import Side

    class Failing(Side):
        def block(self, seconds, warmup, record=True):
            if self.label == key and probe and not record:
                self.process.kill()
            return super().block(seconds, warmup, record)

        def result(self, interrupted):
            if self.label == key and not probe:
                self.process.kill()
            return super().result(interrupted)
    return Failing


@pytest.mark.parametrize("probe", [True, False], ids=["probe block", "result"])
def test_a_worker_failing_its_probe_or_result_fails_only_its_point(tiny_ir, probe):
    saved = []
    sweep = run_interleaved(_spec(tiny_ir, point_time_s=1.0), saved.append,
                            side=_side_failing("requests=2", probe))
    status = {p.key: p.status for p in sweep.points}
    assert status == {"default": "done", "requests=1": "done", "requests=2": "failed"}
    assert "worker died" in sweep.points[2].reason
    assert saved == [sweep] and sweep.status == "complete" and _workers() == []


def test_a_budget_that_cuts_the_rounds_short_says_so_and_recommends_nothing(tiny_ir):
    """On a clock that moves 1 s a read, a 2 s budget stops after the first round (the
    next would end at 4 s): 1 round of at least 10 decides nothing."""
    from rich.console import Console
    from perfbench.reporters.sweep_report import render
    from tests.models import FakeClock
    sweep = run_interleaved(_spec(tiny_ir, budget_s=2.0), save_to(None),
                            clock=FakeClock(1.0))
    assert len(sweep.rounds) == 1 and sweep.status == "incomplete"
    assert sweep.note.startswith("budget reached after 1 of ")
    assert f"fewer than {MIN_ROUNDS} rounds" in sweep.note
    conclusions = sweep.conclusions()
    assert all(pick is None for pick in conclusions["recommendations"].values())
    assert conclusions["sizing"] is None and sweep.note in conclusions["withheld"]
    console = Console(record=True, width=200)
    render(sweep, console)
    text = console.export_text()
    assert "Sweep (incomplete" in text and sweep.note in text
    assert "best throughput" not in text and "withheld" in text
