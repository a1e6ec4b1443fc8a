"""The compact, mergeable latency histogram of a block: nearest-rank percentiles within
0.5 % of exact ones, merging, a bounded and stable dictionary form, no OpenVINO."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

from perfbench.stats.histogram import GROWTH, MAX_INDEX, MAX_MS, MIN_MS, LogHistogram

PERCENTS = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]


def _of(values) -> LogHistogram:
    histogram = LogHistogram()
    histogram.add(np.asarray(values, dtype=np.float64))
    return histogram


@pytest.mark.parametrize("seed, mean, sigma", [(1, 0.0, 0.3), (2, 1.0, 1.0), (3, 3.0, 1.5)])
def test_percentiles_are_within_half_a_percent_of_numpys_nearest_rank(seed, mean, sigma):
    """numpy's "inverted_cdf" is the nearest-rank definition: the smallest sample with
    at least p % of the samples at or below it.  (Latencies from 20 µs to 20 s.)"""
    values = np.random.default_rng(seed).lognormal(mean=mean, sigma=sigma, size=20_001)
    assert MIN_MS < values.min() and values.max() < MAX_MS
    histogram = _of(values)
    assert histogram.count == len(values)
    for p in PERCENTS:
        exact = float(np.percentile(values, p, method="inverted_cdf"))
        assert histogram.percentile(p) == pytest.approx(exact, rel=0.005), p


def test_a_bucket_is_one_percent_wide_and_answers_its_geometric_centre():
    histogram = _of([1.0])                      # bucket i holds [min·g^i, min·g^(i+1))
    (index, count), = histogram.to_dict()["counts"]
    assert count == 1 and MIN_MS * GROWTH ** index <= 1.0 < MIN_MS * GROWTH ** (index + 1)
    assert histogram.percentile(50) == pytest.approx(MIN_MS * GROWTH ** (index + 0.5))


def test_merging_equals_adding_everything_to_one():
    rng = np.random.default_rng(7)
    a, b = rng.lognormal(0, 1, 500), rng.lognormal(2, 0.5, 300)
    merged = _of(a).merge(_of(b))
    assert merged == _of(np.concatenate([a, b])) and merged.count == 800
    assert LogHistogram().merge(_of(a)) == _of(a)


@given(st.lists(st.floats(1e-12, 1e12), max_size=50), st.lists(st.floats(1e-12, 1e12), max_size=50))
def test_merge_is_order_free(xs, ys):
    assert _of(xs).merge(_of(ys)) == _of(ys).merge(_of(xs)) == _of(xs + ys)


def test_the_dictionary_is_compact_sorted_bounded_and_round_trips():
    values = np.concatenate([np.geomspace(1e-9, 1e12, 100_000), [5.0] * 10])
    histogram = _of(values)
    data = histogram.to_dict()
    assert list(data) == ["growth", "min_ms", "counts"]
    assert data["growth"] == 1.01 and data["min_ms"] == 0.001
    indexes = [i for i, _ in data["counts"]]
    assert indexes == sorted(set(indexes)) and indexes[0] == 0 and indexes[-1] == MAX_INDEX
    assert len(indexes) <= MAX_INDEX + 1 <= 2100           # clamped to [1 µs, 1000 s]
    assert sum(c for _, c in data["counts"]) == len(values)
    assert json.loads(json.dumps(data)) == data
    assert LogHistogram.from_dict(json.loads(json.dumps(data))) == histogram
    assert histogram.percentile(100) == pytest.approx(MAX_MS, rel=0.005)
    assert histogram.percentile(0) == pytest.approx(MIN_MS, rel=0.005)


@pytest.mark.parametrize("data, message", [
    ({"growth": 1.02, "min_ms": 0.001, "counts": []}, "growth"),
    ({"growth": 1.01, "min_ms": 0.01, "counts": []}, "min_ms"),
    ({"growth": 1.01, "min_ms": 0.001, "counts": [[3, 0]]}, "count"),
    ({"growth": 1.01, "min_ms": 0.001, "counts": [[MAX_INDEX + 1, 1]]}, "index"),
    ({"growth": 1.01, "min_ms": 0.001, "counts": [[4, 1], [4, 2]]}, "index"),
    ({"growth": 1.01, "min_ms": 0.001, "counts": [[1.5, 2]]}, "index"),
    ({"growth": 1.01, "min_ms": 0.001, "counts": "x"}, "counts"),
    ([], "histogram"),
])
def test_a_bad_dictionary_is_refused_with_its_fault(data, message):
    with pytest.raises(ValueError, match=message):
        LogHistogram.from_dict(data)


def test_bad_values_and_empty_histograms_are_refused():
    with pytest.raises(ValueError, match="finite"):
        _of([1.0, float("nan")])
    with pytest.raises(ValueError, match="no samples"):
        LogHistogram().percentile(50)
    assert LogHistogram().count == 0 and LogHistogram().to_dict()["counts"] == []


def test_it_imports_no_openvino():
    from pathlib import Path
    package = Path(__file__).resolve().parents[2] / "perfbench"
    script = ("import sys, types\n"
              f"pkg = types.ModuleType('perfbench'); pkg.__path__ = [{str(package)!r}]\n"
              "sys.modules['perfbench'] = pkg\n"
              "import perfbench.stats.histogram\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] == 'openvino'))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_rank_is_the_exact_percentiles_nearest_rank():
    """99.9 % of 1000 samples is the 999th: the bare product (999.0000000000001) took the
    maximum's bucket, 0.53 % off where 1000 distinct latencies spread 1 % and more apart."""
    import numpy as np
    from perfbench.stats.histogram import LogHistogram
    from perfbench.stats.percentiles import nearest_rank
    for n in (1000, 2000):
        samples = 0.0011 * 1.0101 ** np.arange(n)        # one bucket each, within range
        histogram = LogHistogram()
        histogram.add(samples)
        for p in (50.0, 90.0, 99.0, 99.9):
            exact = samples[nearest_rank(n, p)]
            assert abs(histogram.percentile(p) / exact - 1) < 0.01, (n, p)
