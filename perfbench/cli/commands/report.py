"""``perfbench report INPUTS -o PAGE`` and the ``--html PATH`` option of the other commands:
one self-contained HTML page (``perfbench.report``)."""

from __future__ import annotations

import sys

from perfbench.cli.formats import argv
from perfbench.files import check_writable


def check_html(path: str | None, flag: str = "--html") -> None:
    """Before anything is measured: the page can be written and the extra is installed."""
    if path is None:
        return
    from perfbench.errors import UsageError
    if not path.endswith((".html", ".htm")):
        raise UsageError(f"{flag}: the report file must end in .html")
    check_writable(path, flag)
    from perfbench.report.html import require_plotly
    require_plotly()


def report_command(inputs: list[str], output: str) -> int:
    check_html(output, "-o")
    from perfbench.report.page import write_inputs
    from perfbench.sizing.fleet import directory_report
    from perfbench.tracking.verdict import against_first
    size = write_inputs(inputs, argv(), output, fleet_of=directory_report,
                        against_first=against_first)
    print(f"perfbench: wrote {output} ({size / 1e6:.2f} MB)", file=sys.stderr)
    return 0
