"""A row of block characters that draws a series' shape in one line of text.

A drawing helper, so it lives with the presentation layer: the live view draws recent
window FPS with it and ``perfbench history`` each configuration's trend.
"""

from __future__ import annotations

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """One bar per value, scaled from the lowest to the highest (all equal: lowest bars)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low or 1.0
    return "".join(_BARS[min(int((v - low) / span * len(_BARS)), len(_BARS) - 1)]
                   for v in values)
