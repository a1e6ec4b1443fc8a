"""How precise a figure is, and when to stop measuring.

* FPS: each ~1 s window gives one throughput figure (windows close right after a
  completion, so counting quantisation is small); the estimate's 95 % confidence interval is
  the t-interval of the window figures (batch means).  Machines drift (turbo, neighbours),
  which makes adjacent windows positively correlated and a plain t-interval too narrow, so
  the variance of the mean is inflated by (1 + ρ)/(1 − ρ), ρ the lag-1 autocorrelation of
  the windows (clamped to [0, 0.9]; an AR(1) correction).  The first window holds the
  ramp-up and the last the drain, so both are left out of the interval and of steady FPS;
  the estimate is completions over time of those steady windows (:func:`rate_ci`), the
  headline FPS's own definition, so a window weighs by its duration.
* A rate's interval (FPS, per window or between trials or machines) is built on the log
  scale, value·exp(±t·SE/value), by :func:`rate_interval` alone: a rate is positive, and
  the t-interval of a noisy machine's windows read "118.0 [−85.65, 321.7]".  Where the
  linear interval would have reached zero (t·SE ≥ the value) the figure's precision was
  not measured at all, and :func:`rate_measured` says so for every reporter.
* Latency percentiles: a distribution-free interval from order statistics: the ranks
  n·p ± z·sqrt(n·p·(1−p)) bracket the true percentile with ~95 % probability (iid samples).
* Stop rule (``--until-stable``): like perf_analyzer's, the run is stable once the CI
  half-width is within the target and the last windows agree with each other.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np

# Estimate, steady_windows and t_critical are also re-exported: callers import them here.
from perfbench.results.types import Estimate, steady_windows, trials_fps
from perfbench.stats.tdist import t_critical

Z_95 = 1.959964
MIN_STEADY_WINDOWS = 5
AGREE_WINDOWS = 3
AGREE_PCT = 10.0


def family_level(level: float, family_size: int) -> float:
    """Bonferroni: one of ``family_size`` tests at this level keeps the family's chance of
    any false decision at about 1 − ``level``, under any dependence between them."""
    if family_size < 1:
        raise ValueError(f"a family has at least one member, not {family_size}")
    return 1 - (1 - level) / family_size


def z_two_sided(level: float) -> float:
    """Two-sided normal critical value at ``level``: for a variance taken as known."""
    return statistics.NormalDist().inv_cdf(0.5 + level / 2)


def lag1_autocorrelation(values) -> float:
    """Lag-1 autocorrelation, bias-corrected for short series (the plain estimate sits
    about (1 + 4ρ)/n too low; Kendall), clamped to [0, 0.9]: only positive correlation
    widens a CI."""
    n = len(values)
    if n < 3:
        return 0.0
    centred = np.asarray(values, dtype=np.float64)
    centred = centred - centred.mean()
    denominator = float(np.dot(centred, centred))
    if denominator == 0:
        return 0.0
    rho = float(np.dot(centred[:-1], centred[1:])) / denominator
    rho += (1 + 4 * rho) / n
    return min(max(rho, 0.0), 0.9)


def mean_ci(values, correlated: bool = False, rate: bool = False) -> Estimate | None:
    """t-interval of the mean; ``correlated`` applies the AR(1) inflation for time series;
    ``rate``: the values are positive rates, so the interval is on the log scale."""
    values = list(values)
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    std = statistics.stdev(values)
    return _t_estimate(mean, std / math.sqrt(len(values)), values, correlated,
                       100 * std / mean if mean else math.inf, rate=rate)


def rate_mean_ci(rates, correlated: bool = False) -> Estimate | None:
    """The mean of positive rates (trials' FPS, machines' FPS) with its 95 % interval on
    the log scale (:func:`rate_interval`): never below zero."""
    return mean_ci(rates, correlated, rate=True)


def trials_fps_ci(trials) -> Estimate | None:
    """FPS between trials (``Precision.fps_trials``, run-to-run noise): the mean of the
    trials' steady FPS (each trial's own, where every trial has one; else their whole-trial
    FPS) with its interval.  The one definition: a run's ``--repeat`` trials, and a raced
    point's epochs (each a trial of a fresh worker, so the process level counts).  Steady,
    as a one-trial run's FPS is, so a run's figure does not change definition with its
    number of trials."""
    return rate_mean_ci(trials_fps(trials))


def rate_interval(value: float, standard_error: float, critical: float) -> tuple[float, float]:
    """A rate's interval: value·exp(±critical·SE/value), the delta method on ln(rate), so
    it stays in (0, ∞) however noisy the windows; a zero rate has none but itself."""
    if value <= 0:
        return value, value
    spread = critical * standard_error / value
    return value * math.exp(-spread), value * math.exp(spread)


#: Where ``critical · SE`` reaches the value itself (a linear interval would touch zero),
#: the log-scale interval spans a factor of e each way: wider than that, nothing was
#: measured about the figure's precision.
RATE_MEASURED_LIMIT = math.e


def rate_measured(value: float | None, low: float | None, high: float | None) -> bool:
    """Whether a rate's interval says anything: present, and within a factor of e of its
    value both ways (:data:`RATE_MEASURED_LIMIT`).  Reporters print "not measured" else."""
    if value is None or low is None or high is None or value <= 0 or low <= 0:
        return False
    return high / value < RATE_MEASURED_LIMIT and value / low < RATE_MEASURED_LIMIT


#: What a reporter prints in place of a rate interval :func:`rate_measured` rejects.
NOT_MEASURED = "not measured (interval wider than ×e either way)"


def _t_estimate(value: float, standard_error: float, series, correlated: bool,
                cv_pct: float, rate: bool = False) -> Estimate:
    """The 95 % t-interval around ``value``, widened by (1 + ρ)/(1 − ρ) of ``series``
    (lag-1) when the figures are a drifting time series; a ``rate``'s on the log scale."""
    inflation = 1.0
    if correlated:
        rho = lag1_autocorrelation(series)
        inflation = math.sqrt((1 + rho) / (1 - rho))
    critical = t_critical(len(series) - 1)
    if rate:
        low, high = rate_interval(value, standard_error * inflation, critical)
        return Estimate(value, low, high, len(series), cv_pct)
    half = critical * standard_error * inflation
    return Estimate(value, value - half, value + half, len(series), cv_pct)


