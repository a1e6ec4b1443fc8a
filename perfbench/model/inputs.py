"""Seeded synthetic input tensors, made once per request before timing starts.

Values stay in a range the model can use: an integer input filled with garbage can index
out of an embedding table and fail, or take a different (faster) path than real data.
"""

from __future__ import annotations

import numpy as np
import openvino as ov

from perfbench.errors import UsageError
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


def make_tensors(specs, seed: int, copies: int) -> list[dict[str, ov.Tensor]]:
    """One independent set of input tensors per request, so no two requests share memory."""
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(copies):
        tensors = {}
        for spec in specs:
            tensors[spec.name] = ov.Tensor(np.ascontiguousarray(synthetic_array(spec, rng)))
        sets.append(tensors)
    return sets
