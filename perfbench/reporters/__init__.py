"""Reporters turn a :class:`~perfbench.result.BenchmarkResult` into something to read."""
