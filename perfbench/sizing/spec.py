"""Sweep settings from CLI flags and profiles: grid dimensions (lists) and sweep options.

Grid values go through the same per-key validation as ``perfbench run`` settings.  On the
command line a dimension is a comma list (``--streams 1,2,4``), whose items may be ranges
(``--requests 1..16``, ``--streams 1..cores:x2``); device lists use ``;``
because device strings such as ``MULTI:CPU,GPU`` contain commas.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import psutil

from perfbench.errors import UsageError
from perfbench.settings.config import (GRID_KEYS, SETTINGS, SWEEP_OPTIONS, BenchmarkConfig,
                                       build_config, coerce, validate)
from perfbench.settings.profiles import read_profile
from perfbench.sizing.grid import DEFAULT_GAIN_CUTOFF_PCT

DEFAULT_POINT_TIME_S = 20.0
#: What a sweep spec takes: the sweep options, plus two run settings that a sweep applies to
#: every point (its stability target and its latency bound).
SPEC_OPTIONS = {**{name: option.parse for name, option in SWEEP_OPTIONS.items()},
                "until_stable": SETTINGS["until_stable"].parse,
                "sla_ms": SETTINGS["sla_ms"].parse}


def sweep_option(key: str, value: Any, where: str) -> Any:
    return validate(value, SPEC_OPTIONS[key], key, where)


#: ``1..16`` (every integer), ``1..16:x2`` (doubling, the end always included); an end may
#: be ``cores`` or ``N*cores``: this CPU's physical cores, so a profile derives its grid
#: from the machine it runs on instead of naming one.
_RANGE = re.compile(r"^\s*(\w+(?:\*\w+)?)\s*\.\.\s*(\w+(?:\*\w+)?)\s*(?::x(\d+))?\s*$")


def cores() -> int:
    return psutil.cpu_count(logical=False) or psutil.cpu_count() or 1


def _end(text: str, where: str, key: str) -> int:
    factor, _, name = text.rpartition("*") if "*" in text else ("1", "", text)
    try:
        base = cores() if name == "cores" else int(name)
        return int(factor) * base
    except ValueError:
        raise UsageError(f"{where}: '{key}' range end {text!r} is not a number or "
                         "N*cores") from None


def expand_range(key: str, text: Any, where: str) -> list:
    """One value, or the values a range names (``1..16``, ``1..2*cores:x2``)."""
    match = _RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        return [text]
    low, high = _end(match[1], where, key), _end(match[2], where, key)
    step = int(match[3]) if match[3] else None
    if low < 1 or high < low or step == 1 or step == 0:
        raise UsageError(f"{where}: '{key}' range {text.strip()!r} must run from 1 or more "
                         "upwards (a step xN with N ≥ 2)")
    if step is None:
        return list(range(low, high + 1))
    values = [low]
    while values[-1] * step <= high:
        values.append(values[-1] * step)
    return values if values[-1] == high else values + [high]


def grid_values(key: str, values: Any, where: str) -> list:
    given = values if isinstance(values, list) else [values]
    raw = [v for item in given for v in expand_range(key, item, where)]
    if not raw:
        raise UsageError(f"{where}: '{key}' needs at least one value")
    parsed = [coerce(key, v, where) for v in raw]
    if len(set(map(str, parsed))) != len(parsed):
        raise UsageError(f"{where}: '{key}' lists a value twice")
    return parsed


def split_cli(key: str, text: str) -> list[str]:
    return text.split(";" if key == "device" else ",")


def load_sweep_profile(name: str) -> tuple[dict, dict, dict]:
    """(grid, fixed run settings, sweep options) from a profile."""
    _, label, _, data = read_profile(name)
    grid, fixed, options = {}, {}, {}
    for key, value in data.items():
        if key in SPEC_OPTIONS:
            options[key] = sweep_option(key, value, label)
        elif key in GRID_KEYS:
            grid[key] = grid_values(key, value, label)
        elif key in SETTINGS and not SETTINGS[key].in_sweep:
            raise UsageError(f"{label}: '{key}' does not apply to a sweep (each point's "
                             "duration comes from point_time and until_stable)")
        else:
            fixed[key] = coerce(key, value, label)
    return grid, fixed, options


@dataclass(frozen=True)
class SweepSpec:
    base: BenchmarkConfig
    grid: dict[str, list]
    point_time_s: float = DEFAULT_POINT_TIME_S
    until_stable_pct: float = 2.0
    budget_s: float | None = None
    sla_ms: float | None = None
    sla_percentile: float = 99.0
    target_fps: float | None = None
    gain_cutoff_pct: float = DEFAULT_GAIN_CUTOFF_PCT
    #: The race (interleaved sweeps): tie margin, epoch length (None: dimensioned from
    #: earlier races of the grid, :mod:`perfbench.sizing.race_design`, else 10 s), the
    #: confirmation A/B, and its planned epochs (None: from the budget, else 12).
    tie_margin_pct: float = 3.0
    epoch_s: float | None = None
    confirm: bool = True
    confirm_time_s: float = 60.0
    max_epochs: int | None = None
    #: Fidelity constraints (:mod:`perfbench.sizing.fidelity`): the least top-1 agreement
    #: with f32 (%) and the least SQNR against f32 (dB) a point's precision must have.
    min_top1_agreement_pct: float | None = None
    min_sqnr_db: float | None = None

    @property
    def fidelity_constraints(self) -> bool:
        return self.min_top1_agreement_pct is not None or self.min_sqnr_db is not None

    def to_dict(self) -> dict:
        """The constraints are written only when given (a sweep without them reads as
        every sweep before them did)."""
        data = dataclasses.asdict(self)
        data["base"] = self.base.to_dict()
        for key in ("min_top1_agreement_pct", "min_sqnr_db"):
            if data[key] is None:
                del data[key]
        return data


#: sweep option -> SweepSpec field (defaults live in SweepSpec alone)
_SPEC_FIELDS = {"budget": "budget_s", "point_time": "point_time_s",
                "until_stable": "until_stable_pct", "sla_ms": "sla_ms",
                "sla_percentile": "sla_percentile", "target_fps": "target_fps",
                "gain_cutoff": "gain_cutoff_pct", "tie_margin": "tie_margin_pct",
                "epoch_time": "epoch_s", "confirm_time": "confirm_time_s",
                "min_top1_agreement": "min_top1_agreement_pct", "min_sqnr": "min_sqnr_db"}


def build_spec(profile: str | None, grid_flags: dict[str, str], option_flags: dict[str, Any],
               run_settings: dict[str, Any], scenario: str | None):
    """The sweep to run, from a profile overridden by CLI flags; and whether it is a server
    rate search rather than a grid.  ``run_settings`` are already-coerced fixed settings."""
    grid, fixed, options = load_sweep_profile(profile) if profile else ({}, {}, {})
    scenario = scenario or fixed.get("scenario", "offline")
    if scenario not in ("offline", "server"):
        raise UsageError("sweep --scenario takes offline (a grid) or server (a rate search)")
    for key, text in grid_flags.items():
        grid[key] = grid_values(key, split_cli(key, text), f"--{key}")
    for key, value in option_flags.items():
        options[key] = sweep_option(key, value, f"--{key.replace('_', '-')}")
    fixed.pop("scenario", None)
    spec = SweepSpec(build_config(fixed, run_settings), grid,
                     **{_SPEC_FIELDS[key]: value for key, value in options.items()})
    return (_server_spec(spec), True) if scenario == "server" else (spec, False)


def _server_spec(spec: SweepSpec) -> SweepSpec:
    """The rate search runs one configuration: a dimension given one value is a fixed
    setting of it; several values are refused (the search used to ignore them)."""
    swept = [key for key, values in spec.grid.items() if len(values) > 1]
    if swept:
        raise UsageError(f"sweep --scenario server searches request rates at fixed settings; "
                         f"a grid ({', '.join(swept)}) does not apply: give one value each, "
                         "or sweep the grid offline")
    if spec.fidelity_constraints:
        raise UsageError("sweep --scenario server searches rates at one precision; a "
                         "fidelity constraint (--min-top1-agreement, --min-sqnr) judges "
                         "precisions: sweep them offline, or check one with run --fidelity")
    if spec.sla_ms is None:
        raise UsageError("sweep --scenario server searches for the highest rate under "
                         "--sla-ms; give --sla-ms")
    fixed = {key: values[0] for key, values in spec.grid.items()}
    return dataclasses.replace(spec, base=dataclasses.replace(spec.base, **fixed), grid={})
