"""Signals and failures against a real `perfbench run` subprocess on a tiny model."""

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from perfbench import BenchmarkConfig
from perfbench import run
from perfbench.errors import Interrupted
from tests.processes import checkout_env, wait_for_marker

ENV = checkout_env(PYTHONUNBUFFERED="1")


def _start(args):
    return subprocess.Popen([sys.executable, "-m", "perfbench", "run", "-v", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_writes_partial_result_and_exits(tiny_ir, tmp_path, signum, code):
    out = tmp_path / "r.json"
    proc = _start(["-m", tiny_ir, "-t", "600", "-q", "--json", str(out)])
    wait_for_marker(proc, "perfbench: measuring")
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr
    data = json.loads(out.read_text())
    assert data["status"] == "interrupted" and data["stop_reason"] == "interrupted"
    assert data["results"]["completed_requests"] > 0
    assert data["results"]["duration_s"] < 300        # stopped long before its 600 s
    assert "INTERRUPTED" in stdout


def test_second_signal_exits_at_once(monkeypatch):
    """Two real signals sent back to back coalesce in Python, so the handler is driven
    directly: the first asks for a graceful stop, the second leaves immediately."""
    from perfbench.cli.signals import SignalStop
    exits = []
    monkeypatch.setattr(os, "_exit", exits.append)
    stop = SignalStop()
    stop._handle(signal.SIGINT, None)
    assert stop.event.is_set() and stop.exit_code == 130 and exits == []
    stop._handle(signal.SIGINT, None)
    assert exits == [130]


def test_signal_handlers_are_restored():
    from perfbench.cli.signals import SignalStop
    before = signal.getsignal(signal.SIGTERM)
    with SignalStop():
        assert signal.getsignal(signal.SIGTERM) != before
    assert signal.getsignal(signal.SIGTERM) == before


def test_signal_during_long_warmup_stops_without_results(tiny_ir, tmp_path):
    out = tmp_path / "r.json"
    proc = _start(["-m", tiny_ir, "--warmup", "600", "-t", "5", "-q", "--json", str(out)])
    wait_for_marker(proc, "perfbench: warming up")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130
    assert stderr.strip() == "perfbench: interrupted before measuring started; nothing to report"
    assert not out.exists()


def test_failing_request_fails_the_run_and_keeps_existing_json(failing_ir, tmp_path):
    out = tmp_path / "r.json"
    out.write_text('{"previous": "good result"}')
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "run", "-m", failing_ir, "-t",
                             "5", "-q", "--json", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1
    assert stderr.startswith("perfbench: run failed: inference failed")
    assert "Reshape" in stderr and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "FPS" not in stdout
    assert json.loads(out.read_text()) == {"previous": "good result"}


def test_stop_requested_before_measuring_reports_nothing(tiny_ir):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Interrupted, match="nothing to report"):
        run(BenchmarkConfig(model=tiny_ir, time=5), stop_event=stop)


def test_a_result_that_cannot_be_written_where_asked_is_saved_elsewhere(tmp_path, capsys,
                                                                       monkeypatch):
    """Paths are checked before measuring, but a disk can fail afterwards: the measured
    result must then land in a fallback file that the one-line message names."""
    from perfbench.cli.commands.single_run import deliver
    from perfbench.results import load
    from tests.results.test_io import V1_FILE
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    result = load(str(V1_FILE))
    good = tmp_path / "bmf.json"
    assert deliver(result, "/proc/x.json", None, {"bmf": str(good)}) is False
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("perfbench: could not write --json /proc/x.json")
    fallback = err.rsplit(" ", 1)[1].strip()
    assert fallback.startswith(str(tmp_path)) and load(fallback) == result
    assert json.loads(good.read_text())                 # the other outputs still written


#: The console script's first steps (perfbench.entry), with a marker once perfbench holds
#: the signals: before that instant only the interpreter itself is running.
ENTRY = ("import sys\nfrom perfbench import entry, startup\nstartup.take_signals()\n"
         "print('started', flush=True)\nsys.exit(entry.main(sys.argv[1:]))\n")


@pytest.mark.parametrize("command", [["run", "-t", "600"],
                                     ["sweep", "--streams", "1,2", "--point-time", "600"]])
@pytest.mark.parametrize("delay_s", [0.0, 0.02, 0.05, 0.1, 0.2, 0.4])
def test_sigint_at_any_moment_of_start_up_exits_cleanly(tiny_ir, command, delay_s):
    """From the moment perfbench holds the signals, a SIGINT at any point of start-up
    (imports of OpenVINO and numpy, model read, compile, warm-up; the delay only spreads the
    moments, the assertion does not depend on it) stops the program: exit 130, no
    traceback.  Before, a Ctrl-C inside those imports gave a traceback, or was swallowed by
    an import's bare except and the run went on for its full 600 s."""
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, *command, "-m", tiny_ir, "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    assert proc.stdout.readline() == "started\n"
    threading.Event().wait(delay_s)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr


def test_interrupted_server_search_keeps_its_probes_and_says_so(slow_ir, tmp_path):
    out = tmp_path / "rate.json"
    proc = subprocess.Popen([sys.executable, "-m", "perfbench", "sweep", "-m", slow_ir,
                             "--scenario", "server", "--sla-ms", "1000", "--point-time", "1",
                             "--requests", "1", "-q", "-v", "--json", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    wait_for_marker(proc, "perfbench: probe 1/")   # the offline ceiling is measured
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    data = json.loads(out.read_text())
    assert data["status"] == "interrupted" and data["offline_fps"] > 0
    # Stopped during the first probes: either a rate already passed, or none did yet.
    # (or one passed by its point estimate only: not decided)
    assert any(text in stdout for text in ("INTERRUPTED, best so far", "INTERRUPTED: so far "
                                           "no rate met", "INTERRUPTED: so far not decided"))


def test_an_early_signal_is_remembered_and_taken_over_by_the_run(monkeypatch):
    """A signal that arrives while modules load is kept, and the run's own handler treats
    it as the first stop request; a second early signal exits at once."""
    from perfbench import startup
    from perfbench.cli.signals import SignalStop
    exits = []
    monkeypatch.setattr(os, "_exit", exits.append)
    monkeypatch.setattr(startup, "pending", [])
    startup._remember(signal.SIGINT, None)
    assert startup.pending == [signal.SIGINT] and exits == []
    with SignalStop() as stop:
        assert stop.event.is_set() and stop.exit_code == 130 and startup.pending == []
    startup._remember(signal.SIGTERM, None)
    startup._remember(signal.SIGTERM, None)
    assert exits == [143]


def test_html_of_a_run_is_written_with_its_other_outputs(tiny_ir, tmp_path):
    """`run --html` lost its writer in a refactor (NameError after measuring, exit 1, no
    page and no table) and no test ran the success path; the page must carry the result
    as the JSON has it."""
    from perfbench.cli.main import main
    out, page = tmp_path / "r.json", tmp_path / "r.html"
    assert main(["run", "-m", tiny_ir, "-t", "1", "-q", "--json", str(out),
                 "--html", str(page)]) == 0
    fps = json.loads(out.read_text())["results"]["fps"]
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "perfbench report" in html
    assert "tiny" in html and f"{fps:,.0f}"[:3] in html


def test_a_second_signal_kills_live_workers_and_runs_the_hooks_first(monkeypatch):
    """Before exiting at once, every hard exit kills the live A/B workers and runs the
    command's own hooks, in that order, even when one of them fails.  (The end-to-end
    test cannot tell: an orphaned worker also leaves by itself.)"""
    import sys as system
    from perfbench.cli.signals import SignalStop
    from perfbench.runner import side          # loaded, so the hook looks it up
    assert system.modules["perfbench.runner.side"] is side
    calls = []
    monkeypatch.setattr(side, "kill_live_workers", lambda: calls.append("workers"))
    monkeypatch.setattr(os, "_exit", lambda code: calls.append(code))

    def failing():
        calls.append("failing hook")
        raise RuntimeError("a hook that fails")
    stop = SignalStop(on_hard_exit=[failing, lambda: calls.append("suite groups")])
    stop._handle(signal.SIGTERM, None)
    assert calls == []
    stop._handle(signal.SIGTERM, None)
    assert calls == ["workers", "failing hook", "suite groups", 143]
