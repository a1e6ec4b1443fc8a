"""A fleet node's task (perfbench.sizing.fleet_task): stopped on a timeout or a cancel, its
benchmark's session and directory gone afterwards."""

import os

import pytest


def _our_benchmarks(tmp):
    import psutil
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if str(tmp) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def _stubborn_benchmark(tmp_path):
    """A benchmark that ignores SIGINT, with a child in a session of its own (as a suite's
    entry is): the process, started in its own session, and its child's pid, once the
    child has said it is there (a marker file, not a sleep)."""
    import subprocess
    import sys
    from tests.suite.test_process import _wait_for
    pid_file = tmp_path / "pid"
    code = ("import signal, subprocess, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN);"
            " p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
            f" start_new_session=True); open({str(pid_file)!r}, 'w').write(str(p.pid));"
            " time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: pid_file.exists() and pid_file.read_text())
    except BaseException:               # no marker: leave no SIGINT-ignoring sleeper
        os.killpg(proc.pid, 9)
        raise
    return proc, int(pid_file.read_text())


def test_a_node_task_times_out_stops_its_benchmark_and_removes_its_directory(
        tiny_ir, tmp_path, monkeypatch):
    import tempfile
    from perfbench.sizing.fleet_task import node_task
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # The benchmark is stopped with SIGINT first: once it measures, it writes what it has
    # (marked interrupted) and that comes back; stopped before that, the task fails.
    try:
        document = node_task(["run", "-m", tiny_ir, "-t", "120"], None, timeout_s=3.0)
    except RuntimeError as exc:
        assert "timed out after 3 s" in str(exc)
    else:
        assert document["fleet"]["timed_out"] and document["status"] == "interrupted"
        assert document["fleet"]["exit_status"] == 130
    assert list(tmp_path.iterdir()) == [] and _our_benchmarks(tmp_path) == []


def test_a_cancelled_node_task_stops_its_benchmark_and_removes_its_directory(
        tiny_ir, tmp_path, monkeypatch):
    """Ray cancels a running task with a KeyboardInterrupt in its thread; raised here as
    soon as the benchmark runs, in its own session (no preexec_fn in a threaded worker)."""
    import _thread
    import os
    import tempfile
    import threading
    from perfbench.sizing.fleet_task import node_task
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sessions = []

    def interrupt_when_measuring():
        import time
        while not sessions:                          # the marker: the benchmark process
            for proc in _our_benchmarks(tmp_path):
                sessions.append(os.getsid(proc.pid) == proc.pid)
            time.sleep(0.05)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_when_measuring, daemon=True).start()
    # stopped before it measured, the cancel stands; once it measures, what it wrote on
    # SIGINT comes back (test_a_cancelled_node_task_sends_back_its_partial_result)
    try:
        document = node_task(["run", "-m", tiny_ir, "-t", "120"], None, timeout_s=600.0)
    except KeyboardInterrupt:
        pass
    else:
        assert document["fleet"]["cancelled"] and document["status"] == "interrupted"
    assert sessions[:1] == [True]
    assert list(tmp_path.iterdir()) == [] and _our_benchmarks(tmp_path) == []


def test_directories_of_dead_tasks_are_removed(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile
    from perfbench.sizing.fleet_task import TMP_PREFIX, remove_stale_directories
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / f"{TMP_PREFIX}{dead}-abc").mkdir()
    alive = tmp_path / f"{TMP_PREFIX}{os.getpid()}-def"
    alive.mkdir()
    remove_stale_directories()
    assert list(tmp_path.iterdir()) == [alive]


def test_a_stopped_node_gives_a_suite_time_to_stop_its_entry_and_kills_what_is_left(
        tmp_path, monkeypatch):
    """A suite's entries run in sessions of their own: killing the suite's session missed
    them, and the fleet's grace equalled the suite's, so an entry still stopping was
    orphaned.  Here the benchmark ignores SIGINT and leaves a child in its own session."""
    import signal
    from perfbench.sizing import fleet_task
    from perfbench.suite import process
    from tests.suite.test_process import _exited, _wait_for
    assert fleet_task.STOP_GRACE_S > process.STOP_GRACE_S
    monkeypatch.setattr(fleet_task, "STOP_GRACE_S", 0.2)
    proc, child = _stubborn_benchmark(tmp_path)
    try:
        fleet_task._stop_session(proc)
        assert proc.returncode == -signal.SIGKILL
        _wait_for(lambda: _exited(child))
    finally:
        if not _exited(child):                  # a failing test leaves no sleeper behind
            os.kill(child, signal.SIGKILL)


