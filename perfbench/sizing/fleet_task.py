"""One fleet node's task, run on the node: perfbench in a subprocess of its own session,
stopped on a timeout or a cancel with SIGINT first (so it writes what it measured) and
killed with everything it started after a grace period (a second cancel during it changes
neither); what it measured comes back, a cancelled task's partial result too; its
temporary directory removed whatever ends it, and those of tasks whose worker died
removed at the next start."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import psutil

from perfbench.sizing.fleet_suite_dir import read_suite_directory
from perfbench.sizing.ray_cpu import ray_cpu_by_process, ray_cpu_grown
from perfbench.suite.process import STOP_GRACE_S as SUITE_ENTRY_GRACE_S
from perfbench.suite.process import perfbench_command

#: A node task that has not finished after this long is stopped and reported failed.
DEFAULT_TIMEOUT_S = 4 * 3600.0
#: Each node task's temporary directory: this prefix, the task process id, a random part.
TMP_PREFIX = "perfbench-fleet-"


def node_task(command: list[str], label: str | None,
              timeout_s: float = DEFAULT_TIMEOUT_S) -> dict:
    """Runs on the node: perfbench in a subprocess, and Ray's CPU share meanwhile.  A
    cancel (Ray's KeyboardInterrupt) stops the benchmark as the timeout does, and the
    partial result it wrote comes back, stamped ``cancelled`` (it was deleted with the
    directory: a measured result lost); with nothing written the cancel stands.  The
    temporary directory goes whatever ends the task (a result, a failure, the timeout, a
    cancel); one left by a task whose worker was killed goes at the next task's start."""
    remove_stale_directories()
    tmp = tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-")
    try:
        out = os.path.join(tmp, "result.json")
        suite_dir = os.path.join(tmp, "suite")
        where = ["--out", suite_dir] if command[0] == "suite" else ["--json", out]
        args = perfbench_command(*command, "-q", *where)     # ends with this task
        if label and command[0] in ("run", "sweep"):
            args += ["--label", label]
        before, started, wall_start = ray_cpu_by_process(psutil), time.monotonic(), time.time()
        code, stderr, timed_out, cancel = _run_benchmark(args, timeout_s)
        ray_cpu, wall = ray_cpu_grown(psutil, before), time.monotonic() - started
        wall_end = time.time()
        if command[0] == "suite" and os.path.exists(os.path.join(suite_dir, "suite.json")):
            out, document = suite_dir, read_suite_directory(suite_dir)
        if not os.path.exists(out):
            if cancel is not None:
                raise cancel        # stopped before it wrote anything: nothing to keep
            if timed_out:
                raise RuntimeError(f"timed out after {timeout_s:g} s (fleet run --timeout): "
                                   "the benchmark was stopped before it wrote a result")
            last = (stderr.strip().splitlines() or [f"exit status {code}"])[-1]
            raise RuntimeError(last[:300])
        if command[0] != "suite":
            with open(out, encoding="utf-8") as handle:
                document = json.load(handle)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    share = 100 * ray_cpu / (wall * (psutil.cpu_count() or 1)) if wall > 0 else 0.0
    document["fleet"] = {"ray_cpu_pct": share, "exit_status": code, "command": command,
                         "label": label, "started_at": wall_start, "ended_at": wall_end,
                         "timed_out": timed_out, "cancelled": cancel is not None}
    return document


#: After the timeout, or a cancel, the benchmark gets this long to stop on SIGINT and write
#: the result it has measured (marked interrupted) before its session is killed; longer
#: than a suite gives its running entry for the same, so a suite can finish its own stop.
STOP_GRACE_S = SUITE_ENTRY_GRACE_S + 15.0


def _run_benchmark(args: list[str], timeout_s: float
                   ) -> tuple[int, str, bool, KeyboardInterrupt | None]:
    """The benchmark in its own session (``start_new_session``, safe in a threaded worker),
    so that it and any process it starts can be stopped together.  Waits in short steps:
    Ray cancels a task by raising KeyboardInterrupt in it, which a wait without a timeout
    would not see until the benchmark ended; a cancel stops it as the timeout does.
    Returns (exit status, stderr, timed out, the cancel if one came)."""
    deadline = time.monotonic() + timeout_s
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        # the cancel is caught around the whole loop: caught beside TimeoutExpired, one
        # arriving while that handler ran escaped, and the partial result went with the
        # directory (a test under load saw it)
        try:
            while True:
                try:
                    _, stderr = proc.communicate(timeout=min(
                        0.5, max(deadline - time.monotonic(), 0.01)))
                    return proc.returncode, stderr, False, None
                except subprocess.TimeoutExpired:
                    pass
                if _deadline_passed(deadline):
                    stderr = _stop_session(proc)
                    return proc.returncode, stderr, True, None
        except KeyboardInterrupt as cancel:
            stderr = _stop_session(proc)
            return proc.returncode, stderr, False, cancel
    finally:
        if proc.returncode is None:
            _stop_session(proc)


def _deadline_passed(deadline: float) -> bool:
    """Between two waits: where a test injects a cancel."""
    return time.monotonic() >= deadline


def _stop_session(proc: subprocess.Popen) -> str:
    """SIGINT first, so perfbench writes what it measured; the whole session is killed
    if it has not ended after STOP_GRACE_S, and with it every process it started in a
    session of its own (a suite's entries), which a kill of the session would miss.

    A second cancel (KeyboardInterrupt) during the grace neither cuts it short (the
    benchmark is writing what it measured) nor skips the kill: it escaped the wait and
    left the benchmark running.  The grace is bounded, so the task still ends within it."""
    deadline = time.monotonic() + STOP_GRACE_S
    _signal_session(proc, signal.SIGINT)
    while True:
        try:
            return proc.communicate(timeout=max(deadline - time.monotonic(), 0.0))[1] or ""
        except subprocess.TimeoutExpired:
            break
        except KeyboardInterrupt:
            continue            # a repeated cancel: the grace goes on, the kill follows
    _kill_descendants(psutil, proc.pid)
    _signal_session(proc, signal.SIGKILL)
    while True:
        try:
            return proc.communicate()[1] or ""
        except KeyboardInterrupt:
            continue            # killed already: only the reaping is left


def _signal_session(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except OSError:
        pass


def _kill_descendants(psutil, pid: int) -> None:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass


def remove_stale_directories() -> None:
    """Temporary directories of node tasks whose process no longer exists."""
    pattern = re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")
    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return
    for entry in entries:
        match = pattern.match(entry.name)
        if match and entry.is_dir() and not psutil.pid_exists(int(match.group(1))):
            shutil.rmtree(entry.path, ignore_errors=True)
