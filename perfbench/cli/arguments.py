"""What several commands' arguments share: the parser class, the output and exporter
option groups, and the checks that go with them, made before anything is measured.

Each command declares its own options in its module (``perfbench.cli.commands``); the
run settings come from the settings table through :mod:`perfbench.cli.options`.
"""

from __future__ import annotations

import argparse

from perfbench.cli.options import flag, given_settings
from perfbench.errors import UsageError
from perfbench.files import check_writable
from perfbench.report.html import require_plotly
from perfbench.settings.config import coerce

#: Settings an A/B run does not take (``ab`` and ``suite --ab``): the models are its
#: arguments, and it decides itself how long and in what blocks each side measures.
AB_SKIPS = ("model", "time", "iterations", "until_stable", "max_time", "repeat", "recompile",
            "roofline", "perf_counters", "data_shape", "exec_graph")


class Parser(argparse.ArgumentParser):
    """Errors become one-line UsageErrors (argparse would print the whole usage block).
    No abbreviations: ``--hist`` would otherwise pass for ``--history`` and slip past
    checks that look for an option by its name (fleet run's owned options)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # argparse's default prints the whole usage block
        raise UsageError(message)


def add_output_options(p: argparse.ArgumentParser, tracking: bool = True) -> None:
    """run's and sweep's output group (sweep has no history or exporters)."""
    out = p.add_argument_group("output")
    out.add_argument("--profile", help="profile name (see `perfbench profiles`) or .toml path")
    out.add_argument("--json", help="write the result as JSON to this path (- for stdout)")
    out.add_argument("-q", "--quiet", action="store_true", help="no live progress display")
    out.add_argument("-v", "--verbose", action="store_true",
                     help="print each phase (compiled, warming up, measuring) to stderr")
    add_html_option(out)
    if tracking:
        add_tracking_options(out)


def add_html_option(group) -> None:
    group.add_argument("--html", metavar="PATH", help="also write a self-contained HTML "
                       "report (needs perfbench[report])")


def add_tracking_options(group) -> None:
    group.add_argument("--history", metavar="DB", help="append the result to this SQLite "
                       "history database")
    add_exporter_options(group)


def add_exporter_options(group) -> None:
    group.add_argument("--export-gab", metavar="PREFIX", help="github-action-benchmark JSON: "
                       "PREFIX-bigger.json and PREFIX-smaller.json")
    group.add_argument("--export-bmf", metavar="PATH", help="Bencher Metric Format JSON")
    group.add_argument("--export-csv", metavar="PATH", help="CSV of the main figures")


def run_settings(args: argparse.Namespace, skip: tuple[str, ...] = ()) -> dict:
    """The run settings the command line gave, each parsed and checked (``coerce``)."""
    return {key: coerce(key, value, flag(key))
            for key, value in given_settings(args, skip).items()}


def exports(args: argparse.Namespace) -> dict[str, str]:
    """Requested exporters -> destination, each checked before anything is measured."""
    found = {}
    for option in ("gab", "bmf", "csv"):
        destination = getattr(args, f"export_{option}")
        if destination is not None:
            paths = [f"{destination}-bigger.json"] if option == "gab" else [destination]
            for path in paths:
                check_writable(path, f"--export-{option}")
            found[option] = destination
    return found


def check_writable_all(*paths: tuple[str | None, str]) -> None:
    """Each (path, option) given can be written: checked before anything is measured."""
    for path, option in paths:
        if path is not None:
            check_writable(path, option)


def check_html(path: str | None, option: str = "--html") -> None:
    """Before anything is measured: the page can be written and the extra is installed."""
    if path is None:
        return
    if not path.endswith((".html", ".htm")):
        raise UsageError(f"{option}: the report file must end in .html")
    check_writable(path, option)
    require_plotly()
