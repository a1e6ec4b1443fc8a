"""Standard streams whose reader may go away (``perfbench run … | head -1``, ``| true``).

A closed pipe only says that the reader wants no more output; it must never stop a
command before its files are written, nor print a traceback.  Python ignores SIGPIPE, so
a write to a closed pipe raises ``BrokenPipeError`` wherever it happens (rich turns it
into ``SystemExit(1)``), and that used to end ``run`` before it wrote ``--json`` and
``--history``.  So for a command's lifetime stdout and stderr are wrapped: the first
EPIPE points the descriptor at /dev/null (the interpreter's last flush then has nowhere
to fail), later writes are dropped, and the command runs to its end.

Exit status after a broken pipe: 141 (128 + SIGPIPE) when the command itself succeeded,
which is what the shell reports for ``seq``, ``cat`` or ``git log`` cut short by their
reader.  0 would claim that all the output was delivered (with ``--json -`` the result
itself may not have been), and 1 already means "regression" or "failed".  A non-zero
status of the command's own (regression, failed write, interrupt, usage error) is kept:
it says more than the pipe does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Iterator

EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


class GuardedStream:
    """A text stream that turns the first broken pipe into silence, and remembers it."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._silence()

    def _silence(self) -> None:
        """Later writes, including ones that bypass this wrapper (C libraries writing to
        the descriptor, the interpreter's flush at exit), go to /dev/null."""
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):     # no descriptor (an in-memory stream)
            pass

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_streams() -> Iterator[list[GuardedStream]]:
    """``sys.stdout`` and ``sys.stderr`` guarded while the block runs (a closed stream,
    None, is left as it is)."""
    saved = sys.stdout, sys.stderr
    guards = [GuardedStream(s) if s is not None else None for s in saved]
    sys.stdout, sys.stderr = guards
    try:
        yield [g for g in guards if g is not None]
    finally:
        sys.stdout, sys.stderr = saved


def exit_status(status: int, guards: list[GuardedStream]) -> int:
    """The command's own status, or 141 when it succeeded but its output was cut short."""
    if status == 0 and any(g.broken for g in guards):
        return EXIT_BROKEN_PIPE
    return status
