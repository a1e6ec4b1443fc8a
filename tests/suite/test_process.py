"""One entry's process: how it ended decides its status, and its last words are kept."""

import signal
import sys
import threading

import pytest

from perfbench.suite import process


def _run(tmp_path, code, limit=60.0, ok=lambda: True):
    return process.run_entry([sys.executable, "-c", code], str(tmp_path / "e.log"), limit,
                             threading.Event(), ok)


def test_a_clean_exit_with_a_complete_result_is_ok(tmp_path):
    outcome = _run(tmp_path, "print('fine')")
    assert outcome.status == "ok" and outcome.message is None and outcome.returncode == 0


def test_an_exit_without_a_complete_result_fails_with_its_last_words(tmp_path):
    code = "import sys; print('loading', file=sys.stderr); sys.exit('broken: no kernel')"
    outcome = _run(tmp_path, code, ok=lambda: False)
    assert outcome.status == "failed"
    assert outcome.message == "loading | broken: no kernel"


def test_a_crash_names_its_signal(tmp_path):
    outcome = _run(tmp_path, "import os; os.abort()", ok=lambda: False)
    assert outcome.status == "failed" and outcome.message.startswith("died of SIGABRT")


def test_a_sigkill_not_sent_by_us_is_the_oom_killer(tmp_path):
    code = ("import os, signal, sys; print('allocating', file=sys.stderr, flush=True); "
            "os.kill(os.getpid(), signal.SIGKILL)")
    outcome = _run(tmp_path, code, ok=lambda: False)
    assert outcome.status == "oom" and "out-of-memory" in outcome.message
    assert outcome.message.endswith(": allocating")


def test_a_hang_past_its_limit_is_stopped_with_its_children(tmp_path):
    """The entry starts a child in its group; both are gone after the timeout."""
    pid_file = tmp_path / "child.pid"
    code = (f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', "
            f"'import time; time.sleep(600)']); open({str(pid_file)!r}, 'w').write(str(p.pid)); "
            "print('waiting', file=sys.stderr, flush=True); time.sleep(600)")
    outcome = _run(tmp_path, code, limit=1.0)
    assert outcome.status == "timeout"
    assert outcome.message.startswith("timed out after 1 s") and "waiting" in outcome.message
    import psutil
    child = int(pid_file.read_text())
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == "zombie"


def test_a_stop_interrupts_the_entry(tmp_path):
    stop = threading.Event()
    stop.set()
    outcome = process.run_entry([sys.executable, "-c", "import time; time.sleep(600)"],
                                str(tmp_path / "e.log"), 600, stop, lambda: False)
    assert outcome.status == "interrupted"


@pytest.mark.parametrize("code, ours, complete, status", [
    (0, None, True, "ok"), (0, None, False, "failed"), (1, None, True, "failed"),
    (-signal.SIGKILL, None, False, "oom"), (-signal.SIGKILL, "timeout", False, "timeout"),
    (-signal.SIGSEGV, None, False, "failed"), (-signal.SIGINT, "interrupted", True,
                                               "interrupted")])
def test_classify(code, ours, complete, status):
    assert process.classify(code, ours, complete) == status


def test_profile_round_trips_through_the_profile_reader(tmp_path):
    from perfbench.settings.profiles import load_profile
    settings = {"model": "/m/a \"b\".xml", "time": 2.5, "batch": 2, "pin": False,
                "input": ["x=/d/x.npy"], "streams": "AUTO", "precision": None}
    path = tmp_path / "p.toml"
    process.write_profile(settings, str(path))
    loaded = load_profile(str(path)).settings
    assert loaded == {"model": "/m/a \"b\".xml", "time": 2.5, "batch": 2, "pin": False,
                      "input": ("x=/d/x.npy",), "streams": "AUTO"}
