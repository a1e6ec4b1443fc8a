"""Output files: checked before a run starts, written atomically after it ends.

A crash or a full disk must never leave a truncated JSON where a good one was, and an
unwritable path must be reported before minutes of measuring, not after.  Missing parent
directories are created (CI caches start empty), a file keeps its permissions when it is
replaced, and a new one gets the umask's, as any other program's output would.
"""

from __future__ import annotations

import datetime
import json
import os
import stat
import sys
import tempfile

from perfbench.errors import UsageError


def check_directory_writable(directory: str, flag: str) -> None:
    """Create ``directory`` and really create a probe file in it (``os.access`` says yes
    to root everywhere, /proc included): one line naming ``flag`` when it cannot be."""
    try:
        os.makedirs(directory, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".perfbench-probe-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{flag}: cannot write in {directory}: "
                         f"{exc.strerror or exc}") from None


def check_writable(path: str, flag: str) -> None:
    """Refuse, before anything is measured, a path the result could not be written to:
    the parent directory is created and a probe file is really created there (``os.access``
    says yes to root everywhere, /proc included)."""
    if path == "-":
        return
    if not path.strip() or "\x00" in path:
        raise UsageError(f"{flag}: expected a file path, got {path!r:.40}")
    if os.path.isdir(path):
        raise UsageError(f"{flag}: {path} is a directory, not a file")
    parent = os.path.dirname(os.path.abspath(path))
    check_directory_writable(parent, flag)
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise UsageError(f"{flag}: {path} is not writable")


def _mode_for(path: str) -> int:
    """The existing file's permissions, else what the umask gives a new file."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str, text: str) -> None:
    """Write to a temp file in the same directory, fsync, then rename over ``path``.  A
    symlink is written through (its target replaced, the link kept), and so is anything
    that is not a regular file (a FIFO, a device such as /dev/stdout or /dev/full): a
    rename would replace it with a regular file."""
    path = os.path.realpath(path)
    if _special(path):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=".perfbench-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _special(path: str) -> bool:
    """``path`` exists and is neither a regular file nor a directory."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def json_text(data: object) -> str:
    """Strict JSON: NaN or an infinity is a bug to surface, never a file other tools reject."""
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def write_json(path: str, data: object) -> None:
    """``data`` as strict JSON to ``path`` (atomically), or to stdout for ``-``."""
    text = json_text(data)
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write(path, text)


def fallback_path(kind: str) -> str:
    """Where a result goes when the asked-for path failed after measuring."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join(tempfile.gettempdir(), f"perfbench-{kind}-{stamp}-{os.getpid()}.json")
