"""Interleaved A/B with real worker processes on tiny models."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest

from perfbench.cli.main import main
from perfbench.reporters.numbers import readable
from perfbench.errors import RunFailed
import math
import random
import statistics

from perfbench.results.ab import ABResult
from perfbench.runner.ab import ABRun, Decision, Epoch, Round, decide, document, run_ab
from perfbench.settings.config import BenchmarkConfig
from tests.models import FakeClock
from tests.processes import MARKER_TIMEOUT_S, checkout_env, wait_for_marker


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


def _blocks_of(run):
    out = []
    for r in run.rounds:
        first, second = (r.base, r.new) if r.order == "AB" else (r.new, r.base)
        out += [(first["t_start"], first["t_end"]), (second["t_start"], second["t_end"])]
    return out


def test_epochs_restart_workers_in_alternating_order_and_blocks_never_overlap(tiny_ir):
    seen = []                        # worker pids during each epoch, oldest first

    running = []                     # the runner's interval so far, after each round

    def note(ab):
        running.append((len(ab.epochs), ab.running))
        pids = [w.pid for w in _workers()]
        if not seen or seen[-1][0] != len(ab.epochs):
            seen.append((len(ab.epochs), pids))
    run = ABRun(settings={}, max_time_s=10.0, block_s=0.1, epoch_s=0.5, early_stop=False,
                started_first="new", use_cache=False)    # no earlier test's process level
    # The run's clock advances 1 s per read (4 reads an epoch): 3 epochs fit in 10 s,
    # however fast the machine is.
    run_ab(_settings(tiny_ir), _settings(tiny_ir), (sys.executable, sys.executable), run,
           on_round=note, clock=FakeClock(1.0))
    assert run.status == "complete" and run.stop_reason == "max_time"
    assert len(run.epochs) == 3
    assert [e.started_first for e in run.epochs] == ["new", "base"] * (len(run.epochs) // 2) \
        + ["new"] * (len(run.epochs) % 2)
    assert len({pid for _, pids in seen for pid in pids}) == 2 * len(run.epochs)   # fresh
    assert all(len(e.rounds) >= 6 for e in run.epochs)
    orders = [r.order for r in run.rounds]
    assert orders == ["AB", "BA"] * (len(orders) // 2) + ["AB"] * (len(orders) % 2)
    blocks = _blocks_of(run)
    assert all(a[1] <= b[0] for a, b in zip(blocks, blocks[1:]))   # one side at a time
    assert min(r.base["duration_s"] for r in run.rounds) >= 0.1
    # the progress line's interval is the runner's, after each round: none in the first
    # epoch, and after the last round the run's own FPS ratio
    assert all(r is None for epoch, r in running if epoch == 1)
    assert running[-1][1] is not None and running[-1][1] == document(run, 0).ratios["fps"]
    doc = document(run, 0).to_dict()
    assert doc["sides"]["base"]["openvino"] and doc["sides"]["new"]["resolved"]
    assert doc["schema_version"] == 7 and doc["exit_status"] == 0
    assert doc["verdict"] == run.decision.verdict and doc["verdict_interval"]["level"] == 0.95
    def trimmed(values):                          # one round off each end from 5 rounds
        g = max(1, int(0.1 * len(values))) if len(values) >= 5 else 0
        return statistics.fmean(sorted(values)[g:len(values) - g])
    epoch_means = {e.started_first: [] for e in run.epochs}
    for e in run.epochs:
        epoch_means[e.started_first].append(trimmed(
            [math.log(r.new["completed"] / r.new["duration_s"]
                      / (r.base["completed"] / r.base["duration_s"])) for r in e.rounds]))
    midpoint = statistics.fmean([statistics.fmean(m) for m in epoch_means.values()])
    assert doc["ratios"]["fps"]["ratio"] == pytest.approx(math.exp(midpoint))   # start
    # order a fixed effect: the midpoint of the two orders' means; batch 1: FPS = requests/s
    assert doc["ratios"]["p99_ms"] is not None and doc["ratios"]["p99_ms"]["base_ms"] > 0
    assert [look["epoch"] for look in doc["looks"]] == [1, 2, 3]     # one look per epoch
    assert doc["looks"][0]["interval"] is None                      # one epoch: no interval
    assert all(look["interval"]["level"] == 0.99 for look in doc["looks"][1:])
    assert _workers() == []


def test_block_throughput_counts_images_not_requests():
    """A batch-4 side completes a quarter of the requests for the same images: the ratio
    is of images per second, the worker's one definition (``fps``), not of requests."""
    base = {"fps": 400.0, "completed": 400, "duration_s": 1.0}
    new = {"fps": 400.0, "completed": 100, "duration_s": 1.0}
    assert Round("AB", base, new).log_ratio("fps") == 0.0


