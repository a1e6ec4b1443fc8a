"""The parent's side of a worker: a channel that library output cannot break, last words of
a dying worker, and the interpreter check.  Real worker processes on the tiny model; every
conversation runs under a deadline, so a hang fails fast instead of stalling the suite."""

import os
import signal
import sys
import threading

import psutil
import pytest

from perfbench.errors import RunFailed, UsageError
from perfbench.runner.side import Side, check_interpreter, kill_live_workers, needs_nncf
from perfbench.runner.worker import PROTOCOL
from perfbench.settings.config import BenchmarkConfig
from tests.processes import CHECKOUT, MARKER_TIMEOUT_S

#: Generous: the tiny model compiles and measures in well under a second, but a worker
#: imports OpenVINO first, which a loaded 2-core machine stretches many times over.
DEADLINE_S = MARKER_TIMEOUT_S

#: A worker's site-customisation that talks like NNCF or OpenVINO at their worst: > 200 KiB
#: to Python's stdout, to fd 1 (as C code does) and to stderr, once at start and again
#: whenever the worker decodes a message (after any redirection the worker sets up).
CHATTY = '''
import json, os, sys
_LINE = "chatter " * 127 + "\\n"
def _chatter():
    for _ in range(210):
        sys.stdout.write(_LINE)
        os.write(1, _LINE.encode())
        sys.stderr.write(_LINE)
    sys.stdout.flush()
    sys.stderr.flush()
_loads = json.loads
def _chatty_loads(text, *args, **kwargs):
    _chatter()
    message = _loads(text, *args, **kwargs)
    if isinstance(message, dict) and message.get("block") == 0.042:
        sys.stderr.write("the worker gave up: out of cheese\\n")
        sys.stderr.flush()
        os._exit(3)
    return message
json.loads = _chatty_loads
_chatter()
'''


def _settings(model, **extra):
    return BenchmarkConfig(model=model, **extra).to_dict()


def _workers() -> list[psutil.Process]:
    return [c for c in psutil.Process().children(recursive=True)
            if "perfbench.runner.worker" in " ".join(c.cmdline())]


def within(seconds: float, talk):
    """``talk()``'s return value, or its exception; a conversation still going after
    ``seconds`` has hung: its workers are killed (so the thread ends) and the test fails."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = talk()
        except BaseException as exc:            # handed to the test thread
            outcome["error"] = exc
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for worker in _workers():
            worker.kill()
        thread.join(30)
        pytest.fail(f"the worker conversation hung for {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def chatty(tmp_path, monkeypatch):
    """Workers started from now on load CHATTY first."""
    (tmp_path / "sitecustomize.py").write_text(CHATTY)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), CHECKOUT]))


def _conversation(model: str, block_s: float):
    side = Side("BASE", sys.executable, _settings(model))
    try:
        return side.ready, side.block(block_s, 0.0)
    finally:
        side.close()


def test_library_output_cannot_break_the_reply_channel(tiny_ir, chatty):
    ready, block = within(DEADLINE_S, lambda: _conversation(tiny_ir, 0.05))
    assert ready["ready"] is True and ready["batch"] == 1
    assert block["completed"] > 0 and block["duration_s"] > 0
    assert _workers() == []


def test_a_dying_workers_last_stderr_line_reaches_the_error(tiny_ir, chatty):
    """The worker fills its stderr pipe many times over, then dies: its last line (not
    the chatter before it) is in the error, with its exit status."""
    with pytest.raises(RunFailed, match=r"BASE worker died: the worker gave up: out of "
                                        r"cheese \(exit status 3\)"):
        within(DEADLINE_S, lambda: _conversation(tiny_ir, 0.042))
    assert _workers() == []


def _interpreter(tmp_path, name: str, files: dict[str, str]) -> str:
    """An "interpreter": this one, with ``files`` (relative path → text) ahead of this
    checkout on its path, as another installation would have them."""
    root = tmp_path / name
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    script = tmp_path / f"{name}-python"
    # Run from elsewhere: Python puts the working directory (this checkout) first on its path.
    script.write_text(f"#!/bin/sh\ncd {tmp_path} && PYTHONPATH={root}{os.pathsep}{CHECKOUT} "
                      f"exec {sys.executable} \"$@\"\n")
    script.chmod(0o755)
    return str(script)


def test_an_interpreter_is_checked_before_anything_runs(tmp_path, monkeypatch):
    """One line each (UsageError, exit 2): an interpreter that is not there, one whose
    perfbench speaks another worker protocol (an older perfbench has none: 1), one without
    NNCF for an int8 side; this interpreter without NNCF is checked in-process."""
    old = _interpreter(tmp_path, "old", {"perfbench/__init__.py": "",
                                         "perfbench/runner/__init__.py": "",
                                         "perfbench/runner/worker.py": "import json\n"})
    no_nncf = _interpreter(tmp_path, "no-nncf", {
        "nncf/__init__.py": "raise ImportError('NNCF is not installed here')\n"})
    with pytest.raises(UsageError, match=r"^--base-python /nonexistent/python: cannot run it"):
        check_interpreter("/nonexistent/python", "--base-python", needs_nncf=False)
    with pytest.raises(UsageError, match=r"^--new-python \S+: its perfbench speaks worker "
                                         rf"protocol 1, this one speaks {PROTOCOL}"):
        check_interpreter(old, "--new-python", needs_nncf=False)
    check_interpreter(no_nncf, "--new-python", needs_nncf=False)
    with pytest.raises(UsageError, match=r"^--new-python \S+: has no NNCF, needed for an "
                                         r"int8 side \(ImportError: NNCF is not installed"):
        check_interpreter(no_nncf, "--new-python", needs_nncf=True)
    check_interpreter(sys.executable, "--base-python", needs_nncf=True)
    monkeypatch.setitem(sys.modules, "nncf", None)          # how Python blocks an import
    with pytest.raises(UsageError, match=r"^--base-python \S+: has no NNCF"):
        check_interpreter(sys.executable, "--base-python", needs_nncf=True)
    check_interpreter(sys.executable, "--base-python", needs_nncf=False)


@pytest.mark.parametrize("extra, needed", [({}, False), ({"precision": "int8"}, True),
                                           ({"quantize": "int8"}, True),
                                           ({"precision": "f32"}, False)])
def test_a_side_needs_nncf_when_it_is_int8(extra, needed):
    assert needs_nncf(BenchmarkConfig(model="m.xml", **extra).to_dict()) is needed
    assert needs_nncf(dict(extra)) is needed


def test_a_worker_that_never_answers_fails_the_run_instead_of_hanging(tmp_path, monkeypatch):
    """An interpreter that starts but never replies (a hung worker): the wait ends at its
    time limit with a one-line failure, and the process is gone."""
    import stat
    from perfbench.runner import side as side_module
    hung = tmp_path / "hung-python"
    hung.write_text("#!/bin/sh\nexec sleep 600\n")
    hung.chmod(hung.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(side_module, "READY_TIMEOUT_S", 1.0)
    with pytest.raises(RunFailed, match=r"BASE worker did not answer within 1 s \(hung\)"):
        side_module.Side("BASE", str(hung), {})
    assert not [p for p in psutil.Process().children(recursive=True)
                if "hung-python" in " ".join(p.cmdline())]


def test_kill_live_workers_kills_the_open_sides_and_leaves_the_closed_ones(tiny_ir):
    """What a hard exit (a second Ctrl-C, no ``finally`` runs) calls: every side not yet
    closed is killed; a closed side's worker, which quit, is not signalled again."""
    settings = BenchmarkConfig(model=tiny_ir).to_dict()

    def talk():
        closed = Side("BASE", sys.executable, settings)
        closed.close()
        live = Side("NEW", sys.executable, settings)
        try:
            kill_live_workers()
            return closed.process.returncode, live.process.wait(timeout=DEADLINE_S)
        finally:
            live.close()
    assert within(DEADLINE_S, talk) == (0, -signal.SIGKILL)


