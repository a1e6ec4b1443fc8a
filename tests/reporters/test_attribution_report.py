"""The attribution summary of a pass too short for an interval (one epoch, or a Ctrl-C in
the first): said so in words, not a TypeError after the verdict (which lost exit 130)."""

from perfbench.reporters.attribution_report import summary_lines
from perfbench.results.attribution import (Attribution, AttributionTable, Family,
                                           ProfilingPass, TimeChange)
from perfbench.results.interval import Interval


def _figure(value: float, level: float | None) -> TimeChange:
    delta = Interval(value) if level is None else Interval(value, value - 0.01,
                                                           value + 0.01, level)
    return TimeChange(1.0, 1.0 + value, delta, 100 * value, None,
                      None if level is None else False)


def _attribution(level: float | None, wall_s: float | None = 1.5) -> Attribution:
    judged = level is not None          # no interval: no level or family level claimed
    table = AttributionTable(2, 1, "epochs" if judged else None, 0.95 if judged else None,
                             "bonferroni", Family(5, level),
                             Family(3, level), _figure(0.1, level), _figure(0.08, level),
                             _figure(0.02, level), _figure(0.0, level), (), ())
    return Attribution("complete", None, ProfilingPass(True, "PERF_COUNT", 0.2, ("AB",),
                                                       1.0, wall_s, {"base": 10, "new": 10}),
                       table)


def test_a_pass_without_an_interval_says_so():
    lines = summary_lines(_attribution(None))
    assert "no interval" in lines[0] and "+0.1000 ms" in lines[0]
    assert lines[2].startswith("no intervals (one round: nothing to take one over), so "
                               "nothing judged;")
    assert "intervals over" not in lines[2] and "family level" not in lines[2]


def test_a_pass_with_intervals_names_their_levels():
    lines = summary_lines(_attribution(0.99))
    assert "99 %" in lines[0] and "family level 99.00 %" in lines[2]
    assert "[+0.0900, +0.1100]" in lines[0]


def test_the_unattributed_part_is_the_documents_outside_plus_unmatched():
    lines = summary_lines(_attribution(0.99))
    assert "unattributed +0.0200 ms" in lines[1]


def test_a_pass_with_no_wall_time_recorded_still_prints():
    assert "perf counters on, not the verdict's" in summary_lines(_attribution(0.99, None))[2]


def test_the_markdown_table_has_the_terminal_s_cells_with_names_escaped():
    """``compare --attribute --markdown``: one row a node, its cells the terminal's, a
    ``|`` in a node's name escaped so it cannot end the cell."""
    from perfbench.reporters.attribution_report import markdown, row_cells
    from perfbench.results.attribution import AttributionRow
    row = AttributionRow("a|b", "Convolution", ("a|b",), ("a|b",), True,
                         ("execType jit_avx2 → brgemm",), _figure(0.05, 0.99))
    lines = markdown([row, row], True, 1)
    assert len(lines) == 3 and lines[1].startswith("|---:|---|---|---:|")
    assert lines[2].startswith("| 1 | a\\|b | Convolution | 1.0000 | 1.0500 | ")
    assert " | +0.0500 [+0.0400, +0.0600] | " in lines[2]
    assert lines[2].endswith(" | execType jit_avx2 → brgemm |")
    assert row_cells(1, row, True)[1] == "a|b"
