"""How many rounds a race's epochs hold, and how many epochs it plans: sized from earlier
races of the same grid on this machine (Kalibera & Jones' dimensioning, as ``perfbench
ab`` sizes its epochs), unless ``--epoch-time`` fixes them.

An epoch costs each point a worker start (c_s) and each round a block with its warm-up
(c_r); a cell's level has variance σ_b² + σ_w²/n.  What is held fixed is the wall time
the default design would take per point (its ~``epoch_s`` of rounds, its epochs planned
from ``--point-time``), W = K₀(c_s + n₀c_r), or what a binding ``--budget`` leaves a
point.  Within it the race plans K(n) = ⌊W/(c_s + n·c_r)⌋ epochs of n rounds, and a
contrast's interval goes as z_K²(σ_b² + σ_w²/n)/K(n), z_K the critical value of the
family its K looks make: the grid point that minimises it is chosen
(:func:`perfbench.stats.dimensioning.rounds_for_rate`, Kalibera & Jones' n* when the
looks are not counted).  n is capped so that a point still gets six epochs (looks) in
each of its waves, and a pool that measured no process level at all gives the defaults:
"none measured" is not a licence for one long epoch.

The components come from the race's own epochs once it ends
(:func:`perfbench.stats.racing.variance_components`), stored in the A/B cache under a
key of this machine, the grid and the block length; a later race of the grid pools them
(by degrees of freedom, the process level clamped once, after pooling).  The design is
chosen before the race measures a round, from earlier races only, so it sets the
intervals' width; through the number of looks it moves their coverage a little too (a
race's final intervals come after its looks: simulated, 93.8 % against the default
design's 94.5 %, tests/sizing/test_race_design.py).  Races that ended on a decision
stopped on data that looked decisive, so their variance is if anything low (the A/B's
early stop); the design, not an interval, is all it sets.  The count is chosen for the
first epoch's points and kept: the default design's rounds grow as points leave, a
dimensioned one's do not.
"""

from __future__ import annotations

import math
from dataclasses import replace
from statistics import NormalDist

import openvino as ov

from perfbench.results.ab import EpochDesign
from perfbench.runner import ab_cache
from perfbench.runner.ab import machine
from perfbench.sizing.race import MAX_PLANNED_EPOCHS, MIN_EPOCH_ROUNDS, Race, epoch_rounds
from perfbench.stats import dimensioning
from perfbench.stats.racing import MIN_DECISION_EPOCHS, variance_components

#: Epochs (looks) each wave of points keeps at the most rounds a design may choose.
MIN_LOOKS = 6


def grid_key(settings: dict[str, dict], block_s: float) -> str:
    """``settings``: each point's whole settings, as its worker runs them (the model, the
    fixed settings and the point's own)."""
    return ab_cache.race_components_key(machine(), settings, ov.get_version(), block_s)


def default_epochs(rounds: int, block_s: float, point_time_s: float) -> int:
    """The epochs an undimensioned race plans: about ``--point-time`` of blocks."""
    planned = math.ceil(point_time_s / (rounds * block_s))
    return int(min(max(planned, MIN_DECISION_EPOCHS), MAX_PLANNED_EPOCHS))


