"""One suite entry in its own process: a time limit, the process group stopped on a
timeout or a stop, its peak memory sampled with psutil, and its last words kept.

A crash, a hang or the kernel's out-of-memory killer then fails only that entry.  The
out-of-memory killer is recognised by its signature: the process died of SIGKILL that
perfbench did not send (the kernel's log is not readable by everyone, the exit is).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

import psutil

from perfbench.files import atomic_write

#: Seconds an interrupted entry gets to write its partial result before it is killed.
STOP_GRACE_S = 30.0
POLL_S = 0.1
LAST_LINES = 3

#: Process groups of the entries running now: a hard exit (a second Ctrl-C, which skips
#: every ``finally``) kills them, since each lives in its own session and would outlive us.
_LIVE_GROUPS: set[int] = set()
_LIVE_LOCK = threading.Lock()


def kill_live_groups() -> None:
    """SIGKILL every live entry's process group (the hard-exit hook of ``perfbench suite``)."""
    with _LIVE_LOCK:
        groups = list(_LIVE_GROUPS)
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass


@dataclass(frozen=True)
class Outcome:
    status: str                    # ok, failed, timeout, oom, interrupted
    message: str | None
    wall_s: float
    peak_rss_mb: float | None
    returncode: int | None


#: Runs perfbench after asking Linux to send it SIGTERM when its parent ends
#: (PR_SET_PDEATHSIG): an entry in a session of its own outlives a suite killed by SIGKILL
#: (or a fleet task's worker) otherwise, measuring with no time limit.  Done in the child,
#: since ``preexec_fn`` is unsafe in a threaded process; a parent gone before the call
#: (argv[1] is its pid) ends the child at once.  SIGTERM, not SIGKILL: perfbench writes
#: what it measured, marked interrupted.
ORPHAN_BOOT = """import ctypes, os, runpy, signal, sys
try:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(1)
sys.argv = ["perfbench", *sys.argv[2:]]
runpy.run_module("perfbench", run_name="__main__", alter_sys=True)
"""


def perfbench_command(*args: str) -> list[str]:
    """``python -m perfbench ARGS`` that ends with its parent (:data:`ORPHAN_BOOT`)."""
    return [sys.executable, "-c", ORPHAN_BOOT, str(os.getpid()), *args]


def run_command(settings_path: str, out_path: str) -> list[str]:
    """``perfbench run`` for one entry: its settings as a profile file, its result file."""
    return perfbench_command("run", "--profile", settings_path, "-q", "--json", out_path)


def write_profile(settings: dict, path: str) -> None:
    """A flat TOML table of run settings (what ``--profile`` reads)."""
    lines = [f"{key} = {_toml(value)}" for key, value in settings.items() if value is not None]
    atomic_write(path, "\n".join(lines) + "\n")


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value) if isinstance(value, (int, float)) else json.dumps(str(value))


def run_entry(command: list[str], log_path: str, time_limit_s: float,
              stop_event: threading.Event, result_ok: Callable[[], bool],
              clock: Callable[[], float] = time.monotonic,
              grace_s: float = STOP_GRACE_S) -> Outcome:
    """Run ``command`` in its own session, stderr to ``log_path``; ``result_ok`` says
    whether it left a complete result.  A timeout or a stop sends SIGINT and allows
    ``grace_s`` for the partial result before SIGKILL; the group is killed at the end
    whatever happened, so no grandchild outlives its entry."""
    started = clock()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log, start_new_session=True)
    with _LIVE_LOCK:
        _LIVE_GROUPS.add(proc.pid)
    peak, why = 0, None
    try:
        while proc.poll() is None and why is None:
            peak = max(peak, _tree_rss(proc.pid))
            if clock() - started > time_limit_s:
                why = "timeout"
            elif stop_event.is_set():
                why = "interrupted"
            else:
                stop_event.wait(POLL_S)
        if why is not None:
            _signal_group(proc, signal.SIGINT)
            _wait_or_kill(proc, grace_s)
    finally:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()
        with _LIVE_LOCK:
            _LIVE_GROUPS.discard(proc.pid)
    status = classify(proc.returncode, why, result_ok())
    message = describe(status, proc.returncode, last_words(log_path), time_limit_s, peak)
    return Outcome(status, message, clock() - started, peak / 2**20 if peak else None,
                   proc.returncode)


def classify(returncode: int, stopped_by_us: str | None, complete_result: bool) -> str:
    """The entry's status from how its process ended."""
    if stopped_by_us is not None:
        return stopped_by_us
    if returncode == -signal.SIGKILL:
        return "oom"
    return "ok" if returncode == 0 and complete_result else "failed"


def describe(status: str, returncode: int | None, last: str, limit_s: float,
             peak_bytes: int) -> str | None:
    """One line a user can act on, ending in the process's last words where it had any."""
    words = f": {last}" if last else ""
    if status == "ok":
        return None
    if status == "timeout":
        return f"timed out after {limit_s:g} s (time_limit); stopped{words}"
    if status == "oom":
        return (f"killed by SIGKILL that perfbench did not send: the kernel's out-of-memory "
                f"killer (peak RSS {peak_bytes / 2**20:,.0f} MB){words}")
    if status == "interrupted":
        return "interrupted"
    if returncode is not None and returncode < 0:
        return f"died of {signal.Signals(-returncode).name}{words}"
    return last or f"exit status {returncode} and no complete result"


def last_words(log_path: str, lines: int = LAST_LINES) -> str:
    """The last non-empty stderr lines, joined: where a run says why it failed."""
    try:
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            text = [line.strip() for line in handle.read()[-20000:].splitlines()]
    except OSError:
        return ""
    return " | ".join([line for line in text if line][-lines:])[:500]


def _tree_rss(pid: int) -> int:
    """Resident memory of the process and its children (workers, compilers)."""
    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except OSError:
        pass


def _wait_or_kill(proc: subprocess.Popen, grace_s: float) -> None:
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def hangup_stops(stop):
    """``stop`` (a :class:`perfbench.cli.signals.SignalStop`) takes SIGHUP too: the
    terminal or the CI runner gone stops the suite as SIGTERM does (its running entry
    stopped, what finished kept), instead of the default death that left the entry
    measuring."""
    previous = signal.signal(signal.SIGHUP, stop._handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)
