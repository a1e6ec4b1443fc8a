"""argparse options generated from the settings table, so a setting is declared once.

Values are left as strings here: they are parsed by the same :func:`coerce` that checks
profiles and the API, so a bad value gets one message wherever it came from.
"""

from __future__ import annotations

import argparse

from perfbench.errors import UsageError
from perfbench.settings.config import GRID_KEYS, SETTINGS, SWEEP_OPTIONS

GROUP_ORDER = ("model", "device", "measurement", "precision and diagnostics")


class NotInSweep(argparse.Action):
    """A run option that a sweep would silently ignore: refuse it, saying why."""

    def __call__(self, parser, namespace, values, option_string=None):
        raise UsageError(f"sweep: {option_string} does not apply to a sweep; each point "
                         "measures until --until-stable holds or --point-time runs out, once")


def flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def add_setting_options(parser: argparse.ArgumentParser, sweep: bool = False,
                        skip: tuple[str, ...] = ()) -> None:
    """One option per setting; for a sweep, only those a sweep honours, and the grid
    dimensions take comma lists; ``skip`` leaves settings out (the command owns them)."""
    groups = {name: parser.add_argument_group(name) for name in GROUP_ORDER}
    for name, spec in SETTINGS.items():
        if name in skip:
            continue
        names = [n for n in (spec.short, flag(name)) if n]
        if sweep and not spec.in_sweep:
            parser.add_argument(*names, nargs="?", action=NotInSweep, help=argparse.SUPPRESS)
            continue
        group = groups[spec.group]
        help_text = spec.help + (" (a comma list sweeps it)" if sweep and name in GRID_KEYS
                                 else "")
        if spec.cli == "value":
            group.add_argument(*names, dest=name, help=help_text)
        elif spec.cli == "append":
            group.add_argument(*names, dest=name, action="append", metavar=spec.metavar,
                               help=help_text)
        elif spec.cli == "switch":
            group.add_argument(*names, dest=name, action="store_const", const="true",
                               help=help_text)
        elif spec.cli == "toggle":
            group.add_argument(*names, dest=name, action="store_const", const="true",
                               help=help_text)
            group.add_argument(f"--no-{name.replace('_', '-')}", dest=name,
                               action="store_const", const="false", help=argparse.SUPPRESS)
        elif spec.cli == "optional":
            group.add_argument(*names, dest=name, nargs="?", const=spec.const, metavar="PCT",
                               help=help_text)
    if sweep:
        options = parser.add_argument_group("sweep (dimensions take comma lists: --streams 1,2,4)")
        for name, option in SWEEP_OPTIONS.items():
            options.add_argument(flag(name), dest=name, help=option.help)


def given_settings(args: argparse.Namespace, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """The settings the command line gave, still as text, by setting name."""
    return {name: getattr(args, name) for name in SETTINGS
            if name not in skip and getattr(args, name, None) is not None}
