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
