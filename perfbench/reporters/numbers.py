"""Numbers as people read them: thousands separated, never in exponent notation."""

from __future__ import annotations

import math


def readable(value: float | None) -> str:
    """23,331 · 912.4 · 21.37 · 0.0695: about four significant figures, no exponents."""
    if value is None:
        return "–"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:,.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def gflops_text(value: float) -> str:
    """A model's cost: three decimals from 1 GFLOP up (the card's 22.227), else four
    significant figures (0.0004424, a tiny model's cost, is not "0.000"); no exponents."""
    if value == 0 or abs(value) >= 1:
        return f"{value:.3f}" if value else "0"
    decimals = 3 - math.floor(math.log10(abs(value)))
    return f"{value:.{decimals}f}"


def signed_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f} %"
