"""Numbers as people read them: thousands separated, never in exponent notation."""

from __future__ import annotations


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


def signed_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f} %"
