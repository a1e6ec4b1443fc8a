"""``perfbench report INPUTS -o PAGE`` and the ``--html PATH`` option of the other commands:
one self-contained HTML page (``perfbench.report``)."""

from __future__ import annotations

import sys

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


def argv() -> list[str]:
    return sys.argv[1:]


def report_command(inputs: list[str], output: str) -> int:
    check_html(output, "-o")
    from perfbench.report.page import write_inputs
    from perfbench.sizing.fleet import directory_report
    from perfbench.tracking.verdict import against_first
    size = write_inputs(inputs, argv(), output, fleet_of=directory_report,
                        against_first=against_first)
    print(f"perfbench: wrote {output} ({size / 1e6:.2f} MB)", file=sys.stderr)
    return 0


def write_html(documents: list[tuple[dict, str]], path: str) -> None:
    """The page of a command's own documents (named); an OSError is the caller's to name."""
    from perfbench.report.page import write_documents
    write_documents(documents, argv(), path)


def html_of(documents: list[tuple[dict, str]], path: str | None) -> bool:
    """A command's page after its other outputs; a failure to write it is named on one
    line (the measured figures are already saved).  False when it failed."""
    if path is None:
        return True
    try:
        write_html(documents, path)
    except OSError as exc:
        print(f"perfbench: could not write --html {path}: {exc.strerror or exc}",
              file=sys.stderr)
        return False
    from perfbench.cli.outputs import wrote
    wrote("--html", path)
    return True
