"""Turn a config into a static-shaped OpenVINO model plus what the report needs to know.

The built-in replica is built in-process; anything else is read with ``Core.read_model``.
Every input must end up fully static: a dynamic dimension the user did not set is an error
naming the input and the dimension, not a guess.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from dataclasses import dataclass

import openvino as ov

from perfbench.model import builtin as builtin_model
from perfbench.settings.config import BenchmarkConfig
from perfbench.model.quiet import runtime_output_captured
from perfbench.errors import UsageError, runtime_message
from perfbench.model.flops import declared_cost, graph_flops
from perfbench.settings.shapes import UNNAMED, parse_data_shapes, parse_shapes, shape_label
from perfbench.model.preprocess import apply


@dataclass(frozen=True)
class InputSpec:
    name: str
    element_type: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class PreparedModel:
    model: ov.Model
    name: str
    source: str                  # "built-in" or the model path
    inputs: tuple[InputSpec, ...]
    batch: int                   # images per inference, used for FPS
    gflops_per_image: float
    gflops_source: str           # "model card", "graph (conv+matmul)" or "user (--gflops)"
    notes: tuple[str, ...] = ()  # what perfbench chose for the user, said once in the report
    quantization: dict | None = None   # how the INT8 model was made (--quantize)


def prepare_model(config: BenchmarkConfig, core: ov.Core) -> PreparedModel:
    """The model as configured; ``--precision int8`` is applied on top of this by
    :func:`perfbench.model.quantize.quantized`."""
    if config.model is None:
        return _prepare_builtin(config)
    return _prepare_file(config, core)


def _prepare_builtin(config: BenchmarkConfig) -> PreparedModel:
    if config.shape is not None:
        raise UsageError("--shape applies to --model files; the built-in model's shape "
                         "is fixed (use --batch to change its batch)")
    for value, flag in ((config.mean_values, "--mean-values"),
                        (config.scale_values, "--scale-values"), (config.layout, "--layout")):
        if value is not None:
            raise UsageError(f"{flag} applies to --model files; the built-in model takes "
                             "its input as it is")
    batch = config.batch or 1
    model = builtin_model.build_model(batch=batch, seed=config.seed)
    gflops, source = builtin_model.CARD_GFLOPS, "model card"
    if config.gflops is not None:
        gflops, source = config.gflops, "user (--gflops)"
    return PreparedModel(model, builtin_model.MODEL_NAME, "built-in", _input_specs(model),
                         batch, gflops, source)


def _read(path: str, core: ov.Core) -> ov.Model:
    if not os.path.exists(path):
        raise UsageError(f"model file not found: {path}")
    if os.path.isdir(path) and not os.path.exists(os.path.join(path, "saved_model.pb")):
        raise UsageError(f"model path is a directory, not a model file: {path}")
    if not os.access(path, os.R_OK):
        raise UsageError(f"model file is not readable: {path}")
    try:
        with runtime_output_captured("OpenVINO's model reader"):
            return core.read_model(path)
    except Exception as exc:  # OpenVINO raises plain RuntimeError for every reader failure
        if _is_perfbench_document(path):
            raise UsageError(f"cannot read model {path}: it is a perfbench result, not a "
                             "model (compare or report read results; --model takes IR .xml, "
                             ".onnx, TensorFlow, TFLite or Paddle files)") from None
        raise UsageError(f"cannot read model {path}: {runtime_message(exc)}") from None


def _is_perfbench_document(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as file:
            schema = json.load(file).get("schema", "")
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(schema, str) and schema.startswith("perfbench")


def _prepare_file(config: BenchmarkConfig, core: ov.Core) -> PreparedModel:
    model = _preprocessed(_read(config.model, core), config)
    shapes = _requested_shapes(model, config)
    notes = ()
    if not shapes:
        shapes, notes = _default_dynamic_batch(model)
    if shapes:
        _reshape(model, shapes, config.model)
    _require_static(model)
    specs = _input_specs(model)
    batch = config.batch or _batch_of(specs[0].shape)
    # The file's stem: readers give generic names (every ONNX model is "onnx_Frontend_IR").
    name = Path(config.model).stem or os.path.basename(config.model)
    declared = declared_cost(model)
    if declared is not None:         # the exported built-in model: its name, the card's cost
        name = declared[0]
    if config.gflops is not None:
        gflops, source = config.gflops, "user (--gflops)"
    elif declared is not None:
        gflops, source = declared[1], "model card"
    else:
        gflops, source = graph_flops(model) / 1e9 / batch, "graph (conv+matmul)"
    return PreparedModel(model, name, config.model, specs, batch, gflops, source, notes)


def _preprocessed(model: ov.Model, config: BenchmarkConfig) -> ov.Model:
    return apply(model, config.mean_values, config.scale_values, config.layout)


def _reshape(model: ov.Model, shapes: dict[str, ov.PartialShape], path: str) -> None:
    """Reshape, or say in words what the model takes: a rank that cannot match is named
    before OpenVINO is asked (its own text ends in a node dump), and a shape its graph
    rejects gets shape inference's reason and the model's inputs."""
    ports = {_name_of(port): port for port in model.inputs}
    for name, shape in shapes.items():
        own = ports[name].get_partial_shape()
        if own.rank.is_static and shape.rank.is_static and \
                own.rank.get_length() != shape.rank.get_length():
            raise UsageError(f"cannot reshape {path}: {shape} has rank "
                             f"{shape.rank.get_length()}; the model's input is {own}, rank "
                             f"{own.rank.get_length()}{_input_named(name, ports)}")
    try:
        model.reshape(shapes)
    except Exception as exc:
        takes = "; ".join(f"{name} {port.get_partial_shape()}" for name, port in ports.items())
        asked = "; ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise UsageError(f"cannot reshape {path} to {asked}: {_inference_message(exc)} "
                         f"(the model's inputs: {takes})") from None


def _input_named(name: str, ports: dict) -> str:
    return f" (input {name!r})" if len(ports) > 1 else ""


def prepare_shapes(config: BenchmarkConfig, core: ov.Core) -> list[PreparedModel]:
    """One view per ``--data-shape`` set, all holding the same model with its dynamic
    dimensions (compiled once); each view has its static input shapes and its own cost,
    from the graph reshaped to them.  Shapes the model cannot take fail here, before
    anything is compiled."""
    model = _preprocessed(_read(config.model, core), config)
    names = [_name_of(port) for port in model.inputs]
    name = Path(config.model).stem or os.path.basename(config.model)
    views = []
    sets = parse_data_shapes(config.data_shape)
    for index, wanted in enumerate(sets):
        shapes = _complete_shape_set(model, names, wanted)
        static = _static_view(model, shapes)
        specs = tuple(InputSpec(n, p.get_element_type().get_type_name(), tuple(shapes[n]))
                      for n, p in zip(names, model.inputs))
        batch = _batch_of(specs[0].shape)
        if config.gflops is not None:
            gflops, source = config.gflops, "user (--gflops)"
        else:
            gflops, source = graph_flops(static) / 1e9 / batch, "graph (conv+matmul)"
        note = (f"shape {index + 1} of {len(sets)} from --data-shape ({shape_label(shapes)}), "
                "on one compilation with dynamic dimensions")
        views.append(PreparedModel(model, name, config.model, specs, batch, gflops, source,
                                   (note,)))
    return views


def _static_view(model: ov.Model, shapes: dict[str, list[int]]) -> ov.Model:
    """A copy reshaped to one set; the graph's own shape inference can still reject a
    shape the inputs' partial shapes allow (a fixed Reshape inside, say)."""
    static = model.clone()
    try:
        static.reshape({n: ov.PartialShape(dims) for n, dims in shapes.items()})
    except Exception as exc:  # OpenVINO raises plain RuntimeError for shape inference
        raise UsageError(f"--data-shape: the model cannot take {shape_label(shapes)}: "
                         f"{_inference_message(exc)}") from None
    return static


