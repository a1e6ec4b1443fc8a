"""Command line: argument parsing, signals, the live display and one module per command.

May import everything below it; nothing imports ``cli``.
"""

from perfbench.cli.main import main  # noqa: F401
