"""A result's configuration identity: which results measured the same thing.

Compare's like-with-like check, the history's series and the fleet report's pooling all
use this one definition, derived from the settings table: each setting declares whether it
is part of the identity (``Setting.identity`` in :mod:`perfbench.settings.config`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from typing import Any

from perfbench.settings.config import SETTINGS, BenchmarkConfig

#: The settings that are part of a result's configuration identity, in declaration order.
IDENTITY_KEYS = tuple(k for k, s in SETTINGS.items() if s.identity)
#: Each setting's declared default (what a file without the setting counts as).
DEFAULTS = {f.name: f.default for f in fields(BenchmarkConfig)}
#: Identity settings added after histories stored their keys: left out of the key at their
#: default, so a run without them keeps the key (and history series) it had before.
LATER_KEYS = ("mean_values", "scale_values", "layout")


def configuration_identity(result: Any) -> dict[str, Any]:
    """What a result measured, for pairing like with like: compare's like-with-like check,
    the history's series and the fleet's pooling all use this one definition.

    Part of it is every setting declared ``identity=True``: each changes what is measured
    (device, hint, streams, threads, pinning, precision and quantization, batch and shapes,
    input data and fill, requests, API, scenario and rate).  A setting missing from an
    older file counts as its declared default, so a run at the default keeps the series
    it had before the setting existed.  Not part of it (``identity=False``), because they
    change how long or how precisely the same thing is measured, or what is written, not
    what runs: duration, iterations, warm-up, ``--until-stable`` and its bound, repeats,
    recompiling, the roofline and per-layer passes (both after the timed run), the cache
    and exec-graph paths, the label, the SLA (it only counts requests above a bound), and
    the seed (another sample of the same synthetic data; ``--fill random`` draws a fresh
    one every run, which must not start a new series).  The model is identified by what
    was read, not by its path (which differs between machines and checkouts): its name,
    batch, cost per image (which ``--gflops`` sets) and each input's name, type and shape.
    """
    model = result.model
    requested = result.requested
    settings = {name: _plain(requested.get(name, DEFAULTS[name])) for name in IDENTITY_KEYS}
    inputs = [[i.get("name"), i.get("element_type"), _plain(i.get("shape"))]
              for i in model.inputs if isinstance(i, dict)]
    return {"model": {"name": model.name, "batch": model.batch,
                      "gflops_per_image": model.gflops_per_image, "inputs": inputs},
            "settings": settings}


def configuration_key(result: Any) -> str:
    """A short stable digest of :func:`configuration_identity`."""
    identity = configuration_identity(result)
    identity["settings"] = {k: v for k, v in identity["settings"].items()
                            if k not in LATER_KEYS or v != DEFAULTS[k]}
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _plain(value: Any) -> Any:
    """Tuples as lists, so a setting read back from JSON equals the one in memory."""
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value