def test_a_second_cancel_during_the_grace_still_kills_the_benchmark(tmp_path, monkeypatch):
    """Ray's cancel is a KeyboardInterrupt in the task; a second one arriving while the
    stop waited out its grace escaped the wait and skipped the kill: the benchmark (here
    one that ignores SIGINT, with a child in a session of its own) went on running.  The
    second cancel is injected into that wait, deterministically."""
    import signal
    from perfbench.sizing import fleet_task
    from tests.suite.test_process import _exited, _wait_for
    monkeypatch.setattr(fleet_task, "STOP_GRACE_S", 0.2)
    proc, child = _stubborn_benchmark(tmp_path)
    real, cancels = proc.communicate, []

    def communicate(*args, **kwargs):
        if not cancels:                 # the second cancel, in the grace wait
            cancels.append(kwargs.get("timeout", args[1] if len(args) > 1 else None))
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    proc.communicate = communicate
    try:
        try:
            fleet_task._stop_session(proc)
        except KeyboardInterrupt:
            pytest.fail("the second cancel escaped the grace wait and skipped the kill")
        assert cancels and cancels[0] is not None        # it came during the grace
        assert proc.returncode == -signal.SIGKILL
        _wait_for(lambda: _exited(child))
    finally:
        for pid in (proc.pid, child):                # a failing test leaves no sleeper
            if not _exited(pid):
                os.kill(pid, signal.SIGKILL)


#: A stand-in for the benchmark that node_task starts: it says it is measuring, and on
#: SIGINT writes its partial result (as perfbench does, marked interrupted) and exits 130.
_PARTIAL = """
import json, signal, sys, time
args = sys.argv[1:]
out = args[args.index("--json") + 1]
def stop(signum, frame):
    with open(out, "w") as handle:
        json.dump({"schema": "perfbench.result", "status": "interrupted"}, handle)
    sys.exit(130)
signal.signal(signal.SIGINT, stop)
open(out + ".measuring", "w").close()
while True:
    time.sleep(0.05)
"""


def test_a_cancelled_node_task_sends_back_its_partial_result(tmp_path, monkeypatch):
    """A cancel once the benchmark measures: its partial result (written on SIGINT) was
    deleted with the task's directory, and the cancel raised; it comes back now, stamped
    cancelled, and the directory still goes."""
    import _thread
    import sys
    import tempfile
    import threading
    from perfbench.sizing import fleet_task
    from tests.suite.test_process import _wait_for
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(fleet_task, "perfbench_command",
                        lambda *args: [sys.executable, "-c", _PARTIAL, *args])

    def cancel_when_measuring():
        _wait_for(lambda: list(tmp_path.glob("*/result.json.measuring")))
        _thread.interrupt_main()

    threading.Thread(target=cancel_when_measuring, daemon=True).start()
    try:
        document = fleet_task.node_task(["run", "-t", "120"], None, timeout_s=600.0)
    except KeyboardInterrupt:
        pytest.fail("the cancel raised, and the partial result went with the directory")
    assert document["status"] == "interrupted"
    assert document["fleet"]["cancelled"] and document["fleet"]["exit_status"] == 130
    assert not document["fleet"]["timed_out"]
    assert list(tmp_path.iterdir()) == [] and _our_benchmarks(tmp_path) == []


def test_a_cancel_arriving_between_two_waits_still_keeps_the_partial_result(
        tmp_path, monkeypatch):
    """Ray's cancel can land at any instant; one landing just after a wait timed out (at
    the deadline check, which sat inside the timeout's handler) escaped the cancel's
    handler, and the partial result went with the directory.  Injected there,
    deterministically: the deadline check raises the cancel once the benchmark measures."""
    import sys
    import tempfile
    from perfbench.sizing import fleet_task
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(fleet_task, "perfbench_command",
                        lambda *args: [sys.executable, "-c", _PARTIAL, *args])
    cancelled = []
    real = fleet_task._deadline_passed

    def deadline_passed(deadline: float) -> bool:
        if not cancelled and list(tmp_path.glob("*/result.json.measuring")):
            cancelled.append(1)
            raise KeyboardInterrupt
        return real(deadline)
    monkeypatch.setattr(fleet_task, "_deadline_passed", deadline_passed)
    try:
        document = fleet_task.node_task(["run", "-t", "120"], None, timeout_s=600.0)
    except KeyboardInterrupt:
        pytest.fail("the cancel escaped, and the partial result went with the directory")
    assert cancelled, "the cancel was never injected"
    assert document["status"] == "interrupted" and document["fleet"]["cancelled"]
    assert list(tmp_path.iterdir()) == [] and _our_benchmarks(tmp_path) == []
