"""Orchestration: one benchmark, start to finish (the Python API the CLI is a layer over).

config → model → compiled pool → warm-up → measured trials → statistics → result.
May import: ``settings``, ``model``, ``measure``, ``stats``, ``system``, ``results``.

``run`` is imported on first use: an A/B worker (``python -m perfbench.runner.worker``)
imports this package first, and must apply its noise controls (affinity, THP) before
OpenVINO loads and starts its first thread (:mod:`perfbench.runner.controls`).
"""


def __getattr__(name: str):
    if name != "run":
        raise AttributeError(f"module 'perfbench.runner' has no attribute {name!r}")
    # inside: on first use, so a worker imports OpenVINO (with the runner package) only
    # after its controls are applied (module docstring)
    from perfbench.runner.benchmark import run
    globals()["run"] = run
    return run
