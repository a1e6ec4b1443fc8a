"""Subprocess helpers for signal tests: wait for what the process says, never for a time."""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from pathlib import Path

#: Generous: only a broken program takes this long to reach its next phase.
MARKER_TIMEOUT_S = 300


def wait_for_marker(proc: subprocess.Popen, marker: str,
                    timeout: float = MARKER_TIMEOUT_S) -> list[str]:
    """Read ``proc``'s stderr line by line until a line contains ``marker``; return the
    lines read.  Fails if the process exits or stays silent past ``timeout`` first."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=1.0):
                continue
            line = proc.stderr.readline()
            if not line:
                raise AssertionError(f"exited before {marker!r}: {''.join(seen)}")
            seen.append(line)
            if marker in line:
                return seen
    raise AssertionError(f"no {marker!r} within {timeout} s: {''.join(seen)}")


#: The checkout these tests belong to (not the working directory pytest was started in).
CHECKOUT = str(Path(__file__).resolve().parent.parent)


def checkout_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess that must import this checkout's perfbench."""
    return dict(os.environ, PYTHONPATH=CHECKOUT, **extra)
