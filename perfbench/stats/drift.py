"""Is the throughput moving right now?  A check cheap enough to run once per window.

The latest ``RECENT`` windows are compared with the steady windows before them.  The noise
is estimated from differences of neighbouring windows (a slow drift barely moves those, so
the yardstick is the window-to-window jitter, not the drift itself).  A move counts when it
exceeds ``Z`` standard errors of that noise and ``MIN_MOVE_PCT``: on this project's VMs the
windows of a quiet run jitter by 5-36 %, so a smaller move is not worth a warning.

On simulated runs (30 windows, 5 % white noise, looked at after every window) 0.7 % of
1,000 steady runs warned at least once; a 15 % step was flagged at once in half of 300
runs, a 20 % step (2 % noise) in 92 % (Z 4 caught more, 75 % and 99 %, but warned in 4 %
of steady runs).
"""

from __future__ import annotations

import math
import statistics

RECENT = 3
MIN_REFERENCE = 8
Z = 5.0
MIN_MOVE_PCT = 5.0


def drift_pct(rates: list[float]) -> float | None:
    """The recent windows' move against the earlier ones in %, when beyond the noise;
    None while there are too few windows or the move is within it.  ``rates`` exclude the
    ramp-up window."""
    if len(rates) < RECENT + MIN_REFERENCE:
        return None
    reference, recent = rates[:-RECENT], rates[-RECENT:]
    level = statistics.fmean(reference)
    if level <= 0:
        return None
    jumps = [b - a for a, b in zip(reference, reference[1:])] + \
        [b - a for a, b in zip(recent, recent[1:])]
    noise = statistics.pstdev(jumps) / math.sqrt(2)
    move = statistics.fmean(recent) - level
    error = noise * math.sqrt(1 / RECENT + 1 / len(reference))
    pct = 100 * move / level
    if abs(move) > Z * error and abs(pct) >= MIN_MOVE_PCT:
        return pct
    return None
