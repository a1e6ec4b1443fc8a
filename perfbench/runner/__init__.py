"""Orchestration: one benchmark, start to finish (the Python API the CLI is a layer over).

config → model → compiled pool → warm-up → measured trials → statistics → result.
May import: ``settings``, ``model``, ``measure``, ``stats``, ``system``, ``results``.
"""

from perfbench.runner.benchmark import run  # noqa: F401
