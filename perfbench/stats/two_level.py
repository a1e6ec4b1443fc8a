"""A ratio with an interval that counts both levels of A/B noise: rounds and processes.

An interleaved A/B run pairs BASE and NEW round by round, which cancels the machine's drift,
but each side is one process: its memory layout, thread placement and caches are drawn once
and stay for the run.  Measured here, that process level moved the ratio of identical
sides by about ±0.75 % from run to run, more than a run's round-to-round standard error,
so an interval built from rounds alone claims a precision the next run contradicts.

So a run is split into *epochs*, each with freshly started workers (start order
alternating), and the log-ratio of round r in epoch e is modelled as

    y_er = μ + s_e·d + b_e + ε_er,  s_e = ±1 by who started first (a fixed effect),
                                     b_e ~ (0, σ_b²) per epoch (process level),
                                     ε_er round noise (lag-1 correlated within an epoch).

Each epoch's level is a trimmed mean of its rounds' log-ratios (10 % from each end, and
at least one round from each end from 5 rounds on): on a shared 2-core VM a neighbour's
burst can starve one block and throw a round's ratio by a factor of ten.  Its standard
error is the winsorized SD / ((1 − 2g/n)·√n) (Tukey & McLaughlin), lag-1 corrected.  An
epoch with fewer than half the rounds of the longest (an interrupted last one) is left
out: its level is noisier than the others' and would weigh as much.

**The start order** is a fixed effect: the process started second ran 7 % faster on a
cache-sized MatMul stack on this project's Xeon VM, and the design alternates the order,
so μ is the mean of the two order groups' means, d half their gap, and the variance of an
epoch level the pooled variance within the groups (K − 2 degrees of freedom).  Kept inside
the variance, d² inflated the interval tenfold on that pair while cancelling from the mean.

**The variance of an epoch level** (σ_b² + the within-epoch variance of a level,
estimated together, Kalibera & Jones' top-level variance) comes from

* **this run**: the pooled within-order variance of the epoch levels;
* **a cached prior** (earlier runs of the same design on this boot of this machine,
  :mod:`perfbench.runner.ab_cache`): pooled with this run's, weighted by degrees of freedom,
  but never below this run's own (a quieter earlier run must not narrow a noisier day's
  interval), and not at all when an F test says today's spread is larger than the
  cache's (p < F_TEST_ALPHA): then this run alone, with its own degrees of freedom.

The critical value is Student's t at the asked level and those degrees of freedom
(:mod:`perfbench.stats.tdist`).  The components are reported apart for the reader — the
round SD within epochs, σ_b as the epoch variance beyond what the rounds explain (the
start order taken out), and d — but the interval does not depend on splitting them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from perfbench.stats.intervals import lag1_autocorrelation
from perfbench.stats.paired import RatioFigures
from perfbench.stats.tdist import incomplete_beta, t_critical

#: An epoch with fewer rounds than this says nothing about its own within-epoch noise.
MIN_EPOCH_ROUNDS = 3
#: Share of rounds trimmed from each end of an epoch's log-ratios ...
TRIM = 0.10
#: ... and from this many rounds on, at least one from each end (10 % of 6 rounds is 0).
TRIM_ONE_FROM = 5
#: An epoch with fewer rounds than this share of the longest epoch's is left out.
PARTIAL_EPOCH_SHARE = 0.5
#: The prior is set aside when today's epoch variance exceeds it at this significance.
F_TEST_ALPHA = 0.05


@dataclass(frozen=True)
class EpochVariance:
    """The variance of one epoch's level (log scale, σ_b² + within, start order taken out)
    measured before this run, with the degrees of freedom it rests on and the runs it
    came from."""

    variance: float
    dof: float
    runs: int = 1


@dataclass(frozen=True)
class EpochSummary:
    mean: float                 # trimmed mean log-ratio of the epoch's rounds
    rounds: int
    within_var: float           # variance of that mean from its rounds (lag-1 corrected)
    round_sd: float             # winsorized SD of one round's log-ratio


@dataclass(frozen=True)
class TwoLevelRatio(RatioFigures):
    """NEW/BASE with its interval; ``source`` says how the process level was counted."""

    ratio: float
    low: float
    high: float
    level: float
    log_mean: float
    se: float                   # standard error of the log-ratio mean, both levels
    dof: float
    epochs: int
    rounds: int
    round_sd_pct: float         # SD of one round's log-ratio within an epoch, in %
    process_sd_pct: float       # σ_b, in %, start order taken out (0 when the epochs vary
    #                             no more than rounds say)
    source: str                 # "this run", "pooled with N earlier runs", or why not pooled
    order_effect_pct: float = 0.0   # how much faster NEW ran when started first (half-gap)


def trim_count(n: int) -> int:
    """Rounds trimmed from each end of an epoch of ``n``."""
    g = int(math.floor(TRIM * n))
    return max(g, 1) if n >= TRIM_ONE_FROM else g


def _trimmed(values: np.ndarray) -> tuple[float, np.ndarray, float]:
    """Trimmed mean, the winsorized series (in time order) and the kept share 1 − 2g/n."""
    n = len(values)
    g = trim_count(n)
    ordered = np.sort(values)
    kept = ordered[g:n - g]
    winsorized = np.clip(values, ordered[g], ordered[n - g - 1])
    return float(kept.mean()), winsorized, len(kept) / n


def usable_epochs(epochs: list[list[float]], orders: list[str] | None = None):
    """The epochs long enough to use, with their start orders (None when not given): at
    least MIN_EPOCH_ROUNDS rounds, and at least PARTIAL_EPOCH_SHARE of the longest's."""
    orders = orders if orders is not None else [None] * len(epochs)
    longest = max((len(e) for e in epochs), default=0)
    least = max(MIN_EPOCH_ROUNDS, math.ceil(PARTIAL_EPOCH_SHARE * longest))
    kept = [(e, o) for e, o in zip(epochs, orders) if len(e) >= least]
    return [e for e, _ in kept], [o for _, o in kept]


