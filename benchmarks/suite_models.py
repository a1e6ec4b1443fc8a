"""Issue 21: a suite of models of different kinds, and its TOML, for ``perfbench suite``.

Writes seven IR models into OUT and ``OUT/zoo.toml``, a suite of nine entries of eight
models:

- ``conv_stack``: four 3×3 convolutions on a 112×112 image (and ``conv_stack_int8``: the
  same model quantized with NNCF, ``precision = "int8"``);
- ``dw_separable``: a depthwise-separable CNN (depthwise 3×3 GroupConvolution + 1×1);
- ``residual``: two ResNet basic blocks (convolutions with identity shortcuts);
- ``encoder``: a transformer encoder block (attention, MLP, residuals), ``model_type``
  transformer;
- ``mlp``: three dense layers;
- ``dynamic_batch``: a conv net whose batch is dynamic, run at ``batch = 4``;
- ``tokens``: two int64 inputs (ids, mask) through an embedding, shapes given;
- ``builtin``: the built-in inception-resnet-v2 replica.

    python benchmarks/suite_models.py --out /tmp/zoo [--time 10]
    perfbench suite /tmp/zoo/zoo.toml --out /tmp/zoo-run
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset15 as ops

RNG = np.random.default_rng(0)


def _weights(*shape: int) -> ov.Node:
    fan_in = int(np.prod(shape[1:])) or 1
    return ops.constant((RNG.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32))


def _conv(x, cin: int, cout: int, k: int = 3, stride: int = 1):
    pad = k // 2
    return ops.relu(ops.convolution(x, _weights(cout, cin, k, k), [stride, stride],
                                    [pad, pad], [pad, pad], [1, 1]))


def conv_stack() -> ov.Model:
    x = ops.parameter([1, 3, 112, 112], np.float32, name="image")
    y = _conv(x, 3, 32, stride=2)
    for _ in range(3):
        y = _conv(y, 32, 32)
    return ov.Model([y], [x], "conv_stack")


def dw_separable() -> ov.Model:
    x = ops.parameter([1, 3, 112, 112], np.float32, name="image")
    y, channels = _conv(x, 3, 32, stride=2), 32
    for out in (64, 64, 128, 128):
        dw = ops.constant((RNG.standard_normal((channels, 1, 1, 3, 3)) / 3).astype(np.float32))
        y = ops.relu(ops.group_convolution(y, dw, [1, 1], [1, 1], [1, 1], [1, 1]))
        y, channels = _conv(y, channels, out, k=1), out
    return ov.Model([y], [x], "dw_separable")


def _dense(x, fan_in: int, fan_out: int):
    return ops.matmul(x, _weights(fan_out, fan_in), False, True)


def encoder(seq: int = 128, width: int = 256, heads: int = 4) -> ov.Model:
    x = ops.parameter([1, seq, width], np.float32, name="hidden")
    head = width // heads

    def split(t):
        return ops.transpose(ops.reshape(t, ops.constant(np.array([1, seq, heads, head])),
                                         False), ops.constant(np.array([0, 2, 1, 3])))
    q, k, v = (split(_dense(x, width, width)) for _ in range(3))
    scores = ops.multiply(ops.matmul(q, k, False, True),
                          ops.constant(np.float32(1 / np.sqrt(head))))
    attended = ops.matmul(ops.softmax(scores, -1), v, False, False)
    merged = ops.reshape(ops.transpose(attended, ops.constant(np.array([0, 2, 1, 3]))),
                         ops.constant(np.array([1, seq, width])), False)
    y = ops.add(x, _dense(merged, width, width))
    y = ops.add(y, _dense(ops.relu(_dense(y, width, 4 * width)), 4 * width, width))
    return ov.Model([y], [x], "encoder")


def residual() -> ov.Model:
    """Two ResNet basic blocks at 56×56×64: convolutions with identity shortcuts."""
    x = ops.parameter([1, 64, 56, 56], np.float32, name="features")
    y = x
    for _ in range(2):
        y = ops.relu(ops.add(y, ops.convolution(_conv(y, 64, 64), _weights(64, 64, 3, 3),
                                                [1, 1], [1, 1], [1, 1], [1, 1])))
    return ov.Model([y], [x], "residual")


def mlp() -> ov.Model:
    x = ops.parameter([1, 512], np.float32, name="features")
    y = ops.relu(_dense(x, 512, 1024))
    y = ops.relu(_dense(y, 1024, 1024))
    return ov.Model([_dense(y, 1024, 10)], [x], "mlp")


def dynamic_batch() -> ov.Model:
    x = ops.parameter([-1, 3, 64, 64], np.float32, name="image")
    return ov.Model([_conv(_conv(x, 3, 16), 16, 16)], [x], "dynamic_batch")


def tokens(vocab: int = 1000, width: int = 64) -> ov.Model:
    ids = ops.parameter([-1, -1], np.int64, name="input_ids")
    mask = ops.parameter([-1, -1], np.int64, name="attention_mask")
    table = ops.constant(RNG.standard_normal((vocab, width)).astype(np.float32))
    emb = ops.gather(table, ids, ops.constant(np.int64(0)))
    weights = ops.unsqueeze(ops.convert(mask, np.float32), ops.constant(np.int64(-1)))
    return ov.Model([_dense(ops.multiply(emb, weights), width, width)], [ids, mask], "tokens")


MODELS = {"conv_stack": conv_stack, "dw_separable": dw_separable, "residual": residual,
          "encoder": encoder,
          "mlp": mlp, "dynamic_batch": dynamic_batch, "tokens": tokens}
#: Each model's own settings in the suite file (besides its path).
OWN = {"encoder": {"model_type": "transformer"}, "dynamic_batch": {"batch": 4},
       "tokens": {"shape": "input_ids[1,128],attention_mask[1,128]"}}


def _toml_value(value) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def suite_text(time_s: float) -> str:
    lines = ['name = "zoo"', 'time_limit = "10m"', "", "[defaults]", f"time = {time_s:g}"]
    entries = [(name, f"{name}.xml", OWN.get(name, {})) for name in MODELS]
    entries.insert(1, ("conv_stack_int8", "conv_stack.xml", {"precision": "int8"}))
    entries.append(("builtin", "builtin", {}))
    for name, path, own in entries:
        lines += ["", "[[models]]", f'name = "{name}"', f'model = "{path}"']
        lines += [f"{key} = {_toml_value(value)}" for key, value in own.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory for the models and zoo.toml")
    parser.add_argument("--time", type=float, default=10.0, help="seconds per entry (run)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, build in MODELS.items():
        ov.save_model(build(), str(out / f"{name}.xml"), compress_to_fp16=False)
    (out / "zoo.toml").write_text(suite_text(args.time))
    print(out / "zoo.toml")


if __name__ == "__main__":
    main()
