"""Pooled latency-percentile ratios and their bootstrap over epochs and rounds."""

import math

import numpy as np
import pytest

from perfbench.stats.tails import tail_ratio

GROWTH, MIN_MS = 1.01, 0.001


def _hist(latencies_ms) -> dict:
    counts = {}
    for x in latencies_ms:
        i = int(math.floor(math.log(x / MIN_MS) / math.log(GROWTH)))
        counts[i] = counts.get(i, 0) + 1
    return {"growth": GROWTH, "min_ms": MIN_MS, "counts": sorted(counts.items())}


def test_pooled_p99_is_not_a_mean_of_block_maxima():
    """20-request blocks: each block's "p99" is its maximum, about the 97.5th percentile.
    Pooled over 50 blocks, the p99 is the 10th largest of 1,000 latencies, close to the
    true p99 (exp(0.3 · 2.326) = 2.01 for this lognormal) where block maxima are not."""
    rng = np.random.default_rng(0)
    blocks = [rng.lognormal(0, 0.3, 20) for _ in range(50)]
    pooled = np.sort(np.concatenate(blocks))
    expected = pooled[math.ceil(0.99 * 1000) - 1]
    base = [_hist(b) for b in blocks]
    new = [_hist(b * 1.10) for b in blocks]
    tail = tail_ratio(base, new, [i // 10 for i in range(50)], 99.0)
    assert tail.base_ms == pytest.approx(expected, rel=0.006)
    true_p99 = math.exp(0.3 * 2.3263)
    assert abs(tail.base_ms - true_p99) < abs(np.mean([b.max() for b in blocks]) - true_p99)
    assert tail.ratio == pytest.approx(1.10, rel=0.011)
    assert tail.low <= tail.ratio <= tail.high


def test_epoch_level_shifts_widen_the_interval():
    """Same rounds, but NEW's latency shifts by epoch (a process-level effect): resampling
    epochs sees that spread; a single epoch cannot (and says so)."""
    rng = np.random.default_rng(1)
    base = [_hist(rng.lognormal(0, 0.2, 200)) for _ in range(40)]
    shifts = np.repeat([0.95, 1.05, 0.97, 1.03], 10)
    new = [_hist(rng.lognormal(0, 0.2, 200) * s) for s in shifts]
    by_epoch = tail_ratio(base, new, list(np.repeat([0, 1, 2, 3], 10)), 50.0)
    one_epoch = tail_ratio(base, new, [0] * 40, 50.0)
    assert by_epoch.half_width_pct > one_epoch.half_width_pct
    assert "epochs and rounds" in by_epoch.method and "not counted" in one_epoch.method


def test_nothing_to_pool_gives_none():
    assert tail_ratio([], [], [], 99.0) is None
    with pytest.raises(ValueError):
        tail_ratio([_hist([1.0])], [{"growth": 1.02, "min_ms": MIN_MS, "counts": [[1, 1]]}],
                   [0], 50.0)


def test_an_a_a_interval_is_never_zero_width_and_a_small_change_is_covered():
    """Percentiles are placed within their 1 % bucket by rank, so ratios are not stuck
    on powers of 1.01: identical sides give an interval around 1 of non-zero width, and a
    1.2 % slowdown is inside its interval."""
    rng = np.random.default_rng(3)
    for true in (1.0, 1.012):
        base = [_hist(rng.lognormal(0, 0.25, 300)) for _ in range(240)]
        new = [_hist(rng.lognormal(0, 0.25, 300) * true) for _ in range(240)]
        tail = tail_ratio(base, new, [i // 40 for i in range(240)], 50.0)
        assert tail.high > tail.low and tail.low <= true <= tail.high


def _fast_hist(latencies_ms: np.ndarray) -> dict:
    index = np.floor(np.log(latencies_ms / MIN_MS) / math.log(GROWTH)).astype(int)
    values, counts = np.unique(index, return_counts=True)
    return {"growth": GROWTH, "min_ms": MIN_MS,
            "counts": [[int(v), int(c)] for v, c in zip(values, counts)]}


def _tail_coverage(rng, runs: int, epochs: int, p: float, process_sd: float = 0.04,
                   rounds: int = 4, requests: int = 50) -> float:
    """A/A runs where each epoch's processes shift their latencies by e^N(0, process_sd)
    (the process level dominates the rounds' sampling noise): the share of intervals
    holding the true ratio, 1."""
    hits = 0
    for _ in range(runs):
        base, new, epoch_of = [], [], []
        for e in range(epochs):
            shifts = np.exp(rng.normal(0, process_sd, 2))
            for _ in range(rounds):
                base.append(_fast_hist(rng.lognormal(0, 0.25, requests) * shifts[0]))
                new.append(_fast_hist(rng.lognormal(0, 0.25, requests) * shifts[1]))
                epoch_of.append(e)
        tail = tail_ratio(base, new, epoch_of, p, samples=200, seed=int(rng.integers(1 << 30)))
        hits += tail.low <= 1 <= tail.high
    return hits / runs


@pytest.mark.parametrize("epochs", [3, 4])
def test_the_tail_interval_counts_the_process_level_with_few_epochs(epochs):
    """The percentile bootstrap covered 86-87 % at 3-4 epochs here; the t interval on the
    bootstrap SD keeps its 95 % (within the sampling error of 150 runs)."""
    coverage = _tail_coverage(np.random.default_rng(100 + epochs), 150, epochs, 50.0)
    assert coverage >= 0.92