def summarize_epochs(epochs: list[list[float]]) -> list[EpochSummary]:
    """Each usable epoch's trimmed mean and the variance of that estimate from its own
    rounds.  The lag-1 correlation is pooled over epochs (winsorized, centred on each
    epoch's level): one epoch's few dozen rounds estimate it poorly."""
    usable = [np.asarray(e, dtype=np.float64) for e in usable_epochs(epochs)[0]]
    if not usable:
        return []
    parts = [_trimmed(e) for e in usable]
    centred = np.concatenate([w - w.mean() for _, w, _ in parts])
    rho = lag1_autocorrelation(centred) if len(centred) >= 3 else 0.0
    inflation = (1 + rho) / (1 - rho)
    out = []
    for e, (level, winsorized, kept) in zip(usable, parts):
        sd = float(winsorized.std(ddof=1))
        out.append(EpochSummary(level, len(e), (sd / kept) ** 2 / len(e) * inflation, sd))
    return out


def _round_sd(epochs: list[EpochSummary]) -> float:
    """Pooled within-epoch (winsorized) SD of one round."""
    dof = sum(e.rounds - 1 for e in epochs)
    if dof <= 0:
        return 0.0
    return math.sqrt(sum(e.round_sd ** 2 * (e.rounds - 1) for e in epochs) / dof)


@dataclass(frozen=True)
class _Levels:
    """Epoch levels reduced to a mean and a residual variance (with its dof)."""

    mean: float
    residual: float             # variance of one epoch level, start order taken out
    dof: float
    var_factor: float           # Var(mean) = residual × var_factor
    order_effect: float         # half the gap between the two start orders (log), or 0


