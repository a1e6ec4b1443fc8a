"""Markdown tables for CI job summaries: one escaping for user text (entry, class and model
names), one layout."""

from __future__ import annotations


def cell(text) -> str:
    """Text in a table cell: a ``|`` would end the cell, a line break the row, and a
    backslash would escape what follows it."""
    return " ".join(str(text).replace("\\", "\\\\").replace("|", "\\|").split())


def table(columns: list[str], rows: list[list[str]], right: tuple[int, ...] = ()) -> list[str]:
    """The table's lines: header, alignment (columns in ``right`` right-aligned) and rows.
    Cells are written as given: escape user text with :func:`cell`."""
    rule = "|" + "".join("---:|" if i in right else "---|" for i in range(len(columns)))
    return ["| " + " | ".join(columns) + " |", rule] + \
        ["| " + " | ".join(row) + " |" for row in rows]
