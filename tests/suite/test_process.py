"""One entry's process: how it ended decides its status, and its last words are kept."""

import signal
import sys
import threading

import pytest

from perfbench.suite import process
from tests.processes import MARKER_TIMEOUT_S


def _run(tmp_path, code, limit=60.0, ok=lambda: True, grace_s=30.0, clock=None):
    extra = {} if clock is None else {"clock": clock}
    return process.run_entry([sys.executable, "-c", code], str(tmp_path / "e.log"), limit,
                             threading.Event(), ok, grace_s=grace_s, **extra)


def _limit_passes_once_it_says(tmp_path, word: str):
    """The entry's clock: it stands still until the entry's stderr (``e.log``) holds
    ``word``, then is far past any limit.  The timeout then hits the entry in the state the
    test means (its handler installed, its child started), however long a loaded machine
    takes to start an interpreter; a 1 s limit on the wall clock raced that start."""
    log = tmp_path / "e.log"

    def clock() -> float:
        try:
            ready = word in log.read_text()
        except OSError:
            ready = False
        return 1e6 if ready else 0.0
    return clock


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
    """The entry (deaf to SIGINT) starts a child in its group; both are gone after the
    timeout and the grace."""
    pid_file = tmp_path / "child.pid"
    code = (f"import signal, subprocess, sys, time; signal.signal(signal.SIGINT, "
            f"signal.SIG_IGN); p = subprocess.Popen([sys.executable, '-c', "
            f"'import time; time.sleep(600)']); open({str(pid_file)!r}, 'w').write(str(p.pid)); "
            "print('waiting', file=sys.stderr, flush=True); time.sleep(600)")
    outcome = _run(tmp_path, code, limit=1.0, grace_s=0.5,
                   clock=_limit_passes_once_it_says(tmp_path, "waiting"))
    assert outcome.status == "timeout" and outcome.returncode == -signal.SIGKILL
    assert outcome.message.startswith("timed out after 1 s") and "waiting" in outcome.message
    child = int(pid_file.read_text())
    _wait_for(lambda: _exited(child))        # SIGKILLed with its group; reaped when it runs


def test_a_timeout_first_asks_with_sigint_so_the_partial_result_is_kept(tmp_path):
    partial = tmp_path / "partial.json"
    code = (f"import sys, time\ntry:\n    print('waiting', file=sys.stderr, flush=True)\n"
            f"    time.sleep(600)\nexcept KeyboardInterrupt:\n"
            f"    open({str(partial)!r}, 'w').write('partial')\n")
    outcome = _run(tmp_path, code, limit=1.0, ok=partial.exists,
                   clock=_limit_passes_once_it_says(tmp_path, "waiting"))
    assert outcome.status == "timeout" and outcome.returncode == 0
    assert partial.read_text() == "partial"


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


_DRIVER = """
import sys, threading
from perfbench.cli.signals import SignalStop, run_in_worker
from perfbench.suite.process import kill_live_groups, run_entry
child = ("import signal, time\\n"
         "def note(*a): open(%r, 'a').write('sigint\\\\n')\\n"
         "signal.signal(signal.SIGINT, note)\\n"
         "import os; open(%r, 'w').write(str(os.getpid()))\\n"
         "while True: time.sleep(1)\\n") % (sys.argv[1], sys.argv[2])
with SignalStop(on_hard_exit=[kill_live_groups]) as stop:
    run_in_worker(run_entry, [sys.executable, '-c', child], sys.argv[3], 600, stop.event,
                  lambda: False)
"""


def _exited(pid: int) -> bool:
    """Gone, or a zombie nobody has reaped yet: either way no longer running."""
    import psutil
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_for(predicate, limit_s=MARKER_TIMEOUT_S):
    """Polls for a marker; the limit only ends a broken test."""
    import time
    deadline = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < deadline, "marker never appeared"
        time.sleep(0.05)


def test_a_second_signal_kills_the_entry_that_ignores_the_first(tmp_path):
    """The entry's own session survives os._exit unless the hard-exit hook kills it."""
    import os
    import subprocess
    noted, pid_file = tmp_path / "sigint", tmp_path / "pid"
    driver = subprocess.Popen([sys.executable, "-c", _DRIVER, str(noted), str(pid_file),
                               str(tmp_path / "e.log")])
    _wait_for(lambda: pid_file.exists() and pid_file.read_text())
    child = int(pid_file.read_text())
    driver.send_signal(signal.SIGINT)
    _wait_for(noted.exists)          # the first signal reached the entry, which ignored it
    driver.send_signal(signal.SIGINT)
    assert driver.wait(60) == 128 + signal.SIGINT

    try:
        _wait_for(lambda: _exited(child))
    finally:
        if not _exited(child):          # a failing test leaves no sleeper behind
            os.kill(child, signal.SIGKILL)


def test_a_clean_exit_still_kills_what_the_entry_left_in_its_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    code = (f"import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
            f"'import time; time.sleep(600)']); open({str(pid_file)!r}, 'w').write(str(p.pid))")
    assert _run(tmp_path, code).status == "ok"
    child = int(pid_file.read_text())
    _wait_for(lambda: _exited(child))
