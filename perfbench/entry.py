"""The program's entry point (``perfbench`` and ``python -m perfbench``).

Signal handling comes first, before anything heavy is imported: a Ctrl-C that arrives
while OpenVINO or numpy load would otherwise raise KeyboardInterrupt inside their import
code, which prints a traceback, or is swallowed by a bare ``except`` there and lost (the
run then went on for its full time).  Until a command installs its own handling, a signal
is only remembered; the CLI acts on it at its next step.  A second signal exits at once.
"""

from __future__ import annotations

import os
import signal
import sys

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


def main(argv: list[str] | None = None) -> int:
    take_signals()
    from perfbench.cli.main import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
