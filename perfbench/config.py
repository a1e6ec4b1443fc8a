"""The frozen benchmark configuration, and the one place its values are validated.

CLI flags and profile keys go through the same :func:`coerce` so that a bad value gets the
same message wherever it came from, naming where it came from.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable

from .errors import UsageError

HINTS = ("throughput", "latency", "cumulative_throughput", "none")
SCENARIOS = ("offline", "single-stream", "server")
PRECISIONS = ("f32", "bf16", "f16")
APIS = ("async", "sync")
#: Used when neither ``time`` nor ``iterations`` is given.
DEFAULT_TIME_S = 15.0
#: Bound of an ``--until-stable`` run (the peer's default fixed duration on CPU).
DEFAULT_MAX_TIME_S = 60.0


@dataclass(frozen=True)
class BenchmarkConfig:
    """What the user asked for.  ``None`` means "let the device or model decide"."""

    model: str | None = None          # None: the built-in inception-resnet-v2 replica
    device: str = "CPU"
    hint: str = "throughput"
    streams: int | str | None = None  # int, "AUTO", or None (device default for the hint)
    threads: int | None = None
    pin: bool | None = None
    precision: str | None = None
    batch: int | None = None          # None: the model's own batch (1 when dynamic)
    shape: str | None = None
    requests: int | None = None       # None: OPTIMAL_NUMBER_OF_INFER_REQUESTS
    api: str = "async"
    time: float | None = None
    iterations: int | None = None
    warmup: float = 0.0
    gflops: float | None = None
    cache_dir: str | None = None
    seed: int = 0
    until_stable: float | None = None  # target 95 % CI half-width of FPS, in percent
    max_time: float = DEFAULT_MAX_TIME_S
    repeat: int = 1
    recompile: bool = False            # compile afresh for every trial of --repeat
    roofline: bool = False             # measure the device peak if none is cached
    perf_counters: bool = False        # per-layer profiling pass after the timed run
    scenario: str = "offline"          # MLPerf scenario (see scenarios.py)
    rate: float | None = None          # server scenario: target queries per second
    sla_ms: float | None = None        # latency bound: requests above it are counted

    def __post_init__(self) -> None:
        if self.until_stable is not None and self.time is not None:
            raise UsageError("--until-stable stops by itself; bound it with --max-time, "
                             "not --time")
        if (self.scenario == "server") != (self.rate is not None):
            raise UsageError("--scenario server needs --rate QPS, and --rate only applies to "
                             "--scenario server")
        if self.scenario != "offline" and self.api == "sync":
            raise UsageError(f"--scenario {self.scenario} drives the async API; drop --api sync")

    @property
    def time_limit_s(self) -> float | None:
        """The measuring time limit actually applied (a default when nothing bounds the run)."""
        if self.until_stable is not None:
            return self.max_time
        if self.time is None and self.iterations is None:
            return DEFAULT_TIME_S
        return self.time

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --- value parsers: each takes a raw value (CLI string or TOML value), returns it typed ---

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive_int(value: Any) -> int:
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


def _non_negative_int(value: Any) -> int:
    if value in (0, "0"):
        return 0
    return _positive_int(value)


def _float(value: Any, allow_zero: bool) -> float:
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
    return _float(value, allow_zero=False)


def _non_negative_float(value: Any) -> float:
    return _float(value, allow_zero=True)


def percentage(value: Any) -> float:
    pct = positive_float(value)
    if pct > 50:
        raise ValueError("must be a percentage in (0, 50]")
    return pct


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value.strip().lower()
    return parse


def _streams(value: Any) -> int | str:
    if isinstance(value, str) and value.strip().upper() == "AUTO":
        return "AUTO"
    try:
        return _positive_int(value)
    except ValueError:
        raise ValueError("must be a positive whole number or AUTO") from None


def _non_empty_str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value.strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise ValueError("must be true or false")


PARSERS: dict[str, Callable[[Any], Any]] = {
    "model": _non_empty_str,
    "device": _non_empty_str,
    "hint": _choice(HINTS),
    "streams": _streams,
    "threads": _positive_int,
    "pin": _bool,
    "precision": _choice(PRECISIONS),
    "batch": _positive_int,
    "shape": _non_empty_str,
    "requests": _positive_int,
    "api": _choice(APIS),
    "time": positive_float,
    "iterations": _positive_int,
    "warmup": _non_negative_float,
    "gflops": positive_float,
    "cache_dir": _non_empty_str,
    "seed": _non_negative_int,
    "until_stable": percentage,
    "max_time": positive_float,
    "repeat": _positive_int,
    "recompile": _bool,
    "roofline": _bool,
    "perf_counters": _bool,
    "scenario": _choice(SCENARIOS),
    "rate": positive_float,
    "sla_ms": positive_float,
}


def validate(value: Any, parser: Callable[[Any], Any], key: str, where: str) -> Any:
    """Parse one value; a bad one becomes a one-line error naming ``key`` and ``where``."""
    try:
        return parser(value)
    except ValueError as exc:
        raise UsageError(f"{where}: '{key}' {exc} (got {value!r:.60})") from None


def coerce(key: str, value: Any, where: str) -> Any:
    """Validate one ``run`` setting; ``where`` names its origin for the error message."""
    parser = PARSERS.get(key)
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise UsageError(f"{where}: unknown setting '{key}' (known: {known})")
    return validate(value, parser, key, where)


def build_config(*layers: dict[str, Any]) -> BenchmarkConfig:
    """Merge already-coerced layers, later ones winning, into a frozen config.

    A later layer's ``time`` replaces an earlier ``until_stable`` and vice versa, so that
    ``--time 5`` on the command line overrides a profile that asks for ``until_stable``.
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        given = {k: v for k, v in layer.items() if v is not None}
        if "time" in given and "until_stable" not in given:
            merged.pop("until_stable", None)
        if "until_stable" in given and "time" not in given:
            merged.pop("time", None)
        merged.update(given)
    return BenchmarkConfig(**merged)
