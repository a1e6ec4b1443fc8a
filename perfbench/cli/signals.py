"""Signals during a run or sweep: the first stops it cleanly, a second exits at once.

The benchmark runs in a worker thread so that the main thread is always free to take
signals: OpenVINO can block inside C++ for a whole inference, and Python only runs signal
handlers in the main thread.  The first SIGINT/SIGTERM asks the run to stop at the next
window boundary (what was measured is reported and written, marked "interrupted"); a second
one exits at once.  A signal that arrived before the command took over (remembered by
:mod:`perfbench.startup` while modules loaded) counts as that first one.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from perfbench import startup

EXIT_SIGNAL_BASE = 128
_HANDLED = (signal.SIGINT, signal.SIGTERM)


def kill_live_workers() -> None:
    """Kill the A/B and interleaved-sweep workers still running
    (:func:`perfbench.runner.side.kill_live_workers`).  Looked up, not imported: none can
    exist unless their module was loaded, and importing it would load OpenVINO."""
    side = sys.modules.get("perfbench.runner.side")
    if side is not None:
        side.kill_live_workers()


class SignalStop:
    """Turns the first signal into a stop request and the second into an immediate exit."""

    def __init__(self, on_hard_exit=()) -> None:
        """``on_hard_exit``: callables run before the immediate exit, which skips every
        ``finally`` (a suite kills its entries' process groups, each in its own session).
        Live A/B and interleaved-sweep workers are always killed: they would go on
        running their block (or compile) after us, on cores the next measurement needs."""
        self.on_hard_exit = [kill_live_workers, *on_hard_exit]
        self.event = threading.Event()
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}     # what signal.signal returned

    def _handle(self, signum, frame) -> None:
        if self.signum is not None:
            for hook in self.on_hard_exit:
                try:
                    hook()
                except Exception:  # an exit that cannot fail: the next hook still runs
                    pass
            os._exit(EXIT_SIGNAL_BASE + signum)
        self.signum = signum
        self.event.set()

    def __enter__(self) -> "SignalStop":
        for signum in _HANDLED:
            self._previous[signum] = signal.signal(signum, self._handle)
        if startup.pending:
            self._handle(startup.pending.pop(0), None)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    @property
    def exit_code(self) -> int:
        return 0 if self.signum is None else EXIT_SIGNAL_BASE + self.signum


def run_in_worker(function, *args, **kwargs):
    """Call ``function`` in a thread, waiting in short slices so signals are handled."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="perfbench-run", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
