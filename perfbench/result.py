"""The result type: the one thing reporters and exporters consume.

``to_dict`` defines the JSON schema (``SCHEMA`` / ``SCHEMA_VERSION``).  Numbers are numbers
(never pre-rounded strings); times are in milliseconds unless the key says ``_s``.
Bump ``SCHEMA_VERSION`` on any change that renames or removes a key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .checks import Check
from .engine import Window
from .monitor import SystemSummary
from .perfcounters import LayerTime
from .stability import Estimate
from .stats import LatencyStats

SCHEMA = "perfbench.result"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ModelInfo:
    name: str
    source: str
    inputs: tuple[dict, ...]
    batch: int
    gflops_per_image: float
    gflops_source: str


@dataclass(frozen=True)
class Trial:
    """One independent trial of ``--repeat``: its own warm-up and measured window."""

    duration_s: float
    completed_requests: int
    fps: float
    steady_fps: float | None
    latency_median_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    stop_reason: str


@dataclass(frozen=True)
class Precision:
    """How sure the figures are (see ``stability.py`` for the methods)."""

    fps_windows: Estimate | None          # 95 % CI from steady windows (within-run noise)
    fps_trials: Estimate | None           # 95 % CI from trial FPS (run-to-run noise)
    latency_ci_ms: dict[str, tuple[float, float]]
    stable_target_pct: float | None       # --until-stable target, if any
    stable: bool | None                   # None when no target was set

    def to_dict(self) -> dict:
        return {
            "fps_windows": self.fps_windows.to_dict() if self.fps_windows else None,
            "fps_trials": self.fps_trials.to_dict() if self.fps_trials else None,
            "latency_ci95_ms": {k: list(v) for k, v in self.latency_ci_ms.items()},
            "until_stable_target_pct": self.stable_target_pct,
            "stable": self.stable,
        }


@dataclass(frozen=True)
class BenchmarkResult:
    status: str                       # "complete", "interrupted" or "failed"
    model: ModelInfo
    requested: dict
    resolved: dict
    pool_size: int
    compile_ms: float
    first_inference_ms: float
    warmup_inferences: int
    duration_s: float
    completed_requests: int
    stop_reason: str
    latency: LatencyStats
    windows: tuple[Window, ...]
    environment: dict
    trials: tuple[Trial, ...] = ()
    precision: Precision | None = None
    system: SystemSummary | None = None
    checks: tuple[Check, ...] = ()
    roofline: dict | None = None
    layers: tuple[LayerTime, ...] = ()
    load: dict | None = None          # scenario, target/achieved rate, requests over the SLA
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def images(self) -> int:
        return self.completed_requests * self.model.batch

    @property
    def fps(self) -> float:
        """Images per second over the measured window(s), ramp-up and drain included."""
        return self.images / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def steady_fps(self) -> float | None:
        """Images per second without each trial's ramp-up and drain windows."""
        values = [(t.steady_fps, t.duration_s) for t in self.trials if t.steady_fps]
        if not values:
            return None
        return sum(f * d for f, d in values) / sum(d for _, d in values)

    @property
    def effective_gflops(self) -> float:
        return self.fps * self.model.gflops_per_image

    def timeline_fps(self) -> list[float]:
        """Images per second in each window: a falling line means throttling or drift."""
        return [w.completed * self.model.batch / (w.end_s - w.start_s) if w.end_s > w.start_s
                else 0.0 for w in self.windows]

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "model": asdict(self.model),
            "config": {"requested": self.requested, "resolved": self.resolved,
                       "pool_size": self.pool_size},
            "results": {
                "fps": self.fps,
                "steady_fps": self.steady_fps,
                "images": self.images,
                "completed_requests": self.completed_requests,
                "duration_s": self.duration_s,
                "effective_gflops": self.effective_gflops,
                "compile_ms": self.compile_ms,
                "first_inference_ms": self.first_inference_ms,
                "warmup_inferences": self.warmup_inferences,
                "latency_ms": self.latency.to_dict(),
            },
            "precision": self.precision.to_dict() if self.precision else None,
            "trials": [asdict(t) for t in self.trials],
            "timeline": [dict(asdict(w), fps=fps)
                         for w, fps in zip(self.windows, self.timeline_fps())],
            "system": self.system.to_dict() if self.system else None,
            "checks": [c.to_dict() for c in self.checks],
            "load": self.load,
            "roofline": self.roofline,
            "perf_counters": [layer.to_dict() for layer in self.layers],
            "environment": self.environment,
            "warnings": list(self.warnings),
        }