def _levels(levels: np.ndarray, orders: list) -> _Levels:
    """The mean of the epoch levels and their residual variance.

    With both start orders present and a degree of freedom left, the order is a fixed
    effect: the mean is the midpoint of the two groups' means (unbiased for odd K too,
    where a plain mean is off by ±d/K), d half their gap, and the residual the pooled
    variance within the groups, K − 2 dof.  The plain spread would count d² as noise.
    ``benchmarks/ab_review.py`` settles this on simulations and on the MatMul pair's runs
    (whose run-to-run spread matches the fixed effect, not the plain spread)."""
    k = len(levels)
    groups = [levels[[i for i, o in enumerate(orders) if o == who]] for who in ("new", "base")]
    if k >= 3 and all(len(g) for g in groups):
        means = [float(g.mean()) for g in groups]
        within = sum(float(((g - m) ** 2).sum()) for g, m in zip(groups, means))
        factor = (1 / len(groups[0]) + 1 / len(groups[1])) / 4
        return _Levels((means[0] + means[1]) / 2, within / (k - 2), k - 2.0, factor,
                       (means[0] - means[1]) / 2)
    spread = float(levels.var(ddof=1)) if k >= 2 else math.nan
    effect = 0.0
    if all(len(g) for g in groups):                   # two epochs, one of each order
        effect = float((groups[0].mean() - groups[1].mean()) / 2)
    return _Levels(float(levels.mean()), spread, k - 1.0, 1.0 / k, effect)


def f_upper_p(ratio: float, dof_num: float, dof_den: float) -> float:
    """P(F ≥ ratio) for Fisher's F with those degrees of freedom."""
    if ratio <= 0:
        return 1.0
    x = dof_num * ratio / (dof_num * ratio + dof_den)
    return 1.0 - incomplete_beta(dof_num / 2, dof_den / 2, x)


def _epoch_variance_with_prior(reduced: _Levels, prior: EpochVariance | None):
    """(variance of an epoch level, its dof, where it came from)."""
    own = reduced.dof if reduced.dof >= 1 else 0.0
    if prior is None:
        return reduced.residual, reduced.dof, "this run"
    runs = f"{prior.runs} earlier run{'s' if prior.runs != 1 else ''}"
    if not own:
        return prior.variance, prior.dof, f"cached from {runs}"
    if prior.variance <= 0 or f_upper_p(reduced.residual / prior.variance, own,
                                        prior.dof) < F_TEST_ALPHA:
        return reduced.residual, own, f"this run (noisier than the cache's {runs})"
    pooled = (prior.dof * prior.variance + own * reduced.residual) / (prior.dof + own)
    return max(pooled, reduced.residual), prior.dof + own, f"pooled with {runs}"


def two_level_ratio(epochs: list[list[float]], level: float = 0.95,
                    prior: EpochVariance | None = None,
                    orders: list[str] | None = None) -> TwoLevelRatio | None:
    """The ratio and its interval from per-epoch lists of per-round log-ratios, and each
    epoch's start order ("base" or "new": whose worker started first) when known.

    None while the process level cannot be counted (one usable epoch and no prior), or
    while the start order cannot be: one usable epoch of a known start order carries the
    whole order effect d (±7 % on the Xeon pair), which a prior, measured with the order
    taken out, does not account for.  (The design alternates the order, so from two
    epochs on both orders are in.)"""
    epochs, orders = usable_epochs(epochs, orders)
    summaries = summarize_epochs(epochs)
    if not summaries or (len(summaries) == 1 and orders[0] is not None):
        return None
    reduced = _levels(np.array([s.mean for s in summaries]), orders)
    if prior is None and reduced.dof < 1:
        return None
    epoch_var, dof, source = _epoch_variance_with_prior(reduced, prior)
    se = math.sqrt(epoch_var * reduced.var_factor)
    half = t_critical(dof, level) * se
    within = float(np.mean([s.within_var for s in summaries]))
    process = max(epoch_var - within, 0.0)
    mean = reduced.mean
    return TwoLevelRatio(math.exp(mean), math.exp(mean - half), math.exp(mean + half),
                         level, mean, se, dof, len(summaries),
                         sum(s.rounds for s in summaries), 100 * _round_sd(summaries),
                         100 * math.sqrt(process), source,
                         100 * (math.exp(reduced.order_effect) - 1))


def epoch_variance(epochs: list[list[float]],
                   orders: list[str] | None = None) -> EpochVariance | None:
    """This run's variance of an epoch level (start order taken out) with its degrees of
    freedom, for the cache; None without a degree of freedom."""
    epochs, orders = usable_epochs(epochs, orders)
    summaries = summarize_epochs(epochs)
    if not summaries:
        return None
    reduced = _levels(np.array([s.mean for s in summaries]), orders)
    return None if reduced.dof < 1 else EpochVariance(reduced.residual, reduced.dof)


