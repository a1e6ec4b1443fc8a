"""The program's entry point (``perfbench`` and ``python -m perfbench``): take the signals
first (see :mod:`perfbench.startup`), then load and run the command line."""

from __future__ import annotations

import sys

from perfbench import startup


def main(argv: list[str] | None = None) -> int:
    startup.take_signals()
    # inside, after the signals are taken: OpenVINO and numpy load below (perfbench.startup)
    from perfbench.cli.main import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
