"""The headline metrics of a result, in one place, for compare, exporters and history.

Each metric knows its unit and which direction is better, so no consumer has to.
"""

from __future__ import annotations

from dataclasses import dataclass

from .stability import steady_windows

#: name -> (unit, bigger_is_better)
METRICS = {
    "fps": ("images/s", True),
    "p50": ("ms", False),
    "p90": ("ms", False),
    "p99": ("ms", False),
    "gflops": ("GFLOP/s", True),
}
_LATENCY_KEYS = {"p50": "median", "p90": "p90", "p99": "p99"}
_UNIT_KEYS = {"p50": "latency_median_ms", "p90": "latency_p90_ms", "p99": "latency_p99_ms"}


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    bigger_is_better: bool
    value: float
    lower: float | None = None      # 95 % CI, where known
    upper: float | None = None


def value_of(result: dict, name: str) -> float:
    res = result["results"]
    if name == "fps":
        return float(res["fps"])
    if name == "gflops":
        return float(res["effective_gflops"])
    return float(res["latency_ms"][_LATENCY_KEYS[name]])


def unit_samples(result: dict, name: str) -> tuple[list[float], str]:
    """Repeated measurements of a metric inside one result, and what they are: trial
    values when there are several trials (run-to-run noise), else steady window values."""
    trials = result.get("trials") or []
    cost = result["model"].get("gflops_per_image", 0.0)
    if len(trials) >= 2:
        return [_from_unit(t, name, cost) for t in trials], "trials"
    values = [_from_unit(w, name, cost) for w in steady_windows(result.get("timeline") or [])]
    return [v for v in values if v is not None], "windows"


def _from_unit(unit: dict, name: str, cost: float) -> float | None:
    """A metric from one trial or window record (both carry fps and latency_*_ms)."""
    if name in ("fps", "gflops"):
        fps = unit.get("fps")
        return fps * cost if fps is not None and name == "gflops" else fps
    return unit.get(_UNIT_KEYS[name])


def headline(result: dict) -> list[Metric]:
    """The metrics every exporter writes, with the FPS interval where the result has one."""
    precision = result.get("precision") or {}
    fps_ci = precision.get("fps_windows") or {}
    lat_ci = precision.get("latency_ci95_ms") or {}
    cost = result["model"].get("gflops_per_image", 0.0)
    metrics = []
    for name, (unit, bigger) in METRICS.items():
        low = high = None
        if name in ("fps", "gflops") and fps_ci:
            scale = 1.0 if name == "fps" else cost
            low, high = fps_ci["ci95_low"] * scale, fps_ci["ci95_high"] * scale
        elif name in _LATENCY_KEYS and _LATENCY_KEYS[name] in lat_ci:
            low, high = lat_ci[_LATENCY_KEYS[name]]
        metrics.append(Metric(name, unit, bigger, value_of(result, name), low, high))
    return metrics


def benchmark_name(result: dict) -> str:
    """A name stable across runs of the same configuration (for trackers' series)."""
    req = result["config"]["requested"]
    parts = [result["model"]["name"], req.get("device") or "CPU", req.get("hint") or "none",
             f"b{result['model']['batch']}"]
    for key, label in (("streams", "s"), ("requests", "r"), ("threads", "t"),
                       ("precision", "")):
        if req.get(key) is not None:
            parts.append(f"{label}{req[key]}")
    return " ".join(str(p) for p in parts)
