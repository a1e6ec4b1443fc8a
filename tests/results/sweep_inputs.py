"""Sweeps of hand-made point measurements (no timing, no worker), for the frozen sweep
outputs ``tests/data/sweep_now-*``: a sequential sweep whose pick beats the default by far,
one the budget left incomplete, and a race (simulated rounds, seeded) with an SLA and a
confirmation A/B.  :func:`sweeps` builds them with the working classes of
``perfbench.sizing``, which every version of the code has, so the same inputs give main's
outputs and today's."""

from __future__ import annotations

import numpy as np

from perfbench.results.ab import EpochDesign
from perfbench.results.race import Confirmation, Interval
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.race import REFERENCE, RaceRules
from perfbench.sizing.race_sweep import RaceSweep
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point, Sweep
from perfbench.results import from_document
from tests.models import synthetic_document
from tests.sizing import race_model

#: Every sweep's console width and the cores its sizing line divides by.
WIDTH = 200
CORES = 2


def _result(fps: float, p99: float, half_width: float = 0.01):
    """A point measured at ``fps`` with a 95 % interval of ± ``half_width`` (its steady
    windows'), latencies scaled from ``p99``."""
    document = synthetic_document([fps], p99=p99, model="resnet-tiny")
    document["precision"] = {
        "fps_windows": {"value": fps, "ci95_low": fps * (1 - half_width),
                        "ci95_high": fps * (1 + half_width),
                        "ci95_half_width_pct": 100 * half_width, "n": 8, "cv_pct": 1.5},
        "fps_trials": None, "latency_ci95_ms": {}, "until_stable_target_pct": None,
        "stable": None}
    return from_document(document, "sweep input")


def _spec(**options) -> SweepSpec:
    """At 10 s epochs, as every sweep before version 4 was (the dimensioned race: null)."""
    return SweepSpec(BenchmarkConfig(model="models/resnet-tiny.xml"),
                     {"requests": [1, 2, 4]}, **{"epoch_s": 10.0, **options})


def sequential() -> Sweep:
    points = [Point(key, settings, "done", result=_result(fps, p99))
              for key, settings, fps, p99 in (("default", {}, 100.0, 10.0),
                                              ("requests=1", {"requests": 1}, 60.0, 2.0),
                                              ("requests=2", {"requests": 2}, 101.0, 6.0),
                                              ("requests=4", {"requests": 4}, 150.0, 30.0))]
    return Sweep(_spec(sla_ms=20.0, target_fps=2000.0), points, status="complete",
                 clock=lambda: 0.0)


def incomplete() -> Sweep:
    points = [Point("default", {}, "done", result=_result(100.0, 10.0)),
              Point("requests=1", {"requests": 1}, "done", "shortened to 3.0 s by the budget",
                    3.0, _result(60.0, 2.0)),
              Point("requests=2", {"requests": 2}, "skipped", "budget exhausted"),
              Point("requests=4", {"requests": 4}, "skipped", "budget exhausted")]
    return Sweep(_spec(budget_s=10.0), points, status="incomplete",
                 note="budget exhausted: 2 of 4 points skipped", clock=lambda: 0.0)


def race(rounds: int = 8, design: EpochDesign | None = None) -> RaceSweep:
    truth = {REFERENCE: 1.0, "requests=1": 0.6, "requests=2": 1.02, "requests=4": 1.3}
    rules = RaceRules() if design is None else RaceRules(rounds=rounds)
    played = race_model.play(np.random.default_rng(7), truth, rules, rounds=rounds)
    played.design = design
    for epoch in played.epochs:
        epoch.latency_ms = {k: latency * (1 + 0.02 * (epoch.index % 3 - 1)) for k, latency in
                            {REFERENCE: 10.0, "requests=1": 2.0, "requests=2": 19.9,
                             "requests=4": 15.0}.items() if k in epoch.points}
    results = {REFERENCE: _result(100.0, 10.0), "requests=1": _result(60.0, 2.0),
               "requests=2": _result(102.0, 19.9), "requests=4": _result(130.0, 15.0)}
    settings = {REFERENCE: {}, "requests=1": {"requests": 1}, "requests=2": {"requests": 2},
                "requests=4": {"requests": 4}}
    points = [Point(k, settings[k], result=results[k]) for k in played.keys]
    epoch_s = 10.0 if design is None else None
    sweep = RaceSweep(_spec(sla_ms=18.0, target_fps=2000.0, epoch_s=epoch_s), points,
                      mode="race",
                      race=played, clock=lambda: 0.0, block_s=0.1)
    sweep.finish()
    sweep.confirmation = Confirmation(
        REFERENCE, played.winner or "", "complete", "improvement",
        Interval(1.28, 1.25, 1.31, 0.99, 6, "epochs"), {"base": 101.0, "new": 131.0},
        {"base": 96.0, "new": 125.0}, {"base": -4.95, "new": -4.58}, 6,
        "A/B blocks of 1.00 s, stopped: decided")
    return sweep


