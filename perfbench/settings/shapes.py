"""Parser for benchmark_app's ``--shape`` syntax.

``[1,3,224,224]`` sets the only input; ``ids[1,128],mask[1,128]`` sets inputs by name.
Parsing is strict so that a typo is an error, not a silently ignored shape.
"""

from __future__ import annotations

import re

from perfbench.errors import UsageError

_ENTRY = re.compile(r"\s*([^\[\],]*?)\s*\[([^\[\]]*)\]\s*(?:,|$)")

#: Key under which an unnamed shape is stored: it applies to a model's only input.
UNNAMED = ""


def parse_shapes(text: str) -> dict[str, list[int]]:
    """Map input name (or :data:`UNNAMED`) to a static shape."""
    shapes: dict[str, list[int]] = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _ENTRY.match(text, pos)
        if match is None:
            raise UsageError(f"--shape: cannot parse {text!r:.80} at position {pos}; "
                             "expected [1,3,224,224] or name[1,128],other[1,128]")
        name, dims = match.group(1), match.group(2)
        if name in shapes:
            raise UsageError(f"--shape: input {name or '(unnamed)'!r} given twice")
        shapes[name] = _parse_dims(dims, name)
        pos = match.end()
    if not shapes:
        raise UsageError("--shape: empty shape")
    if UNNAMED in shapes and len(shapes) > 1:
        raise UsageError("--shape: an unnamed shape can only be given alone")
    return shapes


def _parse_dims(dims: str, name: str) -> list[int]:
    parts = [p.strip() for p in dims.split(",")] if dims.strip() else []
    values = []
    for part in parts:
        if not part.isdigit() or not part.isascii():
            raise UsageError(f"--shape: dimension {part!r:.20} of {name or 'the input'!r} "
                             "must be a positive whole number")
        value = int(part)
        if not 0 < value < 2**31:
            raise UsageError(f"--shape: dimension {value} of {name or 'the input'!r} "
                             "is out of range")
        values.append(value)
    return values


_DATA_ENTRY = re.compile(r"\s*([^\[\],]*?)\s*((?:\[[^\[\]]*\]\s*)+)(?:,|$)")
_DIMS = re.compile(r"\[([^\[\]]*)\]")


def parse_data_shapes(text: str) -> list[dict[str, list[int]]]:
    """benchmark_app's ``-data_shape``: ``[1,128][1,256]`` (the only input) or
    ``ids[1,128][1,256],mask[1,128][1,256]``.  Returns one name → shape map per shape to
    measure; an input given one shape keeps it in every set."""
    per_input: dict[str, list[list[int]]] = {}
    pos, text = 0, text.strip()
    while pos < len(text):
        match = _DATA_ENTRY.match(text, pos)
        if match is None:
            raise UsageError(f"--data-shape: cannot parse {text!r:.80} at position {pos}; "
                             "expected [1,128][1,256] or ids[1,128][1,256],mask[1,128][1,256]")
        name = match.group(1)
        if name in per_input:
            raise UsageError(f"--data-shape: input {name or '(unnamed)'!r} given twice")
        per_input[name] = [_parse_dims(d, name) for d in _DIMS.findall(match.group(2))]
        pos = match.end()
    if not per_input:
        raise UsageError("--data-shape: empty shape list")
    if UNNAMED in per_input and len(per_input) > 1:
        raise UsageError("--data-shape: an unnamed shape list can only be given alone")
    counts = {len(shapes) for shapes in per_input.values()} - {1}
    if len(counts) > 1:
        raise UsageError("--data-shape: inputs list different numbers of shapes; give each "
                         "input the same number, or one")
    total = max(len(shapes) for shapes in per_input.values())
    return [{name: shapes[i % len(shapes)] for name, shapes in per_input.items()}
            for i in range(total)]


def shape_label(shapes: dict[str, list[int]]) -> str:
    """``[1,128]`` or ``ids[1,128],mask[1,128]``: the syntax it was given in."""
    return ",".join(f"{name}[{','.join(map(str, dims))}]" for name, dims in shapes.items())