def choose(race: Race, settings: dict[str, dict], points: int, waves: int, block_s: float,
           warmup_s: float, point_time_s: float, dimension: bool,
           budget_per_point_s: float | None = None, fixed_by: str | None = None) -> None:
    """Set the race's rounds per epoch and its ``design``, once its block length is
    known (the first epoch's probe, over ``points`` workers in ``waves`` waves); a
    resumed race keeps the design it had.  Undimensioned, the design records the first
    epoch's rounds (later epochs, with fewer points, hold more).  ``dimension``: False
    under ``--epoch-time`` or a spec's ``max_epochs`` (the epochs' count fixed, more
    rounds would only lengthen the race; ``fixed_by`` names which, by default
    ``--epoch-time``);
    ``budget_per_point_s``: what a ``--budget`` leaves each point, when it binds before
    the default design's wall time does."""
    if race.design is not None:
        return
    default = epoch_rounds(race.rules, points, block_s, warmup_s)

    def keep(chosen_by: str, reason: str) -> None:
        race.design = EpochDesign(default, chosen_by, reason, point_time_s)
    if not dimension:
        return keep("fixed", f"{fixed_by or f'--epoch-time {race.rules.epoch_s:g}'}: "
                    f"epochs of about {race.rules.epoch_s:g} s of rounds")
    try:
        known = ab_cache.load_components(grid_key(settings, block_s))
    except Exception as exc:            # the design is an optimisation: never the race's end
        return keep("defaults", f"the earlier races could not be read ({exc})")
    refusal = ab_cache.no_design(known, "races", "this grid")
    if refusal is not None:
        return keep("defaults", refusal)
    assert known is not None            # no_design gives a reason for a missing one
    c = known.components
    if c.process_var <= 0:
        return keep("defaults", "earlier races measured no process level beyond the "
                    "rounds' noise: nothing to size the epochs from")
    wall = default_epochs(default, block_s, point_time_s) * (c.setup_s + default * c.round_s)
    if budget_per_point_s is not None:
        wall = min(wall, budget_per_point_s)
    most = math.floor((wall / (MIN_LOOKS * max(waves, 1)) - c.setup_s) / c.round_s + 1e-9)

    def epochs_of(rounds: int) -> int:
        fitted = math.floor(wall / (c.setup_s + rounds * c.round_s) + 1e-9)
        return int(min(max(fitted, MIN_DECISION_EPOCHS), MAX_PLANNED_EPOCHS))

    def planned_cost(rounds: int) -> float:
        """rounds_for_rate's variance per second of wall time is (σ_b² + σ_w²/n)(c_s +
        n c_r); the race plans ⌊W/(c_s + n c_r)⌋ epochs, not the continuous count, and
        more epochs are more looks, a family of more tests over all the race's points
        whose critical value z widens each elimination: what it then gets is z²(σ_b² +
        σ_w²/n)/K, so this factor turns the one into the other (up to the constant W)."""
        epochs = epochs_of(rounds)
        tests = replace(race.rules, max_epochs=epochs).tests(len(race.keys))
        z = NormalDist().inv_cdf(1 - race.rules.alpha / tests)
        return z * z / (epochs * (c.setup_s + rounds * c.round_s))
    rounds = dimensioning.rounds_for_rate(c, MIN_EPOCH_ROUNDS, most, known.last_rounds,
                                          penalty=planned_cost)
    race.rules = replace(race.rules, rounds=rounds)
    race.design = EpochDesign(
        rounds, "dimensioned",
        f"from {known.runs} earlier race{'s' if known.runs != 1 else ''}: Kalibera & "
        f"Jones' optimum {dimensioning.optimal_rounds(c):.1f} rounds per epoch; on the "
        f"grid, {MIN_EPOCH_ROUNDS} to {max(most, MIN_EPOCH_ROUNDS)} rounds ({MIN_LOOKS} "
        f"epochs a wave), the least variance (the looks' family counted) in "
        f"{'the budget' if wall == budget_per_point_s else 'the default design'}'s "
        f"{wall:.0f} s a point",
        point_time_s, runs=known.runs, round_sd_pct=_pct(c.round_var),
        process_sd_pct=_pct(c.process_var), setup_s=c.setup_s, round_s=c.round_s,
        expected_epochs=epochs_of(rounds))


def _pct(variance: float) -> float:
    return 100 * math.sqrt(max(variance, 0.0))


def costs(race: Race, block_s: float, warmup_s: float) -> tuple[float, float] | None:
    """Per point: a worker's start and a round's block, from the epochs after the first
    (whose time holds the block-length probe).  Where the rounds say when their blocks
    ran, a round is their span over the blocks (warm-ups and the replies between blocks
    counted) and a start is the rest of the epoch; else a round is its block and warm-up."""
    epochs = [e for e in race.epochs if e.points and e.rounds and e.wall_s > 0]
    epochs = epochs[1:] if len(epochs) > 1 else epochs
    started, spans, points, blocks_run = 0.0, 0.0, 0, 0
    for epoch in epochs:
        blocks = [b for r in epoch.rounds for b in r.get("blocks", [])]
        span = (max(b["t_end"] for b in blocks) - min(b["t_start"] for b in blocks)
                if blocks else len(epoch.rounds) * len(epoch.points) * (block_s + warmup_s))
        started += max(epoch.wall_s - span, 0.0)
        spans += span
        points += len(epoch.points)
        blocks_run += len(epoch.rounds) * len(epoch.points)
    if not points or spans <= 0:
        return None
    # over all the points started, not a mean of epochs: a late epoch of two points
    # (which start less in parallel) would weigh as much as a first one of sixteen
    return started / points, spans / blocks_run


def store(race: Race, settings: dict[str, dict], block_s: float | None,
          warmup_s: float) -> None:
    """This race's components and costs, for the next race of its grid (a race of fewer
    than MIN_DECISION_EPOCHS epochs, or without a residual degree of freedom, gives
    none).  The rounds it stores as the incumbent design are the grid point of its
    chosen count, or none for an undimensioned race (its epochs grew as points left)."""
    if block_s is None or len(race.epochs) < MIN_DECISION_EPOCHS:
        return
    measured = variance_components(race.levels,
                                   [e.log_fps(race.keys) for e in race.epochs])
    paid = costs(race, block_s, warmup_s)
    if measured is None or paid is None:
        return
    ab_cache.store_components(grid_key(settings, block_s), measured, paid[0], paid[1],
                              race.rules.rounds or 0)
