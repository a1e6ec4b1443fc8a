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
    with pytest.raises(KeyboardInterrupt):
        node_task(["run", "-m", tiny_ir, "-t", "120"], None, timeout_s=600.0)
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
    import subprocess
    import sys
    from perfbench.sizing import fleet_task
    from perfbench.suite import process
    from tests.suite.test_process import _exited, _wait_for
    assert fleet_task.STOP_GRACE_S > process.STOP_GRACE_S
    monkeypatch.setattr(fleet_task, "STOP_GRACE_S", 0.2)
    pid_file = tmp_path / "pid"
    code = ("import signal, subprocess, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN);"
            " p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
            f" start_new_session=True); open({str(pid_file)!r}, 'w').write(str(p.pid));"
            " time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: pid_file.exists() and pid_file.read_text())
    child = int(pid_file.read_text())
    try:
        fleet_task._stop_session(proc)
        assert proc.returncode == -signal.SIGKILL
        _wait_for(lambda: _exited(child))
    finally:
        if not _exited(child):                  # a failing test leaves no sleeper behind
            os.kill(child, signal.SIGKILL)
