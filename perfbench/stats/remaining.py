"""How much longer a measurement would need to decide, at the noise it measured.

An interval's half-width shrinks as 1/√(time measured) when the noise stays what it was
(more rounds and epochs of the same spread), so from the interval the verdict was judged
on, the time to a decision follows: the half-width that would either exclude 1 with the
ratio beyond the threshold (a regression called) or keep the worse end inside the
threshold (a regression ruled out).  The critical value also falls with more degrees of
freedom, so this errs long; it is an estimate for planning, not a promise.
"""

from __future__ import annotations

import math


def more_time_to_decide(ratio: float, low: float, high: float, threshold_pct: float,
                        bigger_is_better: bool, measured_s: float) -> float | None:
    """Seconds beyond ``measured_s`` until the interval of NEW/BASE would decide for or
    against a regression beyond ``threshold_pct``; 0 when it already does; None when no
    length would (the ratio sits on the threshold) or nothing was measured."""
    if measured_s <= 0 or not 0 < low <= ratio <= high or not 0 < threshold_pct < 100:
        return None
    centre = math.log(ratio) if bigger_is_better else -math.log(ratio)
    half = (math.log(high) - math.log(low)) / 2
    limit = math.log(1 - threshold_pct / 100)
    # beyond the threshold: call it once the interval excludes 1; inside: once it excludes
    # the threshold
    needed = -centre if centre < limit else centre - limit
    if needed <= 0:
        return None
    if half <= needed:
        return 0.0
    return measured_s * ((half / needed) ** 2 - 1)