def test_the_decision_is_stored_once_and_only_read_by_the_document():
    run = ABRun(settings={"base": {}, "new": {}}, stop_reason="precise", status="complete")
    run.epochs = [Epoch(i, "base", [Round("AB", _block(100.0), _block(99.0 + i))
                                    for _ in range(6)]) for i in range(3)]
    run.decision = Decision("improvement", "fps", 0.99, None, True)
    doc = document(run, 0)
    assert doc.verdict == "improvement" and doc.verdict_interval is None
    assert decide(run).verdict != "improvement"          # what a recomputation would say


def _block(fps):
    return {"fps": fps, "completed": int(fps * 10), "duration_s": 10.0,
            "median_ms": 1e3 / fps, "p99_ms": 2e3 / fps}


def test_a_stop_keeps_the_rounds_done_and_is_judged_at_the_interim_level(tiny_ir):
    """The stop comes in the second epoch.  The run's clock moves 1 s a read (4 reads an
    epoch), so the 60 s limit cannot end the run after its first epoch however long a
    loaded machine takes to start and compile two workers."""
    stop = threading.Event()
    run = ABRun(settings={}, max_time_s=60.0, block_s=0.1, epoch_s=0.5)

    def after_round(ab):
        if len(ab.epochs) == 2 and len(ab.epochs[-1].rounds) == 2:
            stop.set()
    run_ab(_settings(tiny_ir), _settings(tiny_ir), (sys.executable, sys.executable), run,
           stop_event=stop, on_round=after_round, clock=FakeClock(1.0))
    assert run.status == "interrupted" and len(run.epochs) == 2
    assert len(run.epochs[-1].rounds) == 2
    assert run.decision.level == 0.99 and run.decision.early
    assert document(run, 130).exit_status == 130 and _workers() == []


def test_a_worker_that_dies_fails_the_run_and_leaves_no_orphan(tiny_ir):
    run = ABRun(settings={}, max_time_s=60.0, block_s=0.1, started_first="base")

    def kill_new(ab):
        if len(ab.rounds) == 2:
            _workers()[-1].kill()                    # NEW was started second
    with pytest.raises(RunFailed, match="NEW worker died"):
        run_ab(_settings(tiny_ir), _settings(tiny_ir), (sys.executable, sys.executable), run,
               on_round=kill_new)
    assert run.status == "failed" and len(run.rounds) == 2 and run.decision is not None
    assert _workers() == []


def test_cli_ab_interrupted_writes_partial_result_with_the_exit_status(tiny_ir, tmp_path):
    out = tmp_path / "ab.json"
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "ab", tiny_ir, tiny_ir, "-v",
                             "-q", "--max-time", "600", "--process-level", "this-run",
                             "--json", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=checkout_env())
    wait_for_marker(proc, "perfbench: ab epoch 1 round 2")
    workers = _workers(proc.pid)
    assert len(workers) == 2
    proc.send_signal(signal.SIGINT)
    report, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    data = json.loads(out.read_text())
    assert data["status"] == "interrupted" and data["exit_status"] == 130
    assert sum(len(e["rounds"]) for e in data["epochs"]) >= 2
    assert data["regression"] == (data["verdict"] == "regression")
    if data["verdict_interval"] is None:          # stopped in its first epoch: no interval
        assert data["verdict"] == "inconclusive"
    else:                                         # an interrupt is judged like a look
        assert data["verdict_interval"]["level"] == 0.99
    assert "exit 130" in report
    assert _gone(workers)


#: A block no test waits out: the workers are still measuring their first one when their
#: parent goes, so only a kill (not the end of the block) stops them before the hour is up.
ENDLESS_BLOCK_MS = "3600000"
#: Generous: a killed worker is gone at once, one left running measures for an hour.
ORPHAN_TIMEOUT_S = MARKER_TIMEOUT_S


