"""Regression tracking: verdicts between results, history, and exporters for CI tools.

Owns ``compare``'s statistics and verdicts (Welch's interval of NEW/BASE with its noise
floors, the one verdict rule ``judge_change``, a suite geomean's verdict by it), the
SQLite history with its step detection and VCS/CI context, and the exporter plug-ins
(github-action-benchmark, Bencher, CSV).  The comparison it returns is typed in
``results.comparison``.
May import: ``results``, ``stats``, ``errors``, ``files``. Never OpenVINO.
"""
