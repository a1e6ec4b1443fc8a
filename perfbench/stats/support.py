"""Which percentiles a sample can support: the one definition every output uses.

A p-th percentile of n samples is only a p-th percentile when enough samples lie beyond
it: with fewer than :data:`TAIL_SAMPLES` above it, "p99" is the largest one or two
latencies seen (from 23 samples, max = p99 = p99.9: the same sample).  So p is supported
by n samples when ``n·(1 − p/100) ≥ TAIL_SAMPLES``, i.e. ``n ≥ samples_needed(p)``.  The run
checks (``samples_for_p99``…), the terminal table, the HTML headline, the JSON's
``latency_unsupported`` and a sweep's per-point tail all apply this rule and no other.
"""

from __future__ import annotations

import math

from perfbench.results.types import PERCENTILES

#: Samples that must lie beyond a percentile for it to be one.
TAIL_SAMPLES = 10


def samples_needed(p: float) -> int:
    """The fewest samples that support the p-th percentile (1000 for p99, 20 for p50)."""
    if not 0 <= p < 100:
        raise ValueError("a percentile below 100 has a tail to count")
    # rounded first: 10/(1 − .999) is 10000.0000000011 in floating point
    return int(math.ceil(round(TAIL_SAMPLES / (1 - p / 100), 6)))


def supported(count: int, p: float) -> bool:
    return count >= samples_needed(p)


def unsupported_fields(count: int) -> list[str]:
    """The reported percentiles (LatencyStats fields) ``count`` samples cannot support."""
    return [name for name, p in PERCENTILES.items() if not supported(count, p)]


def unsupported_note(count: int, p: float) -> str:
    """"p99 from 23 samples is not a p99 (needs 1,000)": one wording for every output."""
    label = f"p{p:g}" if p != 50 else "median"
    return f"{label} from {count:,} samples is not a {label} (needs {samples_needed(p):,})"
