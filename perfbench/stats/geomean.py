"""The geometric mean of per-entry ratios over a suite, with an interval, under two models.

Each entry i contributes its log-ratio ``x_i = ln(NEW_i / BASE_i)`` and the variance
``v_i`` of that log-ratio from its own comparison.  The geomean ratio is ``exp(mean x)``,
never a ratio of geomeans of raw FPS (a fast model would weigh more than a slow one).

**Two separate suite runs** (``--baseline``, ``--history``): a suite run is one draw of the
machine's state.  Model: ``x_i = θ + δ + ε_i``, with ``δ`` the run-level shift (drift, a
slower day) that hits every entry of the run alike, variance ``σ²``, and ``ε_i`` the entry's
own deviation (its true difference from θ plus its own noise), variance ``τ²``.  Then
``Var(mean x) = σ² + τ²/N``: only the entry part shrinks with N.  ``τ²`` is estimated by the
between-entry variance ``s²`` of the ``x_i``; ``σ²`` cannot be told apart from θ within one
pair of runs, so it is bounded by the typical single entry's run-to-run variance, the mean
of the ``v_i`` (each of which, for one run per side, holds compare's run-to-run noise
floor), and counted **once**, not divided by N.  The interval is
``mean x ± t(ν) · sqrt(s²/N + mean v)`` with Welch–Satterthwaite ``ν``: the between-entry
term carries N−1 degrees of freedom, the run-level term those of its samples (infinite
when it is compare's known noise floor), so a floor does not get t(N−1)'s penalty.  The
between-entry term treats the entries as drawn from models like them (scope below).

**Interleaved A/B per entry** (``--ab``): both sides run under the same drift, so the ``v_i``
are independent and there is no run-level term.  *Fixed* (about these models):
``Var = Σ v_i / N²``, t with the Satterthwaite degrees of freedom of the ``v_i``' own
(each from a t interval with few).  *Random* (about models like them):
``Var = s² / N``, t with N−1 degrees of freedom.  Both are reported with the spread
between models ``s``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from perfbench.stats.intervals import Z_95, t_critical, z_two_sided


@dataclass(frozen=True)
class GeomeanRatio:
    ratio: float
    ci_low: float
    ci_high: float
    scope: str
    entries: int
    between_sd_pct: float | None       # spread of the entries' ratios (s, as a %)
    run_sd_pct: float | None = None    # run-level noise counted once (separate runs)

    def to_dict(self) -> dict:
        return asdict(self)


def _between_variance(log_ratios: list[float]) -> float | None:
    return statistics.variance(log_ratios) if len(log_ratios) >= 2 else None


def _interval(centre: float, half: float) -> tuple[float, float, float]:
    return math.exp(centre), math.exp(centre - half), math.exp(centre + half)


def satterthwaite(terms: Sequence[tuple[float, float | None]]) -> float:
    """Degrees of freedom of a sum of variance terms ``(variance, dof)``; a dof of None or
    infinity is a known variance and adds none.  Infinite when every term is known."""
    estimated = sum(v * v / d for v, d in terms
                    if d is not None and not math.isinf(d) and v > 0)
    total = sum(v for v, _ in terms)
    return math.inf if estimated == 0 else total * total / estimated


def _critical(dof: float, level: float = 0.95) -> float:
    if math.isinf(dof):
        return Z_95 if level == 0.95 else z_two_sided(level)
    return t_critical(max(dof, 1.0), level)


def _pct(variance: float | None) -> float | None:
    return None if variance is None else 100 * math.sqrt(variance)


def separate_runs(log_ratios: list[float], variances: list[float],
                  dofs: list[float | None] | None = None) -> GeomeanRatio | None:
    """Two separate suite runs: between-entry spread over N plus run-level noise once.
    ``dofs``: each ``v_i``'s degrees of freedom (None: a known floor, the default)."""
    n = len(log_ratios)
    if n == 0:
        return None
    between = _between_variance(log_ratios)
    run_level = statistics.fmean(variances)
    terms: list[tuple[float, float | None]] = [((between or 0.0) / n,
                                                 n - 1 if n >= 2 else None)]
    terms += [(v / n, d) for v, d in zip(variances, dofs or [None] * n)]
    half = _critical(satterthwaite(terms)) * math.sqrt(sum(v for v, _ in terms))
    ratio, low, high = _interval(statistics.fmean(log_ratios), half)
    return GeomeanRatio(ratio, low, high, "random: models like these, run-level noise "
                        "counted once", n, _pct(between), _pct(run_level))


def fixed_models(log_ratios: list[float], variances: list[float],
                 dofs: list[float | None] | None = None,
                 level: float = 0.95) -> GeomeanRatio | None:
    """Interleaved A/B entries, about these models: each entry's own error, independent,
    with the Satterthwaite degrees of freedom of the entries' own (None: known)."""
    n = len(log_ratios)
    if n == 0:
        return None
    terms = [(v / n**2, d) for v, d in zip(variances, dofs or [None] * n)]
    half = _critical(satterthwaite(terms), level) * math.sqrt(sum(variances)) / n
    ratio, low, high = _interval(statistics.fmean(log_ratios), half)
    return GeomeanRatio(ratio, low, high, "fixed: these models", n,
                        _pct(_between_variance(log_ratios)))


def random_models(log_ratios: list[float]) -> GeomeanRatio | None:
    """Interleaved A/B entries, about models like them: the spread between models."""
    n = len(log_ratios)
    between = _between_variance(log_ratios)
    if between is None:
        return None
    half = t_critical(n - 1) * math.sqrt(between / n)
    ratio, low, high = _interval(statistics.fmean(log_ratios), half)
    return GeomeanRatio(ratio, low, high, "random: models like these", n, _pct(between))


def log_variance(ci_low: float, ci_high: float, dof: float | None, level: float = 0.95) -> float:
    """The variance of a log-ratio, recovered from its (log-symmetric) interval."""
    known = dof is None or dof <= 0 or math.isinf(dof)
    critical = z_two_sided(level) if known else t_critical(dof, level)
    return ((math.log(ci_high) - math.log(ci_low)) / (2 * critical)) ** 2
