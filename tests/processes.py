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
    """Read ``proc``'s stderr until it contains ``marker``; return what was read.  Fails if
    the process exits or stays silent past ``timeout`` first.

    Reads the raw file descriptor: select() on a buffered stream misses lines that already
    sit in its buffer (two lines arriving in one chunk would leave the second unseen until
    the process writes again).  Nothing after the marker's chunk is consumed, so
    ``communicate()`` still returns what the process writes later."""
    fd = proc.stderr.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=1.0):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"exited before {marker!r}: {seen.decode()}")
            seen += chunk
            if marker.encode() in seen:
                return seen.decode().splitlines(keepends=True)
    raise AssertionError(f"no {marker!r} within {timeout} s: {seen.decode()}")


#: The checkout these tests belong to (not the working directory pytest was started in).
CHECKOUT = str(Path(__file__).resolve().parent.parent)


def checkout_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess that must import this checkout's perfbench."""
    return dict(os.environ, PYTHONPATH=CHECKOUT, **extra)
