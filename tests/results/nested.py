"""The expected text of a frozen container (a shapes run, a sweep) written back today: the
results it holds carry their own schema version and write back upgraded to the current
one, so the expectation is the frozen text with exactly the registry's upgrade applied to
them; every other byte is the file's."""

from __future__ import annotations

import json

from perfbench.files import json_text
from perfbench.results.registry import KINDS, upgrade


def nested_results_upgraded(text: str) -> str:
    """``text`` with every result inside it upgraded to the current version (a version-1
    result's missing histogram stays absent, as it is written)."""
    data = json.loads(text)
    assert json_text(data) == text          # the file is its parsed document's text

    def upgraded(value):
        if isinstance(value, list):
            return [upgraded(v) for v in value]
        if not isinstance(value, dict):
            return value
        if value.get("schema") == "perfbench.result" and value is not data:
            value = upgrade(KINDS["perfbench.result"], value, "nested")
            return {k: v for k, v in value.items()
                    if not (k == "latency_histogram" and v is None)}
        return {k: upgraded(v) for k, v in value.items()}
    return json_text(upgraded(data))


def gains_spelled_whole(text: str) -> str:
    """A sweep's text with the one change to its own keys since the version-3 files were
    frozen: a precision gain without an interval wrote ``{ratio}`` alone, now ``{ratio,
    low, high, level}`` with null bounds (``results.race.Interval``, the spelling of every
    interval; it reads either)."""
    data = json.loads(text)
    for gain in data.get("precision_gains") or ():
        for key in ("fps_ratio", "p99_ratio"):
            ratio = gain.get(key)
            if ratio is not None and "low" not in ratio:
                gain[key] = {"ratio": ratio["ratio"], "low": None, "high": None,
                             "level": None, **{k: v for k, v in ratio.items() if k != "ratio"}}
    return json_text(data)
