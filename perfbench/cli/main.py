"""Command-line interface: parse, hand the options to the chosen command's module
(:mod:`perfbench.cli.commands`), which checks them, runs and reports.

Every user mistake surfaces as one ``perfbench: error: …`` line on stderr with exit status 2.
"""

from __future__ import annotations

import logging
import sys

from perfbench import startup
from perfbench.cli.outputs import announce, forget
from perfbench.cli.parser import command_modules, make_parser
from perfbench.cli.pipes import exit_status, guarded_streams
from perfbench.errors import Interrupted, RunFailed, UsageError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _log_phases(verbose: bool) -> None:
    logger = logging.getLogger("perfbench")
    if verbose and not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("perfbench: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    """Run one command; a reader that closes the pipe early never stops it (``cli.pipes``)."""
    with guarded_streams() as guards:
        status = _main(argv)
    return exit_status(status, guards)


def _main(argv: list[str] | None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        for module in command_modules(argv):
            if hasattr(module, "check_argv"):
                module.check_argv(argv)
        args = make_parser(argv).parse_args(argv)
        if startup.pending:        # a Ctrl-C while the program started: stop here
            raise Interrupted("interrupted")
        if not args.command_module.HANDLES_SIGNALS:
            startup.release_signals()
        _log_phases(getattr(args, "verbose", False))
        forget()
        try:
            return args.command_module.run(args)
        finally:
            announce()          # where every file went, after the terminal report
    except UsageError as exc:
        # one line whatever the message quotes: a path given as "/\n" stays escaped
        message = str(exc).replace("\n", "\\n")
        print(f"perfbench: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except RunFailed as exc:
        print(f"perfbench: run failed: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Interrupted):  # before a command took over the signals
        print("perfbench: interrupted", file=sys.stderr)
        return 128 + startup.pending[0] if startup.pending else EXIT_INTERRUPTED
