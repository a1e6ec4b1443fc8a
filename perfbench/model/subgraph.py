"""A few layers of a model cut out as a model of their own: the reproducer a bug report
about one slow node needs (``ab --attribute-out``).

The layers are the original layers a runtime node was made of (``originalLayersNames``).
Each data input that comes from outside them becomes a Parameter of the same type and
shape; constants (and a Convert of a constant: weights stored as f16) stay, so the
kernel sees what it saw in the whole model; every output used outside becomes a Result.
"""

from __future__ import annotations

import openvino as ov
import openvino.opset15 as ops


def _constant(node) -> bool:
    kind = node.get_type_name()
    if kind == "Constant":
        return True
    return kind == "Convert" and node.input_value(0).get_node().get_type_name() == "Constant"


def extract(model: ov.Model, layers: list[str], name: str = "subgraph") -> ov.Model:
    """The sub-model of ``layers`` (friendly names) of ``model``, which is changed in
    place (pass a copy).  ValueError when none of the layers is in the model."""
    by_name = {op.get_friendly_name(): op for op in model.get_ordered_ops()}
    chosen = [by_name[n] for n in layers if n in by_name and not _constant(by_name[n])]
    if not chosen:
        raise ValueError(f"none of its layers ({', '.join(layers)[:80]}) is in the model")
    inside = {op.get_friendly_name() for op in chosen}
    parameters, results = [], []
    for op in chosen:
        for port in op.inputs():
            source = port.get_source_output()
            node = source.get_node()
            if node.get_friendly_name() in inside or _constant(node):
                continue
            parameter = ops.parameter(source.get_partial_shape(), source.get_element_type(),
                                      name=f"{node.get_friendly_name()}_out{source.get_index()}")
            port.replace_source_output(parameter.output(0))
            parameters.append(parameter)
    for op in chosen:
        for output in op.outputs():
            consumers = [t.get_node() for t in output.get_target_inputs()]
            if not consumers or any(c.get_friendly_name() not in inside for c in consumers):
                results.append(ops.result(output))
    if not parameters:
        raise ValueError("its layers take no data input (a constant subgraph)")
    return ov.Model(results, parameters, name)
