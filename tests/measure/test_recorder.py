import numpy as np
import pytest

from perfbench.measure.recorder import LatencyRecorder, LogHistogram
from perfbench.stats.percentiles import summarize


def _feed(recorder, values, chunks=20):
    for chunk in np.array_split(values, chunks):
        recorder.pending.extend(chunk)
        recorder.flush()


def test_flush_returns_window_samples_and_empties_buffer():
    recorder = LatencyRecorder()
    recorder.pending.extend([1.0, 2.0, 3.0])
    assert list(recorder.flush()) == [1.0, 2.0, 3.0]
    assert len(recorder.pending) == 0
    assert len(recorder.flush()) == 0
    assert recorder.count == 3


def test_exact_mode_equals_direct_summary():
    values = np.random.default_rng(0).gamma(2.0, 3.0, 5000)
    recorder = LatencyRecorder()
    _feed(recorder, values)
    assert recorder.summary() == summarize(values)


def test_histogram_mode_within_tolerance_and_memory_bounded():
    values = np.random.default_rng(1).lognormal(0, 1, 200_000)
    recorder = LatencyRecorder(exact_limit=1000)
    _feed(recorder, values, chunks=50)
    approx, exact = recorder.summary(), summarize(values)
    assert not approx.exact
    assert approx.count == exact.count
    assert approx.mean == pytest.approx(exact.mean, rel=1e-12)
    assert approx.std == pytest.approx(exact.std, rel=1e-9)
    for name in ("median", "p90", "p95", "p99", "p99_9"):
        # the documented bound: half a bucket (relative width 1e-4) = 0.005 %
        assert getattr(approx, name) == pytest.approx(getattr(exact, name), rel=5e-5), name
    assert (approx.min, approx.max) == (exact.min, exact.max)
    assert recorder._exact == []          # samples beyond the limit are not kept


def test_histogram_clamps_out_of_range_values():
    hist = LogHistogram(low=1.0, high=100.0, rel_width=0.01)
    hist.add(np.array([0.001, 50.0, 1e9]))
    assert hist.counts.sum() == 3
    assert hist.counts[0] == 1 and hist.counts[-1] == 1


def _recorder_bytes(recorder):
    return (sum(a.nbytes for a in recorder._exact) + recorder.histogram.counts.nbytes
            + recorder.pending.buffer_info()[1] * recorder.pending.itemsize)


def test_memory_stays_bounded_on_long_runs():
    """An hour at 10,000 inferences/s is 36 M latencies; storage must stay under 32 MB and
    stop growing once the exact limit is passed, with percentiles within 0.1 % of exact.
    Here: a quarter of that volume in 1 s windows of 10,000 samples."""
    rng = np.random.default_rng(2)
    recorder = LatencyRecorder()
    everything = []
    sizes = []
    for second in range(900):
        window = rng.gamma(4.0, 0.025, 10_000) + 0.05      # ~0.15 ms latencies
        everything.append(window)
        recorder.pending.extend(window)
        recorder.flush()
        if second % 100 == 99:
            sizes.append(_recorder_bytes(recorder))
    assert max(sizes) < 32 * 2**20
    assert sizes[-1] <= sizes[2]                # no growth once past the exact limit
    approx, exact = recorder.summary(), summarize(np.concatenate(everything))
    assert not approx.exact and approx.count == exact.count == 9_000_000
    for name in ("median", "p90", "p95", "p99", "p99_9"):
        assert getattr(approx, name) == pytest.approx(getattr(exact, name), rel=1e-3), name


def test_histogram_band_update_matches_full_bincount():
    hist = LogHistogram()
    values = np.random.default_rng(8).lognormal(0, 2, 5000)
    hist.add(values)
    hist.add(np.array([]))
    idx = np.floor(np.log(np.clip(values, hist.low, None) / hist.low) / hist.log_step)
    expected = np.bincount(np.clip(idx.astype(np.int64), 0, hist.size - 1), minlength=hist.size)
    assert np.array_equal(hist.counts, expected)


def test_count_above_exact_and_histogram_modes():
    values = np.arange(1.0, 10_001.0)                # 1..10000 ms
    exact, approx = LatencyRecorder(), LatencyRecorder(exact_limit=10)
    _feed(exact, values)
    _feed(approx, values)
    assert exact.count_above(9_000.0) == 1000
    assert exact.count_above(20_000.0) == 0 and exact.count_above(0.5) == 10_000
    assert not approx.exact
    assert abs(approx.count_above(9_000.0) - 1000) <= 1    # bucket resolution at the bound


def test_pooling_leaves_each_trial_recorder_untouched():
    """Per-trial statistics are computed from each trial's recorder after pooling; pooling
    must not merge later trials into the first one (it once did)."""
    first, second = LatencyRecorder(), LatencyRecorder()
    _feed(first, np.full(100, 1.0), chunks=2)
    _feed(second, np.full(300, 5.0), chunks=3)
    pool = LatencyRecorder.pooled([first, second])
    assert pool.count == 400 and pool.summary().median == 5.0
    assert first.count == 100 and first.summary().median == 1.0 and first.summary().max == 1.0
    assert second.count == 300 and second.summary().min == 5.0


def test_percentile_interval_widens_for_windows_that_drift_together():
    """Fed window by window (as the engine flushes), drifting latencies get a wider median
    interval than the same samples in independent windows would."""
    import numpy as np

    from perfbench.measure.recorder import LatencyRecorder
    from perfbench.stats.intervals import quantile_rank_interval
    rng = np.random.default_rng(2)
    recorder = LatencyRecorder()
    for level in np.repeat([10.0, 14.0, 10.0, 14.0, 18.0, 10.0], 5):
        recorder.pending.extend(level + rng.exponential(1.0, 300))
        recorder.flush()
    low, high = recorder.percentile_interval(50)
    values = np.sort(np.concatenate(recorder._exact))
    iid_low, iid_high = quantile_rank_interval(len(values), 50)
    assert low <= values[iid_low] and high >= values[iid_high]
    assert high - low > 3 * (values[iid_high] - values[iid_low])
    assert recorder.summary().median == float(values[len(values) // 2 - 1])


def test_the_compact_histogram_holds_every_sample_within_its_bucket_width():
    from perfbench.stats.histogram import LogHistogram as Compact
    values = np.random.default_rng(3).lognormal(0.0, 0.5, 3000)
    for limit in (10_000, 100):        # exact samples, then past the exact limit
        recorder = LatencyRecorder(exact_limit=limit)
        _feed(recorder, values)
        histogram = recorder.compact_histogram()
        assert isinstance(histogram, Compact) and histogram.count == 3000
        for p in (50, 99):
            exact = float(np.percentile(values, p, method="inverted_cdf"))
            assert histogram.percentile(p) == pytest.approx(exact, rel=0.0051)
