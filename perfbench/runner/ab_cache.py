"""The process-level variance of A/B runs, remembered per machine and model.

Kalibera & Jones measure each level's variance once, in a dimensioning experiment, and
size later runs from it.  Here every finished ``perfbench ab`` run with at least
MIN_EPOCHS epochs is such a measurement: its between-epoch variance beyond what its rounds
explain (σ_b², with K − 1 degrees of freedom) is appended under a key of this machine, the
BASE model and the settings that shape its execution.  A later run on the same key pools
these with its own epochs (:func:`perfbench.stats.two_level.two_level_ratio`), so a few
epochs of its own still give an interval with enough degrees of freedom.  Entries expire
after MAX_AGE_DAYS (the machines here change from day to day), and at most MAX_ENTRIES are
pooled.  ``perfbench ab --process-level this-run`` ignores the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from perfbench.files import atomic_write
from perfbench.model.cache import cache_root
from perfbench.stats.two_level import ProcessVariance

MIN_EPOCHS = 3
MAX_AGE_DAYS = 14
MAX_ENTRIES = 20
_FILE = "ab-process-level.json"


def cache_path() -> str:
    return str(cache_root() / _FILE)


def cache_key(machine: str, side: dict, settings: dict) -> str:
    """This machine, the model (name and cost) and what shapes its execution."""
    shaping = {k: settings.get(k) for k in ("device", "hint", "streams", "threads", "batch",
                                            "requests", "precision", "api", "scenario",
                                            "shape", "pinning", "block_s")}
    identity = {"machine": machine, "model": side.get("name"),
                "gflops": round(side.get("gflops_per_image") or 0.0, 6),
                "resolved": side.get("resolved"), "pool": side.get("pool_size"),
                "settings": shaping}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str)
                          .encode()).hexdigest()[:16]


def _read() -> dict:
    try:
        with open(cache_path(), encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}                   # no cache, or an unreadable one: measure afresh


def _fresh(entries: list, now: float) -> list:
    recent = [e for e in entries if isinstance(e, dict)
              and now - e.get("time", 0) <= MAX_AGE_DAYS * 86400]
    return recent[-MAX_ENTRIES:]


def load(key: str, now: float | None = None) -> ProcessVariance | None:
    """The pooled σ_b² of earlier runs under ``key``, or None."""
    entries = _fresh(_read().get(key, []), time.time() if now is None else now)
    dof = sum(e["dof"] for e in entries)
    if dof <= 0:
        return None
    variance = sum(e["dof"] * e["variance"] for e in entries) / dof
    return ProcessVariance(max(variance, 0.0), float(dof), len(entries))


def store(key: str, estimate: ProcessVariance, now: float | None = None) -> None:
    """Append one run's σ_b² estimate; a cache that cannot be written is skipped (the run's
    result does not depend on it)."""
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
