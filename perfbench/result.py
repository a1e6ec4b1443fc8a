"""The result type: the one thing reporters and exporters consume.

``to_dict`` defines the JSON schema (``SCHEMA`` / ``SCHEMA_VERSION``).  Numbers are numbers
(never pre-rounded strings); times are in milliseconds unless the key says ``_s``.
Bump ``SCHEMA_VERSION`` on any change that renames or removes a key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .engine import Window
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
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def images(self) -> int:
        return self.completed_requests * self.model.batch

    @property
    def fps(self) -> float:
        """Images per second over the whole measured window (ramp-up and drain included)."""
        return self.images / self.duration_s if self.duration_s > 0 else 0.0

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
                "images": self.images,
                "completed_requests": self.completed_requests,
                "duration_s": self.duration_s,
                "effective_gflops": self.effective_gflops,
                "compile_ms": self.compile_ms,
                "first_inference_ms": self.first_inference_ms,
                "warmup_inferences": self.warmup_inferences,
                "latency_ms": self.latency.to_dict(),
            },
            "timeline": [dict(asdict(w), fps=fps)
                         for w, fps in zip(self.windows, self.timeline_fps())],
            "environment": self.environment,
            "warnings": list(self.warnings),
        }