def dimensioned() -> RaceSweep:
    """The race with its epochs dimensioned from earlier races (schema 4 on): 12 rounds an
    epoch, the design naming the components it was chosen from."""
    return race(12, EpochDesign(
        12, "dimensioned", "from 3 earlier races: Kalibera & Jones' optimum 11.6 rounds per "
        "epoch; on the grid, 8 to 40 rounds (6 epochs a wave), the least variance in the "
        "default design's 42 s a point", 20.0, runs=3, round_sd_pct=3.0, process_sd_pct=0.8,
        setup_s=1.6, round_s=0.13, expected_epochs=12))


def fidelity() -> Sweep:
    """Sizing with fidelity (schema 3 on): precisions f32 and int8 with
    ``--min-top1-agreement 90``.  Each precision's fidelity comes from
    :func:`perfbench.stats.fidelity.compare_outputs` on known logits (4 rows of 3 classes):
    the device's default (bf16) moves every logit by 1 % and keeps every answer, f32 is the
    reference itself, int8 flips two of the four answers (top-1 50 %), so the fastest
    point, int8, is excluded from the picks."""
    from perfbench.results.fidelity import SYNTHETIC_LABEL, Fidelity
    from perfbench.sizing.fidelity import summary
    from perfbench.stats.fidelity import compare_outputs

    reference = [np.array([[3.0, 1.0, 0.0], [0.0, 2.0, 1.0]]),
                 np.array([[1.0, 0.0, 2.0], [2.5, 2.0, 0.0]])]
    flipped = [np.array([[1.0, 3.0, 0.0], [0.0, 2.0, 1.0]]),
               np.array([[1.0, 0.0, 2.0], [2.0, 2.5, 0.0]])]
    made = {"bf16": [r * 1.01 for r in reference], "f32": reference, "int8": flipped}
    found = tuple(summary(None if name == "bf16" else name, Fidelity(
        name, "f32", 2, "synthetic", SYNTHETIC_LABEL, "ab" * 32,
        compare_outputs({"logits": reference}, {"logits": made[name]}), seed=7))
        for name in ("bf16", "f32", "int8"))
    points = [Point(key, settings, "done", result=_result(fps, p99))
              for key, settings, fps, p99 in (
                  ("default", {}, 100.0, 10.0),
                  ("precision=f32", {"precision": "f32"}, 70.0, 14.0),
                  ("precision=int8", {"precision": "int8"}, 180.0, 6.0))]
    spec = SweepSpec(BenchmarkConfig(model="models/resnet-tiny.xml"),
                     {"precision": ["f32", "int8"]}, min_top1_agreement_pct=90.0,
                     epoch_s=10.0)
    return Sweep(spec, points, status="complete", clock=lambda: 0.0, fidelity=found)


def sweeps() -> dict:
    return {"sequential": sequential(), "incomplete": incomplete(), "race": race(),
            "fidelity": fidelity(), "dimensioned": dimensioned()}


def freeze(directory: str) -> None:
    """Write the frozen outputs with the code on the path: ``sweep_vN-NAME.json`` (N: the
    version written today; the ``sweep_v2-*`` files were 1c02455's),
    ``sweep_now-NAME.txt`` (the terminal table at :data:`WIDTH`) and ``.csv``.  Run on
    purpose when a figure changes (``python -m tests.results.sweep_inputs tests/data``);
    at 1c02455 they were written with that commit's code."""
    import io
    from unittest import mock

    from rich.console import Console

    from perfbench.files import json_text
    from perfbench.reporters import sweep_report
    from perfbench.results.sweep import SCHEMA_VERSION
    with mock.patch("perfbench.sizing.sweep.psutil.cpu_count", lambda logical=True: CORES):
        for name, sweep in sweeps().items():
            document = sweep.result()
            with open(f"{directory}/sweep_v{SCHEMA_VERSION}-{name}.json", "w",
                      encoding="utf-8") as out:
                out.write(json_text(document.to_dict()))
            console = Console(file=io.StringIO(), width=WIDTH, color_system=None)
            sweep_report.render(document, console)
            with open(f"{directory}/sweep_now-{name}.txt", "w", encoding="utf-8") as out:
                out.write(console.file.getvalue())
            with open(f"{directory}/sweep_now-{name}.csv", "w", encoding="utf-8") as out:
                out.write(sweep_report.csv_text(document))


if __name__ == "__main__":
    import sys
    freeze(sys.argv[1])
