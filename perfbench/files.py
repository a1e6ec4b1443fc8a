"""Output files: checked before a run starts, written atomically after it ends.

A crash or a full disk must never leave a truncated JSON where a good one was, and an
unwritable path must be reported before minutes of measuring, not after.
"""

from __future__ import annotations

import os
import tempfile

from perfbench.errors import UsageError


def check_writable(path: str, flag: str) -> None:
    if path == "-":
        return
    if not path.strip() or "\x00" in path:
        raise UsageError(f"{flag}: expected a file path, got {path!r:.40}")
    if os.path.isdir(path):
        raise UsageError(f"{flag}: {path} is a directory, not a file")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{flag}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"{flag}: {path} is not writable")


def atomic_write(path: str, text: str) -> None:
    """Write to a temp file in the same directory, fsync, then rename over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".perfbench-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
