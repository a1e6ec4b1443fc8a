"""One side of an A/B (``ab``, ``suite --ab``): the common settings with that side's
``--base-set`` / ``--new-set`` KEY=VALUE overrides, validated as a config before any worker
starts, so a bad value is one line and nothing has been measured."""

from __future__ import annotations

from perfbench.errors import UsageError
from perfbench.settings.config import build_config, coerce


def side_settings(model: str, common: dict, overrides: list[str], flag: str) -> dict:
    settings = dict(common, model=None if model == "builtin" else model)
    for spec in overrides:
        key, sep, value = spec.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag}: expected KEY=VALUE, got {spec!r:.40}")
        key = key.strip().replace("-", "_")
        if key == "model":
            raise UsageError(f"{flag}: the model is BASE or NEW itself")
        settings[key] = coerce(key, value, flag)
    return build_config(settings).to_dict()
