"""A tiny real image classifier (conv → ReLU → global average pool → dense logits), for
fidelity tests: N × C logits, where bf16 and int8 change the answers a little, and a
perturbed-weight variant whose f32 answers differ from the original's."""

from __future__ import annotations

import numpy as np
import openvino as ov
import openvino.opset15 as ops


def classifier_model(batch: int = 2, classes: int = 10, perturb: float = 0.0,
                     size: int = 16) -> ov.Model:
    """``perturb``: the dense weights scaled by (1 + perturb) in their first class column,
    so its logit (and only its logit) moves by that share."""
    rng = np.random.default_rng(0)
    image = ops.parameter([batch, 3, size, size], np.float32, name="image")
    w = (rng.standard_normal((16, 3, 3, 3)) / np.sqrt(27) / 64).astype(np.float32)
    y = ops.relu(ops.convolution(image, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1]))
    pooled = ops.reduce_mean(y, ops.constant(np.array([2, 3], dtype=np.int64)), False)
    dense = (rng.standard_normal((16, classes)) / 4).astype(np.float32)
    dense[:, 0] *= np.float32(1 + perturb)
    logits = ops.matmul(pooled, ops.constant(dense), False, False)
    logits.output(0).get_tensor().set_names({"logits"})
    return ov.Model([logits], [image], "tiny_classifier")


def margin_classifier(margin: float, batch: int = 2, classes: int = 10,
                      size: int = 16) -> ov.Model:
    """A classifier whose logits are ``margin`` apart, relative to their size: every class
    column of the dense layer is one shared column plus ``margin`` × its own.  A small
    margin (1e-4) leaves the logits nearly tied, so int8's rounding flips many top-1
    answers; a margin of 1 leaves them far apart, so int8 keeps them."""
    rng = np.random.default_rng(1)
    image = ops.parameter([batch, 3, size, size], np.float32, name="image")
    w = (rng.standard_normal((16, 3, 3, 3)) / np.sqrt(27)).astype(np.float32)
    y = ops.relu(ops.convolution(image, ops.constant(w), [1, 1], [1, 1], [1, 1], [1, 1]))
    pooled = ops.reduce_mean(y, ops.constant(np.array([2, 3], dtype=np.int64)), False)
    shared = rng.standard_normal((16, 1))
    dense = (shared + margin * rng.standard_normal((16, classes))).astype(np.float32)
    logits = ops.matmul(pooled, ops.constant(dense), False, False)
    logits.output(0).get_tensor().set_names({"logits"})
    return ov.Model([logits], [image], f"margin_classifier_{margin:g}")
