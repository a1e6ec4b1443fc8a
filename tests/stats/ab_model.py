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

from perfbench.stats import sequential

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


def ordered_run(rng, true_ratio: float, epochs: int, order_effect: float,
                first: str = "base", **kwargs) -> tuple[list[list[float]], list[str]]:
    """Epochs with alternating start order, and a fixed start-order effect: the process
    started second runs faster, so the log-ratio moves by ``+order_effect`` when BASE
    started first and ``-order_effect`` when NEW did (7 % on a cache-sized MatMul stack
    on this project's Xeon VM).  The true ratio is the midpoint."""
    other = "new" if first == "base" else "base"
    orders = [first if i % 2 == 0 else other for i in range(epochs)]
    shift = {"base": order_effect, "new": -order_effect}
    out = [[x + shift[o] for x in epoch(rng, true_ratio, **kwargs)] for o in orders]
    return out, orders


def runs(rng, n_runs: int, true_ratio: float, epochs: int, rounds: int = EPOCH_ROUNDS,
         round_sd: float = ROUND_SD, rho: float = RHO, process_sd: float = PROCESS_SD,
         order_effect: float = 0.0) -> tuple[np.ndarray, list[list[str]]]:
    """``n_runs`` runs at once, as an array (run, epoch, round) of log-ratios, and each
    run's start orders (alternating from a random first, as ``perfbench ab`` draws it);
    the start-order effect as in ``ordered_run``."""
    shape = (n_runs, epochs)
    noise = np.empty(shape + (rounds,))
    current = rng.normal(0, round_sd, shape)
    for r in range(rounds):
        current = rho * current + rng.normal(0, round_sd * math.sqrt(1 - rho * rho), shape)
        noise[..., r] = current
    first_new = rng.random(n_runs) < 0.5
    starts = np.where(first_new[:, None] ^ (np.arange(epochs) % 2 == 1), 1.0, -1.0)
    shift = math.log(true_ratio) + rng.normal(0, process_sd, shape) - starts * order_effect
    orders = [["new" if s > 0 else "base" for s in row] for row in starts]
    return noise + shift[..., None], orders


def under_the_rule(run_data: np.ndarray, orders: list[str], threshold: float
                   ) -> tuple[str, int]:
    """One simulated run judged as ``perfbench ab`` judges it (a look per epoch, the
    stopping rule, the judged level by how it stopped): its verdict and the epochs it
    took.  ``run_data`` is one run of :func:`runs` (epoch, round), ``orders`` its starts."""
    epochs = len(run_data)
    looks, stopped = [], None
    for k in range(1, epochs + 1):
        decision, _ = sequential.look([list(e) for e in run_data[:k]], threshold, 0.0,
                                      None, True, orders[:k])
        looks.append(decision)
        if sequential.stop_reason(looks, k) is not None:
            stopped = k
            break
    k = stopped or epochs
    verdict, _ = sequential.judge([list(e) for e in run_data[:k]], threshold,
                                  stopped is not None, None, True, orders[:k])
    return verdict, k