def _chi2_grid(dof: float, points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """u = χ²_dof / dof on a log grid, with each point's probability weight."""
    s = np.linspace(math.log(1e-9 * dof + 1e-12), math.log(dof + 60 * math.sqrt(dof) + 60),
                    points)
    x = np.exp(s)
    log_density = ((dof / 2) * np.log(x) - x / 2 - (dof / 2) * math.log(2)
                   - math.lgamma(dof / 2))            # density in s = ln x: f(x)·x
    weights = np.exp(log_density)
    return x / dof, weights / weights.sum()


def regression_power(change_log: float, se: float, dof: float, level: float,
                     threshold_pct: float) -> float:
    """P(a run of this design calls a true slowdown of ``change_log`` (log scale) a
    regression), the SE itself estimated on ``dof`` degrees of freedom: the verdict needs
    the log-mean below −max(c·ŜE, ln(1/(1 − threshold))), ŜE = SE·√(χ²_dof/dof)."""
    critical = t_critical(dof, level)
    floor = -math.log(1 - threshold_pct / 100)
    u, weights = _chi2_grid(dof) if dof < 1e5 else (np.ones(1), np.ones(1))
    bound = np.maximum(critical * se * np.sqrt(u), floor)
    cdf = np.vectorize(NormalDist().cdf)
    return float((cdf((change_log - bound) / se) * weights).sum())


def resolvable_change_pct(se: float, dof: float, level: float, threshold_pct: float,
                          power: float = 0.9) -> float:
    """The slowdown a run with this SE, degrees of freedom and level calls a regression
    with ``power`` (bisection on :func:`regression_power`); with no noise at all, the
    threshold."""
    if not se > 0:
        return threshold_pct
    low, high = 0.0, max(1.0, 20 * se)
    while regression_power(high, se, dof, level, threshold_pct) < power:
        high *= 2
    for _ in range(60):
        middle = (low + high) / 2
        if regression_power(middle, se, dof, level, threshold_pct) < power:
            low = middle
        else:
            high = middle
    return 100 * (1 - math.exp(-high))


def smallest_resolvable_pct(estimate: TwoLevelRatio, threshold_pct: float,
                            power: float = 0.9) -> float:
    """The change a run of this one's design (its SE, degrees of freedom and judged level)
    catches with ``power``.  The SE of each such run is itself estimated, which at a few
    degrees of freedom costs much power: the normal-theory bound c·SE + z·SE gave 63 %,
    not 90 %, at 4 epochs judged at 99 %."""
    return resolvable_change_pct(estimate.se, estimate.dof, estimate.level, threshold_pct,
                                 power)


@dataclass(frozen=True)
class VarianceComponents:
    """This run's two levels apart, for sizing later runs (:mod:`perfbench.stats.dimensioning`):
    σ_w² (n × the variance of an n-round epoch mean: lag-1 and trimming counted), σ_b²
    (an epoch level's variance beyond it, start order taken out, clamped at 0), and the
    degrees of freedom of the epoch variance they split.  ``process_excess`` is σ_b²
    before the clamp (negative where the epochs agreed better than their rounds predict):
    what a pool of runs must average, since a mean of clamped figures is biased upward,
    the more so the fewer epochs each run has; the clamped figure is derived from it."""

    round_var: float
    dof: float
    process_excess: float

    @property
    def process_var(self) -> float:
        return max(self.process_excess, 0.0)


def variance_components(epochs: list[list[float]],
                        orders: list[str] | None = None) -> VarianceComponents | None:
    """The components the interval of this run rests on; None without a degree of
    freedom at the epoch level."""
    epochs, orders = usable_epochs(epochs, orders)
    summaries = summarize_epochs(epochs)
    if not summaries:
        return None
    reduced = _levels(np.array([s.mean for s in summaries]), orders)
    if reduced.dof < 1:
        return None
    within = float(np.mean([s.within_var for s in summaries]))
    round_var = float(np.mean([s.within_var * s.rounds for s in summaries]))
    excess = reduced.residual - within
    return VarianceComponents(round_var, reduced.dof, excess)
