"""How many workers a race can hold at once: each point's memory estimated before anything
compiles, against the memory this machine has free, and its cores for compiling.

A 200-point grid of a large model cannot hold 200 compiled models in 24 GiB, so a race
measures in waves (:func:`perfbench.sizing.race.wave`) of as many workers as fit.  The
estimate is deliberately simple and on the safe side: one worker's interpreter and
runtime, plus the model's weights once per stream (the CPU plugin may keep a copy of
repacked weights per stream), plus one set of inputs per request and image.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from perfbench.errors import UsageError

#: A worker before its model: Python, NumPy and the OpenVINO runtime with its plugin.
WORKER_BASE_MB = 160.0
#: The share of the machine's available memory a race lets its workers take.
MEMORY_SHARE = 0.7
MB = 1024 * 1024


@dataclass(frozen=True)
class Footprint:
    """A point's memory estimate, and what it is made of."""

    key: str
    mb: float
    streams: int
    copies_of_inputs: int


def streams_of(settings: dict, cores: int) -> int:
    """The streams a point runs: as set, else as many as cores (what the throughput hint
    may choose, the most it can)."""
    streams = settings.get("streams")
    return int(streams) if isinstance(streams, int) and streams > 0 else max(cores, 1)


def footprint(key: str, settings: dict, weights_mb: float, input_mb: float,
              cores: int) -> Footprint:
    streams = streams_of(settings, cores)
    requests = settings.get("requests") if isinstance(settings.get("requests"), int) else \
        2 * streams
    batch = settings.get("batch") if isinstance(settings.get("batch"), int) else 1
    copies = requests * batch
    mb = WORKER_BASE_MB + weights_mb * streams + input_mb * copies
    return Footprint(key, mb, streams, copies)


@dataclass(frozen=True)
class Capacity:
    """Workers live at once (a wave), and workers compiling at once."""

    workers: int
    compiling: int
    available_mb: float
    largest: Footprint

    def note(self, points: int) -> str:
        """One line on the waves, empty when every point fits in one."""
        if points <= self.workers:
            return ""
        waves = math.ceil((points - 2) / max(self.workers - 2, 1))
        return (f"{points} points need ~{self.largest.mb:,.0f} MiB each at most; "
                f"{self.available_mb * MEMORY_SHARE:,.0f} MiB of "
                f"{self.available_mb:,.0f} MiB available hold {self.workers} at once: "
                f"measured in {waves} waves, each with the default (and the leader)")


def capacity(footprints: list[Footprint], available_mb: float, cores: int) -> Capacity:
    """As many workers as the largest footprints fit in MEMORY_SHARE of the available
    memory; one line and exit 2 when not even the default and one point fit."""
    largest = max(footprints, key=lambda f: f.mb)
    room = available_mb * MEMORY_SHARE
    ordered = sorted((f.mb for f in footprints), reverse=True)
    workers, used = 0, 0.0
    for mb in ordered:
        if used + mb > room:
            break
        workers, used = workers + 1, used + mb
    if workers < min(2, len(footprints)):
        raise UsageError(f"the grid cannot fit: {largest.key} needs ~{largest.mb:,.0f} MiB "
                         f"(weights × {largest.streams} streams, inputs × "
                         f"{largest.copies_of_inputs}), and a race holds it beside the "
                         f"default in {room:,.0f} MiB ({MEMORY_SHARE:.0%} of "
                         f"{available_mb:,.0f} MiB available); use fewer streams or "
                         "requests, or a machine with more memory")
    return Capacity(max(workers, 1), max(cores, 1), available_mb, largest)


def weights_mb(model_path: str | None, constant_bytes: int | None = None) -> float:
    """The model's weights: its .bin beside the .xml, or ``constant_bytes`` counted from
    the graph (the built-in model, an ONNX file)."""
    if model_path and model_path.endswith(".xml"):
        weights = model_path[:-4] + ".bin"
        if os.path.exists(weights):
            return os.path.getsize(weights) / MB
    return (constant_bytes or 0) / MB
