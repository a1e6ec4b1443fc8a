"""Student t quantiles against published table values and limiting cases."""

import math

import pytest

from perfbench.stats.tdist import incomplete_beta, t_cdf, t_critical, t_quantile


@pytest.mark.parametrize("level, dof, expected", [
    (0.95, 1, 12.7062), (0.95, 3, 3.1824), (0.95, 10, 2.2281), (0.95, 30, 2.0423),
    (0.99, 5, 4.0321), (0.99, 10, 3.1693), (0.995, 5, 4.7733), (0.90, 4, 2.1318),
    (0.999, 20, 3.8495)])
def test_two_sided_critical_values_match_the_tables(level, dof, expected):
    assert t_critical(dof, level) == pytest.approx(expected, abs=1e-4)


def test_large_dof_is_normal_and_fractional_dof_lies_between():
    assert t_critical(math.inf, 0.95) == pytest.approx(1.959964, abs=1e-6)
    assert t_critical(1e6, 0.95) == pytest.approx(1.959964, abs=1e-4)
    assert t_critical(4, 0.95) > t_critical(4.5, 0.95) > t_critical(5, 0.95)


def test_cdf_and_quantile_are_inverse_and_symmetric():
    for dof in (1, 2.5, 7, 40):
        for p in (0.01, 0.3, 0.5, 0.9, 0.999):
            assert t_cdf(t_quantile(p, dof), dof) == pytest.approx(p, abs=1e-9)
        assert t_quantile(0.2, dof) == pytest.approx(-t_quantile(0.8, dof))


def test_one_dof_is_cauchy():
    """t with one degree of freedom is the Cauchy distribution: closed form."""
    for x in (-3.0, -0.5, 0.7, 10.0):
        assert t_cdf(x, 1) == pytest.approx(0.5 + math.atan(x) / math.pi, abs=1e-10)


def test_incomplete_beta_closed_forms():
    assert incomplete_beta(1, 1, 0.3) == pytest.approx(0.3)          # uniform
    assert incomplete_beta(2, 1, 0.4) == pytest.approx(0.16)         # x^2
    assert incomplete_beta(1, 3, 0.5) == pytest.approx(1 - 0.5 ** 3)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        t_quantile(1.0, 3)
    with pytest.raises(ValueError):
        t_critical(0, 0.95)


def test_one_critical_value_one_definition():
    """``t_critical(dof, level)`` and ``t_two_sided(level, dof)`` were one value with the
    arguments swapped, in two modules; now there is one, re-exported by intervals."""
    from perfbench.stats import intervals, tdist
    assert intervals.t_critical is tdist.t_critical
    assert not hasattr(tdist, "t_two_sided")
    assert t_critical(0.5, 0.95) > t_critical(1, 0.95)      # Welch's fractional dof
