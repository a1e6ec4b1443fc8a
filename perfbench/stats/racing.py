"""The statistics of a racing sweep: epoch levels, one pooled two-level variance, paired
contrasts between points, and the look that eliminates points.

A race measures the points still in it in epochs of freshly started worker processes;
within an epoch, rounds of one short block per point.  For epoch e and point p the *level*
Y[e, p] is the 10 % trimmed mean (as :mod:`perfbench.stats.two_level`) over the epoch's
rounds of ln FPS(p) minus the round's median ln FPS over the points: a drift of the
machine, or a neighbour starving one round, hits every block of the round alike and
cancels.  The levels follow the two-level model of Kalibera & Jones, with the process
level drawn once per worker:

    Y[e, p] = μ_p + c_e + u[e, p],   u ~ (0, σ²): the process draw (start order included)
                                     plus what the rounds leave of their noise,

where c_e is whatever the epoch shares (its median's own draw).  A contrast between two
points is the mean over the epochs they shared of Y[e, p] − Y[e, q], with variance
2σ²/K; two points that shared no epoch (different waves) are compared *through the
reference*, which is in every epoch: (p − ref) − (q − ref), variances added.

σ² is pooled over every point and epoch of the race — the residual of the additive
two-way fit, with (cells − epochs − points + 1) degrees of freedom — so that the process
level is counted from the first looks on, when each point alone has two or three epochs
(t with 2 dof is 4.3 at 95 %; pooled over 16 points, 2.0).  Pooling assumes the points of
one model on one machine draw processes with a like spread; the simulations of
``tests/stats/test_racing.py`` give the points process SDs that differ four-fold and
check that the family error still holds.

The look is pure: :func:`look` takes the levels and returns the leader, the eliminated
points with the intervals that eliminated them, and whether the survivors are tied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from perfbench.stats.tdist import t_critical
from perfbench.stats.two_level import VarianceComponents, trim_count

#: A race takes no decision before this many epochs: fewer samples the process level too
#: thinly for an elimination to rest on (ab waits for 4 epochs before its estimate).
MIN_DECISION_EPOCHS = 3
#: An epoch whose rounds are fewer than this gives no level.
MIN_LEVEL_ROUNDS = 3
#: From TRIM_ONE_FROM rounds on, at least one round is trimmed from each end, however few
#: (two_level's one trimming rule): a race's epochs hold 8-20 rounds (an A/B epoch ~40),
#: where 10 % trims none, and one starved block then moved its point's level by a fifth
#: (simulated, 8 rounds).


def epoch_levels(log_fps: np.ndarray, trim: int | None = None) -> np.ndarray:
    """Each point's level in one epoch, from its rounds × points matrix of ln FPS (NaN: no
    block), trimmed as :func:`perfbench.stats.two_level.trim_count` says (or ``trim``
    rounds from each end).  A round with a missing block is left out (its median would
    shift); an epoch left with fewer than MIN_LEVEL_ROUNDS rounds gives NaN levels."""
    rows = log_fps[~np.isnan(log_fps).any(axis=1)]
    if len(rows) < MIN_LEVEL_ROUNDS or rows.shape[1] < 2:
        return np.full(log_fps.shape[1], np.nan)
    centred = np.sort(rows - np.median(rows, axis=1, keepdims=True), axis=0)
    n = len(rows)
    g = trim_count(n) if trim is None else trim
    return centred[g:n - g].mean(axis=0)


@dataclass(frozen=True)
class Pooled:
    """σ² of one cell of the two-way model (log scale), and its degrees of freedom."""

    variance: float
    dof: float


def pooled_variance(levels: np.ndarray) -> Pooled | None:
    """The residual variance of the additive fit Y = μ_p + c_e over the observed cells of
    the epochs × points matrix (NaN: the point was not in that epoch).  Alternating
    means converge to the least-squares fit of a connected design; None without a single
    residual degree of freedom."""
    seen = ~np.isnan(levels)
    cells = int(seen.sum())
    epochs = int(seen.any(axis=1).sum())
    points = int(seen.any(axis=0).sum())
    dof = cells - epochs - points + 1
    if cells == 0 or dof < 1:
        return None
    y = np.where(seen, levels, 0.0)
    per_epoch, per_point = np.maximum(seen.sum(axis=1), 1), np.maximum(seen.sum(axis=0), 1)
    epoch_effect = np.zeros(levels.shape[0])
    for _ in range(200):
        point_effect = (np.where(seen, y - epoch_effect[:, None], 0.0)).sum(axis=0) / per_point
        updated = (np.where(seen, y - point_effect[None, :], 0.0)).sum(axis=1) / per_epoch
        if np.max(np.abs(updated - epoch_effect)) < 1e-12:
            epoch_effect = updated
            break
        epoch_effect = updated
    residual = np.where(seen, y - epoch_effect[:, None] - point_effect[None, :], 0.0)
    return Pooled(float((residual ** 2).sum() / dof), float(dof))


def variance_components(levels: np.ndarray,
                        rounds: list[np.ndarray]) -> VarianceComponents | None:
    """The race's two levels apart, for sizing later races of this grid (Kalibera &
    Jones, :mod:`perfbench.stats.dimensioning`).  ``levels``: epochs × points (NaN:
    absent); ``rounds[e]``: epoch e's rounds × points of ln FPS.

    The round noise is measured by splitting each epoch in two, its first rounds and its
    last: the two halves' levels (computed as a level is, median-centred and trimmed, a
    half by as many rounds as the whole) share the worker's process draw and differ only
    by their rounds, so the pooled two-way residual of their difference, scaled to the
    whole level's trimming (:func:`_half_differences`), is the round noise a cell's
    level carries.  Computed from the levels' own estimator, it carries what the
    centring on the round median does to the noise (a median that is one of the points,
    or shared by two), which a variance of the centred rounds themselves does not: that
    read 0.5 to 2 times σ_w²/n depending on the grid.  The trim's scaling assumes normal
    rounds, and the centred rounds are not always: simulated (round SD 3 %, process SD
    0.5 %), σ_b² reads about a third low for nine points apart (the median is one
    point's block), n* then ~20 % high, a grid step; with 2 % of blocks starved ×4.5 it
    reads high, 3.5 times at 10 rounds an epoch and 1.4-1.8 times at 20-26 (two starved
    blocks leave one in the whole level, none in two trimmed halves), n* then smaller.
    (A jackknife over the rounds read as low, and went far off with starved blocks.)
    σ_b² is what the pooled cell variance σ² holds beyond the round noise, over the same
    epochs (those whose halves give levels: 6 rounds or more), signed (a pool of races
    averages it and clamps once); σ_w² is stored as n times a level's round variance, at
    the epochs' mean 1/n (trimming counted). The halves assume the epoch's rounds are
    alike from its first to its last: a worker that speeds up through its epoch reads as
    round noise. None without a residual degree of freedom in either fit."""
    differences = _half_differences(levels, rounds)
    split = pooled_variance(differences)
    covered = ~np.isnan(differences).all(axis=1)            # the epochs the split measured
    pooled = pooled_variance(np.where(covered[:, None], levels, np.nan))
    if pooled is None or split is None:
        return None
    cells = ~np.isnan(differences)
    counts = np.array([len(_complete_rows(m, levels[e])) for e, m in enumerate(rounds)])
    mean_inverse = float((cells / np.maximum(counts, 1)[:, None]).sum() / cells.sum())
    return VarianceComponents(split.variance / mean_inverse, pooled.dof,
                              pooled.variance - split.variance)


def half_trim(n: int) -> int:
    """Rounds trimmed from each end of a half of an epoch of ``n``: as many as from the
    whole epoch's level (and as a level of ⌊n/2⌋ rounds is, if that is more), so the
    starved blocks the whole trims out are trimmed out of a half that holds them all
    (4 rounds alone trim none, and one block starved ×4.5 then moved the split σ_w²
    many-fold; from 20 rounds the whole trims two)."""
    half = n // 2
    g = max(trim_count(half), trim_count(n))
    return g if half >= 3 and half - 2 * g >= 1 else trim_count(half)


def trim_factor(n: int, g: int) -> float:
    """The variance of a mean of ``n`` normal rounds trimmed by ``g`` at each end, over that
    of their plain mean (the trimmed mean's asymptotic variance at γ = g/n; at 3 rounds
    trimmed to their median 1.29 against the exact 1.35)."""
    gamma = g / n if n else 0.0
    if gamma <= 0:
        return 1.0
    c = NormalDist().inv_cdf(1 - gamma)
    inner = (1 - 2 * gamma) - 2 * c * NormalDist().pdf(c) + 2 * gamma * c * c
    return inner / (1 - 2 * gamma) ** 2


def _half_differences(levels: np.ndarray, rounds: list[np.ndarray]) -> np.ndarray:
    """Epochs × points: the level of the epoch's first half minus that of its second,
    scaled to have the variance of the round noise in the whole epoch's level: a half of
    h rounds trimmed by g_h has round variance σ_w² T(h, g_h)/h, the difference twice
    that, and the whole level σ_w² T(n, g)/n (T: :func:`trim_factor`).  NaN where the
    epoch's halves hold too few rounds for a level."""
    out = np.full(levels.shape, np.nan)
    for e, matrix in enumerate(rounds):
        present = np.flatnonzero(~np.isnan(levels[e]))
        rows = _complete_rows(matrix, levels[e])
        n, half = len(rows), len(rows) // 2
        if len(present) < 2 or half < MIN_LEVEL_ROUNDS:
            continue
        g = half_trim(n)
        difference = (epoch_levels(rows[:half], g) -
                      epoch_levels(rows[half:2 * half], g))
        scale = math.sqrt(trim_factor(n, trim_count(n)) * half /
                          (2 * n * trim_factor(half, g)))
        out[e, present] = difference * scale
    return out


def _complete_rows(matrix: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """The epoch's rounds with a block of every point that has a level."""
    rows = matrix[:, np.flatnonzero(~np.isnan(levels))]
    return rows[~np.isnan(rows).any(axis=1)]


@dataclass(frozen=True)
class Contrast:
    """FPS(point) / FPS(versus) with its interval at ``level``; ``through`` says how it was
    paired: "epochs" (the epochs both were in) or "reference" (each against the reference)."""

    ratio: float
    low: float
    high: float
    level: float
    epochs: int
    through: str

    def to_dict(self) -> dict:
        return {"ratio": self.ratio, "low": self.low, "high": self.high, "level": self.level,
                "epochs": self.epochs, "through": self.through}


def _paired(levels: np.ndarray, p: int, q: int) -> tuple[float, float, int] | None:
    """Mean difference over shared epochs, its variance factor (1/K), and K."""
    both = ~np.isnan(levels[:, p]) & ~np.isnan(levels[:, q])
    k = int(both.sum())
    if k == 0:
        return None
    return float((levels[both, p] - levels[both, q]).mean()), 1.0 / k, k


def contrast(levels: np.ndarray, p: int, q: int, reference: int, pooled: Pooled,
             level: float) -> Contrast | None:
    """ln FPS(p) − ln FPS(q) as a ratio with its interval: paired by the epochs they shared,
    else through the reference.  Variance 2σ² per epoch of difference."""
    if p == q:
        return Contrast(1.0, 1.0, 1.0, level, int((~np.isnan(levels[:, p])).sum()), "epochs")
    direct = _paired(levels, p, q)
    through = "epochs"
    if direct is None or direct[2] < 2:
        to_p, to_q = _paired(levels, p, reference), _paired(levels, q, reference)
        if to_p is None or to_q is None:
            return None
        direct = (to_p[0] - to_q[0], to_p[1] + to_q[1], min(to_p[2], to_q[2]))
        through = "reference"
    mean, factor, k = direct
    half = t_critical(pooled.dof, level) * math.sqrt(2 * pooled.variance * factor)
    return Contrast(math.exp(mean), math.exp(mean - half), math.exp(mean + half), level, k,
                    through)


def elimination_level(alpha: float, tests: int) -> float:
    """Two-sided level whose one-sided tail is ``alpha``/``tests`` (Bonferroni): an
    elimination reads only the upper end, so each test spends half the two-sided miss."""
    return 1.0 - 2.0 * alpha / tests


@dataclass(frozen=True)
class Look:
    """What one look found: the leader, the points it eliminated (with the interval
    against the leader that did it), and whether the survivors are all tied with it."""

    leader: int
    eliminated: dict          # point index -> Contrast against the leader
    tied: bool
    versus_leader: dict       # every live point's Contrast against the leader
    pooled: Pooled | None


def leader_of(levels: np.ndarray, live: list[int], reference: int) -> int:
    """The live point with the highest FPS against the reference (paired by epochs)."""
    def score(p: int) -> float:
        if p == reference:
            return 0.0
        paired = _paired(levels, p, reference)
        return paired[0] if paired is not None else -math.inf
    return max(live, key=score)


def look(levels: np.ndarray, live: list[int], reference: int, margin: float,
         level: float) -> Look:
    """One look of the race.  A point leaves when even the upper end of its interval
    against the leader is below 1 − ``margin`` (worse by more than the margin, at
    ``level``); the survivors are tied when each one's lower end is above 1 − margin.
    The reference can be beaten like any point (it is then out of contention), but the
    race goes on measuring it: every comparison across waves is paired through it."""
    epochs = int((~np.isnan(levels[:, live])).any(axis=1).sum())
    leader = leader_of(levels, live, reference)
    pooled = pooled_variance(levels)
    if pooled is None or epochs < MIN_DECISION_EPOCHS:
        return Look(leader, {}, False, {}, pooled)
    versus = {p: contrast(levels, p, leader, reference, pooled, level) for p in live}
    floor = 1.0 - margin
    out = {p: c for p, c in versus.items()
           if c is not None and p != leader and c.high < floor}
    survivors = [p for p in live if p not in out and p != leader]
    tied = all(versus[p] is not None and versus[p].low >= floor for p in survivors)
    return Look(leader, out, tied, versus, pooled)


def log_interval(values: list[float], level: float = 0.95
                 ) -> tuple[float, float, float] | None:
    """The geometric mean of positive per-epoch figures (a latency percentile of each
    epoch's pooled blocks) with its t interval over the epochs, K − 1 degrees of freedom:
    each epoch is a fresh process, so the spread counts the process level.  None below
    two epochs."""
    if len(values) < 2:
        return None
    logs = np.log(np.asarray(values, dtype=np.float64))
    mean = float(logs.mean())
    half = t_critical(len(logs) - 1, level) * float(logs.std(ddof=1)) / math.sqrt(len(logs))
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)
