"""A two-level model of interleaved A/B runs with known answers, for the statistics tests.

Per-round log-ratio in epoch e:  ln(true ratio) + b_e + AR(1) round noise, b_e ~ N(0, σ_b)
drawn once per epoch (a fresh pair of worker processes).  The defaults follow what the
project's VMs showed: a round's paired log-ratio spreads by a few per cent (block CV
20-34 % pairs down to ~4 %), neighbouring rounds correlate (drift faster than a round),
and identical sides in separate processes differed by ~0.75 % from run to run (σ_b).
"""

from __future__ import annotations

import math

import numpy as np

ROUND_SD = 0.04
RHO = 0.5
PROCESS_SD = 0.0075
EPOCH_ROUNDS = 40


def epoch(rng, true_ratio: float, rounds: int = EPOCH_ROUNDS, round_sd: float = ROUND_SD,
          rho: float = RHO, process_sd: float = PROCESS_SD) -> list[float]:
    shift = math.log(true_ratio) + rng.normal(0, process_sd)
    noise, out = rng.normal(0, round_sd), []
    for _ in range(rounds):
        noise = rho * noise + rng.normal(0, round_sd * math.sqrt(1 - rho * rho))
        out.append(shift + noise)
    return out


def run(rng, true_ratio: float, epochs: int, **kwargs) -> list[list[float]]:
    return [epoch(rng, true_ratio, **kwargs) for _ in range(epochs)]
