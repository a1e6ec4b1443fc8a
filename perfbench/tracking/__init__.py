"""Regression tracking: verdicts between results, history, and exporters for CI tools.

Owns ``compare``'s statistics and verdicts, the SQLite history with step changes and
VCS/CI context, and the exporter plug-ins (github-action-benchmark, Bencher, CSV).
May import: ``results``, ``stats``, ``errors``, ``files``. Never OpenVINO.
"""
