"""``perfbench profiles``: the built-in profiles and what each one sets."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..profiles import builtin_names, load_profile


def profiles_command() -> int:
    table = Table(title="Built-in profiles (perfbench run --profile NAME)", title_justify="left")
    for column in ("name", "description", "settings"):
        table.add_column(column)
    for name in builtin_names():
        profile = load_profile(name)
        settings = ", ".join(f"{k}={v}" for k, v in profile.settings.items())
        table.add_row(name, profile.description, settings)
    Console().print(table)
    return 0
