"""perfbench: throughput/latency benchmarking for OpenVINO inference."""

__version__ = "0.1.0"

from .config import BenchmarkConfig  # noqa: E402
from .result import BenchmarkResult  # noqa: E402
from .runner import run  # noqa: E402

__all__ = ["BenchmarkConfig", "BenchmarkResult", "run", "__version__"]
