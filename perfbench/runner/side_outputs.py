"""One side's outputs for an A/B's fidelity pass, made in its own worker (its interpreter,
its OpenVINO): the worker protocol's ``outputs`` message.

The inputs are the side's own, built as ``run --fidelity`` builds them
(:func:`perfbench.runner.fidelity.fidelity_inputs`: every ``--input`` sample, or the
seeded synthetic fill); two sides with the same inputs settings feed the same tensors,
which the parent checks by their digest.  Each is inferred by the model as measured (the
configured precision) and by its f32 reference (the model before any quantization,
compiled with an f32 hint); a side whose measured model already is f32 with nothing
quantized is its own reference, and sends its outputs once.

What travels is bounded: the samples are cut so that all of a side's outputs (both
models', every sample) hold at most :data:`MAX_TRANSFER_VALUES` numbers, at least one
sample; the reply states the count.  Outputs go as little-endian float32 in base64
(:func:`perfbench.stats.fidelity.encoded`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from perfbench.model.compile import compile_model
from perfbench.runner.fidelity import (configured_precision, fidelity_inputs, infer_all,
                                       inputs_digest)
from perfbench.results.fidelity import REAL_LABEL, SYNTHETIC_LABEL
from perfbench.stats.fidelity import encoded

#: At most this many output values per side (both models, all samples): 16 MiB of
#: float32, about 21 MiB of reply.  A 1000-class classifier sends its 8 samples in 16 000.
MAX_TRANSFER_VALUES = 1 << 22


def kept_samples(requested: int, values_per_sample: int, models: int) -> int:
    """How many samples fit in :data:`MAX_TRANSFER_VALUES` (at least one)."""
    per_sample = max(1, values_per_sample * models)
    return max(1, min(requested, MAX_TRANSFER_VALUES // per_sample))


def side_outputs(core, config, original, session, samples: int | None) -> dict:
    """The ``outputs`` reply: what the outputs are made in, the inputs fed (their kind,
    count, seed and digest), and each model's outputs by name, in the model's order."""
    inputs, kind, seed = fidelity_inputs(original, config, samples)
    measured = session.compilation.model
    configured = configured_precision(config, session.compilation.resolved)
    own_reference = configured == "f32" and config.quantize is None
    first = infer_all(measured, inputs[:1])
    assert first is not None                    # no stop event: never None
    per_sample = sum(int(np.size(values[0])) for values in first.values())
    # cut as if both models travel, whatever this side sends: an f32 side and a bf16 side
    # must keep the same samples, or their digests differ though the inputs were the same
    inputs = inputs[:kept_samples(len(inputs), per_sample, 2)]
    out = infer_all(measured, inputs)
    assert out is not None
    if own_reference:
        reference = out
    else:
        ref_model = compile_model(core, original.model,
                                  dataclasses.replace(config, precision="f32", quantize=None))
        reference = infer_all(ref_model.model, inputs)
        assert reference is not None
    return {"configured": configured, "samples": len(inputs), "inputs": kind, "seed": seed,
            "label": SYNTHETIC_LABEL if kind == "synthetic" else REAL_LABEL,
            "inputs_digest": inputs_digest(inputs),
            "outputs": {"f32": _encoded(reference),
                        "configured": None if own_reference else _encoded(out)}}


def _encoded(outputs: dict[str, list[np.ndarray]]) -> dict[str, dict]:
    return {name: encoded(values) for name, values in outputs.items()}
