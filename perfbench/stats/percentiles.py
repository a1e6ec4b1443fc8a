"""Latency statistics with one documented percentile definition.

Percentiles use the **nearest-rank** method: the p-th percentile of n sorted samples is the
sample at 1-based rank ``ceil(p/100 · n)`` (rank 1 for p = 0), HdrHistogram's definition.
It always returns a latency that was really observed and needs no interpolation between
two requests that never took the in-between time; the median of an even count is the
*lower* middle sample.

benchmark_app differs: it takes the sample at 0-based index ``floor(n · p/100)``, which is
one rank higher whenever n · p/100 is a whole number (its median of an even count is the
*upper* middle sample).  :func:`peer_percentile` reproduces it, so the two tools' figures
can be compared like with like (``benchmarks/vs_benchmark_app.py``).
The standard deviation is the sample standard deviation (n − 1 denominator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from perfbench.results.types import PERCENTILES, LatencyStats, field_for  # noqa: F401 (re-exported)



def nearest_rank(n: int, p: float) -> int:
    """0-based index of the p-th percentile in n sorted samples."""
    if n <= 0:
        raise ValueError("no samples")
    if not 0 <= p <= 100:
        raise ValueError("percentile must be within [0, 100]")
    # round() guards against 99.9 * 1000 / 100 landing a hair above 999.
    rank = math.ceil(round(p * n / 100.0, 9))
    return min(max(rank, 1), n) - 1


def percentile(sorted_values, p: float) -> float:
    return float(sorted_values[nearest_rank(len(sorted_values), p)])


def peer_percentile(sorted_values, p: float) -> float:
    """benchmark_app's percentile: index ⌊n·p/100⌋ of the sorted samples (clamped)."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no samples")
    return float(sorted_values[min(int(math.floor(round(n * p / 100.0, 9))), n - 1)])


def summarize(samples) -> LatencyStats:
    values = np.sort(np.asarray(samples, dtype=np.float64))
    n = len(values)
    if n == 0:
        raise ValueError("no latency samples")
    std = float(np.std(values, ddof=1)) if n > 1 else 0.0
    points = {name: percentile(values, p) for name, p in PERCENTILES.items()}
    return LatencyStats(count=n, min=float(values[0]), mean=float(values.mean()), std=std,
                        max=float(values[-1]), exact=True, **points)


@dataclass
class Moments:
    """Running count/mean/M2/min/max, merged chunk by chunk (Chan et al.), so mean and std
    stay exact even when the samples themselves are no longer kept."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def add(self, chunk: np.ndarray) -> None:
        if len(chunk):
            mean = float(chunk.mean())
            self.merge(Moments(len(chunk), mean, float(((chunk - mean) ** 2).sum()),
                               float(chunk.min()), float(chunk.max())))

    def merge(self, other: "Moments") -> None:
        if other.count == 0:
            return
        total = self.count + other.count
        delta = other.mean - self.mean
        self.mean += delta * other.count / total
        self.m2 += other.m2 + delta * delta * self.count * other.count / total
        self.count = total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else 0.0
