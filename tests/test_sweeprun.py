"""Sweeps of a tiny real model: budget, resume, files, signals."""

import json
import os
import signal
import subprocess
import sys
import time


from perfbench.cli import main
from perfbench.config import BenchmarkConfig
from perfbench.sweeprun import SweepSpec, plan, run_sweep, save_to
from tests.models import synthetic_result


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
    best = data["recommendations"]["best_throughput"]
    top = max(data["points"], key=lambda p: p["result"]["results"]["fps"])
    if best["key"] != top["key"]:       # a statistical tie, resolved by lower latency
        assert "tied" in best["why"]
        assert best["latency_ms"] <= top["result"]["results"]["latency_ms"]["p99"]
    assert data["sizing"]["machines"] >= 1
    point = next(p for p in data["points"] if p["key"] == "requests=2,streams=2")
    assert point["result"]["config"]["resolved"]["streams"] == 2
    assert point["result"]["config"]["pool_size"] == 2


def test_resume_skips_finished_points(tiny_ir, tmp_path):
    spec = _spec(tiny_ir)
    previous = {"schema": "perfbench.sweep", "points": [
        {"key": "default", "status": "done", "result": synthetic_result([1.0])},
        {"key": "requests=1,streams=1", "status": "interrupted", "result": None}]}
    points = plan(spec, previous)
    assert [p.status for p in points] == ["done", "pending", "pending", "pending", "pending"]
    ran = []
    sweep = run_sweep(spec, save_to(None), previous,
                      on_point=lambda i, n, p: ran.append(p.key))
    assert "default" not in ran and len(ran) == 4
    assert sweep.points[0].reason == "resumed"


def test_budget_shortens_and_skips(tiny_ir):
    sweep = run_sweep(_spec(tiny_ir, point_time_s=10.0, budget_s=9.0), save_to(None))
    statuses = [p.status for p in sweep.points]
    assert "skipped" in statuses
    assert any("budget" in p.reason for p in sweep.points)
    caps = [p.time_cap_s for p in sweep.points if p.time_cap_s]
    assert all(cap < 10.0 for cap in caps)


def test_cli_sweep_files_and_plot(tiny_ir, tmp_path, capsys):
    out, table, png = tmp_path / "s.json", tmp_path / "s.csv", tmp_path / "s.png"
    assert main(["sweep", "-m", tiny_ir, "--streams", "1,2", "--point-time", "1.5",
                 "--until-stable", "5", "--sla-ms", "50", "-q", "--json", str(out),
                 "--csv", str(table), "--plot", str(png)]) == 0
    rows = table.read_text().splitlines()
    assert rows[0].startswith("key,status,device,hint") and len(rows) == 4
    assert "satisfies_constraints" in rows[0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "best throughput" in capsys.readouterr().out


def test_sizing_profile_and_bad_sweep_input(capsys):
    from perfbench.sweepconfig import load_sweep_profile
    grid, fixed, options = load_sweep_profile("sizing")
    assert grid["streams"] == [1, 2] and options["budget"] == 300
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
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "sweep", "-m", tiny_ir,
                             "--streams", "1,2", "--requests", "1,2", "--point-time", "3",
                             "--until-stable", "0.01", "-q", "--json", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(6)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
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
