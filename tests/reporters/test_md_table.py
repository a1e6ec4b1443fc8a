"""Markdown tables: user text escaped once, columns aligned as asked."""

from perfbench.reporters.md_table import cell, table


def test_a_cell_cannot_end_the_cell_or_the_row():
    assert cell("a|b\nc \\ d") == "a\\|b c \\\\ d"
    assert cell(3) == "3"


def test_a_table_has_its_header_alignment_and_rows():
    assert table(["name", "FPS"], [["x", "1.0"], ["y", "2.0"]], right=(1,)) == [
        "| name | FPS |", "|---|---:|", "| x | 1.0 |", "| y | 2.0 |"]
