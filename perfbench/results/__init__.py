"""Results: the typed result every reporter, exporter and tracker consumes, and its files.

Owns the frozen result dataclasses (and the plain data types they hold: windows, latency
summary, estimates, checks, system summary, layer times), the JSON schema they write, the
one reader (:func:`load`) that validates a file and returns the typed object, and the
headline metrics. May import: ``errors``, ``files``. Never OpenVINO, so a CI job that only
compares or tracks results does not need the runtime.
"""

from perfbench.results.io import from_document, load  # noqa: F401
from perfbench.results.types import BenchmarkResult  # noqa: F401
