"""How many rounds an A/B epoch should hold, from the noise measured before (Kalibera &
Jones' dimensioning, "Rigorous benchmarking in reasonable time", 2013).

A run of K epochs of n rounds estimates the mean log-ratio with variance

    V(n, K) = (σ_b² + σ_w²/n) · f(K),   f(K) = (1/K₁ + 1/K₂)/4  (K₁, K₂ epochs per start
                                                                 order; 1/K when even)

where σ_b² is the process level (an epoch's own level), σ_w² the variance one round adds
to an epoch's mean (its lag-1 correlation and the trimming counted: n × the variance of
the mean of n rounds), and it costs K·(c_s + n·c_r) seconds: c_s to start and compile
both workers, c_r per round.  For a budget T (``--max-time``), K = T/(c_s + n·c_r), so

    V·T = (σ_b² + σ_w²/n)(c_s + n·c_r) = σ_b²c_s + σ_w²c_r + σ_b²c_r·n + σ_w²c_s/n,

smallest where its derivative in n, σ_b²c_r − σ_w²c_s/n², is 0:

    n* = √((c_s/c_r) · (σ_w²/σ_b²))                                  (:func:`optimal_rounds`)

Kalibera & Jones' optimal repetition count of the lower level: the square root of the
ratio of the costs (a new epoch against one more round) times the ratio of the variances
(a round's against an epoch's own).  Cheap epochs or a large process level ask for short
epochs; a costly start or a large round noise for long ones.

That continuous optimum ignores two things the interval pays for: K is whole (and at least
MIN_EPOCHS, which the stopping rule needs), and the interval's critical value is
Student's t on K − 2 degrees of freedom (the start order is a fixed effect), which is
large at few epochs.  So :func:`choose_design` evaluates the expected half-width
t(K − 2) · √V(n, K) itself, for each n on a grid (so that runs of one model share a design
and its cache key), with the K that fits in T, and takes the narrowest.  With many epochs
t barely moves and the choice is the grid point nearest n* (the tests check it).

The design is chosen from earlier runs only, before this run measures anything, so it
cannot bias this run's interval: it changes how wide the interval is, not what it covers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from perfbench.stats.tdist import t_critical

#: The fewest epochs a design may plan (the stopping rule measures at least this many).
MIN_EPOCHS = 4
#: Rounds per epoch the design may choose: a grid of ~1.25× steps from the runner's minimum.
ROUNDS_GRID = (6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320,
               384, 512)
#: A new choice replaces the last run's only if it is expected to be this much narrower:
#: estimates move from run to run, and each new design starts a cache key afresh.
KEEP_UNLESS_NARROWER = 0.95


@dataclass(frozen=True)
class Components:
    """The measured components a design is chosen from (log-ratio scale, seconds)."""

    round_var: float            # σ_w²: n × the variance of an n-round epoch mean
    process_var: float          # σ_b²: an epoch level's variance beyond its rounds'
    setup_s: float              # c_s: starting and compiling both workers, per epoch
    round_s: float              # c_r: one round (both blocks, their warm-ups), measured


@dataclass(frozen=True)
class Design:
    """A design and the half-width it is expected to give (log scale, at ``level``)."""

    rounds: int
    epochs: int
    half_width: float
    level: float


def optimal_rounds(c: Components) -> float:
    """Kalibera & Jones' n* = √((c_s/c_r)(σ_w²/σ_b²)); infinite when there is no process
    level to buy (one long epoch would do), 0 when rounds add no noise."""
    if c.round_var <= 0:
        return 0.0
    if c.process_var <= 0:
        return math.inf
    return math.sqrt((c.setup_s / c.round_s) * (c.round_var / c.process_var))


def order_factor(epochs: int) -> float:
    """f(K): the variance of the mean of the two start orders' means, per unit epoch
    variance, with the orders alternating (K₁ = ⌈K/2⌉, K₂ = ⌊K/2⌋)."""
    first, second = (epochs + 1) // 2, epochs // 2
    return (1 / first + 1 / second) / 4


def expected_half_width(c: Components, rounds: int, epochs: int, level: float = 0.95) -> float:
    """t(K − 2) · √((σ_b² + σ_w²/n) · f(K)): the interval a run of this design expects."""
    if epochs < 3:
        raise ValueError("the fixed start-order effect needs at least 3 epochs")
    variance = (c.process_var + c.round_var / rounds) * order_factor(epochs)
    return t_critical(epochs - 2, level) * math.sqrt(variance)


def epochs_within(c: Components, rounds: int, budget_s: float) -> int:
    """How many epochs of ``rounds`` rounds fit in ``budget_s``."""
    return int(budget_s // (c.setup_s + rounds * c.round_s))


def choose_design(c: Components, budget_s: float, level: float = 0.95,
                  min_rounds: int = ROUNDS_GRID[0], incumbent: int | None = None) -> Design:
    """The grid design with the narrowest expected interval within ``budget_s``; the
    ``incumbent`` (the last run's rounds) is kept unless the best is expected
    KEEP_UNLESS_NARROWER of its width or less.  When not even MIN_EPOCHS epochs of
    ``min_rounds`` fit, the smallest design (which the runner's own time limit cuts)."""
    if not (c.setup_s >= 0 and c.round_s > 0 and budget_s > 0):
        raise ValueError("costs must be non-negative, a round's positive, the budget too")
    designs = {}
    for rounds in (n for n in ROUNDS_GRID if n >= min_rounds):
        epochs = epochs_within(c, rounds, budget_s)
        if epochs < MIN_EPOCHS:
            break
        designs[rounds] = Design(rounds, epochs, expected_half_width(c, rounds, epochs, level),
                                 level)
    if not designs:
        rounds = max(min_rounds, ROUNDS_GRID[0])
        return Design(rounds, MIN_EPOCHS, expected_half_width(c, rounds, MIN_EPOCHS, level),
                      level)
    best = min(designs.values(), key=lambda d: (d.half_width, d.rounds))
    kept = designs.get(incumbent) if incumbent is not None else None
    if kept is not None and best.half_width > KEEP_UNLESS_NARROWER * kept.half_width:
        return kept
    return best


def rounds_for_rate(c: Components, min_rounds: int, max_rounds: int,
                    incumbent: int | None = None,
                    penalty: Callable[[int], float] | None = None) -> int:
    """Rounds per epoch for a design whose epochs are not fixed in number (a race plans
    them from its measuring time): the grid point in [min_rounds, max_rounds] with the
    least variance per second of wall time, (σ_b² + σ_w²/n)(c_s + n·c_r), whose
    continuous minimum is n*; the ``incumbent`` is kept unless the best is expected
    KEEP_UNLESS_NARROWER of its width or less (the width goes as the square root).
    ``penalty(n)`` multiplies that variance where the design pays for more epochs
    otherwise (a race's family of looks).  ``max_rounds`` below ``min_rounds``:
    ``min_rounds``."""
    if not (c.setup_s >= 0 and c.round_s > 0):
        raise ValueError("costs must be non-negative, a round's positive")
    grid = [n for n in ROUNDS_GRID if min_rounds <= n <= max_rounds] or [min_rounds]

    def cost(rounds: int) -> float:
        paid = penalty(rounds) if penalty is not None else 1.0
        return paid * (c.process_var + c.round_var / rounds) * (c.setup_s + rounds * c.round_s)
    best = min(grid, key=lambda n: (cost(n), n))
    if incumbent in grid and math.sqrt(cost(best)) > KEEP_UNLESS_NARROWER * math.sqrt(
            cost(incumbent)):
        return incumbent
    return best
