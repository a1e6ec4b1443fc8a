"""perfbench: throughput/latency benchmarking for OpenVINO inference."""

__version__ = "0.1.0"

from perfbench.settings.config import BenchmarkConfig  # noqa: E402
from perfbench.results.types import BenchmarkResult  # noqa: E402
from perfbench.runner.benchmark import run  # noqa: E402

__all__ = ["BenchmarkConfig", "BenchmarkResult", "run", "__version__"]
