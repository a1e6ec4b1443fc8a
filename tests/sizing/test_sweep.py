"""Sweeps of a tiny real model: budget, resume, files, signals."""

import pytest
import json
import os
import signal
import subprocess
import math
import sys


from perfbench.cli.main import main
from perfbench.results import from_document
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.grid import PointSummary, recommend
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import plan, run_sweep, save_to, time_cap
from tests.models import synthetic_document
from tests.processes import checkout_env, wait_for_marker
from tests.sizing.previous import point, resumed


def _spec(tiny_ir, **kwargs):
    base = BenchmarkConfig(model=tiny_ir)
    options = dict(point_time_s=1.5, until_stable_pct=5.0)
    options.update(kwargs)
    return SweepSpec(base, {"streams": [1, 2], "requests": [1, 2]}, **options)


def test_sweep_runs_every_point_and_recommends(tiny_ir, tmp_path):
    path = str(tmp_path / "sweep.json")
    sweep = run_sweep(_spec(tiny_ir, sla_ms=100.0, target_fps=1e6), save_to(path))
    data = json.loads(open(path).read())
    assert data["status"] == sweep.status == "complete"
    assert [p["key"] for p in data["points"]][0] == "default"
    assert len(data["points"]) == 5 and all(p["status"] == "done" for p in data["points"])
    assert set(data["pareto"]) <= {p["key"] for p in data["points"]}
    # The document's picks are what the (separately tested) rules give on its own points.
    # FPS is the steady estimate (its interval's centre), as compare and exporters use it;
    # a point too short for two steady windows has the headline FPS and no interval
    def steady(p):
        result = from_document(p["result"], p["key"])
        estimate = result.precision.fps_windows
        return (estimate.value, estimate.low, estimate.high) if estimate else (
            result.fps, None, None)
    summaries = [PointSummary(p["key"], p["settings"], steady(p)[0],
                              p["result"]["results"]["latency_ms"]["p99"], *steady(p)[1:])
                 for p in data["points"]]
    expected = recommend(summaries, summaries[0], 100.0, 99.0)
    for name, pick in data["recommendations"].items():
        # a throughput pick that does not beat the default by its interval gives way to it
        kept = pick["key"] == expected[name]["key"]
        assert kept or (pick["key"] == "default" and "beyond noise" in pick["why"])
        if kept and name != "best_latency" and pick["key"] != "default":
            assert sweep.fps_vs_default_low(pick["key"]) > 1
    pick = data["recommendations"]["best_under_sla"]
    assert data["sizing"]["machines"] == math.ceil(1e6 / pick["fps"])
    point = next(p for p in data["points"] if p["key"] == "requests=2,streams=2")
    assert point["result"]["config"]["resolved"]["streams"] == 2
    assert point["result"]["config"]["pool_size"] == 2


def test_resume_skips_finished_points(tiny_ir, tmp_path):
    spec = _spec(tiny_ir)
    previous = resumed(points=[point("default", "done", synthetic_document([1.0])),
                               point("requests=1,streams=1", "interrupted")],
                       mode="sequential")
    points = plan(spec, previous)
    assert [p.status for p in points] == ["done", "pending", "pending", "pending", "pending"]
    ran = []
    sweep = run_sweep(spec, save_to(None), previous,
                      on_point=lambda i, n, p, s: ran.append(p.key))
    assert "default" not in ran and len(ran) == 4
    assert sweep.points[0].reason == "resumed"


def test_time_cap_shares_the_budget():
    assert time_cap(20.0, None, 1e6, 3) == 20.0                 # no budget: the point time
    assert time_cap(20.0, 100.0, 20.0, 4) == pytest.approx(15.0)    # 0.75 × 80 s / 4
    assert time_cap(10.0, 100.0, 20.0, 4) == 10.0                # never above --point-time
    assert time_cap(20.0, 100.0, 97.0, 1) is None                # 0.75 × 3 s: under 3 s
    assert time_cap(2.0, 40.0, 0.0, 5) == 2.0      # points shorter than 3 s asked for: run them


