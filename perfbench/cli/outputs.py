"""Writing a command's outputs after measuring, so that none can lose what was measured.

Every path was checked before measuring, but a disk can fill or a database lock up
meanwhile: each output that fails is named, all on one line, and the document is saved
to a fallback file that the message names.

Every file a command wrote is recorded here (:func:`wrote`) and named on one line once the
command is done (:func:`announce`, called by ``cli.main`` after the terminal report), so
the user learns where ``--json``, ``--html`` and the rest went, for every command.
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from dataclasses import dataclass
from typing import Callable

from perfbench.cli import formats
from perfbench.errors import UsageError
from perfbench.files import fallback_path, write_json

#: (flag, target or None when not asked for, how to write it)
Step = tuple[str, "str | None", Callable[[], None]]

#: (flag, path) of every file written by the command running now, in order.
_written: list[tuple[str, str]] = []


def wrote(flag: str, path: str | None) -> None:
    """Record a file the command wrote (stdout, ``-``, is not a file to name)."""
    if path is not None and path != "-" and (flag, path) not in _written:
        _written.append((flag, path))


def forget() -> None:
    """Start a command with nothing recorded (writes made outside a command, by the API or
    by an earlier command in the same process, are not this one's to name)."""
    _written.clear()


def announce() -> None:
    """One line on stderr naming every file written, then forget them (the next command,
    in the same process, starts afresh)."""
    if _written:
        listed = ", ".join(f"{flag} {path}" for flag, path in _written)
        print(f"perfbench: wrote {listed}", file=sys.stderr)
    _written.clear()


def write_all(steps: list[Step], kind: str, save_fallback: Callable[[str], None],
              what: str) -> bool:
    """Run every asked-for step; False when any failed (then ``save_fallback`` wrote the
    document to a fallback file of ``kind``, and one line on stderr says where)."""
    failed = []
    for flag, target, write in steps:
        if target is None:
            continue
        try:
            write()
        except (OSError, UsageError, sqlite3.Error) as exc:
            failed.append(f"{flag} {target}: {getattr(exc, 'strerror', None) or exc}")
        else:
            wrote(flag, target)
    if failed:
        fallback = fallback_path(kind)
        try:
            save_fallback(fallback)
        except OSError as exc:          # the fallback's disk is full too: still one line
            print(f"perfbench: could not write {'; '.join(failed)}; nor the fallback "
                  f"{fallback}: {exc.strerror or exc}", file=sys.stderr)
            return False
        wrote("fallback", fallback)
        print(f"perfbench: could not write {'; '.join(failed)}; {what} is saved in "
              f"{fallback}", file=sys.stderr)
    return not failed


@dataclass(frozen=True)
class Outputs:
    """Where a command's document goes, one field per output option (None: not asked).
    ``json`` "-" is stdout: the command writes it after its terminal report, so it is not
    a file here.  ``exports``: every ``--export-FORMAT`` asked for, format → destination."""

    json: str | None = None
    markdown: str | None = None
    csv: str | None = None
    plot: str | None = None
    html: str | None = None
    history: str | None = None
    exports: tuple[tuple[str, str], ...] = ()

    def asked(self) -> list[tuple[str, str, object]]:
        """(flag, writer, target) of every output asked for, in the order they are
        written: the document first, the page last (the slowest, the least needed).  Each
        ``--export-FORMAT`` is a step of its own, by the document's one export writer."""
        files = [("--json", None if self.json == "-" else self.json),
                 ("--markdown", self.markdown), ("--csv", self.csv), ("--plot", self.plot),
                 ("--history", self.history)]
        steps: list[tuple[str, str, object]] = [(f, f, t) for f, t in files if t is not None]
        steps += [(f"--export-{fmt}", "--export", {fmt: dest}) for fmt, dest in self.exports]
        if self.html is not None:
            steps.append(("--html", "--html", self.html))
        return steps


def write_outputs(document, outputs: Outputs, what: str,
                  save_fallback: Callable[[str], None] | None = None) -> bool:
    """The one door out of every command: each output asked for, by the document's own
    writer (:data:`perfbench.cli.formats.FORMATS`).  One that fails is named on one line
    and the document is saved to a fallback file the line names, so nothing measured is
    lost (``save_fallback``: how, when the command saves something other than the
    document as it is).  False when any failed."""
    writers = formats.writers_for(document)
    steps: list[Step] = []
    for flag, key, target in outputs.asked():
        shown = ", ".join(target.values()) if isinstance(target, dict) else str(target)
        steps.append((flag, shown, functools.partial(writers[key], document, target)))
    fallback = save_fallback or (lambda path: write_json(path, document.to_dict()))
    return write_all(steps, formats.KIND[type(document)], fallback, what)