def ab_measuring(model: str) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """A ``perfbench ab`` whose two workers are measuring their first, endless block."""
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "ab", model, model, "-v",
                             "-q", "--max-time", "600", "--process-level", "this-run",
                             "--block-ms", ENDLESS_BLOCK_MS],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=checkout_env())
    wait_for_marker(proc, "perfbench: ab epoch 1: both workers ready, measuring")
    workers = _workers(proc.pid)
    assert len(workers) == 2
    return proc, workers


def survivors(workers: list[psutil.Process]) -> list[psutil.Process]:
    """The workers still running after ORPHAN_TIMEOUT_S; killed then, so that a failing
    test leaves no orphan measuring for an hour behind it."""
    deadline = time.monotonic() + ORPHAN_TIMEOUT_S
    while not all(map(_ended, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [worker for worker in workers if not _ended(worker)]
    for worker in alive:
        worker.kill()
    return alive


def _ended(process: psutil.Process) -> bool:
    """Gone, or a zombie (dead; whether it is reaped is up to whoever adopted it)."""
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def interrupt_until_exit(proc: subprocess.Popen) -> int:
    """SIGINT until the process exits: the first asks for a clean stop (which waits for the
    endless block), a later one exits at once.  Two signals sent together can arrive as one,
    so the next is sent only while the process is still running a second later."""
    for _ in range(int(MARKER_TIMEOUT_S)):
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            continue
    raise AssertionError("perfbench ab outlived every SIGINT")


def test_cli_ab_second_signal_leaves_no_worker_running(tiny_ir):
    """A second Ctrl-C exits at once, skipping every ``finally``: the hard-exit hook kills
    the workers, which would otherwise measure their block to its end."""
    proc, workers = ab_measuring(tiny_ir)
    try:
        assert interrupt_until_exit(proc) == 128 + signal.SIGINT
    finally:
        proc.kill()
        proc.communicate()
    assert survivors(workers) == []


def test_cli_ab_end_to_end_exit_code_matches_verdict(tiny_ir, tmp_path, capsys):
    out, md, db = tmp_path / "ab.json", tmp_path / "ab.md", tmp_path / "h.db"
    gab = tmp_path / "gab"
    page = tmp_path / "ab.html"
    argv = ["ab", tiny_ir, tiny_ir, "--max-time", "4", "--epoch-s", "0.5", "--block-ms",
            "100", "-q", "--json", str(out), "--markdown", str(md), "--export-gab", str(gab),
            "--history", str(db), "--html", str(page)]
    code = main(argv)
    printed = " ".join(capsys.readouterr().out.split())
    data = json.loads(out.read_text())
    typed = ABResult.from_dict(data)          # what a real run wrote reads back as itself
    assert typed.to_dict() == data and ABResult.from_dict(typed.to_dict()) == typed
    figures = data["side_figures"]["new"]
    assert f"FPS {readable(figures['fps'])} · p50 {readable(figures['median_ms'])} ms" in printed
    expected = {"regression": 1, "inconclusive": 3}.get(data["verdict"], 0)
    assert code == expected == data["exit_status"]
    # each side's own figures, beside the ratios: FPS over its blocks, pooled latencies
    for side in ("base", "new"):
        figures = data["side_figures"][side]
        blocks = [r[side] for e in data["epochs"] for r in e["rounds"] if r[side]["completed"]]
        assert figures["fps"] == pytest.approx(sum(b["completed"] * b["batch"] for b in blocks)
                                               / sum(b["duration_s"] for b in blocks))
        assert figures["median_ms"] == data["ratios"]["median_ms"][f"{side}_ms"]
    assert all(e["other_cpu_pct"] is None or e["other_cpu_pct"] >= 0 for e in data["epochs"])
    assert data["schema"] == "perfbench.ab" and data["stop_reason"] == "max_time"
    assert data["verdict"] in md.read_text()
    assert data["verdict"] in page.read_text()      # `ab --html` lost its writer once
    fps = data["ratios"]["fps"]
    bigger = json.loads((tmp_path / "gab-bigger.json").read_text())
    smaller = json.loads((tmp_path / "gab-smaller.json").read_text())
    # The number of epochs in 4 s depends on the machine: an FPS ratio needs two.
    assert [e["name"].split(" - ")[1] for e in bigger] == (["fps ratio"] if fps else [])
    if fps is not None:
        assert bigger[0]["value"] == fps["ratio"] and f"{fps['low']:.6g}" in \
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
    rows = ab_series(str(db))[pair_name(ABResult.from_dict(data))]
    assert len(rows) == 2 and (fps is None or rows[0].ratio == pytest.approx(fps["ratio"]))


def test_outputs_that_fail_after_measuring_go_to_a_fallback_file(tmp_path, capsys):
    """A full disk or a broken database after measuring: one line each, the document is
    saved elsewhere, nothing measured is lost."""
    from perfbench.cli.commands.ab import _write_outputs
    broken_db = tmp_path / "not-a-db"
    broken_db.write_text("this is not SQLite " * 100)
    doc = dataclasses.replace(document(ABRun(settings={"base": {}, "new": {}},
                                             status="complete", stop_reason="max_time"), 0),
                              sides={"base": {"name": "m", "openvino": "x"},
                                     "new": {"name": "m", "openvino": "x"}})
    (tmp_path / "a-file").write_text("")
    options = {"json": str(tmp_path / "a-file" / "ab.json"), "markdown": None,
               "export_bmf": None, "history": str(broken_db)}
    ended = _write_outputs(doc, options)
    assert ended.exit_status == 1 and doc.exit_status == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--json" in err and "--history" in err
    fallback = err.rsplit(" ", 1)[1].strip()
    saved = json.loads(open(fallback).read())
    assert saved["schema"] == "perfbench.ab" and saved["exit_status"] == 1


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
        (["ab", tiny_ir, tiny_ir, "--control", "spin"], "--control spin: unknown control"),
        (["ab", tiny_ir, tiny_ir, "--control", "arena=0"], "needs a positive whole number"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (argv, err)
    assert _workers() == []


def test_only_identical_sides_are_called_a_a():
    from perfbench.reporters.ab_report import is_a_a
    from tests.results.ab_inputs import seeded_document
    side = {"name": "m", "python": "/py", "openvino": "2026.4"}
    doc = dataclasses.replace(seeded_document("short"), sides={"base": side, "new": dict(side)},
                              settings={"base": {"x": 1}, "new": {"x": 1}})
    assert is_a_a(doc)
    assert not is_a_a(dataclasses.replace(doc, sides={"base": side,
                                                      "new": dict(side, openvino="2025.4")}))


def test_the_verdict_states_the_level_it_was_judged_at():
    """A run that stopped at a look is judged on its 99 % interval, wider than the 95 %
    one in the table; the document and the report say so."""
    from rich.console import Console
    from perfbench.reporters.ab_report import render
    from perfbench.stats.two_level import two_level_ratio

    def epoch(i):
        return Epoch(i, "base", [Round("AB" if j % 2 == 0 else "BA", _block(100.0),
                                       _block(100.0 * (0.988 + 0.002 * i + (0.01 if j % 3 == 0
                                                                           else -0.005))))
                                 for j in range(30)])
    early = ABRun(settings={"base": {}, "new": {}}, epochs=[epoch(i) for i in range(4)],
                  stop_reason="precise", status="complete")
    early.decision = decide(early)
    doc = document(early, 0)
    logs = early.log_ratios_by_epoch()
    interim, final = two_level_ratio(logs, 0.99), two_level_ratio(logs, 0.95)
    assert doc.verdict_interval.level == 0.99
    assert doc.verdict_interval.low == pytest.approx(interim.low)
    assert interim.low < final.low and doc.ratios["fps"].low == pytest.approx(final.low)
    console = Console(record=True, width=200)
    render(doc, console)
    text = console.export_text()
    assert f"judged at 99 %, as it stopped before its planned length: {interim.ratio:.4f} " \
           f"[{interim.low:.4f}" in text
    assert "process SD" in text and "round SD" in text
    timed_out = ABRun(settings={"base": {}, "new": {}}, epochs=early.epochs,
                      stop_reason="max_time", status="complete")
    assert document(timed_out).verdict_interval.level == 0.95


@pytest.mark.parametrize("settings", [{"api": "sync"}, {"scenario": "single-stream"},
                                      {"scenario": "server", "rate": 200.0}])
def test_run_options_for_the_api_and_scenario_apply_to_both_sides(tiny_ir, settings):
    config = BenchmarkConfig(model=tiny_ir, **settings).to_dict()
    run = ABRun(settings={"base": config, "new": config}, max_time_s=1.0, block_s=0.1,
                epoch_s=0.5)
    run_ab(config, dict(config), (sys.executable, sys.executable), run)
    assert len(run.rounds) >= 6 and all(r.base["completed"] > 0 for r in run.rounds)
    pools = {side["pool_size"] for side in run.sides.values()}
    if "api" in settings or settings.get("scenario") == "single-stream":
        assert pools == {1}
    if settings.get("scenario") == "server":      # open loop: about rate × block time each
        assert all(r.new["completed"] < 200.0 * r.new["duration_s"] * 2 for r in run.rounds)
        doc = document(run, 0)                    # FPS is the schedule's: judge latency
        assert doc.judged_metric == "median_ms" and run.decision.metric == "median_ms"
        from perfbench.reporters.ab_report import bmf
        exported = next(iter(bmf(doc).values()))               # the judged ratio, not FPS
        assert list(exported) == ["p50-latency-ratio"]
        judged = doc.ratios["median_ms_rounds"]
        assert exported["p50-latency-ratio"]["value"] == (judged and judged.ratio)
        assert set(doc.schedule) == {"base", "new"}
        for side in ("base", "new"):
            blocks = [getattr(r, side)["server"] for r in run.rounds]
            assert doc.schedule[side].sent == sum(b["sent"] for b in blocks) == \
                sum(getattr(r, side)["completed"] for r in run.rounds)


def test_a_round_with_an_empty_block_is_left_out_of_the_ratios():
    """A starved server block can complete nothing: its round has no figures to pair, so
    it is counted apart instead of failing the run (or dividing by zero)."""
    empty = {"fps": 0.0, "completed": 0, "duration_s": 0.1, "median_ms": None,
             "p99_ms": None}
    rounds = [Round("AB", _block(100.0), _block(98.0)) for _ in range(6)]
    rounds.insert(2, Round("BA", empty, _block(98.0)))
    run = ABRun(settings={"base": {}, "new": {}}, epochs=[Epoch(0, "base", rounds)],
                stop_reason="max_time", status="complete")
    assert run.log_ratios() == pytest.approx([math.log(0.98)] * 6)
    assert document(run, 0).empty_rounds == 1


def test_a_slow_first_epoch_does_not_end_the_run_alone():
    """The first epoch's setup holds one-off work (probe, cold compile, INT8): it does not
    count in the pace, and a second epoch is always measured while time is left."""
    from perfbench.runner.ab import typical_epoch_s
    run = ABRun(settings={}, max_time_s=120.0)
    run.epochs = [Epoch(0, "base", setup_s=50.0, wall_s=62.0)]
    assert typical_epoch_s(run) == 24.0                    # 12 s measuring + 12 s setup
    run.epochs.append(Epoch(1, "new", setup_s=2.0, wall_s=14.0))
    assert typical_epoch_s(run) == 14.0


def test_a_run_judged_in_a_family_records_its_size_and_levels():
    """One of a suite's nine A/Bs is judged, and its looks read, at the family's levels;
    the document says so, and the report still tells a full-length run from an early one."""
    from rich.console import Console
    from perfbench.reporters.ab_report import render
    from perfbench.stats import sequential
    epochs = [Epoch(i, "base", [Round("AB", _block(100.0), _block(97.0 + i % 2 + j % 3))
                                for j in range(6)]) for i in range(4)]
    run = ABRun(settings={"base": {}, "new": {}}, epochs=epochs, stop_reason="max_time",
                status="complete", family_size=9)
    run.decision = decide(run)
    assert run.decision.level == sequential.final_level(9)
    doc = document(run, 0)
    assert doc.family_size == 9 and doc.judged_level == sequential.final_level(9)
    assert doc.interim_level == sequential.interim_level(9)
    assert doc.final_level == sequential.final_level(9)
    assert doc.verdict_interval.level == doc.judged_level
    assert doc.ratios["fps"].level == 0.95                      # the descriptive interval
    console = Console(record=True, width=200)
    render(doc, console)
    assert "judged at 99.4444 %, at its planned length, one of a family of 9" in \
        console.export_text()
    alone = ABRun(settings={"base": {}, "new": {}}, epochs=epochs, stop_reason="max_time",
                  status="complete")
    assert document(alone).family_size == 1 and decide(alone).level == 0.95


def test_the_runner_looks_at_the_family_level():
    """Each look after an epoch reads the interim interval at the family's level, not the
    lone run's: the runner passes its family size to the look (dropping it went unseen)."""
    from perfbench.runner.ab import _after_epoch
    from perfbench.stats import sequential
    epochs = [Epoch(i, "base", [Round("AB", _block(100.0), _block(97.0 + i % 2 + j % 3))
                                for j in range(6)]) for i in range(4)]
    levels = {}
    for size in (1, 9):
        run = ABRun(settings={"base": {}, "new": {}}, epochs=epochs, family_size=size,
                    max_time_s=1e9, use_cache=False)
        _after_epoch(run, lambda: 0.0, 0.0)
        levels[size] = run.looks[-1].interval.level
    assert levels == {1: sequential.INTERIM_LEVEL, 9: sequential.interim_level(9)}


def test_an_error_after_some_epochs_keeps_what_was_measured(tiny_ir, tmp_path, monkeypatch,
                                                           capsys):
    """Only a RunFailed kept the epochs done: a model gone between epochs (a UsageError)
    or any other error lost them.  Now the document is written, marked failed, with the
    status the command returns (2 for the user's input), and the error is still raised."""
    from perfbench.cli.commands import ab as ab_command
    from perfbench.cli.main import main

    def measured_then_failed(base, new, pythons, run, stop_event=None, on_round=None):
        run.epochs = [Epoch(i, "base", [Round("AB", _block(100.0), _block(99.0 + j % 2))
                                        for j in range(6)]) for i in range(2)]
        run.stop_reason = "failed"
        run.status = "failed"
        run.decision = ab_decide(run)
        raise UsageError("model file not found: gone.xml")
    from perfbench.errors import UsageError
    from perfbench.runner.ab import decide as ab_decide
    monkeypatch.setattr(ab_command, "run_ab", measured_then_failed)
    out = tmp_path / "ab.json"
    assert main(["ab", tiny_ir, tiny_ir, "-q", "--json", str(out)]) == 2
    doc = json.loads(out.read_text())
    assert doc["status"] == "failed" and len(doc["epochs"]) == 2 and doc["exit_status"] == 2
    assert "model file not found: gone.xml" in capsys.readouterr().err


def _loaded_epoch(i, share):
    """Epochs whose NEW/BASE ratios sit at 0.85 and 1.06 (rounds ±1 % about them): the
    process level the load drew makes the interval too wide to say."""
    level = (85.0, 106.0)[i]
    rounds = [Round("AB" if j % 2 == 0 else "BA", _block(100.0),
                    _block(level * (1.01 if j % 2 else 0.99))) for j in range(6)]
    return Epoch(i, "base" if i % 2 == 0 else "new", rounds, setup_s=1.0, wall_s=30.0,
                 other_cpu_pct=share)


def test_an_inconclusive_ab_exits_3_names_the_load_and_the_time_it_would_need():
    """Issue 24: an A/B on a loaded machine that ended at its planned length undecided
    exited 0.  Now: exit 3, the other processes' CPU named, and the time to a decision at
    the measured noise (stats.remaining); each side's FPS printed; with two epochs (1 dof)
    the process SD is missing, not 0.00 %."""
    from rich.console import Console
    from perfbench.cli.commands.ab import _exit_status
    from perfbench.reporters.ab_report import markdown, render
    from perfbench.stats.remaining import more_time_to_decide
    run = ABRun(settings={"base": {}, "new": {}}, threshold_pct=2.0,
                epochs=[_loaded_epoch(0, 61.0), _loaded_epoch(1, 43.0)],
                stop_reason="max_time", status="complete", sides={})
    run.decision = decide(run)
    assert run.decision.verdict == "inconclusive"

    class Stopped:
        signum = None
    assert _exit_status(run, Stopped(), None) == 3
    doc = document(run, 3)
    assert doc.to_dict()["load"] == {"other_processes_cpu_pct": 52.0, "max_pct": 61.0,
                                     "limit_pct": 10.0, "disturbed": True}
    judged = doc.verdict_interval
    assert doc.more_time_s == pytest.approx(more_time_to_decide(
        judged.ratio, judged.low, judged.high, 2.0, True, 60.0))
    assert doc.more_time_s > 0
    assert doc.ratios["fps"].dof == 1 and doc.ratios["fps"].process_sd_pct is None
    assert doc.side_figures["base"].fps == pytest.approx(100.0)
    # its images over its time: 3 × (841 + 858 + 1049 + 1070) completions in 12 × 10 s
    assert doc.side_figures["new"].fps == pytest.approx(11454 / 120)
    console = Console(record=True, width=250)
    render(doc, console)
    text = " ".join(console.export_text().split())
    assert "INCONCLUSIVE" in text and "exit 3" in text
    assert "other processes' CPU: 52 % of the machine on average (up to 61 %" in text
    assert "it would need about" in text
    assert "process SD not measured" in text and "process SD 0.00" not in text
    assert "other processes' CPU: 52 %" in markdown(doc)


def _dimensioning(dof=8.0, runs=2, last=39, **components):
    from perfbench.runner.ab_cache import Dimensioning
    from perfbench.stats.dimensioning import Components
    values = {"round_var": 0.04 ** 2 * 3, "process_var": 0.01 ** 2, "setup_s": 1.0,
              "round_s": 0.26, **components}
    return Dimensioning(Components(**values), dof, runs, last)


def _sized(known, **run):
    from perfbench.runner.ab import size_epochs
    ab = ABRun(settings={}, block_s=0.1, max_time_s=120.0, **{"dimension": True, **run})
    size_epochs(ab, known)
    return ab


def test_the_epochs_are_sized_from_earlier_runs_components_when_enough_is_known():
    """Cheap epochs and a 1 % process level: shorter epochs than the default's 39 rounds,
    chosen by stats.dimensioning, and the document says so, with why, from what, and the
    widths expected of the chosen and of the default design."""
    from perfbench.stats import dimensioning
    known = _dimensioning()
    run = _sized(known)
    chosen = dimensioning.choose_design(known.components, 120.0, 0.95, 6, 39)
    assert run.rounds_per_epoch == chosen.rounds < 39
    design = run.design
    assert (design.chosen_by, design.rounds_per_epoch, design.runs) == ("dimensioned",
                                                                        chosen.rounds, 2)
    assert "Kalibera & Jones' optimum 13.6 rounds per epoch" in design.reason
    assert design.expected_half_width_pct == pytest.approx(100 * chosen.half_width)
    assert design.expected_half_width_pct < design.default_half_width_pct
    assert design.process_sd_pct == pytest.approx(1.0)
    from perfbench.runner.ab import epoch_rounds
    assert epoch_rounds(run) == chosen.rounds


@pytest.mark.parametrize("known, run, reason", [
    (None, {}, "no earlier run of this model"),
    (_dimensioning(dof=2.0), {}, "rests on 2 degrees of freedom, fewer than 4"),
    (_dimensioning(), {"use_cache": False}, "--process-level this-run"),
    (_dimensioning(), {"dimension": False}, "--epoch-s 10: epochs of about"),
])
def test_without_enough_known_the_defaults_are_used_and_said(known, run, reason):
    from perfbench.runner.ab import default_rounds, epoch_rounds
    sized = _sized(known, **run)
    assert sized.rounds_per_epoch is None
    assert epoch_rounds(sized) == default_rounds(sized) == 39
    assert sized.design.chosen_by in ("defaults", "fixed") and reason in sized.design.reason


def test_a_finished_run_caches_its_components_for_the_next(monkeypatch, tmp_path):
    """What _remember_process_level stores is the run's variance_components and costs:
    the round cost its measuring time per round, the setup the later epochs' mean."""
    from perfbench.runner import ab_cache
    from perfbench.runner.ab import _remember_process_level
    from perfbench.stats.two_level import variance_components
    rng = random.Random(2)
    run = ABRun(settings={"base": {}, "new": {}}, block_s=0.1, status="complete",
                stop_reason="max_time")
    run.cache_key, run.components_key = "v", "c"
    for i in range(6):
        rounds = [Round("AB", _block(100.0), _block(100.0 * math.exp(rng.gauss(0, 0.03))))
                  for _ in range(8)]
        run.epochs.append(Epoch(i, "base" if i % 2 == 0 else "new", rounds,
                                setup_s=5.0 if i == 0 else 1.0 + i / 10, wall_s=9.0 + i))
    _remember_process_level(run)
    known = ab_cache.load_components("c")
    measured = variance_components(run.log_ratios_by_epoch(), run.orders)
    assert known.components.round_var == pytest.approx(measured.round_var)
    assert known.components.process_var == pytest.approx(measured.process_var)
    assert known.dof == measured.dof == 4
    assert known.components.setup_s == pytest.approx(sum(1.0 + i / 10 for i in range(1, 6)) / 5)
    measuring = sum(9.0 + i - (5.0 if i == 0 else 1.0 + i / 10) for i in range(6))
    assert known.components.round_s == pytest.approx(measuring / 48)
    assert known.last_rounds == 39


@pytest.mark.slow
def test_the_controls_are_in_force_in_every_worker_and_recorded(tiny_ir):
    """``--control``: every epoch's fresh workers confirm them (the run would fail
    otherwise), each block ran its asked warm-up, and the document records them."""
    from perfbench.runner.controls import parse_controls
    run = ABRun(settings={}, max_time_s=5.0, block_s=0.1, epoch_s=0.5, early_stop=False,
                use_cache=False, controls=parse_controls(["arena=2", "warmup=0.06"]))
    run_ab(_settings(tiny_ir), _settings(tiny_ir), (sys.executable, sys.executable), run,
           clock=FakeClock(1.0))
    assert run.status == "complete" and len(run.epochs) == 2
    assert run.sides["base"]["controls"] == {"malloc_arena_max": "2"}
    blocks = [b for r in run.rounds for b in (r.base, r.new)]
    assert all(b["controls"]["warmup_s"] >= 0.06 for b in blocks)
    doc = document(run, 0)
    assert doc.controls == ("arena=2", "warmup=0.06")
    assert doc.design.chosen_by == "fixed" and doc.design.rounds_per_epoch == 6
    # a run under controls pools its epoch variance only with runs under the same ones
    from perfbench.runner import ab_cache
    from perfbench.runner.ab import machine
    settings = {"base": _settings(tiny_ir), "new": _settings(tiny_ir)}
    design = {"block_s": 0.1, "epoch_rounds": 6}
    assert run.cache_key == ab_cache.cache_key(machine(), run.sides, settings, dict(
        design, controls=["arena=2", "warmup=0.06"]))
    assert run.cache_key != ab_cache.cache_key(machine(), run.sides, settings, design)
    assert _workers() == []


@pytest.mark.slow
def test_a_run_sizes_its_epochs_from_the_cached_components_and_stores_its_own(tiny_ir,
                                                                              monkeypatch):
    """The wiring in a real run: without --epoch-s the run reads the components cached
    under its models and block length, measures every epoch at the design chosen from
    them (not the default 39 rounds), says so in the document, and caches its own."""
    from perfbench.runner import ab_cache
    from perfbench.stats import dimensioning
    known = _dimensioning(round_var=0.04 ** 2 * 3, process_var=0.02 ** 2, setup_s=0.5,
                          round_s=0.25, last=8)
    keys = []
    real_load = ab_cache.load_components

    def cached(key, now=None):
        keys.append(key)
        return known
    monkeypatch.setattr(ab_cache, "load_components", cached)
    run = ABRun(settings={}, max_time_s=120.0, block_s=0.1, early_stop=False,
                dimension=True)
    # 10 s a clock read (4 an epoch): three epochs fill the 120 s budget
    run_ab(_settings(tiny_ir), _settings(tiny_ir), (sys.executable, sys.executable), run,
           clock=FakeClock(10.0))
    assert run.status == "complete" and len(run.epochs) == 3
    chosen = dimensioning.choose_design(known.components, 120.0, 0.95, 6, 8)
    assert keys == [run.components_key] and chosen.rounds != 39
    assert [len(e.rounds) for e in run.epochs] == [chosen.rounds] * len(run.epochs)
    doc = document(run, 0)
    assert doc.design.chosen_by == "dimensioned" and doc.design.rounds_per_epoch == chosen.rounds
    stored = real_load(run.components_key)
    assert stored.runs == 1 and stored.last_rounds == chosen.rounds
