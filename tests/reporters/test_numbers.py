import pytest

from perfbench.reporters.numbers import readable, signed_pct


@pytest.mark.parametrize("value,text", [(23331.4, "23,331"), (912.44, "912.4"),
                                        (21.374, "21.37"), (0.06951, "0.0695"),
                                        (None, "–"), (-1500.0, "-1,500")])
def test_readable_numbers_never_use_exponents(value, text):
    assert readable(value) == text


def test_compare_table_shows_plain_numbers(capsys):
    from rich.console import Console

    from perfbench.reporters import comparison
    from perfbench.tracking.verdict import compare, parse_thresholds
    from tests.models import synthetic_result
    result = compare([synthetic_result([23331.0, 23340.0])],
                     [synthetic_result([23300.0, 23290.0])], ["a"], ["b"],
                     parse_thresholds([]))
    comparison.render(result, Console(width=200))
    out = capsys.readouterr().out
    assert "e+0" not in out and "23,336" in out
    assert signed_pct(None) == "n/a"


def test_info_shows_memory_in_gib(capsys):
    from perfbench.cli.main import main
    assert main(["info"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if "memory_total_bytes" in l)
    assert "GiB" in line


def test_a_small_model_cost_shows_significant_digits(tiny_ir, capsys):
    """2·8·32·32·27 FLOPs = 0.0004424 GFLOPs per image, not "0.000"; the built-in keeps
    its card figure's three decimals."""
    from perfbench.cli.main import main
    from perfbench.reporters.numbers import gflops_text
    assert [gflops_text(v) for v in (22.227, 0.000442368, 0.06951, 0.0)] == \
        ["22.227", "0.0004424", "0.06951", "0"]
    assert main(["run", "-m", tiny_ir, "-n", "5"]) == 0
    assert "0.0004424 GFLOPs/image" in capsys.readouterr().out