def rate_ci(windows, correlated: bool = True) -> Estimate | None:
    """Completions per second over ``windows`` (their completions over their time: the
    headline FPS's definition, on these windows only) with its 95 % interval.

    A ratio estimator: each window's residual c − R·d (completions beyond what the
    overall rate predicts for its duration) gives Var(R) = s²/(n·d̄²), so a window weighs
    by its length; with equal windows this is exactly the t-interval of the window rates.
    The CV is the residual spread of an average-length window, relative to its count."""
    windows = [w for w in windows if w.end_s > w.start_s]
    if len(windows) < 2:
        return None
    completed = np.array([w.completed for w in windows], dtype=np.float64)
    seconds = np.array([w.end_s - w.start_s for w in windows], dtype=np.float64)
    rate = float(completed.sum() / seconds.sum())
    spread = float(np.sqrt(np.sum((completed - rate * seconds) ** 2) / (len(windows) - 1)))
    mean_seconds = float(seconds.mean())
    cv = 100 * spread / (rate * mean_seconds) if rate else math.inf
    return _t_estimate(rate, spread / (mean_seconds * math.sqrt(len(windows))),
                       (completed / seconds).tolist(), correlated, cv, rate=True)


def window_rates(windows) -> list[float]:
    """Completions per second in each window (live display, sparklines)."""
    return [w.completed / (w.end_s - w.start_s) for w in windows if w.end_s > w.start_s]


def steady_rate(windows) -> float | None:
    """Steady-state completions per second: completions over time of the windows between
    ramp-up and drain (:func:`steady_windows`).  The headline FPS is the same ratio over
    the whole measured window, ramp-up (requests starting from an idle pool) and drain
    (the last requests finishing with no new ones started) included; None when the run
    has no steady window."""
    steady = steady_windows(windows)
    span = sum(w.end_s - w.start_s for w in steady)
    return sum(w.completed for w in steady) / span if span > 0 else None


def quantile_rank_interval(n: int, p: float, design_effect: float = 1.0) -> tuple[int, int]:
    """0-based ranks bracketing the p-th percentile of n samples with ~95 % coverage.

    For iid samples (``design_effect`` 1) the count of samples below the percentile is
    binomial, so the ranks n·p ± z·√(n·p·(1−p)) bracket it.  Latencies of a closed loop are
    not independent (a slow second slows every request in it), which makes that count vary
    more; ``design_effect`` = its true variance over the binomial one widens the ranks."""
    q = p / 100
    centre = n * q
    spread = Z_95 * math.sqrt(n * q * (1 - q) * max(design_effect, 1.0))
    low = max(int(math.floor(centre - spread)), 1)
    high = min(int(math.ceil(centre + spread)) + 1, n)
    return low - 1, high - 1


@dataclass(frozen=True)
class StabilityRule:
    """Stop once the FPS CI half-width ≤ ``target_pct`` and the last windows agree."""

    target_pct: float = 1.0
    min_windows: int = MIN_STEADY_WINDOWS
    agree_windows: int = AGREE_WINDOWS
    agree_pct: float = AGREE_PCT

    def is_stable(self, windows) -> bool:
        """Judged on the windows the report's interval will use: while measuring, the
        latest window is the one the drain will join, so it is left out with the ramp-up."""
        steady = steady_windows(list(windows))
        if len(steady) < max(self.min_windows, self.agree_windows):
            return False
        estimate = rate_ci(steady, correlated=True)
        if estimate is None or estimate.half_width_pct > self.target_pct:
            return False
        last = window_rates(steady[-self.agree_windows:])
        centre = statistics.fmean(last)
        return all(abs(r - centre) <= centre * self.agree_pct / 100 for r in last)


def quantile_design_effect(below: list[int], sizes: list[int], p: float) -> float:
    """How much more the fraction of samples below a percentile varies than if the samples
    were independent, by batch means over windows: ``below[i]`` of the ``sizes[i]``
    samples of window i fall below the pooled estimate.  The variance of the pooled
    fraction is estimated from the spread of the per-window fractions (weighted by window
    size, inflated for the lag-1 autocorrelation of drifting windows) and divided by the
    binomial p(1−p)/n.  At least 1; 1 when there are too few windows to tell."""
    windows = [(b, s) for b, s in zip(below, sizes) if s > 0]
    if len(windows) < 3:
        return 1.0
    n = sum(s for _, s in windows)
    q = p / 100
    fractions = [b / s for b, s in windows]
    weights = [s / n for _, s in windows]
    pooled = sum(w * f for w, f in zip(weights, fractions))
    k = len(windows)
    spread = sum(w * w * (f - pooled) ** 2 for w, f in zip(weights, fractions)) * k / (k - 1)
    rho = lag1_autocorrelation(fractions)
    variance = spread * (1 + rho) / (1 - rho)
    binomial = q * (1 - q) / n
    # The spread is estimated from k windows: widen as a t-interval with k − 1 degrees of
    # freedom would, so that the caller's normal quantile stays right.
    small_sample = (t_critical(k - 1) / Z_95) ** 2
    return max(small_sample * variance / binomial, 1.0) if binomial > 0 else 1.0
