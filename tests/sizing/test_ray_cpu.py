"""Ray's own CPU use on a node (perfbench.sizing.ray_cpu): exactly Ray's processes, counted
per process."""

import pytest


def test_ray_cpu_share_counts_only_ray_processes():
    """A child named as Ray's raylet burns a known amount of CPU, then waits: the count
    grows by at least its CPU time (other Ray processes could only add).  The same child
    merely mentioning "raylet" on its command line is not Ray's, and is not counted."""
    import subprocess
    import sys
    import psutil
    from perfbench.sizing.ray_cpu import ray_cpu_seconds
    code = ("import ctypes, sys, time  # raylet\n"
            "NAME\nend = time.process_time() + 0.3\n"
            "while time.process_time() < end: pass\nprint('done', flush=True)\n"
            "sys.stdin.read()")
    named = code.replace("NAME", "ctypes.CDLL('libc.so.6').prctl(15, b'raylet')")  # PR_SET_NAME
    before = ray_cpu_seconds(psutil)
    child = subprocess.Popen([sys.executable, "-c", named], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "done\n"
        times = psutil.Process(child.pid).cpu_times()
        grown = ray_cpu_seconds(psutil) - before
        assert grown >= times.user + times.system - 0.01
    finally:
        child.stdin.close()
        child.wait(10)
    plain = subprocess.Popen([sys.executable, "-c", code.replace("NAME", "")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        start = ray_cpu_seconds(psutil)
        assert plain.stdout.readline() == "done\n"
        assert ray_cpu_seconds(psutil) - start < 0.25      # not a Ray process: not counted
    finally:
        plain.stdin.close()
        plain.wait(10)


@pytest.mark.parametrize("name, cmdline, ray", [
    ("raylet", ["/venv/lib/ray/core/src/ray/raylet/raylet", "--node"], True),
    ("gcs_server", ["/venv/lib/ray/core/src/ray/gcs/gcs_server"], True),
    ("ray::IDLE", ["ray::IDLE"], True),
    ("python3", ["ray::node_task"], True),
    ("python3", ["python3", "/venv/site-packages/ray/dashboard/dashboard.py", "--x"], True),
    ("python3", ["python3", "-u", "/venv/site-packages/ray/_private/log_monitor.py"], True),
    ("python3", ["python3", "-c", "# raylet"], False),
    ("grafana-dashboard", ["grafana-dashboard"], False),
    ("python3", ["python3", "monitor.py"], False),
    ("python3", ["python3", "/home/me/ray/_private_notes.py"], False),
    ("bash", ["bash", "-c", "echo ray::x gcs_server"], False),
    ("raylet-exporter", ["raylet-exporter"], False)])
def test_ray_processes_are_matched_exactly(name, cmdline, ray):
    from perfbench.sizing.ray_cpu import is_ray_process
    assert is_ray_process(name, cmdline) is ray


def test_a_ray_process_that_exits_does_not_make_the_share_negative(monkeypatch):
    """Ray's CPU is counted per process: one that ends between the two readings took its
    CPU time with it (a difference of totals went negative once in a suite run)."""
    from perfbench.sizing import ray_cpu
    readings = iter([{1: 5.0, 2: 40.0}, {1: 6.5, 3: 0.25}])
    monkeypatch.setattr(ray_cpu, "ray_cpu_by_process", lambda psutil: next(readings))
    before = ray_cpu.ray_cpu_by_process(None)
    assert ray_cpu.ray_cpu_grown(None, before) == pytest.approx(1.75)
