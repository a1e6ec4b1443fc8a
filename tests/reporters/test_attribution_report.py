"""The attribution summary of a pass too short for an interval (one epoch, or a Ctrl-C in
the first): said so in words, not a TypeError after the verdict (which lost exit 130)."""

from perfbench.reporters.attribution_report import summary_lines


def _figure(value: float, level: float | None) -> dict:
    bounds = (None, None) if level is None else (value - 0.01, value + 0.01)
    return {"base_ms": 1.0, "new_ms": 1.0 + value, "share_pct": 100 * value,
            "delta_ms": {"value": value, "low": bounds[0], "high": bounds[1], "level": level},
            "ratio": None}


def _attribution(level: float | None) -> dict:
    return {"total": _figure(0.1, level), "counted": _figure(0.08, level),
            "unattributed": {"outside_counters": _figure(0.02, level),
                             "unmatched": _figure(0.0, level)},
            "row_family": {"size": 5, "level": level},
            "type_family": {"size": 3, "level": level},
            "rounds": 2, "epochs": 1, "interval_over": "epochs", "wall_s": 1.5}


def test_a_pass_without_an_interval_says_so():
    lines = summary_lines(_attribution(None))
    assert "no interval" in lines[0] and "family level no interval" in lines[2]
    assert "+0.1000 ms" in lines[0]


def test_a_pass_with_intervals_names_their_levels():
    lines = summary_lines(_attribution(0.99))
    assert "99 %" in lines[0] and "family level 99.00 %" in lines[2]
    assert "[+0.0900, +0.1100]" in lines[0]
