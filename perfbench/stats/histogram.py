"""A compact, mergeable latency histogram: what a block's latencies are, in a few kB.

Paired A/B blocks hold 20-100 requests each, too few for a block's own tail percentile to
mean anything (its "p99" is its maximum); tails are only honest from latencies pooled over
many blocks.  Shipping every latency from a worker and storing it in results would be
unbounded, so a block carries this histogram instead: logarithmic buckets 1 % wide, bucket
``i`` holding ``[MIN_MS·GROWTH^i, MIN_MS·GROWTH^(i+1))``, kept sparse as ``{i: count}``.
A percentile is the nearest rank's bucket, placed within the bucket by its rank, so it is
within the bucket's width (1 %) of the exact nearest-rank latency.  Histograms of
blocks, sides or runs merge by adding counts.

Values are clamped to [1 µs, 1000 s], which bounds a histogram to ``MAX_INDEX + 1``
buckets whatever it holds.  Plain Python and numpy (``stats`` never imports OpenVINO).
"""

from __future__ import annotations

import math

import numpy as np

from perfbench.results.types import (HISTOGRAM_GROWTH, HISTOGRAM_MAX_INDEX, HISTOGRAM_MAX_MS,
                                     HISTOGRAM_MIN_MS)


GROWTH = HISTOGRAM_GROWTH
MIN_MS = HISTOGRAM_MIN_MS
MAX_MS = HISTOGRAM_MAX_MS
_LOG_GROWTH = math.log(GROWTH)
#: The bucket of MAX_MS, the last one.
MAX_INDEX = HISTOGRAM_MAX_INDEX


def bucket_centre(index):
    """The latency a bucket stands for (ms): its geometric centre; ``index`` may be an
    array."""
    return MIN_MS * np.power(GROWTH, np.asarray(index) + 0.5)


def percentiles_of_counts(counts: np.ndarray, indices: np.ndarray, p: float) -> np.ndarray:
    """Nearest-rank percentile (ms) of each row of bucket counts over buckets ``indices``,
    placed within its bucket by its rank (log-linear between the bucket's edges): bucket
    centres alone would move every ratio of two percentiles in 1 % steps, and an A/A
    interval could read [1.0000, 1.0000]."""
    counts = np.atleast_2d(counts)
    cumulative = np.cumsum(counts, axis=-1)
    # The rank of percentiles.nearest_rank (rounded first: 99.9 % of 1000 is rank 999,
    # not the maximum's 1000, as the bare product 999.0000000000001 would make it).
    rank = np.maximum(np.ceil(np.round(p * cumulative[:, -1:] / 100.0, 9)), 1)
    column = np.argmax(cumulative >= rank, axis=-1)
    rows = np.arange(len(counts))
    inside = counts[rows, column]
    before = cumulative[rows, column] - inside
    position = np.clip((rank[:, 0] - before - 0.5) / np.maximum(inside, 1), 0.0, 1.0)
    return MIN_MS * np.power(GROWTH, indices[column] + position)


class LogHistogram:
    """Latency counts in 1 %-wide logarithmic buckets (milliseconds)."""

    def __init__(self, counts: dict[int, int] | None = None):
        self.counts: dict[int, int] = dict(counts or {})

    def __eq__(self, other) -> bool:
        return isinstance(other, LogHistogram) and self.counts == other.counts

    def __repr__(self) -> str:
        return f"LogHistogram(count={self.count}, buckets={len(self.counts)})"

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def add(self, values, weights=None) -> None:
        """Count ``values`` (ms; ``weights`` counts each, for re-bucketing another
        histogram).  Vectorised: a block's latencies are counted in one pass."""
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            return
        if not np.all(np.isfinite(values)):
            raise ValueError("latencies must be finite numbers")
        clamped = np.clip(values, MIN_MS, MAX_MS)
        index = np.floor(np.log(clamped / MIN_MS) / _LOG_GROWTH).astype(np.int64)
        np.clip(index, 0, MAX_INDEX, out=index)
        first = int(index.min())
        totals = np.bincount(index - first, weights=weights)
        for offset in np.flatnonzero(totals):
            key = first + int(offset)
            self.counts[key] = self.counts.get(key, 0) + int(round(totals[offset]))

    def merge(self, other: "LogHistogram") -> "LogHistogram":
        """Add ``other``'s counts to this one (in place); returns this histogram."""
        for index, count in other.counts.items():
            self.counts[index] = self.counts.get(index, 0) + count
        return self

    def percentile(self, p: float) -> float:
        """The nearest-rank p-th percentile (ms), placed within its bucket by rank."""
        if not self.count:
            raise ValueError("no samples")
        indices = sorted(self.counts)
        counts = np.array([self.counts[i] for i in indices], dtype=np.float64)
        return float(percentiles_of_counts(counts, np.asarray(indices, dtype=np.float64),
                                           p)[0])

    def to_dict(self) -> dict:
        """``{"growth", "min_ms", "counts": [[index, count], ...]}``, sorted by index: compact
        and stable, for replies and stored results."""
        return {"growth": GROWTH, "min_ms": MIN_MS,
                "counts": [[index, self.counts[index]] for index in sorted(self.counts)]}

    @classmethod
    def from_dict(cls, data) -> "LogHistogram":
        """The histogram :meth:`to_dict` wrote; ValueError naming the fault otherwise."""
        if not isinstance(data, dict):
            raise ValueError(f"a latency histogram is a table, not {type(data).__name__}")
        if data.get("growth") != GROWTH:
            raise ValueError(f"latency histogram: growth {data.get('growth')!r}, expected {GROWTH}")
        if data.get("min_ms") != MIN_MS:
            raise ValueError(f"latency histogram: min_ms {data.get('min_ms')!r}, expected {MIN_MS}")
        pairs = data.get("counts")
        if not isinstance(pairs, list):
            raise ValueError("latency histogram: counts must be a list of [index, count]")
        counts: dict[int, int] = {}
        for pair in pairs:
            index, count = _pair(pair)
            if index in counts:
                raise ValueError(f"latency histogram: index {index} appears twice")
            counts[index] = count
        return cls(counts)


def _pair(pair) -> tuple[int, int]:
    """One ``[index, count]`` of a stored histogram, checked."""
    if not (isinstance(pair, list) and len(pair) == 2):
        raise ValueError(f"latency histogram: {pair!r} is not an [index, count] pair")
    index, count = pair
    if type(index) is not int or not 0 <= index <= MAX_INDEX:
        raise ValueError(f"latency histogram: index {index!r} outside 0..{MAX_INDEX}")
    if type(count) is not int or count <= 0:
        raise ValueError(f"latency histogram: count {count!r} must be a positive integer")
    return index, count
