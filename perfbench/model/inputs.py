"""Seeded synthetic input tensors, made once per request before timing starts.

Values stay in a range the model can use: an integer input filled with garbage can index
out of an embedding table and fail, or take a different (faster) path than real data.
"""

from __future__ import annotations

import numpy as np
import openvino as ov

from perfbench.errors import UsageError
from perfbench.model.data import InputData
from perfbench.model.prepare import InputSpec

_FLOAT_TYPES = {"f32": np.float32, "f16": np.float16, "f64": np.float64}
_INT_TYPES = {"i8": np.int8, "u8": np.uint8, "i16": np.int16, "u16": np.uint16,
              "i32": np.int32, "u32": np.uint32, "i64": np.int64, "u64": np.uint64}
#: Integer inputs get values in [0, this): safe as token ids for any real vocabulary.
SMALL_INT_LIMIT = 100


def synthetic_array(spec: InputSpec, rng: np.random.Generator) -> np.ndarray:
    kind = spec.element_type
    lowered = spec.name.lower()
    if kind == "boolean":
        return np.ones(spec.shape, dtype=bool)
    if kind in _FLOAT_TYPES:
        # 0..255 suits image inputs (the common case) and is harmless elsewhere.
        return rng.uniform(0, 255, spec.shape).astype(_FLOAT_TYPES[kind])
    if kind in _INT_TYPES:
        dtype = _INT_TYPES[kind]
        if "mask" in lowered:
            return np.ones(spec.shape, dtype=dtype)
        if "token_type" in lowered or "segment" in lowered:
            return np.zeros(spec.shape, dtype=dtype)
        if "position" in lowered and spec.shape:
            return np.broadcast_to(np.arange(spec.shape[-1]) % 2**15, spec.shape).astype(dtype)
        return rng.integers(0, SMALL_INT_LIMIT, spec.shape).astype(dtype)
    raise UsageError(f"input {spec.name!r} has element type {kind}, which perfbench "
                     "cannot fill with synthetic data")


def filled_array(spec: InputSpec, fill: str, rng: np.random.Generator) -> np.ndarray:
    """``zeros``/``ones`` as said; ``seeded``/``random`` as :func:`synthetic_array`."""
    if fill in ("zeros", "ones"):
        dtype = bool if spec.element_type == "boolean" else (
            _FLOAT_TYPES.get(spec.element_type) or _INT_TYPES.get(spec.element_type))
        if dtype is None:
            raise UsageError(f"input {spec.name!r} has element type {spec.element_type}, "
                             "which perfbench cannot fill with synthetic data")
        return (np.zeros if fill == "zeros" else np.ones)(spec.shape, dtype=dtype)
    return synthetic_array(spec, rng)


def make_tensors(specs, seed: int, copies: int, fill: str = "seeded",
                 data: InputData | None = None) -> list[dict[str, ov.Tensor]]:
    """One independent set of input tensors per request, so no two requests share memory:
    request i gets sample i of ``data`` (cycling), else synthetic data."""
    if data is not None:
        return [_sample_tensors(specs, data, i) for i in range(copies)]
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(copies):
        tensors = {}
        for spec in specs:
            tensors[spec.name] = ov.Tensor(np.ascontiguousarray(filled_array(spec, fill, rng)))
        sets.append(tensors)
    return sets


class SampleFeed:
    """Which input sample each start gets, kept by the session for all its measuring: an
    A/B or interleaved-sweep worker measures many short blocks, and each block must go on
    through the samples where the last one stopped, not start over at sample 0.

    Closed loop: request i cycles through samples i, i + R, ... (R requests; request i
    already holds sample i).  Open loop (server): query k takes sample k mod N, whichever
    request is idle, so every sample is fed however few requests are ever busy."""

    def __init__(self, samples: list[dict], requests: int):
        self.samples = samples
        self.cycles = [samples[first::requests] for first in range(requests)]
        self.turns = [0] * requests
        self.queries = 0

    @property
    def cycling(self) -> bool:
        """Whether a closed loop must set inputs on each start (more samples than requests)."""
        return len(self.samples) > len(self.cycles)

    def for_request(self, index: int) -> dict:
        self.turns[index] += 1
        cycle = self.cycles[index]
        return cycle[self.turns[index] % len(cycle)]

    def next_query(self) -> dict:
        self.queries += 1
        return self.samples[(self.queries - 1) % len(self.samples)]


def make_feeds(specs, data: InputData | None, copies: int) -> SampleFeed | None:
    """The samples to cycle through; None when there is at most one (each request keeps
    the one set on it)."""
    if data is None or data.count <= 1:
        return None
    return SampleFeed([_sample_tensors(specs, data, i) for i in range(data.count)], copies)


def _sample_tensors(specs, data: InputData, index: int) -> dict[str, ov.Tensor]:
    return {spec.name: ov.Tensor(np.array(data.sample(spec.name, index), copy=True))
            for spec in specs}
