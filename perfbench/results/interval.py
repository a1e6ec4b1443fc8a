"""The one spelling of an interval in every document written from now on:
``{value, low, high, level}`` (``ratio`` instead of ``value`` for a ratio), ``level`` the
confidence (0.95), and ``low``/``high``/``level`` null where the figure has no interval
(one run without steady windows).  Older spellings (``fps_low``/``fps_high``,
``ci_low``/``ci_high``, ``ci95_low``/``ci95_high``) are read by the registry's upgrades,
never by a reader."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from perfbench.results.types import LEVEL, SchemaError, _number, _table

#: The confidence of every interval a fleet report states (a t-interval across machines,
#: or a run's own steady-window interval, both 95 %): a result's.
LEVEL_95 = LEVEL


@dataclass(frozen=True)
class Interval:
    """A figure with its interval; ``low``, ``high`` and ``level`` are None together."""

    value: float
    low: float | None = None
    high: float | None = None
    level: float | None = None

    @classmethod
    def of(cls, value: float, low: float | None, high: float | None,
           level: float = LEVEL_95) -> "Interval":
        """``value`` with its interval at ``level``, or without one when ``low`` is None."""
        if low is None or high is None:
            return cls(value)
        return cls(value, low, high, level)

    def to_dict(self, key: str = "value") -> dict:
        return {key: self.value, "low": self.low, "high": self.high, "level": self.level}

    @classmethod
    def from_dict(cls, data: Any, where: str, key: str = "value") -> "Interval":
        data = _table(data, where)
        return cls(_number(data, key, where), *read_bounds(data, where))


def read_bounds(data: dict, where: str) -> tuple[float | None, float | None, float | None]:
    """An interval's ``low``, ``high`` and ``level``, all three or none: the rule of
    every interval type's reader (this one's and the race's), stated once."""
    bounds = [_number(data, k, where, optional=True) for k in ("low", "high", "level")]
    if len({b is None for b in bounds}) > 1:
        raise SchemaError(f"{where}: low, high and level are given together or not at all")
    low, high, level = bounds
    if level is not None and not 0 < level < 1:
        raise SchemaError(f"{where}.level must be between 0 and 1 (got {level!r})")
    return low, high, level
