"""Interleaved A/B with real worker processes on tiny models."""

import json
import os
import signal
import subprocess
import sys
import threading

import psutil
import pytest

from perfbench.cli.main import main
from perfbench.errors import RunFailed
from perfbench.runner.ab import ABRun, run_ab
from perfbench.settings.config import BenchmarkConfig
from tests.processes import checkout_env, wait_for_marker


def _settings(model):
    return BenchmarkConfig(model=model).to_dict()


def _workers(parent: int | None = None) -> list[psutil.Process]:
    """Live worker processes started by ``parent`` (this process by default), oldest first."""
    children = psutil.Process(parent or os.getpid()).children(recursive=True)
    found = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE
             and "perfbench.runner.worker" in " ".join(c.cmdline())]
    return sorted(found, key=lambda c: c.create_time())


def _gone(processes: list[psutil.Process]) -> bool:
    return all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in processes)


@pytest.mark.parametrize("started", ["base", "new"])
def test_rounds_alternate_and_blocks_never_overlap(tiny_ir, started):
    run = ABRun(settings={}, max_time_s=2.0, block_s=0.1, started_first=started)
    run_ab(_settings(tiny_ir), _settings(tiny_ir), (sys.executable, sys.executable), run)
    assert run.status == "complete" and run.stop_reason == "max_time" and len(run.rounds) >= 3
    assert [r.order for r in run.rounds] == ["AB", "BA"] * (len(run.rounds) // 2) + \
        ["AB"] * (len(run.rounds) % 2)
    blocks = []
    for r in run.rounds:
        first, second = (r.base, r.new) if r.order == "AB" else (r.new, r.base)
        assert first["t_end"] <= second["t_start"]          # one side measures at a time
        blocks += [(first["t_start"], first["t_end"]), (second["t_start"], second["t_end"])]
        assert min(first["duration_s"], second["duration_s"]) >= 0.1
    assert all(a[1] <= b[0] for a, b in zip(blocks, blocks[1:]))
    document = run.to_dict()
    assert document["sides"]["base"]["openvino"] and document["sides"]["new"]["resolved"]
    assert document["started_first"] == started
    ratios = [r.new["completed"] / r.new["duration_s"] / (r.base["completed"] / r.base["duration_s"])
              for r in run.rounds]
    import math
    import statistics
    assert document["ratios"]["fps"]["ratio"] == pytest.approx(
        math.exp(statistics.fmean(math.log(x) for x in ratios)))
    assert document["regression"] == (document["verdict"] == "regression")
    assert _workers() == []


def test_a_stop_keeps_the_rounds_done(tiny_ir):
    stop = threading.Event()
    run = ABRun(settings={}, max_time_s=60.0, block_s=0.1)

    def after_round(ab):
        if len(ab.rounds) == 3:
            stop.set()
    run_ab(_settings(tiny_ir), _settings(tiny_ir), (sys.executable, sys.executable), run,
           stop_event=stop, on_round=after_round)
    assert run.status == "interrupted" and len(run.rounds) == 3
    assert run.to_dict()["status"] == "interrupted" and _workers() == []


def test_a_worker_that_dies_fails_the_run_and_leaves_no_orphan(tiny_ir):
    run = ABRun(settings={}, max_time_s=60.0, block_s=0.1, started_first="base")

    def kill_new(ab):
        if len(ab.rounds) == 2:
            _workers()[-1].kill()                    # NEW was started second
    with pytest.raises(RunFailed, match="NEW worker died"):
        run_ab(_settings(tiny_ir), _settings(tiny_ir), (sys.executable, sys.executable), run,
               on_round=kill_new)
    assert _workers() == []


def test_cli_ab_interrupted_writes_partial_result(tiny_ir, tmp_path):
    out = tmp_path / "ab.json"
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "ab", tiny_ir, tiny_ir, "-v",
                             "-q", "--max-time", "600", "--json", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=checkout_env())
    wait_for_marker(proc, "perfbench: ab round 2")
    workers = _workers(proc.pid)
    assert len(workers) == 2
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    data = json.loads(out.read_text())
    assert data["status"] == "interrupted" and len(data["rounds"]) >= 2
    assert _gone(workers)


