"""A real compiled model's runtime graph read as nodes, and matched with itself."""

import numpy as np
import openvino as ov
import openvino.opset15 as ops

from perfbench.model.runtime_nodes import nodes_of_runtime_model
from perfbench.stats.matching import Group, match


def test_a_real_runtime_graph_reads_with_types_precisions_and_fusions():
    core = ov.Core()
    x = ops.parameter([1, 3, 16, 16], np.float32, name="x")
    w = ops.constant(np.ones((4, 3, 3, 3), np.float32))
    y = ops.relu(ops.convolution(x, w, [1, 1], [1, 1], [1, 1], [1, 1]))
    compiled = core.compile_model(ov.Model([y], [x]), "CPU",
                                  {"INFERENCE_PRECISION_HINT": "f32"})
    nodes = nodes_of_runtime_model(compiled.get_runtime_model())
    conv = next(n for n in nodes if n.type == "Convolution")
    assert conv.precision == "f32" and conv.exec_type
    assert len(conv.originals) == 2            # the Relu is fused into the conv
    groups = match(nodes, nodes)
    assert any(g.base == [conv.name] == g.new for g in groups)
    assert all(isinstance(g, Group) for g in groups)
