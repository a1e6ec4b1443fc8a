"""Model cost from the graph: 2 × multiply-accumulates of the heavy ops.

Only ops whose cost dominates real networks are counted (convolutions of every kind and
MatMul); elementwise work is left out, which is why a graph count sits slightly below a
model card's figure.  The model must have static shapes by the time it is counted.
"""

from __future__ import annotations

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
