"""A faithful replica of Open Model Zoo's converted ``inception-resnet-v2-tf``.

No network is reachable at run time, so the graph is rebuilt layer by layer from the
TF-slim topology (``inception_resnet_v2`` in TF-slim's nets; paper arXiv 1602.07261): cut
at the auxiliary head as the OMZ conversion does, batch norm folded into conv bias, and the
converted model's BGR input with mean/scale folded in front.  Weights are seeded synthetic
values, He-scaled so activations stay finite: the cost per image is what matters, and a
replica that overflowed to inf/NaN could run at a different speed than the real one.
"""

from __future__ import annotations

import numpy as np
import openvino as ov
import openvino.opset15 as ops

from perfbench.model.flops import declare_cost

MODEL_NAME = "inception-resnet-v2-tf"
#: The OMZ model card's figure; the design fixes it as this model's cost per image.
CARD_GFLOPS = 22.227
INPUT_NAME = "input"
IMAGE_SIZE = 299
NUM_CLASSES = 1001


class _Builder:
    """Emits conv/pool ops in NCHW and keeps the seeded weight generator in one place."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def _weights(self, out_c: int, in_c: int, kh: int, kw: int) -> ov.Node:
        fan_in = in_c * kh * kw
        w = self.rng.standard_normal((out_c, in_c, kh, kw), dtype=np.float32)
        w *= np.float32(np.sqrt(2.0 / fan_in))
        return ops.constant(w)

    def _bias(self, out_c: int) -> ov.Node:
        b = self.rng.uniform(-0.01, 0.01, (1, out_c, 1, 1)).astype(np.float32)
        return ops.constant(b)

    def conv(self, x, out_c: int, kernel, stride: int = 1, padding: str = "SAME",
             relu: bool = True):
        """Conv + folded-BN bias (+ ReLU); ``padding`` follows TF's SAME/VALID rules."""
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        in_c = _dim(x, 1)
        pads_begin, pads_end = _tf_pads(x, kh, kw, stride, padding)
        y = ops.convolution(x, self._weights(out_c, in_c, kh, kw), [stride, stride],
                            pads_begin, pads_end, [1, 1])
        y = ops.add(y, self._bias(out_c))
        return ops.relu(y) if relu else y

    @staticmethod
    def max_pool(x, size: int, stride: int):
        return ops.max_pool(x, [stride, stride], [1, 1], [0, 0], [0, 0], [size, size],
                            rounding_type="floor").output(0)

    @staticmethod
    def avg_pool(x, size: int, stride: int, padding: str):
        pad = size // 2 if padding == "SAME" else 0
        # TF's SAME average pool divides by the real (unpadded) window size.
        return ops.avg_pool(x, [stride, stride], [pad, pad], [pad, pad], [size, size],
                            exclude_pad=True, rounding_type="floor")


def _dim(x, axis: int) -> int:
    """Static size of one axis of a node's (first) output or of an Output."""
    shape = x.get_partial_shape() if isinstance(x, ov.Output) else x.get_output_partial_shape(0)
    return shape[axis].get_length()


