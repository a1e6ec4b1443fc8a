"""Writing a command's outputs after measuring, so that none can lose what was measured.

Every path was checked before measuring, but a disk can fill or a database lock up
meanwhile: each output that fails is named, all on one line, and the document is saved
to a fallback file that the message names.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Callable

from perfbench.errors import UsageError
from perfbench.files import fallback_path

#: (flag, target or None when not asked for, how to write it)
Step = tuple[str, "str | None", Callable[[], None]]


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
    if failed:
        fallback = fallback_path(kind)
        save_fallback(fallback)
        print(f"perfbench: could not write {'; '.join(failed)}; {what} is saved in "
              f"{fallback}", file=sys.stderr)
    return not failed
