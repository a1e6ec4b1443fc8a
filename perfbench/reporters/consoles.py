"""Consoles for reports: rich falls back to 80 columns when output is not a terminal, which
wraps wide tables into unreadable cells in CI logs; piped output gets 120 instead."""

from __future__ import annotations

from rich.console import Console

PIPED_WIDTH = 120


def report_console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, width=PIPED_WIDTH)
    return console
