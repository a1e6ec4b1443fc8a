"""``perfbench report INPUTS -o PAGE``: one self-contained HTML page (``perfbench.report``)
from any perfbench documents (the ``--html PATH`` of the other commands goes through the
one door, ``cli.outputs``)."""

from __future__ import annotations

import argparse
import sys

from perfbench.cli.arguments import check_html
from perfbench.cli.formats import argv
from perfbench.report.page import write_inputs
from perfbench.sizing.fleet import directory_report
from perfbench.tracking.verdict import against_first

HANDLES_SIGNALS = False


def add_parser(sub) -> None:
    report = sub.add_parser("report", help="one offline HTML page from perfbench results "
                            "(needs perfbench[report])")
    report.add_argument("inputs", nargs="+", metavar="INPUT", help="result, shapes, sweep, "
                        "A/B, fleet report or suite JSON; fleet or suite directories; "
                        "history databases")
    report.add_argument("-o", "--output", required=True, metavar="PAGE.html",
                        help="the report file")


def run(args: argparse.Namespace) -> int:
    return report_command(args.inputs, args.output)


def report_command(inputs: list[str], output: str) -> int:
    check_html(output, "-o")
    size = write_inputs(inputs, argv(), output, fleet_of=directory_report,
                        against_first=against_first)
    print(f"perfbench: wrote {output} ({size / 1e6:.2f} MB)", file=sys.stderr)
    return 0