def test_budget_shortens_then_skips_on_the_sweeps_clock(tiny_ir):
    """A clock that jumps 10 s per read makes the budget's arithmetic exact: 5 points in
    30 s leave the first 0.75 × 20 s / 5 = 3 s, the next 0.75 × 10 s / 4 < 3 s: skipped."""
    ticks = iter(range(0, 10_000, 10))
    sweep = run_sweep(_spec(tiny_ir, point_time_s=10.0, budget_s=30.0), save_to(None),
                      clock=lambda: float(next(ticks)))
    assert sweep.points[0].time_cap_s == pytest.approx(3.0)
    assert sweep.points[0].status == "done" and "shortened" in sweep.points[0].reason
    assert [p.status for p in sweep.points[1:]] == ["skipped"] * 4
    assert all(p.reason == "budget exhausted" for p in sweep.points[1:])


def test_cli_sweep_files_and_plot(tiny_ir, tmp_path, capsys):
    out, table, png = tmp_path / "s.json", tmp_path / "s.csv", tmp_path / "s.png"
    assert main(["sweep", "-m", tiny_ir, "--streams", "1,2", "--point-time", "1.5",
                 "--until-stable", "5", "--sla-ms", "50", "-q", "--no-confirm", "--json", str(out),
                 "--csv", str(table), "--plot", str(png)]) == 0
    rows = table.read_text().splitlines()
    assert rows[0].startswith("key,status,device,hint") and len(rows) == 4
    assert "satisfies_constraints" in rows[0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "best throughput" in capsys.readouterr().out


def test_sizing_profile_and_bad_sweep_input(capsys):
    from perfbench.sizing.spec import load_sweep_profile
    from perfbench.sizing.spec import cores
    grid, fixed, options = load_sweep_profile("sizing")
    assert grid["streams"][-1] == cores() and options["budget"] == 600
    for argv, message in ((["sweep", "--streams", "1,x"], "'streams'"),
                          (["sweep", "--budget", "soon"], "'budget'"),
                          (["sweep", "--resume"], "--resume needs --json"),
                          (["sweep", "--plot", "p.pdf"], ".png or .svg"),
                          (["sweep", "--scenario", "server"], "--sla-ms"),
                          (["sweep", "--streams", "1,1"], "twice")):
        assert main(argv) == 2
        assert message in capsys.readouterr().err


def test_interrupted_sweep_is_saved_and_resumable(tiny_ir, tmp_path):
    out = tmp_path / "s.json"
    env = checkout_env()
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "sweep", "-m", tiny_ir,
                             "--streams", "1,2", "--requests", "1,2", "--point-time", "1",
                             "--until-stable", "0.01", "--sequential", "-q", "-v", "--json",
                             str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    wait_for_marker(proc, "perfbench: point 2/5")      # the default point is done
    wait_for_marker(proc, "perfbench: measuring")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130 and "--resume" in stderr
    data = json.loads(out.read_text())
    assert data["status"] == "interrupted"
    finished = [p["key"] for p in data["points"] if p["status"] == "done"]
    assert finished and len(finished) < 5
    assert main(["sweep", "-m", tiny_ir, "--streams", "1,2", "--requests", "1,2",
                 "--point-time", "1", "--until-stable", "5", "-q", "--json", str(out),
                 "--resume"]) == 0
    data = json.loads(out.read_text())
    assert data["status"] == "complete"
    assert all(p["status"] == "done" for p in data["points"])
    assert all(p["reason"] == "resumed" for p in data["points"] if p["key"] in finished)


def _queue_probe(capacity: float, noisy: dict | None = None):
    """An M/M/1 queue's p99 sojourn time, -ln(0.01)/(mu - lambda): a known answer.
    ``noisy`` maps a probe number to a latency multiplier (a noisy host on that probe)."""
    import math
    from perfbench.sizing.rate_search import Probe
    calls = []

    def probe(rate: float) -> Probe:
        calls.append(rate)
        factor = (noisy or {}).get(len(calls), 1.0)
        if rate >= capacity:
            return Probe(math.inf, capacity, low_ms=math.inf, high_ms=math.inf)
        p99 = factor * 1e3 * math.log(100) / (capacity - rate)
        return Probe(p99, rate, low_ms=p99, high_ms=p99)     # exact: no noise
    return probe


SLA_900 = 1e3 * 4.605170185988091 / 100     # M/M/1 at μ = 1000/s: p99 bound met up to 900/s


def test_rate_search_finds_the_known_answer_of_a_queue():
    from perfbench.sizing.rate_search import search_rate
    found = search_rate(_queue_probe(1000.0), 1000.0, SLA_900, steps=12)
    assert found.rate <= 900.0 < found.failed_above
    assert found.failed_above - found.rate < 1050 / 2**10
    assert found.trials[0].passed is False                       # 945/s is over
    assert found.trials[-1].note == "confirm" and found.trials[-1].passed
    impossible = search_rate(_queue_probe(1000.0), 1000.0, sla_ms=1.0, steps=5)
    assert impossible.rate is None and impossible.status == "complete"


def test_one_noisy_probe_at_the_edge_is_not_the_answer():
    """The confirming probe of the answer fails (the host was slow): the search falls back
    to the next lower rate that passed, and says where it failed."""
    from perfbench.sizing.rate_search import search_rate
    found = search_rate(_queue_probe(1000.0, noisy={13: 10.0}), 1000.0, SLA_900, steps=12)
    confirm = found.trials[-1]
    assert confirm.note == "confirm" and not confirm.passed
    assert found.failed_above == confirm.rate and found.rate < confirm.rate
    assert found.rate == max(t.rate for t in found.trials[:-1] if t.passed
                                and t.rate < confirm.rate)


def test_every_probe_passing_brackets_nothing_it_did_not_test():
    from perfbench.sizing.rate_search import search_rate
    found = search_rate(_queue_probe(1e9), 1000.0, SLA_900, steps=4)
    assert found.failed_above is None and found.precision_pct is None
    assert found.rate > 1000.0


def test_a_probe_whose_generator_fell_behind_is_probed_again():
    from perfbench.sizing.rate_search import Probe, search_rate
    sure = {"low_ms": 0.9, "high_ms": 1.1}
    answers = iter([Probe(1.0, 50.0, valid=False, **sure), Probe(1.0, 50.0, **sure),
                    Probe(1.0, 50.0, **sure)])
    found = search_rate(lambda rate: next(answers), 100.0, sla_ms=5.0, steps=1)
    assert [t.note for t in found.trials] == ["generator behind; probed again", "",
                                                     "confirm"]
    assert found.rate == pytest.approx(94.5)


def test_a_stop_ends_the_search_with_what_it_found():
    import threading
    from perfbench.sizing.rate_search import Probe, search_rate
    stop = threading.Event()

    def probe(rate):
        stop.set()
        return Probe(0.0, 0.0, interrupted=True)
    found = search_rate(probe, 100.0, 5.0, steps=6, stop_event=stop)
    assert found.status == "interrupted" and found.trials == () and found.rate is None


def test_resume_refuses_another_model_and_keeps_the_budget(tiny_ir, slow_ir, tmp_path):
    """A sweep file of one model must not lend its points to another; a changed grid keeps
    the points that match and says what it left out; the budget counts time already spent."""
    from perfbench.sizing.sweep import check_resumable
    from perfbench.errors import UsageError
    spec = _spec(tiny_ir)
    previous = resumed(spec, [point("default", "done", synthetic_document([1.0])),
                              point("requests=3,streams=1", "done", synthetic_document([1.0]))],
                       elapsed_s=25.0, mode="sequential")
    with pytest.raises(UsageError, match="is a sweep with model="):
        check_resumable(_spec(slow_ir), previous, "s.json")
    notes = check_resumable(spec, previous, "s.json")
    assert notes[0] == "not in the new grid (left out): requests=3,streams=1"
    ticks = iter(range(0, 10_000, 1))
    sweep = run_sweep(_spec(tiny_ir, point_time_s=10.0, budget_s=30.0), save_to(None), previous,
                      clock=lambda: float(next(ticks)))
    # 25 s spent before the stop: 0.75 × (30 − 26) / 4 < 3 s for the first new point
    assert sweep.points[0].reason == "resumed"
    assert all(p.status == "skipped" for p in sweep.points[1:])


def test_a_tight_budget_measures_the_default_and_skips_the_rest(tiny_ir):
    """A clock that stands still: 3 s of budget for 5 points of 1 s gives each a share of
    0.75 × 3 s / 5 = 0.45 s. The default is measured anyway (docs/sweep.md: always); the shares
    of the others must not grow as points are skipped (they used to reach 2.25 s by the
    last point, which alone ran, in a sweep called "complete"), and a sweep that skipped
    points for the budget is incomplete and recommends nothing."""
    sweep = run_sweep(_spec(tiny_ir, point_time_s=1.0, budget_s=3.0), save_to(None),
                      clock=lambda: 0.0)
    assert [p.status for p in sweep.points] == ["done"] + ["skipped"] * 4
    assert sweep.points[0].time_cap_s == 1.0 and "always measured" in sweep.points[0].reason
    assert all(p.reason == "budget exhausted" for p in sweep.points[1:])
    assert sweep.status == "incomplete"
    assert sweep.note == "budget exhausted: 4 of 5 points skipped"
    conclusions = sweep.conclusions()
    assert all(pick is None for pick in conclusions["recommendations"].values())
    assert conclusions["withheld"] == "sweep incomplete: budget exhausted: 4 of 5 points skipped"


def test_a_save_that_fails_goes_on_in_a_fallback_file(tmp_path, capsys, monkeypatch):
    """The sweep's file becomes unwritable mid-sweep: one line, and every later save lands
    in the fallback file it names; the saver says it moved (the command exits 1)."""
    import tempfile
    from perfbench.sizing.sweep import save_to
    monkeypatch.setenv("TMPDIR", str(tmp_path))         # no fallback left behind in /tmp
    monkeypatch.setattr(tempfile, "tempdir", None)

    class FakeSweep:
        status = "running"

        def __init__(self, points):
            self.points = points

        def to_dict(self):
            return {"schema": "perfbench.sweep", "points": self.points}
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    save = save_to(str(blocked / "sweep.json"))
    save(FakeSweep([1]))
    save(FakeSweep([1, 2]))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not write" in err
    fallback = err.rsplit(" ", 1)[1].strip()
    assert json.loads(open(fallback).read())["points"] == [1, 2]
    assert save.moved and save.path == fallback and fallback.startswith(str(tmp_path))
    assert not save_to(str(tmp_path / "fine.json")).moved


def _point(key, settings, fps, low, high, p99, other_cpu=None):
    """A finished point with a chosen steady FPS, interval and tail (and, given
    ``other_cpu``, a failed other-processes check)."""
    from perfbench.sizing.sweep import Point
    doc = synthetic_document([fps], p99=p99)
    if other_cpu is not None:
        doc["checks"] = [{"name": "other_processes_cpu", "ok": False, "value": other_cpu,
                          "threshold": 10.0, "message": "busy"}]
    doc["precision"] = {"fps_windows": {"value": fps, "ci95_low": low, "ci95_high": high,
                                        "n": 10, "cv_pct": 5.0}}
    return Point(key, settings, "done", result=from_document(doc, "synthetic"))


def test_no_point_that_cannot_be_told_from_the_default_is_recommended(capsys):
    """Issue 24: a point +2.7 % FPS [−8 %, +14 %] over the default, with a 56 % worse p99,
    was the "best throughput" and the sizing line was built on it.  The default stays the
    pick, the output says no point beats it beyond noise, and the sizing is the default's
    (ceil(2000 / 480) = 5 machines).  A point whose interval clears the default still wins."""
    from rich.console import Console
    from perfbench.reporters.sweep_report import render
    from perfbench.sizing.sweep import NO_POINT_BEATS_DEFAULT, Sweep
    spec = SweepSpec(BenchmarkConfig(), {"requests": [2, 4]}, target_fps=2000.0)
    default = _point("default", {}, 480.0, 450.0, 510.0, 10.0)
    close = _point("requests=4", {"requests": 4}, 493.0, 460.0, 526.0, 16.0)
    slow = _point("requests=2", {"requests": 2}, 400.0, 390.0, 410.0, 9.0)
    sweep = Sweep(spec, [default, slow, close], status="complete")
    # one run a side: each side's variance the 4 % run-to-run floor, z = 1.96
    assert sweep.fps_vs_default_low("requests=4") == pytest.approx(
        493 / 480 * math.exp(-1.959964 * math.sqrt(2) * 0.04), rel=1e-5)
    conclusions = sweep.conclusions()
    pick = conclusions["recommendations"]["best_throughput"]
    assert pick["key"] == "default" and pick["why"].startswith(NO_POINT_BEATS_DEFAULT)
    assert pick["beats_default"] is False and pick["runner_up"] == "requests=4"
    assert conclusions["sizing"]["from"] == "default"
    assert conclusions["sizing"]["machines"] == 5
    console = Console(record=True, width=250)
    render(sweep.result(), console)
    text = " ".join(console.export_text().split())
    assert "best throughput: default" in text and NO_POINT_BEATS_DEFAULT in text
    assert "(from default); 5 machine(s) for 2,000 FPS" in text
    fast = _point("requests=4", {"requests": 4}, 700.0, 690.0, 710.0, 16.0)
    beaten = Sweep(spec, [default, slow, fast], status="complete").conclusions()
    assert beaten["recommendations"]["best_throughput"]["key"] == "requests=4"
    assert beaten["sizing"]["from"] == "requests=4" and beaten["sizing"]["machines"] == 3


def test_a_sequential_sweep_does_not_claim_a_gain_within_run_to_run_noise():
    """Issue 25 (B2): +5 % with ±1 % window intervals on both sides "beat the default"
    (low end +3.5 %), yet full runs repeat 3.3-15.7 % apart.  With the compare verdict's
    run-to-run floor (4 % a side) the low end is below 1: the default stays the pick, and
    says why; a +30 % point still beats it."""
    from perfbench.sizing.sweep import NO_POINT_BEATS_DEFAULT, Sweep
    spec = SweepSpec(BenchmarkConfig(), {"requests": [2, 4]})
    default = _point("default", {}, 100.0, 99.0, 101.0, 10.0)
    close = _point("requests=4", {"requests": 4}, 105.0, 103.95, 106.05, 10.0)
    pick = Sweep(spec, [default, close], status="complete").result() \
        .recommendations["best_throughput"]
    assert pick.key == "default" and pick.beats_default is False
    assert pick.why.startswith(NO_POINT_BEATS_DEFAULT)
    assert "with the run-to-run noise floor" in pick.why and "low end -6.0 %" in pick.why
    fast = _point("requests=4", {"requests": 4}, 130.0, 128.7, 131.3, 10.0)
    won = Sweep(spec, [default, fast], status="complete").result()
    assert won.recommendations["best_throughput"].key == "requests=4"


def test_a_sizing_figure_from_a_disturbed_point_says_so():
    """Issue 24: "13 machine(s) for 2,000 FPS" with no warning while other processes took
    43–69 % of the CPU (6 on a quiet machine).  The sizing line names the disturbance of
    the point it is built on; other disturbed points are listed too."""
    from rich.console import Console
    from perfbench.reporters.sweep_report import render
    from perfbench.sizing.sweep import Sweep
    spec = SweepSpec(BenchmarkConfig(), {"requests": [2]}, target_fps=2000.0)
    sweep = Sweep(spec, [_point("default", {}, 160.0, 150.0, 170.0, 10.0, other_cpu=69.0),
                         _point("requests=2", {"requests": 2}, 100.0, 95.0, 105.0, 9.0,
                                other_cpu=43.0)], status="complete")
    conclusions = sweep.conclusions()
    assert conclusions["sizing"]["machines"] == 13
    assert conclusions["sizing"]["disturbed"] == ["default: other_processes_cpu 69.0 (limit 10.0)"]
    assert set(conclusions["disturbed"]) == {"default", "requests=2"}
    console = Console(record=True, width=300)
    render(sweep.result(), console)
    text = " ".join(console.export_text().split())
    assert ("13 machine(s) for 2,000 FPS — measured on a disturbed machine (default: "
            "other_processes_cpu 69.0 (limit 10.0))") in text
    assert "disturbed points" in text and "requests=2: other_processes_cpu 43.0" in text


def test_a_points_p99_from_too_few_samples_is_marked():
    """Issue 24: a sweep's per-point p99 had no warning at all; from 23 samples it is
    marked by stats.support's rule, as the run's table marks it."""
    from rich.console import Console
    from perfbench.reporters.sweep_report import render
    from perfbench.sizing.sweep import Sweep
    spec = SweepSpec(BenchmarkConfig(), {"requests": [2]})
    sweep = Sweep(spec, [_point("default", {}, 2.3, 2.2, 2.4, 10.0),
                         _point("requests=2", {"requests": 2}, 480.0, 470.0, 490.0, 9.0)],
                  status="complete")
    console = Console(record=True, width=300)
    render(sweep.result(), console)
    lines = console.export_text().splitlines()
    default_row = next(line for line in lines if "│ default" in line or " default " in line)
    assert "(not a p99: 23 samples)" in default_row and "(not a p90: 23 samples)" in default_row
    other = next(line for line in lines if "requests=2" in line and "│" in line)
    assert "not a p" not in other


def test_an_excluded_default_is_no_fallback_and_every_pick_says_what_was_excluded(
        monkeypatch):
    """The fidelity sweep of known logits with ``--min-sqnr 50``: the default (bf16, SQNR
    40 dB) and int8 (5.5 dB) fail it, f32 (identical) meets it.  f32 is slower than the
    default, which would normally keep the throughput pick ("no point beats the default");
    an excluded default cannot, so every pick is f32, and each why names the exclusions."""
    import dataclasses
    from tests.results.sweep_inputs import fidelity
    monkeypatch.setattr("perfbench.sizing.sweep.psutil.cpu_count", lambda logical=True: 2)
    sweep = fidelity()
    sweep.spec = dataclasses.replace(sweep.spec, min_top1_agreement_pct=None,
                                     min_sqnr_db=50.0)
    document = sweep.result()
    assert list(document.excluded) == ["default", "precision=int8"]
    assert "SQNR 40.0 dB < 50 dB (default (bf16) vs f32)" in document.excluded["default"]
    for name, pick in document.recommendations.items():
        assert pick.key == "precision=f32", name
        assert pick.why.endswith("; among the points that meet the fidelity constraint "
                                 "(2 excluded: default, precision=int8)")
    assert document.sizing.point == "precision=f32"


def test_resuming_a_sweep_file_of_another_version_or_a_malformed_one(tmp_path):
    """--resume reads the saved sweep through the registry: a version-1 file (frozen) is
    upgraded and typed; a value of the wrong kind is one line, not a traceback."""
    import json
    import shutil
    from pathlib import Path

    from perfbench.errors import UsageError
    from perfbench.results.sweep import SweepResult
    from perfbench.sizing.sweep import load_previous
    frozen = Path(__file__).resolve().parent.parent / "data" / "sweep_v1.json"
    old = tmp_path / "old.json"
    shutil.copy(frozen, old)
    resumed_sweep = load_previous(str(old))
    assert isinstance(resumed_sweep, SweepResult) and resumed_sweep.schema_version == 4
    bad = json.loads(frozen.read_text())
    bad["elapsed_s"] = "ten"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(UsageError, match=r"^--resume: .*bad\.json") as raised:
        load_previous(str(tmp_path / "bad.json"))
    assert "\n" not in str(raised.value)
