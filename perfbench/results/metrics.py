"""The headline metrics of a result, in one place, for compare, exporters and history.

Each metric knows its unit and which direction is better, so no consumer has to.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfbench.results.types import BenchmarkResult, Window, steady_windows, trials_fps
from perfbench.results.types import images_per_second  # noqa: F401 (re-export)

#: name -> (unit, bigger_is_better)
METRICS = {
    "fps": ("images/s", True),
    "p50": ("ms", False),
    "p90": ("ms", False),
    "p99": ("ms", False),
    "gflops": ("GFLOP/s", True),
}
#: latency metric -> LatencyStats field, and the matching field of a trial or window
LATENCY_FIELDS = {"p50": "median", "p90": "p90", "p99": "p99"}
_UNIT_FIELDS = {"p50": "latency_median_ms", "p90": "latency_p90_ms", "p99": "latency_p99_ms"}


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    bigger_is_better: bool
    value: float
    lower: float | None = None      # 95 % CI, where known
    upper: float | None = None


def fps_estimate(result: BenchmarkResult) -> tuple[float, float | None, float | None]:
    """A run's FPS with its 95 % interval: the steady FPS (completions over time of the
    windows between ramp-up and drain) whenever the run has a steady window, with its
    interval from two steady windows on; the whole-window figure only for a run too short
    for a steady window.  One definition, so a short sweep point and a long one are not
    compared on two.  Exporters, compare and sweeps all use this, so a value never falls
    outside its own bounds.

    With two or more trials (``--repeat``, or a raced point's epochs, each a fresh
    worker), the FPS is the mean of the trials' FPS (``types.trials_fps``: steady where
    every trial has it) with the interval between them (``fps_trials``): the windows of
    one process cannot see how another would run, so only that interval counts the
    run-to-run (process) level; ``compare`` takes the same trial figures as its units
    (:func:`unit_samples`).  A file written before 2026-12-07 stored that interval around
    the trials' whole-trial FPS: its relative bounds are kept around today's value.  A
    document that states no interval between its trials (every run of two or more
    trials has one; a hand-made document may not) is read as a one-trial run's."""
    if len(result.trials) >= 2 and result.precision and result.precision.fps_trials:
        return _between_trials(result)
    estimate = result.precision.fps_windows if result.precision else None
    if estimate is not None:
        return estimate.value, estimate.low, estimate.high
    steady = result.steady_fps
    return (steady if steady is not None else result.fps), None, None


def _between_trials(result: BenchmarkResult) -> tuple[float, float | None, float | None]:
    """The trials' mean, with the stored interval between them (the caller checked there
    is one) around it: its bounds as stored for a file of today's definition (scale 1)."""
    values = trials_fps(result.trials)
    value = sum(values) / len(values)
    assert result.precision is not None and result.precision.fps_trials is not None
    stored = result.precision.fps_trials
    scale = value / stored.value if stored.value else 1.0
    return value, stored.low * scale, stored.high * scale


def value_of(result: BenchmarkResult, name: str) -> float:
    if name in ("fps", "gflops"):
        scale = result.model.gflops_per_image if name == "gflops" else 1.0
        return fps_estimate(result)[0] * scale
    return getattr(result.latency, LATENCY_FIELDS[name])


def unit_samples(result: BenchmarkResult, name: str) -> tuple[list[float], str]:
    """Repeated measurements of a metric inside one result, and what they are: trial
    values when there are several trials (run-to-run noise), else steady window values."""
    if len(result.trials) >= 2:
        if name in ("fps", "gflops"):
            cost = result.model.gflops_per_image if name == "gflops" else 1.0
            return [f * cost for f in trials_fps(result.trials)], "trials"
        return [getattr(t, _UNIT_FIELDS[name]) for t in result.trials], "trials"
    trials = sorted({w.trial for w in result.windows})
    steady = [w for t in trials for w in steady_windows([w for w in result.windows
                                                          if w.trial == t])]
    values = [_from_window(w, name, result) for w in steady]
    return [v for v in values if v is not None], "windows"


def _from_window(window: Window, name: str, result: BenchmarkResult) -> float | None:
    if name in ("fps", "gflops"):
        fps = window.rate() * result.model.batch
        return fps * (result.model.gflops_per_image if name == "gflops" else 1.0)
    return getattr(window, _UNIT_FIELDS[name])


def headline(result: BenchmarkResult) -> list[Metric]:
    """The metrics every exporter writes, with the FPS interval where the result has one."""
    lat_ci = result.precision.latency_ci_ms if result.precision else {}
    _, fps_low, fps_high = fps_estimate(result)
    metrics = []
    for name, (unit, bigger) in METRICS.items():
        low = high = None
        if name in ("fps", "gflops") and fps_low is not None:
            scale = 1.0 if name == "fps" else result.model.gflops_per_image
            low, high = fps_low * scale, fps_high * scale
        elif name in LATENCY_FIELDS and LATENCY_FIELDS[name] in lat_ci:
            low, high = lat_ci[LATENCY_FIELDS[name]]
        metrics.append(Metric(name, unit, bigger, value_of(result, name), low, high))
    return metrics


def benchmark_name(result: BenchmarkResult) -> str:
    """A name stable across runs of the same configuration (for trackers' series)."""
    req = result.requested
    parts = [result.model.name, req.get("device") or "CPU", req.get("hint") or "none",
             f"b{result.model.batch}"]
    for key, label in (("streams", "s"), ("requests", "r"), ("threads", "t"),
                       ("precision", "")):
        if req.get(key) is not None:
            parts.append(f"{label}{req[key]}")
    return " ".join(str(p) for p in parts)


def executed_precision(result: BenchmarkResult) -> str | None:
    """The precision that ran most of the conv + matmul FLOPs (read from the runtime graph);
    where that is unknown, the precision the device resolved.  A model quantized to int8
    reports int8 only where int8 kernels really ran."""
    shares = result.executed_precision
    if shares:
        return max(shares, key=shares.get)
    resolved = result.resolved.get("precision")
    return str(resolved).lower() if resolved else None