def _inference_message(exc: Exception) -> str:
    """Shape inference's own reason ("Requested output shape ... is incompatible"), not the
    node dump in front of it."""
    noise = ("Exception from", "Check '", "While validating", "Shape inference input")
    for line in str(exc).splitlines():
        if line.strip() and not line.strip().startswith(noise):
            return line.strip()[:300]
    return runtime_message(exc)


def _complete_shape_set(model: ov.Model, names: list[str],
                        wanted: dict[str, list[int]]) -> dict[str, list[int]]:
    """Every input's static shape for one set: given ones checked against the model, the
    others taken from the model where they are static."""
    wanted = _by_input_name(wanted, names, "--data-shape")
    shapes = {}
    for port, name in zip(model.inputs, names):
        partial = port.get_partial_shape()
        if name not in wanted:
            if partial.is_dynamic:
                raise UsageError(f"--data-shape: input {name!r} is dynamic ({partial}); give "
                                 "its shapes too")
            shapes[name] = [int(d) for d in port.get_shape()]
            continue
        if not partial.compatible(ov.PartialShape(wanted[name])):
            raise UsageError(f"--data-shape: input {name!r} cannot take "
                             f"{shape_label({name: wanted[name]})}; it takes {partial}")
        shapes[name] = wanted[name]
    return shapes


