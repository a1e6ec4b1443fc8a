"""Node matching on graphs with known answers."""

from perfbench.stats.matching import Node, changes, match


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
