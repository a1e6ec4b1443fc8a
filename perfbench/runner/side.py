"""One worker process seen from the parent: :class:`Side` starts it and talks to it, and
:func:`check_interpreter` vets an interpreter before anything is measured.

Shared by interleaved A/B (:mod:`perfbench.runner.ab`) and interleaved sweeps
(:mod:`perfbench.sizing.race_run`); the worker itself is :mod:`perfbench.runner.worker`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import subprocess
import time
import sys
import threading
from collections import deque

from perfbench.errors import RunFailed, UsageError
from perfbench.runner.controls import check_block, check_observed
from perfbench.runner.worker import PROTOCOL

#: A block holds at least this many requests (fewer: too coarse to time), and lasts at
#: least MIN_BLOCK_S; on the probe machine 0.1 s blocks paired better than 0.5 s ones.
BLOCK_REQUESTS = 20
MIN_BLOCK_S = 0.1
#: Unmeasured warm-up after each switch: caches and threads back in shape after the
#: other side ran.
SWITCH_WARMUP_S = 0.03


#: How many of a worker's last stderr lines are kept for its last words.
LAST_WORDS_LINES = 50
#: A stderr line longer than this is cut (a library may write a blob with no newline).
_LINE_LIMIT = 4096


class _StderrTail:
    """Drains a worker's stderr as it is written, keeping its last non-blank lines: a chatty
    library (NNCF, OpenVINO) then never blocks the worker on a full pipe, and a worker that
    dies still leaves its last words."""

    def __init__(self, stream):
        self.lines: deque[str] = deque(maxlen=LAST_WORDS_LINES)
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True,
                                       name="worker-stderr")
        self.thread.start()

    def _drain(self, stream) -> None:
        """Read lines (cut at _LINE_LIMIT) until the worker closes stderr."""
        try:
            for line in iter(lambda: stream.readline(_LINE_LIMIT), ""):
                if line.strip():
                    self.lines.append(line.rstrip())
        except (OSError, ValueError):
            pass                    # the stream was closed under us: nothing more to say
        finally:
            stream.close()

    def last(self, wait_s: float) -> list[str]:
        """The lines kept, once the stream has ended (or after ``wait_s``)."""
        self.thread.join(wait_s)
        return list(self.lines)


#: How long a reply may take before the worker counts as hung: compiling (or quantizing) a
#: large model, collecting a result, and a block (a multiple of its length, at least a
#: minute: a starved machine stretches it, a hung worker does not answer at all).
READY_TIMEOUT_S = 3600.0
RESULT_TIMEOUT_S = 600.0
BLOCK_TIMEOUT_FACTOR, BLOCK_TIMEOUT_MIN_S = 30.0, 60.0


#: Workers running now: a hard exit (a second Ctrl-C, which skips every ``finally``, so no
#: :meth:`Side.close` runs) kills them, or each would finish its block or compile first.
_LIVE_WORKERS: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()


def kill_live_workers() -> None:
    """SIGKILL every worker not yet closed (a hard-exit hook of
    :class:`perfbench.cli.signals.SignalStop`).  A worker starts no processes of its own
    and shares our process group, so killing its pid is enough."""
    with _LIVE_LOCK:
        workers = list(_LIVE_WORKERS)
    for process in workers:
        try:
            process.kill()
        except OSError:
            pass


def _start_worker(python: str, controls=None) -> tuple[subprocess.Popen, int]:
    """The worker process and the read end of its reply pipe.  Replies travel on a pipe of
    their own (its descriptor passed by number), so nothing the worker's libraries print can
    reach them; the worker's stdout goes nowhere (it points fd 1 at stderr anyway).
    ``controls`` (:class:`perfbench.runner.controls.WorkerControls`): its environment
    variables and ``--controls``."""
    read_fd, write_fd = os.pipe()
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(controls.env if controls else {}))
    extra = controls.argv() if controls and controls.spec else []
    try:
        process = subprocess.Popen(
            [python, "-m", "perfbench.runner.worker", "--reply-fd", str(write_fd), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=(write_fd,), env=env, encoding="utf-8", errors="replace")
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)          # the worker's copy is the only one: EOF when it dies
    with _LIVE_LOCK:
        _LIVE_WORKERS.add(process)
    return process, read_fd


class Side:
    """A worker process and the way to talk to it.  With ``wait=False`` the worker compiles
    while the caller starts others; :meth:`wait_ready` collects its answer."""

    def __init__(self, label: str, python: str, settings: dict, wait: bool = True,
                 controls=None):
        self.label, self.python = label, python
        self.controls = controls
        self.process, self._replies = _start_worker(python, controls)
        self._pending = bytearray()
        self._stderr = _StderrTail(self.process.stderr)
        self.ready: dict = {}
        self._send({"config": settings})
        if wait:
            try:
                self.wait_ready()
            except BaseException:
                self.close()            # no caller holds this side yet: release it here
                raise

    def wait_ready(self) -> dict:
        """The ready reply; with controls, checked for each (one not in force fails)."""
        self.ready = self._receive(READY_TIMEOUT_S)
        if self.controls is not None and self.controls.spec:
            check_observed(self.label, self.controls.spec, self.ready.get("controls"))
        return self.ready

    def ask(self, message: dict, timeout_s: float = RESULT_TIMEOUT_S) -> dict:
        self._send(message)
        return self._receive(timeout_s)

    def _send(self, message: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass                    # the reply (none) says what happened

    def _receive(self, timeout_s: float) -> dict:
        """The next reply; end of the reply pipe means the worker died (its last words say
        why), no reply within ``timeout_s`` that it hung (it is killed: a thread blocked
        on it forever would also block Ctrl-C's clean stop), and an error reply is raised
        as the worker classed it."""
        line = self._read_line(timeout_s)
        if line is None:
            self.process.kill()
            raise RunFailed(f"{self.label} worker did not answer within {timeout_s:.0f} s "
                            f"(hung): {self._last_words()}")
        if not line:
            raise RunFailed(f"{self.label} worker died: {self._last_words()}")
        try:
            reply = json.loads(line)
        except ValueError:
            raise RunFailed(f"{self.label} worker sent a broken reply: {line[:80]!r}") from None
        if "error" in reply:
            error = UsageError if reply.get("usage") else RunFailed
            raise error(f"{self.label}: {reply['error']}")
        return reply

    def _read_line(self, timeout_s: float) -> str | None:
        """One line from the reply pipe: "" at its end, None when ``timeout_s`` passed.  A
        long reply (a side's outputs, tens of MB) is gathered in linear time: the buffer
        grows in place and only what arrived is searched for the newline."""
        deadline = time.monotonic() + timeout_s
        scanned = 0
        while (end := self._pending.find(b"\n", scanned)) < 0:
            scanned = len(self._pending)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                ready, _, _ = select.select([self._replies], [], [], left)
                chunk = os.read(self._replies, 65536) if ready else None
            except (OSError, ValueError):
                chunk = b""
            if chunk == b"":
                return ""
            self._pending += chunk or b""
        line = bytes(self._pending[:end])
        del self._pending[:end + 1]
        return line.decode("utf-8", errors="replace")

    def _last_words(self) -> str:
        """The worker's last stderr line and its exit status (it is killed if still alive)."""
        self.process.kill()
        code = self.process.wait()
        lines = self._stderr.last(wait_s=5.0)
        return (lines[-1][:300] if lines else "no message") + f" (exit status {code})"

    def block(self, seconds: float, warmup: float, record: bool = True) -> dict:
        timeout = max(BLOCK_TIMEOUT_MIN_S, BLOCK_TIMEOUT_FACTOR * (seconds + warmup))
        reply = self.ask({"block": seconds, "warmup": warmup, "record": record}, timeout)
        if self.controls is not None and self.controls.spec:
            check_block(self.label, self.controls.spec, reply.get("controls"))
        return reply

    def profile(self, seconds: float, min_inferences: int = 10, graph: bool = False) -> dict:
        """A profiling block (counters on, another compile of the model): the worker's
        ``profile`` message; never a timed block."""
        timeout = max(READY_TIMEOUT_S if graph else BLOCK_TIMEOUT_MIN_S,
                      BLOCK_TIMEOUT_FACTOR * seconds)
        return self.ask({"profile": seconds, "min_inferences": min_inferences,
                         "graph": graph}, timeout)

    def outputs(self, samples: int | None) -> dict:
        """The side's outputs on its fidelity inputs, as measured and in f32 (the worker's
        ``outputs`` message: an A/B's ``--fidelity`` pass, never a timed block).  Its
        timeout is a compile's: the f32 reference is compiled then."""
        return self.ask({"outputs": samples}, READY_TIMEOUT_S)

    def result(self, interrupted: bool) -> dict:
        """Every block measured so far, as one ``perfbench.result`` document."""
        return self.ask({"result": True, "interrupted": interrupted})["result"]

    def close(self) -> None:
        """Ask the worker to quit (killed after 10 s), and release its pipes and drainer."""
        if self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"quit": True}) + "\n")
                self.process.stdin.flush()
                self.process.wait(timeout=10)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        try:
            self.process.stdin.close()
        except OSError:
            pass
        if self._replies >= 0:
            os.close(self._replies)
            self._replies = -1
        with _LIVE_LOCK:
            _LIVE_WORKERS.discard(self.process)
        self._stderr.last(wait_s=5.0)


