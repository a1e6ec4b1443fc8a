"""Model cost from the graph: 2 × multiply-accumulates of the heavy ops.

Only ops whose cost dominates real networks are counted (convolutions of every kind and
MatMul); elementwise work is left out, which is why a graph count sits slightly below a
model card's figure.  The model must have static shapes by the time it is counted.
"""

from __future__ import annotations

import json
from math import prod

import openvino as ov


def _static(shape) -> list[int]:
    return [int(d) for d in shape]


def _conv(op) -> int:
    out = _static(op.get_output_shape(0))
    weights = _static(op.get_input_shape(1))      # [Co, Ci, *k]
    return 2 * prod(out) * weights[1] * prod(weights[2:])


def _group_conv(op) -> int:
    out = _static(op.get_output_shape(0))
    weights = _static(op.get_input_shape(1))      # [G, Co/G, Ci/G, *k]
    return 2 * prod(out) * weights[2] * prod(weights[3:])


def _conv_backprop(op) -> int:
    data = _static(op.get_input_shape(0))         # [N, Ci, *s]
    weights = _static(op.get_input_shape(1))      # [Ci, Co, *k]
    return 2 * prod(data) * weights[1] * prod(weights[2:])


def _group_conv_backprop(op) -> int:
    data = _static(op.get_input_shape(0))         # [N, Ci, *s]
    weights = _static(op.get_input_shape(1))      # [G, Ci/G, Co/G, *k]
    return 2 * prod(data) * weights[2] * prod(weights[3:])


def _matmul(op) -> int:
    a = _static(op.get_input_shape(0))
    out = _static(op.get_output_shape(0))
    transpose_a = op.get_attributes().get("transpose_a", False)
    if len(a) == 1:
        inner = a[0]
    else:
        inner = a[-2] if transpose_a else a[-1]
    return 2 * prod(out) * inner


_COUNTERS = {
    "Convolution": _conv,
    "GroupConvolution": _group_conv,
    "ConvolutionBackpropData": _conv_backprop,
    "GroupConvolutionBackpropData": _group_conv_backprop,
    "MatMul": _matmul,
}


def op_flops(op) -> int:
    """FLOPs of one op (0 for ops that are not counted)."""
    counter = _COUNTERS.get(op.get_type_name())
    return counter(op) if counter is not None else 0


def graph_flops(model: ov.Model) -> int:
    """Total FLOPs of one inference of ``model`` as shaped (all images of its batch)."""
    return sum(op_flops(op) for op in model.get_ordered_ops())


#: Where a model file declares its own cost (the exported built-in model does): the model's
#: rt_info, which the IR keeps.
_DECLARED = "perfbench"


def declare_cost(model: ov.Model, name: str, gflops_per_image: float) -> None:
    """Record the model's name and cost per image in ``model`` (kept in its saved IR), with
    the per-image input shapes the figure holds for."""
    shapes = {port.get_any_name(): [int(d) for d in port.get_shape()][1:]
              for port in model.inputs}
    model.set_rt_info(name, [_DECLARED, "model_name"])
    model.set_rt_info(str(gflops_per_image), [_DECLARED, "gflops_per_image"])
    model.set_rt_info(json.dumps(shapes, sort_keys=True), [_DECLARED, "image_shapes"])


def declared_cost(model: ov.Model) -> tuple[str, float] | None:
    """(name, GFLOPs per image) a statically shaped model declares, when its inputs still
    have the declared per-image shapes (any batch); None otherwise: a reshaped image is
    another cost, which only the graph count knows."""
    try:
        if not model.has_rt_info([_DECLARED, "gflops_per_image"]):
            return None
        info = {key: str(model.get_rt_info([_DECLARED, key]).astype(str))
                for key in ("model_name", "gflops_per_image", "image_shapes")}
        shapes = {port.get_any_name(): [int(d) for d in port.get_shape()][1:]
                  for port in model.inputs}
        if json.loads(info["image_shapes"]) != shapes:
            return None
        return info["model_name"], float(info["gflops_per_image"])
    except (RuntimeError, ValueError, TypeError):
        return None
