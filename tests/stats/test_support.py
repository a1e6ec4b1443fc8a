"""The one rule for which percentiles a sample supports."""

import pytest

from perfbench.stats.support import samples_needed, supported, unsupported_fields, \
    unsupported_note


def test_a_percentile_needs_ten_samples_beyond_it():
    assert samples_needed(99) == 1000 and samples_needed(99.9) == 10_000
    assert samples_needed(50) == 20 and samples_needed(90) == 100 and samples_needed(95) == 200
    assert supported(1000, 99) and not supported(999, 99)
    with pytest.raises(ValueError):
        samples_needed(100)


def test_twenty_three_samples_support_the_median_only():
    """Issue 24's run: 23 samples, max = p99 = p99.9 (the same sample)."""
    assert unsupported_fields(23) == ["p90", "p95", "p99", "p99_9"]
    assert unsupported_fields(20_000) == []
    assert unsupported_note(23, 99) == "p99 from 23 samples is not a p99 (needs 1,000)"