#: Run in the interpreter to check: its worker protocol (an older perfbench has none: 1)
#: and, when asked (argv[1] == "1"), whether NNCF imports there.
_PROBE = """
import importlib, json, sys
import openvino, perfbench.runner.worker as worker
nncf = None
if sys.argv[1] == "1":
    try:
        importlib.import_module("nncf")
        nncf = True
    except Exception as exc:
        nncf = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
print(json.dumps({"protocol": getattr(worker, "PROTOCOL", 1), "nncf": nncf}))
"""


def check_interpreter(python: str, flag: str, needs_nncf: bool) -> None:
    """Before anything runs: the interpreter exists, has perfbench and OpenVINO, speaks this
    perfbench's worker protocol, and has NNCF when its side is int8.  This interpreter is
    this perfbench: only its NNCF is looked up, in-process."""
    if python == sys.executable:
        if needs_nncf and not _findable("nncf"):
            raise UsageError(f"{flag} {python}: has no NNCF, needed for an int8 side "
                             "(pip install nncf)")
        return
    probe = _probe(python, flag, needs_nncf)
    if probe.get("protocol") != PROTOCOL:
        raise UsageError(f"{flag} {python}: its perfbench speaks worker protocol "
                         f"{probe.get('protocol')}, this one speaks {PROTOCOL}; install the "
                         "same perfbench there")
    if needs_nncf and probe.get("nncf") is not True:
        raise UsageError(f"{flag} {python}: has no NNCF, needed for an int8 side "
                         f"({probe.get('nncf')})")


