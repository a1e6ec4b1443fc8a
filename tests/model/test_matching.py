"""Node matching on graphs with known answers, and on a real runtime graph."""

import numpy as np
import openvino as ov
import openvino.opset15 as ops

from perfbench.model.matching import Group, Node, changes, match, nodes_of_runtime_model


def _chain(*nodes: Node) -> list[Node]:
    return [Node("x", "Input", originals=("x",)), *nodes]


def _groups(groups):
    return [(tuple(g.base), tuple(g.new), g.how) for g in groups]


def test_identical_graphs_match_one_to_one_by_their_layers():
    graph = _chain(Node("conv", "Convolution", "brgconv_avx512_f32", "f32", ("conv",), ("x",)),
                   Node("pool", "Pooling", "jit_avx512", "f32", ("pool",), ("conv",)))
    assert _groups(match(graph, graph)) == [(("conv",), ("conv",), "layers"),
                                            (("pool",), ("pool",), "layers")]


def test_a_fused_pair_on_one_side_is_one_group_and_says_the_fusion_vanished():
    base = _chain(Node("conv", "Convolution", "brgconv_f32", "f32", ("conv", "relu"), ("x",)))
    new = _chain(Node("conv", "Convolution", "brgconv_f32", "f32", ("conv",), ("x",)),
                 Node("relu", "Eltwise", "jit_f32", "f32", ("relu",), ("conv",)))
    groups = match(base, new)
    assert _groups(groups) == [(("conv",), ("conv", "relu"), "layers")]
    said = changes(groups[0], {n.name: n for n in base}, {n.name: n for n in new})
    assert said[0].startswith("fusion vanished")
    assert _groups(match(new, base)) == [(("conv", "relu"), ("conv",), "layers")]
    assert changes(match(new, base)[0], {n.name: n for n in new},
                   {n.name: n for n in base})[0].startswith("fusion appeared")


def test_renamed_nodes_match_by_type_and_producers_through_an_inserted_reorder():
    base = _chain(Node("conv_a", "Convolution", "brgconv_f32", "f32", ("conv_a",), ("x",)),
                  Node("pool_a", "Pooling", "jit", "f32", ("pool_a",), ("conv_a",)),
                  Node("fc_a", "FullyConnected", "brgemm", "f32", ("fc_a",), ("pool_a",)))
    new = _chain(Node("c1", "Convolution", "brgconv_bf16", "bf16", ("c1",), ("x",)),
                 Node("r", "Reorder", "jit", "bf16", (), ("c1",)),
                 Node("p1", "Pooling", "jit", "f32", ("p1",), ("r",)),
                 Node("f1", "FullyConnected", "brgemm", "f32", ("f1",), ("p1",)))
    groups = match(base, new)
    assert _groups(groups) == [(("conv_a",), ("c1",), "topology"), ((), ("r",), ""),
                               (("pool_a",), ("p1",), "topology"),
                               (("fc_a",), ("f1",), "topology")]
    by_b, by_n = {n.name: n for n in base}, {n.name: n for n in new}
    assert changes(groups[0], by_b, by_n) == ["execType brgconv_f32 → brgconv_bf16",
                                              "precision f32 → bf16", "renamed (conv_a → c1)"]
    assert changes(groups[1], by_b, by_n) == ["reorder inserted"]


def test_a_node_on_one_side_only_is_a_group_of_its_own():
    base = _chain(Node("conv", "Convolution", originals=("conv",), inputs=("x",)))
    new = _chain(Node("conv", "Convolution", originals=("conv",), inputs=("x",)),
                 Node("extra", "MatMul", originals=("extra",), inputs=("conv",)))
    groups = match(base, new)
    assert _groups(groups) == [(("conv",), ("conv",), "layers"), ((), ("extra",), "")]
    assert changes(groups[1], {n.name: n for n in base},
                   {n.name: n for n in new}) == ["only in NEW"]
    assert _groups(match(new, base))[1] == (("extra",), (), "")


def test_ambiguous_renamed_nodes_are_left_unmatched_rather_than_guessed():
    base = _chain(Node("a", "Eltwise", inputs=("x",)), Node("b", "Eltwise", inputs=("x",)))
    new = _chain(Node("c", "Eltwise", inputs=("x",)), Node("d", "Eltwise", inputs=("x",)))
    assert all(not g.base or not g.new for g in match(base, new))


def test_reorders_without_layers_match_by_name():
    base = _chain(Node("x_abcd_acdb", "Reorder", inputs=("x",)))
    assert _groups(match(base, base)) == [(("x_abcd_acdb",), ("x_abcd_acdb",), "name")]


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