def _tf_pads(x, kh: int, kw: int, stride: int, padding: str):
    if padding == "VALID":
        return [0, 0], [0, 0]
    pads = []
    for axis, k in ((2, kh), (3, kw)):
        size = _dim(x, axis)
        out = -(-size // stride)
        pads.append(max((out - 1) * stride + k - size, 0))
    return [p // 2 for p in pads], [p - p // 2 for p in pads]


def _concat(nodes):
    return ops.concat(nodes, axis=1)


def _stem(b: _Builder, x):
    x = b.conv(x, 32, 3, 2, "VALID")          # Conv2d_1a_3x3  149x149x32
    x = b.conv(x, 32, 3, 1, "VALID")          # Conv2d_2a_3x3  147x147x32
    x = b.conv(x, 64, 3)                      # Conv2d_2b_3x3  147x147x64
    x = b.max_pool(x, 3, 2)                   # MaxPool_3a_3x3 73x73x64
    x = b.conv(x, 80, 1, 1, "VALID")          # Conv2d_3b_1x1  73x73x80
    x = b.conv(x, 192, 3, 1, "VALID")         # Conv2d_4a_3x3  71x71x192
    return b.max_pool(x, 3, 2)                # MaxPool_5a_3x3 35x35x192


def _mixed_5b(b: _Builder, x):
    b0 = b.conv(x, 96, 1)
    b1 = b.conv(b.conv(x, 48, 1), 64, 5)
    b2 = b.conv(b.conv(b.conv(x, 64, 1), 96, 3), 96, 3)
    b3 = b.conv(b.avg_pool(x, 3, 1, "SAME"), 64, 1)
    return _concat([b0, b1, b2, b3])          # 35x35x320


def _residual(b: _Builder, x, branches, scale: float):
    """x = ReLU(x + scale * up(concat(branches))): the Inception-ResNet block tail."""
    channels = _dim(x, 1)
    up = b.conv(_concat(branches), channels, 1, relu=False)
    scaled = ops.multiply(up, ops.constant(np.float32(scale)))
    return ops.relu(ops.add(x, scaled))


def _block35(b: _Builder, x):
    b0 = b.conv(x, 32, 1)
    b1 = b.conv(b.conv(x, 32, 1), 32, 3)
    b2 = b.conv(b.conv(b.conv(x, 32, 1), 48, 3), 64, 3)
    return _residual(b, x, [b0, b1, b2], 0.17)


def _mixed_6a(b: _Builder, x):
    b0 = b.conv(x, 384, 3, 2, "VALID")
    b1 = b.conv(b.conv(b.conv(x, 256, 1), 256, 3), 384, 3, 2, "VALID")
    b2 = b.max_pool(x, 3, 2)
    return _concat([b0, b1, b2])              # 17x17x1088


def _block17(b: _Builder, x):
    b0 = b.conv(x, 192, 1)
    b1 = b.conv(b.conv(b.conv(x, 128, 1), 160, (1, 7)), 192, (7, 1))
    return _residual(b, x, [b0, b1], 0.10)


def _aux_logits(b: _Builder, x):
    x = b.avg_pool(x, 5, 3, "VALID")          # 5x5x1088
    x = b.conv(x, 128, 1)
    x = b.conv(x, 768, 5, 1, "VALID")         # 1x1x768
    x = ops.reshape(x, ops.constant(np.array([0, -1], dtype=np.int64)), special_zero=True)
    w = b.rng.standard_normal((768, NUM_CLASSES), dtype=np.float32) * np.float32(1 / np.sqrt(768))
    logits = ops.matmul(x, ops.constant(w), False, False)
    bias = b.rng.uniform(-0.01, 0.01, (1, NUM_CLASSES)).astype(np.float32)
    return ops.add(logits, ops.constant(bias))


def _preprocess(x):
    """The converted model's folded preprocessing: NHWC BGR in, normalised RGB NCHW out."""
    x = ops.transpose(x, ops.constant(np.array([0, 3, 1, 2], dtype=np.int64)))
    x = ops.gather(x, ops.constant(np.array([2, 1, 0], dtype=np.int64)),
                   ops.constant(np.int64(1)))
    x = ops.subtract(x, ops.constant(np.float32(127.5)))
    return ops.multiply(x, ops.constant(np.float32(1 / 127.5)))


def build_model(batch: int = 1, seed: int = 0) -> ov.Model:
    """Build the replica with a static batch; input ``input`` [B,299,299,3] f32 NHWC."""
    b = _Builder(seed)
    image = ops.parameter([batch, IMAGE_SIZE, IMAGE_SIZE, 3], np.float32, name=INPUT_NAME)
    image.output(0).get_tensor().set_names({INPUT_NAME})
    x = _mixed_5b(b, _stem(b, _preprocess(image)))
    for _ in range(10):
        x = _block35(b, x)
    x = _mixed_6a(b, x)
    for _ in range(20):
        x = _block17(b, x)
    logits = _aux_logits(b, x)
    logits.output(0).get_tensor().set_names({"InceptionResnetV2/AuxLogits/Logits"})
    model = ov.Model([logits], [image], MODEL_NAME)
    # One definition of the cost: an exported IR says the card's figure too (the graph
    # count, conv + matmul only, is 22.14), so its results compare with the built-in's.
    declare_cost(model, MODEL_NAME, CARD_GFLOPS)
    return model
