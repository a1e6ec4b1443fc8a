"""Sweep settings from CLI flags and profiles: grid dimensions (lists) and sweep options.

Grid values go through the same per-key validation as ``perfbench run`` settings.  On the
command line a dimension is a comma list (``--streams 1,2,4``); device lists use ``;``
because device strings such as ``MULTI:CPU,GPU`` contain commas.
"""

from __future__ import annotations

from typing import Any

from .config import build_config, coerce, percentage, positive_float, validate
from .errors import UsageError
from .profiles import read_profile
from .stats import PERCENTILES
from .sweep import GRID_KEYS, parse_duration


def _percentile(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if number not in PERCENTILES.values() or isinstance(value, bool):
        raise ValueError(f"must be one of {', '.join(f'{v:g}' for v in PERCENTILES.values())}")
    return number


def _duration(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a duration like 300, 90s, 10m or 1h")
    return parse_duration(str(value))


SWEEP_PARSERS = {
    "budget": _duration,
    "point_time": positive_float,
    "until_stable": percentage,
    "sla_ms": positive_float,
    "sla_percentile": _percentile,
    "target_fps": positive_float,
    "gain_cutoff": positive_float,
}


def sweep_option(key: str, value: Any, where: str) -> Any:
    return validate(value, SWEEP_PARSERS[key], key, where)


def grid_values(key: str, values: Any, where: str) -> list:
    raw = values if isinstance(values, list) else [values]
    if not raw:
        raise UsageError(f"{where}: '{key}' needs at least one value")
    parsed = [coerce(key, v, where) for v in raw]
    if len(set(map(str, parsed))) != len(parsed):
        raise UsageError(f"{where}: '{key}' lists a value twice")
    return parsed


def split_cli(key: str, text: str) -> list[str]:
    return [part for part in text.split(";" if key == "device" else ",")]


def load_sweep_profile(name: str) -> tuple[dict, dict, dict]:
    """(grid, fixed run settings, sweep options) from a profile."""
    _, label, _, data = read_profile(name)
    grid, fixed, options = {}, {}, {}
    for key, value in data.items():
        if key in SWEEP_PARSERS:
            options[key] = sweep_option(key, value, label)
        elif key in GRID_KEYS:
            grid[key] = grid_values(key, value, label)
        else:
            fixed[key] = coerce(key, value, label)
    return grid, fixed, options


#: sweep option -> SweepSpec field (defaults live in SweepSpec alone)
_SPEC_FIELDS = {"budget": "budget_s", "point_time": "point_time_s",
                "until_stable": "until_stable_pct", "sla_ms": "sla_ms",
                "sla_percentile": "sla_percentile", "target_fps": "target_fps",
                "gain_cutoff": "gain_cutoff_pct"}
_NOT_FIXED = ("time", "iterations", "until_stable", "sla_ms", "scenario", "rate")


def build_spec(profile: str | None, grid_flags: dict[str, str], option_flags: dict[str, Any],
               run_settings: dict[str, Any], scenario: str | None):
    """The sweep to run, from a profile overridden by CLI flags; and whether it is a server
    rate search rather than a grid.  ``run_settings`` are already-coerced fixed settings."""
    from .sweeprun import SweepSpec
    grid, fixed, options = load_sweep_profile(profile) if profile else ({}, {}, {})
    scenario = scenario or fixed.get("scenario", "offline")
    if scenario not in ("offline", "server"):
        raise UsageError("sweep --scenario takes offline (a grid) or server (a rate search)")
    for key, text in grid_flags.items():
        grid[key] = grid_values(key, split_cli(key, text), f"--{key}")
    for key, value in option_flags.items():
        options[key] = sweep_option(key, value, f"--{key.replace('_', '-')}")
    fixed = {k: v for k, v in fixed.items() if k not in _NOT_FIXED}
    spec = SweepSpec(build_config(fixed, run_settings), grid,
                     **{_SPEC_FIELDS[key]: value for key, value in options.items()})
    if scenario == "server" and spec.sla_ms is None:
        raise UsageError("sweep --scenario server searches for the highest rate under "
                         "--sla-ms; give --sla-ms")
    return spec, scenario == "server"
