"""Latency recording with bounded memory.

The measuring loop only appends floats to :attr:`LatencyRecorder.pending` (an ``array``,
the cheapest thing Python can do per request).  About once a second the engine calls
:meth:`LatencyRecorder.flush`, which folds that buffer, vectorised, into

* the exact samples, kept while there are at most ``exact_limit`` of them (16 MB), so
  ordinary runs report exact percentiles;
* a log-bucketed histogram (fixed 2 MB) with a relative bucket width of 1e-4, whose
  percentiles are within 0.005 % of exact, for runs too long to keep every sample;
* running moments, so mean and std stay exact either way.
"""

from __future__ import annotations

import math
from array import array

import numpy as np

from perfbench.stats.histogram import LogHistogram as CompactHistogram
from perfbench.stats.intervals import quantile_design_effect, quantile_rank_interval
from perfbench.stats.percentiles import PERCENTILES, LatencyStats, Moments, nearest_rank, summarize

DEFAULT_EXACT_LIMIT = 2**21


class LogHistogram:
    """Counts per logarithmic bucket between ``low`` and ``high`` milliseconds."""

    def __init__(self, low: float = 1e-4, high: float = 1e7, rel_width: float = 1e-4):
        self.low = low
        self.log_step = math.log1p(rel_width)
        self.size = int(math.ceil(math.log(high / low) / self.log_step)) + 1
        self.counts = np.zeros(self.size, dtype=np.int64)

    def add(self, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        clipped = np.clip(values, self.low, None)
        idx = np.floor(np.log(clipped / self.low) / self.log_step).astype(np.int64)
        np.clip(idx, 0, self.size - 1, out=idx)
        # One window's latencies occupy a narrow band of buckets: count only that band
        # instead of allocating and adding all 2 MB of buckets once a second.
        first = int(idx.min())
        band = np.bincount(idx - first)
        self.counts[first:first + len(band)] += band

    def value_at(self, rank: int) -> float:
        """Geometric centre of the bucket holding the sample of 0-based ``rank``."""
        cumulative = np.cumsum(self.counts)
        bucket = int(np.searchsorted(cumulative, rank + 1))
        return self.low * math.exp((bucket + 0.5) * self.log_step)


class LatencyRecorder:
    def __init__(self, exact_limit: int = DEFAULT_EXACT_LIMIT):
        self.pending = array("d")
        self.exact_limit = exact_limit
        self._exact: list[np.ndarray] = []      # one chunk per window, in arrival order
        self._sorted: np.ndarray | None = None
        self._exact_count = 0
        self._overflowed = False
        self.histogram = LogHistogram()
        self.moments = Moments()

    @property
    def count(self) -> int:
        return self.moments.count + len(self.pending)

    def flush(self) -> np.ndarray:
        """Fold pending samples into the summaries; return them (one window's samples)."""
        chunk = np.frombuffer(self.pending, dtype=np.float64).copy()
        del self.pending[:]
        if len(chunk) == 0:
            return chunk
        self.histogram.add(chunk)
        self.moments.add(chunk)
        if not self._overflowed:
            if self._exact_count + len(chunk) <= self.exact_limit:
                self._exact.append(chunk)
                self._exact_count += len(chunk)
            else:
                self._exact.clear()
                self._sorted = None
                self._overflowed = True
        return chunk

    def join_last_chunks(self) -> None:
        """Make the latest flushed chunk part of the one before: a short drain tail joins
        the last full window, and the percentile intervals see one window, not two."""
        if len(self._exact) >= 2:
            self._exact[-2:] = [np.concatenate(self._exact[-2:])]

    @classmethod
    def pooled(cls, recorders: list["LatencyRecorder"]) -> "LatencyRecorder":
        """A new recorder holding every sample of ``recorders``, which stay as they were."""
        pool = cls()
        for recorder in recorders:
            pool.absorb(recorder)
        return pool

    def absorb(self, other: "LatencyRecorder") -> None:
        """Add another recorder's samples (copied: ``other`` is left untouched)."""
        self.flush()
        other.flush()
        self.histogram.counts += other.histogram.counts
        self.moments.merge(other.moments)
        if self._overflowed or other._overflowed or \
                self._exact_count + other._exact_count > self.exact_limit:
            self._exact.clear()
            self._sorted = None
            self._overflowed = True
        else:
            self._exact.extend(chunk.copy() for chunk in other._exact)
            self._exact_count += other._exact_count

    @property
    def exact(self) -> bool:
        return not self._overflowed

    def _sorted_exact(self) -> np.ndarray:
        """All exact samples, sorted; the per-window chunks stay as they arrived, for the
        batch-means percentile intervals."""
        if self._sorted is None or len(self._sorted) != self._exact_count:
            merged = np.concatenate(self._exact) if self._exact else np.empty(0)
            merged.sort()
            self._sorted = merged
        return self._sorted

    def samples(self) -> np.ndarray | None:
        """Every latency recorded, sorted; None past the exact limit (only the histogram
        holds them then).  For a block's own compact histogram in the A/B worker."""
        self.flush()
        return self._sorted_exact() if self.exact else None

    def compact_histogram(self) -> CompactHistogram:
        """Every latency as a compact 1 %-bucket histogram (a few kB whatever the run's
        length): what a result stores and an A/B block ships, so distributions can be
        drawn and merged later.  From the exact samples, or past the exact limit from this
        recorder's own 0.01 %-wide buckets counted at their centres (0.005 % more error)."""
        histogram = CompactHistogram()
        samples = self.samples()
        if samples is not None:
            histogram.add(samples)
            return histogram
        fine = self.histogram
        filled = np.flatnonzero(fine.counts)
        histogram.add(fine.low * np.exp((filled + 0.5) * fine.log_step),
                      weights=fine.counts[filled])
        return histogram

    def value_at_rank(self, rank: int) -> float:
        """The latency at 0-based ``rank`` among all samples (exact, or histogram bucket)."""
        self.flush()
        if self.exact:
            return float(self._sorted_exact()[rank])
        value = self.histogram.value_at(rank)
        return min(max(value, self.moments.min), self.moments.max)

    def summary(self) -> LatencyStats:
        self.flush()
        if self.exact:
            return summarize(self._sorted_exact())
        m = self.moments
        points = {name: self.value_at_rank(nearest_rank(m.count, p))
                  for name, p in PERCENTILES.items()}
        return LatencyStats(count=m.count, min=m.min, mean=m.mean, std=m.std, max=m.max,
                            exact=False, **points)

    def count_above(self, bound_ms: float) -> int:
        """How many samples exceed ``bound_ms`` (histogram resolution past the exact limit)."""
        self.flush()
        if self.exact:
            values = self._sorted_exact()
            return int(len(values) - np.searchsorted(values, bound_ms, side="right"))
        edge = int(np.floor(np.log(max(bound_ms, self.histogram.low) / self.histogram.low)
                            / self.histogram.log_step))
        return int(self.histogram.counts[edge + 1:].sum())

    def percentile_interval(self, p: float) -> tuple[float, float]:
        """~95 % confidence interval of the p-th percentile: order statistics, widened by
        the design effect measured over the windows (closed-loop latencies are correlated).
        Past the exact limit the windows are gone and the iid interval is used."""
        effect = 1.0
        if self.exact and self._exact:
            estimate = self.value_at_rank(nearest_rank(self.count, p))
            below = [int(np.count_nonzero(chunk < estimate)) for chunk in self._exact]
            effect = quantile_design_effect(below, [len(c) for c in self._exact], p)
        low, high = quantile_rank_interval(self.count, p, effect)
        return self.value_at_rank(low), self.value_at_rank(high)
