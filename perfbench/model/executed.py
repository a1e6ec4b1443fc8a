"""Which precision really ran: read back from the compiled model's runtime graph.

Asking for a precision is not getting it: on AMX machines the CPU plugin runs f32 models
in bf16 by default, an INT8 model can fall back to f32 for layers it cannot quantize, and
users file issues about both (OpenVINO #28032, #25197).  After compiling, the runtime
model (``CompiledModel.get_runtime_model()``) lists every executed node with its
``runtimePrecision`` and the original layers it was made of (``originalLayersNames``).
Weighting each node by the conv + matmul FLOPs of its original layers gives the share of
the model's heavy work done in each precision.  A node's ``runtimePrecision`` can name its
weights rather than its data: an IR with FP16-stored weights (the converter's default) run
in f32 says f16 on a ``brgconv_*_f32`` kernel, so a precision that only a constant
(weight) input has is replaced by the precision of the data inputs.
"""

from __future__ import annotations

import openvino as ov

from perfbench.model.flops import op_flops

#: Runtime precisions as the report names them (integer kernels take u8/i8 activations).
_NAMES = {"u8": "int8", "i8": "int8", "bf16": "bf16", "f32": "f32", "f16": "f16",
          "u4": "int4", "i4": "int4", "f64": "f64"}
#: Below this share of FLOPs in the expected precision, the run gets a warning.
MOST = 0.5


def flops_by_layer(model: ov.Model) -> dict[str, int]:
    """Conv + matmul FLOPs of each layer of a statically shaped model, by friendly name."""
    found = {}
    for op in model.get_ordered_ops():
        flops = op_flops(op)
        if flops:
            found[op.get_friendly_name()] = flops
    return found


def rt_info_text(node, key: str) -> str:
    """A runtime node's rt_info value as text (empty when absent)."""
    info = node.get_rt_info()
    if key not in info:
        return ""
    value = info[key]
    return value.astype(str) if hasattr(value, "astype") else str(value)


def precision_shares(runtime_model: ov.Model, flops: dict[str, int]) -> dict[str, float]:
    """Share of the counted FLOPs per runtime precision, largest first; empty when the
    runtime graph names none of the counted layers (another device's graph, say)."""
    totals: dict[str, int] = {}
    for node in runtime_model.get_ordered_ops():
        names = [n.strip() for n in rt_info_text(node, "originalLayersNames").split(",")
                 if n.strip()]
        counted = sum(flops.get(name, 0) for name in names)
        if not counted:
            continue
        raw = _kernel_precision(node)
        precision = _NAMES.get(raw, raw or "unknown")
        totals[precision] = totals.get(precision, 0) + counted
    whole = sum(totals.values())
    if not whole:
        return {}
    return dict(sorted(((p, v / whole) for p, v in totals.items()), key=lambda kv: -kv[1]))


def _kernel_precision(node) -> str:
    """The node's ``runtimePrecision``, unless only its constant (weight) inputs have that
    precision: then the precision of its data inputs, which is what the kernel computes in."""
    raw = rt_info_text(node, "runtimePrecision").lower()
    constant, data = set(), []
    for port in node.inputs():
        source = port.get_source_output().get_node()
        kind = port.get_element_type().get_type_name().lower()
        if rt_info_text(source, "layerType") == "Const":
            constant.add(kind)
        else:
            data.append(kind)
    if raw in constant and raw not in data and data:
        return data[0]
    return raw


def executed_precision(compiled: ov.CompiledModel, model: ov.Model) -> dict[str, float]:
    """The shares for ``compiled`` (made from ``model``); empty when they cannot be read
    (dynamic shapes, a device without a runtime graph)."""
    try:
        flops = flops_by_layer(model)
        return precision_shares(compiled.get_runtime_model(), flops)
    except (RuntimeError, ValueError, TypeError):
        return {}


def describe(shares: dict[str, float]) -> str:
    return ", ".join(f"{100 * v:.1f} % {p}" for p, v in shares.items())


def shortfall(shares: dict[str, float], expected: str | None) -> str | None:
    """A warning when the precision the run is about covers less than most of the FLOPs."""
    if not shares or not expected or shares.get(expected, 0.0) >= MOST:
        return None
    return (f"only {100 * shares.get(expected, 0.0):.1f} % of the conv + matmul FLOPs ran in "
            f"{expected} ({describe(shares)}); the figures are not {expected} figures")


def save_runtime_graph(compiled: ov.CompiledModel, path: str) -> None:
    """The executed graph as IR, for inspection (benchmark_app's -exec_graph_path)."""
    ov.serialize(compiled.get_runtime_model(), path)
