import math

import numpy as np
import pytest

from perfbench.stats.percentiles import Moments, nearest_rank, percentile, summarize


def test_nearest_rank_hand_computed():
    # Ten samples 10..100: p50 -> rank ceil(5)=5 -> 50; p90 -> rank 9 -> 90;
    # p95 -> rank ceil(9.5)=10 -> 100; p10 -> rank 1 -> 10; p0 -> the minimum.
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert percentile(values, 50) == 50
    assert percentile(values, 90) == 90
    assert percentile(values, 95) == 100
    assert percentile(values, 10) == 10
    assert percentile(values, 11) == 20
    assert percentile(values, 0) == 10
    assert percentile(values, 100) == 100


def test_nearest_rank_no_float_rounding_up():
    # 99.9 % of 1000 is exactly rank 999; naive float math gives 999.0000000000001 -> 1000.
    assert nearest_rank(1000, 99.9) == 998
    assert nearest_rank(1, 99.9) == 0


def test_nearest_rank_rejects_bad_input():
    with pytest.raises(ValueError):
        nearest_rank(0, 50)
    with pytest.raises(ValueError):
        nearest_rank(10, 101)


def test_summarize_known_data():
    stats = summarize([4.0, 1.0, 3.0, 2.0])
    assert stats.count == 4
    assert (stats.min, stats.max) == (1.0, 4.0)
    assert stats.mean == 2.5
    assert stats.std == pytest.approx(math.sqrt(5 / 3))  # sample std of 1..4
    assert stats.median == 2.0                              # nearest rank: lower middle
    assert stats.p99 == 4.0 and stats.p99_9 == 4.0
    assert stats.exact


def test_summarize_single_sample_has_zero_std():
    assert summarize([7.0]).std == 0.0


def test_moments_merged_in_chunks_match_numpy():
    values = np.random.default_rng(3).lognormal(1, 0.5, 10_001)
    moments = Moments()
    for chunk in np.array_split(values, 7):
        moments.add(chunk)
    moments.add(np.array([]))
    assert moments.count == len(values)
    assert moments.mean == pytest.approx(values.mean(), rel=1e-12)
    assert moments.std == pytest.approx(values.std(ddof=1), rel=1e-10)
    assert (moments.min, moments.max) == (values.min(), values.max())


def test_ours_and_benchmark_apps_percentile_differ_where_documented():
    """n · p/100 whole: nearest rank takes rank n·p/100 (the lower middle for a median),
    benchmark_app index ⌊n·p/100⌋, one higher (the upper middle); otherwise they agree."""
    from perfbench.stats.percentiles import peer_percentile, percentile
    four = [1.0, 2.0, 3.0, 4.0]
    assert percentile(four, 50) == 2.0 and peer_percentile(four, 50) == 3.0
    hundred = [float(i) for i in range(1, 101)]
    assert percentile(hundred, 90) == 90.0 and peer_percentile(hundred, 90) == 91.0
    five = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert percentile(five, 50) == peer_percentile(five, 50) == 3.0
    assert peer_percentile(four, 100) == 4.0