def test_cli_ab_end_to_end_exit_code_matches_verdict(tiny_ir, tmp_path, capsys):
    out, md, db = tmp_path / "ab.json", tmp_path / "ab.md", tmp_path / "h.db"
    gab = tmp_path / "gab"
    argv = ["ab", tiny_ir, tiny_ir, "--max-time", "2", "--block-ms", "100", "-q", "--json",
            str(out), "--markdown", str(md), "--export-gab", str(gab), "--history", str(db)]
    code = main(argv)
    data = json.loads(out.read_text())
    assert code == (1 if data["verdict"] == "regression" else 0)
    assert data["schema"] == "perfbench.ab" and data["stop_reason"] == "max_time"
    assert data["verdict"] in md.read_text()
    fps = data["ratios"]["fps"]
    bigger = json.loads((tmp_path / "gab-bigger.json").read_text())
    smaller = json.loads((tmp_path / "gab-smaller.json").read_text())
    assert [e["name"].split(" - ")[1] for e in bigger] == ["fps ratio"]
    assert bigger[0]["value"] == fps["ratio"] and str(round(fps["ci95_low"], 4))[:5] in \
        bigger[0]["extra"]
    assert [e["name"].split(" - ")[1] for e in smaller] == ["p50 ratio", "p99 ratio"]
    assert smaller[0]["value"] == data["ratios"]["median_ms"]["ratio"]
    main(argv)                                                  # a second run, same pair
    capsys.readouterr()
    assert main(["history", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "A/B runs" in listing
    from perfbench.reporters.ab_report import pair_name
    from perfbench.tracking.history import ab_series
    rows = ab_series(str(db))[pair_name(data)]
    assert len(rows) == 2 and rows[0].ratio == pytest.approx(fps["ratio"])


@pytest.fixture
def bare_python(tmp_path_factory):
    root = tmp_path_factory.mktemp("bare")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    return str(root / "bin" / "python")


def test_bad_input_is_one_line_before_measuring(tiny_ir, tmp_path, capsys, bare_python):
    cases = [
        (["ab", "/nonexistent.xml", tiny_ir], "model file not found"),
        (["ab", tiny_ir, tiny_ir, "--base-set", "bogus=1"], "unknown setting 'bogus'"),
        (["ab", tiny_ir, tiny_ir, "--new-set", "threads=zero"], "'threads' must be"),
        (["ab", tiny_ir, tiny_ir, "--new-set", "threads"], "expected KEY=VALUE"),
        (["ab", tiny_ir, tiny_ir, "--base-python", bare_python],
         "has no usable perfbench and openvino"),
        (["ab", tiny_ir, tiny_ir, "--base-set", "shape=[1,32,32,3]", "--new-set",
          "shape=[1,16,16,3]"], "different inputs"),
        (["ab", tiny_ir, tiny_ir, "--time", "3"], "unrecognized arguments: --time"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (argv, err)
    assert _workers() == []


def test_only_identical_sides_are_called_a_a():
    from perfbench.reporters.ab_report import is_a_a
    side = {"name": "m", "python": "/py", "openvino": "2026.4"}
    doc = {"sides": {"base": side, "new": dict(side)}, "settings": {"base": {"x": 1}, "new": {"x": 1}}}
    assert is_a_a(doc)
    doc["sides"]["new"]["openvino"] = "2025.4"
    assert not is_a_a(doc)


def test_the_verdict_states_the_level_it_was_judged_at():
    """A run that stopped at a look is judged on its 99.5 % interval, wider than the 95 %
    one in the table; the document and the report say so (an A/A run once printed
    "inconclusive" beside a 95 % interval that looked like "no change")."""
    import math
    from rich.console import Console
    from perfbench.reporters.ab_report import render
    from perfbench.runner.ab import Round
    from perfbench.stats.paired import paired_ratio

    def block(fps):
        return {"completed": int(fps * 10), "duration_s": 10.0, "median_ms": 1e3 / fps,
                "p99_ms": 2e3 / fps}
    rounds = [Round("AB" if i % 2 == 0 else "BA", block(100.0),
                    block(100.0 * (0.988 + (0.01 if i % 3 == 0 else -0.005))))
              for i in range(90)]
    logs = [r.log_ratio("fps") for r in rounds]
    early = ABRun(settings={"base": {}, "new": {}}, rounds=rounds, stop_reason="precise",
                  status="complete")
    doc = early.to_dict()
    interim, final = paired_ratio(logs, final=False), paired_ratio(logs)
    assert doc["verdict_interval"] == {"level": 0.995, "ci_low": interim.low,
                                       "ci_high": interim.high}
    assert interim.low < final.low and doc["ratios"]["fps"]["ci95_low"] == final.low
    console = Console(record=True, width=200)
    render(doc, console)
    assert f"judged at 99.5 %, as it stopped at a look: [{interim.low:.4f}" in console.export_text()
    timed_out = ABRun(settings={}, rounds=rounds, stop_reason="max_time", status="complete")
    assert timed_out.to_dict()["verdict_interval"]["level"] == 0.95
    assert math.isclose(timed_out.to_dict()["verdict_interval"]["ci_low"], final.low)


@pytest.mark.parametrize("settings", [{"api": "sync"}, {"scenario": "single-stream"},
                                      {"scenario": "server", "rate": 200.0}])
def test_run_options_for_the_api_and_scenario_apply_to_both_sides(tiny_ir, settings):
    config = BenchmarkConfig(model=tiny_ir, **settings).to_dict()
    run = ABRun(settings={}, max_time_s=1.0, block_s=0.1)
    run_ab(config, dict(config), (sys.executable, sys.executable), run)
    assert len(run.rounds) >= 3 and all(r.base["completed"] > 0 for r in run.rounds)
    pools = {side["pool_size"] for side in run.sides.values()}
    if "api" in settings or settings.get("scenario") == "single-stream":
        assert pools == {1}
    if settings.get("scenario") == "server":      # open loop: about rate × block time each
        assert all(r.new["completed"] < 200.0 * r.new["duration_s"] * 2 for r in run.rounds)
