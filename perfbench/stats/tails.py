"""Latency-percentile ratios of two sides from their pooled latencies, with a bootstrap
interval that respects how the latencies were sampled.

A block holds 20 to a few hundred requests, so a block's "p99" is little more than its
maximum, and a mean of per-block p99 ratios measures something else than anyone reads in
"p99".  Here each side's latencies are pooled over all its blocks (as log-bucketed
histograms: summing counts pools them exactly at the buckets' 1 % resolution) and the
percentile is taken once per side.  Latencies within a round, and rounds within an epoch
(one pair of worker processes), are not independent, so the interval resamples the way
they were drawn: epochs with replacement, then rounds within each drawn epoch, each
resample pooling the chosen rounds' histograms of both sides.

With few epochs a percentile bootstrap undercounts the process level: resampling K
clusters gives their mean a variance (K − 1)/K of the unbiased one, and its quantiles the
normal's tails where K − 1 degrees of freedom need Student's.  Simulated with the process
level dominating, its "95 %" interval covered 86–87 % at 3–4 epochs.  So from two epochs
on, the interval is the log-ratio ± t(level, K − 1) × the bootstrap SD × √(K/(K − 1))
(tests/stats/test_tails.py: coverage at 3 and 4 epochs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from perfbench.stats.paired import RatioFigures

from perfbench.stats.histogram import GROWTH, MIN_MS, percentiles_of_counts
from perfbench.stats.tdist import t_critical


BOOTSTRAP_SAMPLES = 400


@dataclass(frozen=True)
class TailRatio(RatioFigures):
    percentile: float
    ratio: float                # NEW / BASE of the pooled percentile
    low: float
    high: float
    level: float
    base_ms: float
    new_ms: float
    method: str                 # how the interval was resampled



def _dense(hists: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of counts over the union of buckets, and each column's bucket index."""
    if any(h["growth"] != GROWTH or h["min_ms"] != MIN_MS for h in hists):
        raise ValueError("histograms of another bucket layout cannot be pooled")
    indices = sorted({i for h in hists for i, _ in h["counts"]})
    column = {index: c for c, index in enumerate(indices)}
    matrix = np.zeros((len(hists), len(indices)))
    for row, h in enumerate(hists):
        for index, count in h["counts"]:
            matrix[row, column[index]] += count
    return matrix, np.asarray(indices, dtype=np.float64)


def _resample_weights(epoch_of_round: np.ndarray, rng, samples: int) -> np.ndarray:
    """How often each round is drawn in each resample: epochs first, rounds within."""
    epochs = np.unique(epoch_of_round)
    weights = np.zeros((samples, len(epoch_of_round)))
    members = {e: np.flatnonzero(epoch_of_round == e) for e in epochs}
    for s in range(samples):
        for e in rng.choice(epochs, size=len(epochs)):
            rounds = members[e]
            weights[s, rounds] += rng.multinomial(len(rounds), np.full(len(rounds),
                                                                        1 / len(rounds)))
    return weights


def tail_ratio(base: list[dict], new: list[dict], epoch_of_round: list[int], p: float,
               level: float = 0.95, seed: int = 0,
               samples: int = BOOTSTRAP_SAMPLES) -> TailRatio | None:
    """NEW/BASE of the pooled p-th percentile; None without histograms to pool."""
    if not base or len(base) != len(new) or len(base) != len(epoch_of_round):
        return None
    matrix, indices = _dense(base + new)
    base_rows, new_rows = matrix[:len(base)], matrix[len(base):]
    if base_rows.sum() == 0 or new_rows.sum() == 0:
        return None
    base_ms = float(percentiles_of_counts(base_rows.sum(0), indices, p)[0])
    new_ms = float(percentiles_of_counts(new_rows.sum(0), indices, p)[0])
    rng = np.random.default_rng(seed)
    weights = _resample_weights(np.asarray(epoch_of_round), rng, samples)
    logs = (np.log(percentiles_of_counts(weights @ new_rows, indices, p))
            - np.log(percentiles_of_counts(weights @ base_rows, indices, p)))
    epochs = len(set(epoch_of_round))
    if epochs == 1:
        alpha = (1 - level) / 2
        low, high = np.quantile(logs, [alpha, 1 - alpha])
        method = "bootstrap over rounds (one epoch: the process level is not counted)"
    else:
        centre = math.log(new_ms / base_ms)
        half = (t_critical(epochs - 1, level) * float(logs.std(ddof=1))
                * math.sqrt(epochs / (epochs - 1)))
        low, high = centre - half, centre + half
        method = f"bootstrap over epochs and rounds, t with {epochs - 1} dof"
    return TailRatio(p, new_ms / base_ms, math.exp(low), math.exp(high), level, base_ms,
                     new_ms, method)
