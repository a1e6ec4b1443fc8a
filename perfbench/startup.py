"""Signals during start-up: remembered, not raised.

Installed by :mod:`perfbench.entry` before anything heavy is imported: a Ctrl-C that
arrives while OpenVINO or numpy load would otherwise raise KeyboardInterrupt inside their
import code, which prints a traceback, or is swallowed by a bare ``except`` there and lost
(the run then went on for its full time).  Until a command installs its own handling, a
signal is only remembered; the CLI acts on it at its next step.  A second one exits at once.
Imports nothing of perfbench, so installing it costs nothing.
"""

from __future__ import annotations

import os
import signal

HANDLED = (signal.SIGINT, signal.SIGTERM)
#: Signals received before a command took over, oldest first.
pending: list[int] = []


def _remember(signum, frame) -> None:
    if pending:
        os._exit(128 + signum)
    pending.append(signum)


def take_signals() -> None:
    for signum in HANDLED:
        signal.signal(signum, _remember)


def release_signals() -> None:
    """Default behaviour again (Ctrl-C raises KeyboardInterrupt), for commands that do
    not handle signals themselves."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
