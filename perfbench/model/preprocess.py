"""``--mean-values``, ``--scale-values`` and ``--layout`` (benchmark_app's options), applied
to the model with OpenVINO's PrePostProcessor, as benchmark_app applies them: the input is
converted to f32, the mean subtracted, then divided by the scale, per channel; the layout
says where the channel is.  They become part of the compiled graph, so they are measured
(as in benchmark_app), and the result's requested settings say they were asked for.
"""

from __future__ import annotations

import math
import re

import openvino as ov
from openvino.preprocess import PrePostProcessor

from perfbench.errors import UsageError
from perfbench.errors import runtime_message

UNNAMED = ""
#: ``name[v1,v2,...]`` or ``[v1,...]``, the entries separated by commas.
_ENTRY = re.compile(r"\s*([^\[\],]*)\[([^\]]*)\]\s*,?")


def parse_values(text: str, flag: str) -> dict[str, list[float]]:
    """Input name (or UNNAMED) -> its values, each a finite number."""
    return {name: _numbers(body, name, flag) for name, body in _entries(text, flag).items()}


def parse_layouts(text: str) -> dict[str, str]:
    """Input name (or UNNAMED) -> a layout OpenVINO accepts (NCHW, NHWC, NC, N?C…)."""
    layouts = {}
    for name, body in _entries(text, "--layout").items():
        try:
            ov.Layout(body.strip())
        except RuntimeError:
            raise UsageError(f"--layout: {body!r:.20} is not a layout (e.g. NCHW, NHWC, "
                             "NC)") from None
        layouts[name] = body.strip()
    return layouts


def _entries(text: str, flag: str) -> dict[str, str]:
    entries, pos, text = {}, 0, text.strip()
    while pos < len(text):
        match = _ENTRY.match(text, pos)
        if match is None:
            raise UsageError(f"{flag}: cannot parse {text!r:.80} at position {pos}; expected "
                             "[v1,v2,v3] or name[v1,v2,v3],other[...]")
        name = match.group(1).strip()
        if name in entries:
            raise UsageError(f"{flag}: input {name or '(unnamed)'!r} given twice")
        entries[name] = match.group(2)
        pos = match.end()
    if not entries:
        raise UsageError(f"{flag}: nothing given")
    if UNNAMED in entries and len(entries) > 1:
        raise UsageError(f"{flag}: an unnamed entry can only be given alone")
    return entries


def _numbers(body: str, name: str, flag: str) -> list[float]:
    try:
        numbers = [float(part) for part in body.split(",")]
    except ValueError:
        raise UsageError(f"{flag}: [{body:.40}] of {name or 'the input'!r} must be numbers "
                         "separated by commas") from None
    if not all(math.isfinite(n) for n in numbers):
        raise UsageError(f"{flag}: values must be finite numbers")
    if flag == "--scale-values" and 0.0 in numbers:
        raise UsageError("--scale-values: a scale of 0 would divide by zero")
    return numbers


def apply(model: ov.Model, mean: str | None, scale: str | None,
          layout: str | None) -> ov.Model:
    """The model with the asked-for preprocessing in front of its inputs (the same model
    when nothing was asked)."""
    if mean is None and scale is None and layout is None:
        return model
    names = [_name(port) for port in model.inputs]
    means = _by_name(parse_values(mean, "--mean-values") if mean else {}, names,
                     "--mean-values")
    scales = _by_name(parse_values(scale, "--scale-values") if scale else {}, names,
                      "--scale-values")
    layouts = _by_name(parse_layouts(layout) if layout else {}, names, "--layout")
    ppp = PrePostProcessor(model)
    for port, name in zip(model.inputs, names):
        if name not in means and name not in scales and name not in layouts:
            continue
        step = ppp.input(name)
        channels = {len(v) for v in (means.get(name), scales.get(name)) if v}
        own = layouts.get(name) or _layout_for(port, name, max(channels, default=1))
        if own is not None:
            step.model().set_layout(ov.Layout(own))
        if name in means or name in scales:
            step.preprocess().convert_element_type(ov.Type.f32)
            if name in means:
                step.preprocess().mean(_one_or_all(means[name]))
            if name in scales:
                step.preprocess().scale(_one_or_all(scales[name]))
    try:
        return ppp.build()
    except RuntimeError as exc:
        raise UsageError(f"--mean-values/--scale-values/--layout: {runtime_message(exc)}") \
            from None


def _layout_for(port, name: str, channels: int) -> str | None:
    """The model's own layout, else (as benchmark_app does for images) NCHW or NHWC where
    the channel count fits dimension 1 or the last one of a rank-4 input."""
    if port.get_node().get_layout() != ov.Layout():
        return None                                  # already set in the model
    if channels == 1:
        return None                                  # one value: no channel needed
    shape = port.get_partial_shape()
    if shape.rank.is_static and shape.rank.get_length() == 4:
        if shape[1].is_static and shape[1].get_length() == channels:
            return "NCHW"
        if shape[3].is_static and shape[3].get_length() == channels:
            return "NHWC"
    raise UsageError(f"--mean-values/--scale-values: input {name!r} ({shape}) has no "
                     f"dimension of {channels} channels that its layout names; give "
                     f"--layout {name}[NCHW] (or where its channel is)")


def _one_or_all(values: list[float]):
    return values[0] if len(values) == 1 else values


def _by_name(given: dict, names: list[str], flag: str) -> dict:
    if UNNAMED in given:
        if len(names) != 1:
            raise UsageError(f"{flag} without an input name needs a single-input model; "
                             f"this one has {len(names)} inputs: {', '.join(names)}")
        given = {names[0]: given[UNNAMED]}
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise UsageError(f"{flag} names unknown input {unknown[0]!r}; model inputs: "
                         f"{', '.join(names)}")
    return given


def _name(port) -> str:
    try:
        return port.get_any_name()
    except RuntimeError:
        return port.get_node().get_friendly_name()
