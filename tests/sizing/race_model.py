"""Simulated points with known speeds for the race's rules: a two-level model with a
process draw per worker, a start-order effect, a drift common to a round, round noise and
the occasional starved block (the shapes ``tests/stats/ab_model.py`` uses for A/B runs,
widened to many points)."""

from __future__ import annotations

import math

import numpy as np

from perfbench.sizing.race import REFERENCE, Race, RaceRules, play_epoch

ROUND_SD = 0.03           # one block's log FPS, beyond the common drift
PROCESS_SD = 0.017        # the conv pair's process SD on the Xeon VM
ORDER_EFFECT = 0.03       # last-started worker this much faster than the first (log)
SHOCK_RATE = 0.02         # share of blocks starved by a neighbour
SHOCK = math.log(4.5)


def measurer(true_ratio: dict[str, float], process_sd=PROCESS_SD, order_effect=ORDER_EFFECT,
             round_sd=ROUND_SD, die: dict[str, int] | None = None):
    """A ``measure`` for :func:`play_epoch`: ``process_sd`` a number or a per-point dict;
    ``die`` {key: epoch} makes that point's worker fail in that epoch."""
    sd = process_sd if isinstance(process_sd, dict) else dict.fromkeys(true_ratio, process_sd)
    state = {"epoch": 0}

    def measure(points, order, rounds, rng, failed):
        m = len(points)
        rank = {k: i for i, k in enumerate(order)}
        base = np.array([math.log(true_ratio[k]) + rng.normal(0, sd[k]) +
                         (order_effect * (rank[k] / (m - 1) - 0.5) if m > 1 else 0.0)
                         for k in points])
        drift = np.cumsum(rng.normal(0, 0.05, rounds))
        noise = rng.normal(0, round_sd, (rounds, m))
        shocks = np.where(rng.random((rounds, m)) < SHOCK_RATE, -SHOCK, 0.0)
        logs = base[None, :] + drift[:, None] + noise + shocks
        out = []
        dead = [k for k, e in (die or {}).items() if e == state["epoch"] and k in points]
        for r in range(rounds):
            fps = {k: float(math.exp(5 + logs[r, i])) for i, k in enumerate(points)
                   if not (k in dead and r >= rounds // 2)}
            out.append({"order": list(order), "fps": fps})
        for k in dead:
            failed[k] = "worker died"
        state["epoch"] += 1
        return out, 1.0
    return measure


def race_of(true_ratio: dict[str, float], rules: RaceRules | None = None) -> Race:
    keys = [REFERENCE] + [k for k in true_ratio if k != REFERENCE]
    return Race(keys, {k: {} for k in keys}, rules or RaceRules())


def play(rng, true_ratio: dict[str, float], rules: RaceRules | None = None,
         capacity: int = 1000, rounds: int = 8, **model) -> Race:
    race = race_of(true_ratio, rules)
    measure = measurer(true_ratio, **model)
    while race.status == "running":
        play_epoch(race, measure, capacity, rng, rounds)
    return race
