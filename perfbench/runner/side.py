"""One worker process seen from the parent: :class:`Side` starts it and talks to it, and
:func:`check_interpreter` vets an interpreter before anything is measured.

Shared by interleaved A/B (:mod:`perfbench.runner.ab`) and interleaved sweeps
(:mod:`perfbench.sizing.interleave`); the worker itself is :mod:`perfbench.runner.worker`.
"""

from __future__ import annotations

import json
import os
import subprocess

from perfbench.errors import RunFailed, UsageError

#: A block holds at least this many requests (fewer: too coarse to time), and lasts at
#: least MIN_BLOCK_S; on the probe machine 0.1 s blocks paired better than 0.5 s ones.
BLOCK_REQUESTS = 20
MIN_BLOCK_S = 0.1


class Side:
    """A worker process and the way to talk to it.  With ``wait=False`` the worker compiles
    while the caller starts others; :meth:`wait_ready` collects its answer."""

    def __init__(self, label: str, python: str, settings: dict, wait: bool = True):
        self.label, self.python = label, python
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([python, "-m", "perfbench.runner.worker"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env)
        self.ready: dict = {}
        self._send({"config": settings})
        if wait:
            self.wait_ready()

    def wait_ready(self) -> dict:
        self.ready = self._receive()
        return self.ready

    def ask(self, message: dict) -> dict:
        self._send(message)
        return self._receive()

    def _send(self, message: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass                    # the reply (none) says what happened

    def _receive(self) -> dict:
        try:
            line = self.process.stdout.readline()
        except OSError:
            line = ""
        if not line:
            raise RunFailed(f"{self.label} worker died: {self._last_words()}")
        reply = json.loads(line)
        if "error" in reply:
            error = UsageError if reply.get("usage") else RunFailed
            raise error(f"{self.label}: {reply['error']}")
        return reply

    def _last_words(self) -> str:
        self.process.kill()
        _, err = self.process.communicate()
        lines = [line for line in err.strip().splitlines() if line.strip()]
        code = self.process.returncode
        return (lines[-1][:300] if lines else "no message") + f" (exit status {code})"

    def block(self, seconds: float, warmup: float, record: bool = True) -> dict:
        return self.ask({"block": seconds, "warmup": warmup, "record": record})

    def result(self, interrupted: bool) -> dict:
        """Every block measured so far, as one ``perfbench.result`` document."""
        return self.ask({"result": True, "interrupted": interrupted})["result"]

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write(json.dumps({"quit": True}) + "\n")
                self.process.stdin.flush()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


def check_interpreter(python: str, flag: str, needs_nncf: bool = False) -> None:
    """Before anything runs: the interpreter exists and has perfbench and OpenVINO."""
    try:
        done = subprocess.run([python, "-c", "import perfbench.runner.worker, openvino"],
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"{flag} {python}: cannot run it ({exc})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise UsageError(f"{flag} {python}: has no usable perfbench and openvino ({last})")



def block_length(probe: dict) -> float:
    """Long enough for BLOCK_REQUESTS requests of the slower side, at least MIN_BLOCK_S."""
    rate = probe["completed"] / probe["duration_s"] if probe["duration_s"] > 0 else 0.0
    return max(MIN_BLOCK_S, BLOCK_REQUESTS / rate if rate > 0 else 1.0)




def check_python(python: str, flag: str) -> None:
    """The check without NNCF, for callers that predate :func:`check_interpreter`."""
    check_interpreter(python, flag, needs_nncf=False)
