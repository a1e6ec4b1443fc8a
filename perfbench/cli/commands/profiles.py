"""``perfbench profiles``: the built-in profiles and what each one sets."""

from __future__ import annotations

import argparse

from perfbench.reporters.consoles import report_console
from rich.table import Table

from perfbench.settings.profiles import builtin_names, kind_of, load_profile, read_profile
from perfbench.sizing.spec import load_sweep_profile

HANDLES_SIGNALS = False


def add_parser(sub) -> None:
    sub.add_parser("profiles", help="list built-in profiles")


def run(args: argparse.Namespace) -> int:
    return profiles_command()


def profiles_command() -> int:
    table = Table(title="Built-in profiles (perfbench run|sweep --profile NAME)",
                  title_justify="left")
    for column in ("name", "for", "description", "settings"):
        table.add_column(column)
    for name in builtin_names():
        _, _, description, data = read_profile(name)
        kind = kind_of(data)
        if kind == "run":
            settings = load_profile(name).settings
        else:
            grid, fixed, options = load_sweep_profile(name)
            settings = {**grid, **fixed, **options}
        table.add_row(name, kind, description,
                      ", ".join(f"{k}={v}" for k, v in settings.items()))
    report_console().print(table)
    return 0
