"""Cutting a few layers out of a model: inputs become parameters, weights stay."""

import numpy as np
import openvino as ov
import openvino.opset15 as ops
import pytest

from perfbench.model.subgraph import extract


def _model():
    x = ops.parameter([1, 3, 8, 8], np.float32, name="x")
    w = ops.convert(ops.constant(np.ones((4, 3, 3, 3), np.float16)), np.float32)
    conv = ops.convolution(x, w, [1, 1], [1, 1], [1, 1], [1, 1])
    conv.set_friendly_name("conv")
    relu = ops.relu(conv)
    relu.set_friendly_name("relu")
    pool = ops.max_pool(relu, [2, 2], [1, 1], [0, 0], [0, 0], [2, 2]).output(0).get_node()
    pool.set_friendly_name("pool")
    return ov.Model([pool.output(0)], [x])


def test_the_cut_takes_the_layers_input_as_a_parameter_and_keeps_the_weights():
    cut = extract(_model(), ["relu", "pool"])
    assert [p.get_partial_shape().to_shape() for p in cut.get_parameters()] == [[1, 4, 8, 8]]
    assert {op.get_type_name() for op in cut.get_ops()} == {"Parameter", "Relu", "MaxPool",
                                                           "Result"}
    conv = extract(_model(), ["conv"])
    assert "Constant" in {op.get_type_name() for op in conv.get_ops()}
    compiled = ov.Core().compile_model(conv, "CPU")
    out = compiled({0: np.ones((1, 3, 8, 8), np.float32)})[0]
    assert out.shape == (1, 4, 8, 8) and out[0, 0, 4, 4] == pytest.approx(27.0)


def test_layers_not_in_the_model_are_a_clear_error():
    with pytest.raises(ValueError, match="none of its layers"):
        extract(_model(), ["missing"])