class _Simulated:
    """A side whose requests each take ``service_s`` on one stream, exactly: a block of S
    seconds completes S // service_s of them (the probe's question, without a clock)."""

    def __init__(self, service_s: float):
        self.service_s, self.asked = service_s, []

    def block(self, seconds, warmup, record=True):
        assert record is False                      # a probe is never recorded
        self.asked.append(seconds)
        completed = int(seconds // self.service_s + 1e-9)
        return {"completed": completed, "duration_s": seconds}


def test_a_probe_grows_until_it_completes_a_few_requests():
    """A 0.3 s model: the single 0.1 s probe completed nothing, and its block length was
    the 1 s guess (about 3 requests; the race's floor of 5 requests of the slowest point
    came out at 0.25 s, under one request).  The probe grows (0.1, 0.4, 1.6 s) until it
    completes 5, and both follow the measured service time."""
    from perfbench.runner.side import BLOCK_REQUESTS, probe_block, block_length
    from perfbench.sizing.race import MIN_BLOCK_COMPLETIONS, block_floor
    slow = _Simulated(0.3)
    probe = probe_block(slow, 0.03)
    assert slow.asked == pytest.approx([0.1, 0.4, 1.6]) and probe["completed"] == 5
    block = block_length(probe)
    assert block == pytest.approx(BLOCK_REQUESTS * 1.6 / 5)     # 20 requests at 5 / 1.6 s
    floor = block_floor(block, BLOCK_REQUESTS, 0.1)
    assert floor >= MIN_BLOCK_COMPLETIONS * 0.3 - 1e-9
    fast = _Simulated(0.001)
    assert block_length(probe_block(fast, 0.03)) == pytest.approx(0.1)
    assert fast.asked == [0.1]                      # a fast side is probed once, as before


def test_a_probe_that_completes_nothing_gives_a_block_longer_than_it():
    from perfbench.runner.side import block_length, probe_block
    stalled = _Simulated(100.0)
    probe = probe_block(stalled, 0.03)
    assert len(stalled.asked) == 3 and probe["completed"] == 0
    assert block_length(probe) > stalled.asked[-1]
