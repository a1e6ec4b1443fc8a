"""Student's t quantiles at any level and any (fractional) degrees of freedom.

Intervals built from a few epochs have few degrees of freedom, and interim looks use
levels such as 99 %: a table of 95 % values is not enough, and a normal quantile in their
place would be far too narrow (t at 99.75 % is 4.8 with 5 degrees of freedom, z is 3.0).
No SciPy: the CDF comes from the regularized incomplete beta function (a continued
fraction, evaluated by the modified Lentz method) and the quantile from bisection on it,
which is slow only by the standards of an inner loop (about 60 CDF calls).
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

_EPS = 1e-15
_TINY = 1e-300


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (converges for x < (a+1)/(a+b+2))."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    value = d
    for m in range(1, 500):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            value *= c * d
        if abs(c * d - 1.0) < _EPS:
            break
    return value


def incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, dof: float) -> float:
    """P(T ≤ t) for Student's t with ``dof`` degrees of freedom."""
    if dof <= 0:
        raise ValueError("degrees of freedom must be positive")
    tail = 0.5 * incomplete_beta(dof / 2.0, 0.5, dof / (dof + t * t))
    return 1.0 - tail if t > 0 else tail


@lru_cache(maxsize=4096)
def t_quantile(probability: float, dof: float) -> float:
    """The ``probability`` quantile of Student's t (``dof`` may be fractional, as a
    Satterthwaite approximation gives; infinite means normal)."""
    if not 0.0 < probability < 1.0:
        raise ValueError("probability must be strictly between 0 and 1")
    if math.isinf(dof) or dof > 1e7:
        return NormalDist().inv_cdf(probability)
    if probability < 0.5:
        return -t_quantile(1.0 - probability, dof)
    low, high = 0.0, 1.0
    while t_cdf(high, dof) < probability:
        low, high = high, high * 2.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if t_cdf(middle, dof) < probability:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return 0.5 * (low + high)


def t_critical(dof: float, level: float = 0.95) -> float:
    """The critical value of a two-sided interval at ``level`` with ``dof`` degrees of
    freedom (0.95 → 1.96 for large dof; ``dof`` may be fractional, as Welch's
    Satterthwaite approximation gives, and must be positive).  The one definition:
    ``stats.intervals`` re-exports it."""
    if not 0.0 < level < 1.0:
        raise ValueError("level must be strictly between 0 and 1")
    if not dof > 0:
        raise ValueError("need a positive number of degrees of freedom")
    return t_quantile(0.5 + level / 2.0, dof)
