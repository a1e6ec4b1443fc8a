"""Seeded A/B runs (no measurement, no clock, no worker): hand-made blocks fed through the
runner's own look, decision and document builder, so the ``perfbench.ab`` document and the
tables written from them are the same every time and can be frozen and byte-compared.

- ``fps``: three epochs, NEW about 3 % faster, a cached prior pooled in;
- ``server``: the server scenario (judged on per-round p50 latency, with its schedule),
  one of a family of three;
- ``noisy``: two noisy epochs on a loaded machine, one empty round: inconclusive, with the
  load that widened it and the time it would need;
- ``short``: interrupted in its first epoch, so there is no interval at all.
"""

from __future__ import annotations

import math
import random

from perfbench.runner.ab import ABRun, Epoch, Round, _after_epoch, decide, document
from perfbench.stats.two_level import EpochVariance

TIMESTAMP = "2026-12-06T12:00:00+00:00"
VARIANTS = ("fps", "server", "noisy", "short")


def _hist(rng: random.Random, centre: int) -> dict:
    counts = {}
    for _ in range(60):
        index = centre + int(rng.gauss(0, 6))
        counts[index] = counts.get(index, 0) + 1
    return {"growth": 1.01, "min_ms": 0.001, "counts": [[i, n] for i, n in sorted(counts.items())]}


def _block(rng: random.Random, fps: float, noise: float, server: bool) -> dict:
    fps = fps * math.exp(rng.gauss(0, noise))
    median = 1000.0 / fps
    block = {"completed": int(fps * 0.1), "duration_s": 0.1, "batch": 1, "fps": fps,
             "median_ms": median, "p99_ms": 1.5 * median,
             "latency_hist": _hist(rng, int(math.log(median / 0.001) / math.log(1.01)))}
    if server:
        block["server"] = {"scheduled": 50, "sent": 50 - rng.randrange(2),
                           "missed": rng.randrange(2), "over_sla": rng.randrange(3),
                           "valid": rng.random() > 0.1}
    return block


def _side(name: str) -> dict:
    return {"ready": True, "name": name, "batch": 1, "gflops_per_image": 0.01,
            "inputs": [{"name": "x", "shape": [1, 8]}], "resolved": {"streams": 1},
            "pool_size": 2, "compile_ms": 12.5, "openvino": "2026.4.1",
            "perfbench": "0.9", "python": "/usr/bin/python3", "protocol": 3}


def _run(variant: str) -> ABRun:
    server = variant == "server"
    scenario = {"scenario": "server"} if server else {}
    settings = {"common": {"time": 10.0}, "base": {"model": "a.xml", **scenario},
                "new": {"model": "b.xml", **scenario}}
    run = ABRun(settings=settings, threshold_pct=2.0, target_pct=0.5, max_time_s=1e9,
                block_s=0.1, epoch_s=1.0, early_stop=variant != "noisy", use_cache=False,
                family_size=3 if server else 1, started_first="base", timestamp=TIMESTAMP)
    run.sides = {"base": _side("a"), "new": _side("b")}
    run.host = {"hostname": "h1", "hardware_class": "test-class", "cpu": "cpu A"}
    if variant == "fps":
        run.prior = EpochVariance(0.0001, 4.0, 2)
    return run


def seeded_run(variant: str) -> ABRun:
    """The finished run of ``variant``, decided as ``run_ab`` decides one."""
    rng = random.Random(VARIANTS.index(variant))
    run = _run(variant)
    gain, noise = {"fps": (1.03, 0.01), "server": (1.0, 0.01), "noisy": (1.01, 0.08),
                   "short": (1.0, 0.01)}[variant]
    epochs = {"fps": 6, "server": 3, "noisy": 2, "short": 1}[variant]
    clock = [0.0]
    for index in range(epochs):
        first = "base" if index % 2 == 0 else "new"
        epoch = Epoch(index, first, setup_s=1.0 + index / 10, wall_s=3.0 + index / 10,
                      other_cpu_pct=40.0 + index if variant == "noisy" else 2.5)
        shift = math.exp(rng.gauss(0, noise / 5))
        for r in range(8 if variant != "short" else 4):
            base = _block(rng, 1000.0, noise, run.settings["base"].get("scenario") == "server")
            new = _block(rng, 1000.0 * gain * shift, noise,
                         run.settings["base"].get("scenario") == "server")
            if variant == "noisy" and index == 1 and r == 3:
                new = dict(new, completed=0)
            epoch.rounds.append(Round("AB" if r % 2 == 0 else "BA", base, new))
        run.epochs.append(epoch)
        clock[0] += epoch.wall_s
        if variant == "short":
            run.status, run.stop_reason = "interrupted", "interrupted"
            break
        _after_epoch(run, lambda: clock[0], 0.0)
        if run.status != "running":
            break
    if run.status == "running":
        run.status, run.stop_reason = "complete", "max_time"
    run.decision = decide(run)
    return run


EXIT = {"fps": 0, "server": 0, "noisy": 3, "short": 130}


def seeded_document(variant: str):
    """The document the runner builds of ``variant`` (its exit status as the CLI sets it)."""
    return document(seeded_run(variant), EXIT[variant])
