"""perfbench: throughput/latency benchmarking for OpenVINO inference.

The Python API (``BenchmarkConfig``, ``run``, ``run_shapes``, ``BenchmarkResult``, ``load``)
is imported on first use, so that ``perfbench`` itself imports in milliseconds: the command
line installs its signal handling before OpenVINO loads, and a Ctrl-C during start-up exits cleanly.
"""

import importlib

__version__ = "0.1.0"

_API = {"BenchmarkConfig": ("perfbench.settings.config", "BenchmarkConfig"),
        "BenchmarkResult": ("perfbench.results.types", "BenchmarkResult"),
        "load": ("perfbench.results.io", "load"),
        "run": ("perfbench.runner.benchmark", "run"),
        "run_shapes": ("perfbench.runner.benchmark", "run_shapes")}

__all__ = ["BenchmarkConfig", "BenchmarkResult", "load", "run", "run_shapes", "__version__"]
assert set(__all__) == {*_API, "__version__"}


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'perfbench' has no attribute {name!r}")
    module, attribute = _API[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