def _findable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _probe(python: str, flag: str, needs_nncf: bool) -> dict:
    """What :data:`_PROBE` printed (its last line); a one-line UsageError if it could not."""
    try:
        done = subprocess.run([python, "-c", _PROBE, "1" if needs_nncf else "0"],
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"{flag} {python}: cannot run it ({exc})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise UsageError(f"{flag} {python}: has no usable perfbench and openvino ({last})")
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise UsageError(f"{flag} {python}: did not say which worker protocol it speaks "
                         f"({done.stdout.strip()[-80:]!r})") from None


#: The probe of a side's speed (for the block length) grows PROBE_GROWTH times a try, up
#: to PROBE_TRIES blocks from MIN_BLOCK_S, until it completes PROBE_COMPLETIONS requests.
#: A single 0.1 s probe of a 0.3 s model on a loaded machine, or of a server side at a few
#: queries a second, completed none or one: the block length was a guess (1 s, whatever
#: the model), and the race's block floor, "5 requests of the slowest point", was computed
#: from that guess (0.25 s blocks of a 0.3 s model).
PROBE_COMPLETIONS = 5
PROBE_GROWTH = 4.0
PROBE_TRIES = 3


def probe_block(side: "Side", warmup: float) -> dict:
    """An unrecorded block long enough to say the side's speed: from MIN_BLOCK_S, longer
    until it completes PROBE_COMPLETIONS requests (at most PROBE_TRIES blocks: 0.1, 0.4
    and 1.6 s), so the block length follows the measured service time."""
    seconds = MIN_BLOCK_S
    for _ in range(PROBE_TRIES):
        probe = side.block(seconds, warmup, record=False)
        if probe["completed"] >= PROBE_COMPLETIONS:
            break
        seconds *= PROBE_GROWTH
    return probe


def block_length(probe: dict) -> float:
    """Long enough for BLOCK_REQUESTS requests of the slower side, at least MIN_BLOCK_S;
    after a probe that completed nothing at all, longer than that probe by PROBE_GROWTH
    (at least 1 s): its speed is unknown, only that a request takes longer."""
    rate = probe["completed"] / probe["duration_s"] if probe["duration_s"] > 0 else 0.0
    if rate > 0:
        return max(MIN_BLOCK_S, BLOCK_REQUESTS / rate)
    return max(1.0, PROBE_GROWTH * probe["duration_s"])




def needs_nncf(settings: dict) -> bool:
    """Whether a side's settings quantize its model (``precision`` int8, or ``quantize``
    set), which its interpreter then needs NNCF for."""
    return settings.get("precision") == "int8" or settings.get("quantize") is not None
