"""Value parsers: each takes a raw value (a CLI string, a TOML value or a Python value given
to the API) and returns it typed, or raises ValueError with what it must be.

Strict on purpose: non-ASCII digits, NaN, infinities, booleans posing as numbers and
strings posing as booleans are refused, so a typo never becomes a silent setting.
"""

from __future__ import annotations

import math
from typing import Any, Callable


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def positive_int(value: Any) -> int:
    if isinstance(value, str):
        if not value.isascii():
            raise ValueError("must be a positive whole number")
        try:
            value = int(value.strip())
        except ValueError:
            raise ValueError("must be a positive whole number") from None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("must be a positive whole number")
    if value > 2**31 - 1:
        raise ValueError("is too large")
    return value


def non_negative_int(value: Any) -> int:
    """0 or a positive whole number (a seed): the message says so, since 0 is valid."""
    if (isinstance(value, str) and value.strip() == "0") or \
            (type(value) is int and value == 0):
        return 0
    try:
        return positive_int(value)
    except ValueError as exc:
        if str(exc) == "is too large":
            raise
        raise ValueError("must be a whole number, 0 or more") from None


def _number(value: Any, allow_zero: bool) -> float:
    if isinstance(value, str):
        if not value.isascii():
            raise ValueError("must be a number")
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError("must be a number") from None
    if not _is_number(value) or not math.isfinite(value):
        raise ValueError("must be a finite number")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError("must be positive" if not allow_zero else "must not be negative")
    if value > 1e9:
        raise ValueError("is too large")
    return float(value)


def positive_float(value: Any) -> float:
    return _number(value, allow_zero=False)


def non_negative_float(value: Any) -> float:
    return _number(value, allow_zero=True)


def percentage(value: Any) -> float:
    pct = positive_float(value)
    if pct > 50:
        raise ValueError("must be a percentage in (0, 50]")
    return pct


def share_pct(value: Any) -> float:
    """A share of all cases, in % (an agreement): above 0, at most 100."""
    pct = positive_float(value)
    if pct > 100:
        raise ValueError("must be a percentage in (0, 100]")
    return pct


def choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value.strip().lower()
    return parse


def streams(value: Any) -> int | str:
    if isinstance(value, str) and value.strip().upper() == "AUTO":
        return "AUTO"
    try:
        return positive_int(value)
    except ValueError:
        raise ValueError("must be a positive whole number or AUTO") from None


def non_empty_str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value.strip()


def boolean(value: Any) -> bool:
    """TOML booleans are typed (``pin = true``); a string is accepted only from the command
    line's own switches, which pass "true" or "false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise ValueError("must be true or false")


def duration(value: Any) -> float:
    """'90', '90s', '10m', '1.5h' (or a number of seconds) -> seconds."""
    if isinstance(value, bool):
        raise ValueError("must be a duration like 300, 90s, 10m or 1h")
    text = str(value).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600}
    scale = units.get(text[-1:], None)
    number = text[:-1] if scale else text
    try:
        seconds = float(number) * (scale or 1)
    except ValueError:
        raise ValueError("must be a duration like 300, 90s, 10m or 1h") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("must be a positive duration")
    return seconds


def one_of_numbers(options: tuple[float, ...]) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            number = float(value) if not isinstance(value, bool) else -1.0
        except (TypeError, ValueError):
            number = -1.0
        if number not in options:
            raise ValueError(f"must be one of {', '.join(f'{v:g}' for v in options)}")
        return number
    return parse


def text_list(value: Any) -> tuple[str, ...]:
    """One or more non-empty strings (a repeated option, a TOML list, a Python sequence)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise ValueError("must be a non-empty string or list of strings")
    return tuple(non_empty_str(item) for item in items)
