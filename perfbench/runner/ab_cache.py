"""The variance of an A/B epoch's level, remembered per machine and design.

Kalibera & Jones measure each level's variance once, in a dimensioning experiment, and
size later runs from it.  Here every finished ``perfbench ab`` run with at least
MIN_EPOCHS epochs is such a measurement: the variance of its epoch levels (process level,
start order and rounds together, K − 1 degrees of freedom) is appended under a key of this machine,
both sides' models and settings, and the epoch design (block length, rounds per epoch) —
the figure is only comparable between runs of one design.  A later run on the same key
pools these with its own epochs (:func:`perfbench.stats.two_level.two_level_ratio`), so a
few epochs of its own still give an interval with enough degrees of freedom.  Entries
expire after MAX_AGE_DAYS (the machines here change from day to day), and at most
MAX_ENTRIES are pooled.  ``perfbench ab --process-level this-run`` ignores the cache.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time

from perfbench.files import atomic_write
from perfbench.model.cache import cache_root
from perfbench.stats.two_level import EpochVariance

MIN_EPOCHS = 3
MAX_AGE_DAYS = 14
MAX_ENTRIES = 20
_FILE = "ab-epoch-variance.json"


def cache_path() -> str:
    return str(cache_root() / _FILE)


#: Settings that shape what a side executes (names as in the settings table).
_SHAPING = ("device", "hint", "streams", "threads", "batch", "requests", "precision", "api",
            "scenario", "rate", "shape", "pin", "quantize", "fill")


def _side_identity(side: dict, settings: dict) -> dict:
    return {"model": side.get("name"), "gflops": round(side.get("gflops_per_image") or 0.0, 6),
            "resolved": side.get("resolved"), "pool": side.get("pool_size"),
            "openvino": side.get("openvino"),
            "settings": {k: settings.get(k) for k in _SHAPING}}


def cache_key(machine: str, sides: dict, settings: dict, design: dict) -> str:
    """This machine, both sides (what each runs and how), and the epoch design."""
    identity = {"machine": machine, "design": design,
                "sides": {name: _side_identity(sides.get(name, {}), settings.get(name, {}))
                          for name in ("base", "new")}}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str)
                          .encode()).hexdigest()[:16]


def _read() -> dict:
    try:
        with open(cache_path(), encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}                   # no cache, or an unreadable one: measure afresh


def _fresh(entries, now: float) -> list:
    """The entries young enough to use and well formed (a hand-edited or foreign file must
    not end a run: a missing dof gave a KeyError, a negative variance a math error)."""
    recent = [e for e in entries if _well_formed(e)
              and now - e["time"] <= MAX_AGE_DAYS * 86400] if isinstance(entries, list) else []
    return recent[-MAX_ENTRIES:]


def _well_formed(entry) -> bool:
    if not isinstance(entry, dict):
        return False
    values = [entry.get(k) for k in ("time", "dof", "variance")]
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in values) and entry["dof"] > 0 and entry["variance"] >= 0


def load(key: str, now: float | None = None) -> EpochVariance | None:
    """The pooled epoch-level variance of earlier runs under ``key``, or None."""
    entries = _fresh(_read().get(key, []), time.time() if now is None else now)
    dof = sum(e["dof"] for e in entries)
    if dof <= 0:
        return None
    variance = sum(e["dof"] * e["variance"] for e in entries) / dof
    return EpochVariance(variance, float(dof), len(entries))


def store(key: str, estimate: EpochVariance, now: float | None = None) -> None:
    """Append one run's epoch-level variance; a cache that cannot be written is skipped
    (the run's result does not depend on it)."""
    now = time.time() if now is None else now
    data = _read()
    entries = _fresh(data.get(key, []), now)
    entries.append({"variance": estimate.variance, "dof": estimate.dof, "time": now})
    data[key] = entries
    try:
        os.makedirs(os.path.dirname(cache_path()), exist_ok=True)
        atomic_write(cache_path(), json.dumps(data, indent=1))
    except OSError:
        pass
