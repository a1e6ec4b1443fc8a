"""Paired ratios of interleaved rounds at the round level, and the verdict rule.

Each round measures the compared sides back to back, so a slow drift of the machine hits
both alike; the round's log-ratio cancels it.  The ratio is exp(mean log-ratio) with a
t-interval of the mean, its variance inflated for lag-1 autocorrelation between rounds.

This interval counts round-to-round noise only, not the process level (each side is one
process for the whole run); interleaved sweeps label it "round-level only".  ``perfbench
ab`` restarts its workers in epochs and uses :mod:`perfbench.stats.two_level` instead, with
the stopping rule of :mod:`perfbench.stats.sequential`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from perfbench.stats.intervals import lag1_autocorrelation, t_critical

class RatioFigures:
    """The change and the interval's half-width of a ratio NEW/BASE with ``low``/``high``,
    in per cent: one definition for every ratio type (round-level, two-level, tails)."""

    ratio: float          # each subclass's fields
    low: float
    high: float

    @property
    def change_pct(self) -> float:
        return 100 * (self.ratio - 1)

    @property
    def half_width_pct(self) -> float:
        return 100 * (self.high - self.low) / 2 / self.ratio


@dataclass(frozen=True)
class PairedRatio(RatioFigures):
    ratio: float            # NEW / BASE
    low: float              # 95 % (final) or interim-level interval of the ratio
    high: float
    rounds: int
    spread_pct: float       # standard deviation of the per-round log-ratios, in %


def paired_ratio(log_ratios: list[float], level: float = 0.95) -> PairedRatio | None:
    """The ratio and its round-level interval from per-round log-ratios; None below 3."""
    n = len(log_ratios)
    if n < 3:
        return None
    values = np.asarray(log_ratios, dtype=np.float64)
    mean = float(values.mean())
    std = float(values.std(ddof=1))
    rho = lag1_autocorrelation(log_ratios)
    se = std / math.sqrt(n) * math.sqrt((1 + rho) / (1 - rho))
    critical = t_critical(n - 1, level)
    return PairedRatio(math.exp(mean), math.exp(mean - critical * se),
                       math.exp(mean + critical * se), n, 100 * std)


def verdict(estimate, threshold_pct: float, bigger_is_better: bool = True) -> str:
    """regression, improvement, no change, no regression, or inconclusive while the
    interval still straddles the threshold.  ``estimate`` has ``ratio``, ``low`` and
    ``high`` (NEW/BASE); for a latency (smaller is better) the ratio is read inverted."""
    if estimate is None:
        return "inconclusive"
    ratio, low, high = estimate.ratio, estimate.low, estimate.high
    if not bigger_is_better:
        ratio, low, high = 1 / ratio, 1 / high, 1 / low
    limit = threshold_pct / 100
    if high < 1 and ratio < 1 - limit:
        return "regression"
    if low > 1 and ratio > 1 + limit:
        return "improvement"
    if low > 1 - limit and high < 1 + limit:
        return "no change"
    if low > 1 - limit:
        return "no regression"
    return "inconclusive"
