"""The argument parser, built from the command modules (:mod:`perfbench.cli.commands`):
each declares its own sub-parser; the run settings come from the table in
``perfbench.settings.config``, through :mod:`perfbench.cli.options`."""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType

from perfbench import __version__
from perfbench.cli.arguments import Parser
from perfbench.cli.commands import COMMANDS

_BY_NAME = {module.replace("_", "-"): module for module in COMMANDS}


def chosen(argv: list[str] | None) -> list[str]:
    """The command modules a command line needs: the one it names (the first word, the
    top level taking no option with a value), else every one (``--help``, an alias, an
    unknown name: their text lists all commands)."""
    word = next((token for token in argv or () if not token.startswith("-")), None)
    return [_BY_NAME[word]] if word in _BY_NAME else list(COMMANDS)


def command_modules(argv: list[str] | None) -> list[ModuleType]:
    # Only the modules asked for: the others' imports (OpenVINO, for the commands that
    # measure) stay unloaded, so compare, history or report start fast, and run where
    # OpenVINO is not installed.
    return [importlib.import_module(f"perfbench.cli.commands.{name}")
            for name in chosen(argv)]


def make_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv`` (every command when None); each sub-parser's namespace
    carries its module as ``command_module``."""
    parser = Parser(prog="perfbench", description="Throughput/latency benchmarks for "
                    "OpenVINO inference.")
    parser.add_argument("--version", action="version", version=f"perfbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in command_modules(argv):
        before = set(sub.choices)
        module.add_parser(sub)
        for name in set(sub.choices) - before:
            sub.choices[name].set_defaults(command_module=module)
    return parser