def _default_dynamic_batch(model: ov.Model) -> tuple[dict[str, ov.PartialShape], tuple]:
    """Almost every ONNX export has a dynamic batch dimension and nothing else dynamic:
    then run batch 1 and say so, instead of stopping.  Any other dynamic dimension still
    needs --shape (the error names it)."""
    shapes = {}
    for port in model.inputs:
        shape = port.get_partial_shape()
        if shape.rank.is_dynamic or shape.rank.get_length() < 1 or shape[0].is_static or \
                any(shape[i].is_dynamic for i in range(1, shape.rank.get_length())):
            return {}, ()
        shapes[_name_of(port)] = ov.PartialShape([1] + [shape[i] for i in
                                                        range(1, shape.rank.get_length())])
    if not shapes:
        return {}, ()
    try:
        model.reshape(shapes)
    except Exception as exc:
        raise UsageError(f"cannot set batch 1 on the dynamic batch dimension: "
                         f"{runtime_message(exc)}") from None
    return {}, (f"dynamic batch dimension on {', '.join(shapes)}: measured at batch 1 "
                "(set it with --batch N or --shape)",)


def _by_input_name(given: dict[str, list[int]], names: list[str], flag: str) -> dict:
    """Shapes keyed by the model's input names: an unnamed one goes to a single-input
    model's input; a name the model does not have is an error."""
    if UNNAMED in given:
        if len(names) != 1:
            raise UsageError(f"{flag} without an input name needs a single-input model; "
                             f"this one has {len(names)} inputs: {', '.join(names)}")
        given = {names[0]: given[UNNAMED]}
    unknown = set(given) - set(names)
    if unknown:
        raise UsageError(f"{flag} names unknown input {sorted(unknown)[0]!r}; "
                         f"model inputs: {', '.join(names)}")
    return given


def _requested_shapes(model: ov.Model, config: BenchmarkConfig) -> dict[str, ov.PartialShape]:
    """Shapes to apply: --shape first, then --batch on dimension 0 of every input."""
    names = [_name_of(port) for port in model.inputs]
    given = _by_input_name(parse_shapes(config.shape), names, "--shape") if config.shape else {}
    result = {}
    for port, name in zip(model.inputs, names):
        shape = ov.PartialShape(given[name]) if name in given else port.get_partial_shape()
        if config.batch is not None and shape.rank.is_static and shape.rank.get_length() >= 1:
            shape = ov.PartialShape([config.batch] + [shape[i] for i in range(1, len(shape))])
        if name in given or config.batch is not None:
            result[name] = shape
    return result


def _require_static(model: ov.Model) -> None:
    for port in model.inputs:
        shape = port.get_partial_shape()
        if shape.rank.is_dynamic:
            raise UsageError(f"input {_name_of(port)!r} has a dynamic rank; set its shape "
                             f"with --shape {_name_of(port)}[...]")
        for axis in range(shape.rank.get_length()):
            if shape[axis].is_dynamic:
                raise UsageError(
                    f"input {_name_of(port)!r} dimension {axis} is dynamic ({shape}); set it "
                    f"with --shape {_name_of(port)}[...]" + (" or --batch" if axis == 0 else ""))


def _input_specs(model: ov.Model) -> tuple[InputSpec, ...]:
    return tuple(InputSpec(_name_of(p), p.get_element_type().get_type_name(),
                           tuple(int(d) for d in p.get_shape())) for p in model.inputs)


def _batch_of(shape: tuple[int, ...]) -> int:
    """Images per inference when the user did not say: dim 0 of a batched (rank ≥ 2) input."""
    return shape[0] if len(shape) >= 2 and shape[0] > 0 else 1


def _name_of(port) -> str:
    try:
        return port.get_any_name()
    except RuntimeError:
        return port.get_node().get_friendly_name()
