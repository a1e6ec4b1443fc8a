"""Results: the typed documents every reporter, exporter and tracker consumes, and their files.

Owns the frozen document dataclasses (the run's result and the plain data types it holds:
windows, latency summary, estimates, checks, system summary, layer times; the shapes run;
the sweep with its race; the fleet report and fleet run; the server-rate search; the A/B
run, ``ab.py``; the suite, ``suite.py``), the one interval spelling (``interval.py``), the
schema registry that recognises and upgrades every perfbench document (``registry.py``), the
readers (:func:`load`, :func:`load_document`) and the headline metrics.  May import:
``errors``, ``files``.  Never OpenVINO, so a CI job that only compares or tracks results
does not need the runtime.
"""

from perfbench.results.ab import ABResult
from perfbench.results.fleet import FleetReport, FleetRun
from perfbench.results.io import from_document, load, load_document
from perfbench.results.shapes import ShapesResult
from perfbench.results.suite import SuiteDocument
from perfbench.results.sweep import SweepResult
from perfbench.results.types import BenchmarkResult

__all__ = ["ABResult", "BenchmarkResult", "FleetReport", "FleetRun", "ShapesResult",
           "SuiteDocument", "SweepResult", "from_document", "load", "load_document"]
