"""A compiled model's executed graph as :class:`perfbench.stats.matching.Node` records:
each node's layer type, implementation (``primitiveType``, the counters' ``execType``),
runtime precision, the original layers it was made of, and its producers, in execution
order (``execOrder``)."""

from __future__ import annotations

from perfbench.model.executed import rt_info_text as _info
from perfbench.stats.matching import Node


def nodes_of_runtime_model(runtime_model) -> list[Node]:
    """The executed graph (``CompiledModel.get_runtime_model()``) as nodes, in execution
    order."""
    found: list[tuple[int, Node]] = []
    for op in runtime_model.get_ordered_ops():
        originals = tuple(n.strip() for n in _info(op, "originalLayersNames").split(",")
                          if n.strip())
        inputs = tuple(port.get_source_output().get_node().get_friendly_name()
                       for port in op.inputs())
        order = _info(op, "execOrder")
        found.append((int(order) if order.lstrip("-").isdigit() else len(found),
                      Node(op.get_friendly_name(), _info(op, "layerType") or op.get_type_name(),
                           _info(op, "primitiveType"), _info(op, "runtimePrecision").lower(),
                           originals, inputs)))
    return [node for _, node in sorted(found, key=lambda pair: pair[0])]
