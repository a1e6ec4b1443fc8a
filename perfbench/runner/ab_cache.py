"""The variance of an A/B epoch's level, remembered per machine and design.

Kalibera & Jones measure each level's variance once, in a dimensioning experiment, and
size later runs from it.  Here every finished ``perfbench ab`` run with at least
MIN_EPOCHS epochs is such a measurement: the variance of its epoch levels (process level
and rounds together, the start order taken out as a fixed effect: K − 2 degrees of freedom,
:func:`perfbench.stats.two_level.epoch_variance`) is appended under a key of this machine,
both sides' models and settings, and the epoch design (block length, rounds per epoch) —
the figure is only comparable between runs of one design.  A later run on the same key
pools these with its own epochs (:func:`perfbench.stats.two_level.two_level_ratio`, which
never lets the prior narrow a noisier run's interval), so a few epochs of its own still
give an interval with enough degrees of freedom.

The machine's noise changes within a day, so the cache is kept close to the run it
serves: the key holds the boot (``/proc/sys/kernel/random/boot_id``) and the CPU model
besides the host, entries expire after MAX_AGE_HOURS, at most MAX_ENTRIES are pooled,
and the pooled degrees of freedom are capped at MAX_DOF: one cached figure serves many
runs, so its error is shared by all of them, and a 140-dof prior would let it set their
intervals alone.  ``perfbench ab --process-level this-run`` ignores the cache.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass

from perfbench.files import atomic_write
from perfbench.model.cache import cache_root
from perfbench.stats.dimensioning import Components
from perfbench.stats.two_level import EpochVariance, VarianceComponents

MIN_EPOCHS = 3
MAX_AGE_HOURS = 6
MAX_ENTRIES = 10
MAX_DOF = 30.0
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


_VARIANCE_FIELDS = ("time", "dof", "variance")


def _fresh(entries, now: float, numbers: tuple[str, ...] = _VARIANCE_FIELDS) -> list:
    """The entries young enough to use and well formed (a hand-edited or foreign file must
    not end a run: a missing dof gave a KeyError, a negative variance a math error)."""
    recent = [e for e in entries if _well_formed(e, numbers)
              and 0 <= now - e["time"] <= MAX_AGE_HOURS * 3600] if isinstance(entries, list) else []
    return recent[-MAX_ENTRIES:]


def _well_formed(entry, numbers: tuple[str, ...] = _VARIANCE_FIELDS) -> bool:
    if not isinstance(entry, dict):
        return False
    values = [entry.get(k) for k in numbers]
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in values) and entry["dof"] > 0 and \
        all(entry[k] >= 0 for k in numbers if k not in SIGNED_FIELDS)


def load(key: str, now: float | None = None) -> EpochVariance | None:
    """The pooled epoch-level variance of earlier runs under ``key`` (its dof capped at
    MAX_DOF), or None."""
    entries = _fresh(_read().get(key, []), time.time() if now is None else now)
    dof = sum(e["dof"] for e in entries)
    if dof <= 0:
        return None
    variance = sum(e["dof"] * e["variance"] for e in entries) / dof
    return EpochVariance(variance, min(float(dof), MAX_DOF), len(entries))


#: Block lengths are snapped up to this grid (ratio between steps) before a run uses and
#: keys them: the measured length moves by a few per cent from run to run, so a key
#: holding it to 0.1 ms never matched again for models under ~200 requests/s.
BLOCK_GRID = 1.25
BLOCK_GRID_FROM_S = 0.1


def snap_block_s(seconds: float) -> float:
    """The smallest grid length (0.1 s × 1.25^k) not below ``seconds``."""
    if seconds <= BLOCK_GRID_FROM_S:
        return BLOCK_GRID_FROM_S
    # a grid length rounded to 6 decimals (as stored) lies up to ~2e-5 steps off the grid:
    # it snaps to itself, not to the next one up
    steps = math.ceil(math.log(seconds / BLOCK_GRID_FROM_S) / math.log(BLOCK_GRID) - 1e-4)
    return round(BLOCK_GRID_FROM_S * BLOCK_GRID ** steps, 6)


def snap_block_down_s(seconds: float) -> float:
    """The largest grid length not above ``seconds`` (a block shortened to fit a budget
    must stay within it), or ``seconds`` itself below the grid."""
    if seconds < BLOCK_GRID_FROM_S:
        return seconds
    steps = math.floor(math.log(seconds / BLOCK_GRID_FROM_S) / math.log(BLOCK_GRID) + 1e-4)
    return round(BLOCK_GRID_FROM_S * BLOCK_GRID ** steps, 6)


def machine_identity(host: str, cpu_model: str, boot_id: str | None = None) -> str:
    """Host, CPU model and this boot: a reboot or a migrated VM is another machine."""
    return f"{host}/{cpu_model}/boot {boot_id if boot_id is not None else _boot_id()}"


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return "unknown"


def store(key: str, estimate: EpochVariance, now: float | None = None) -> None:
    """Append one run's epoch-level variance; a cache that cannot be written is skipped
    (the run's result does not depend on it)."""
    now = time.time() if now is None else now
    _append(key, {"variance": estimate.variance, "dof": estimate.dof, "time": now}, now)


# -- the components a design is chosen from (stats.dimensioning) ----------------------------

_COMPONENT_FIELDS = ("time", "dof", "round_var", "process_excess", "setup_s", "round_s",
                     "rounds")
#: A run's process variance is stored before its clamp at 0 (``VarianceComponents.
#: process_excess``), so it may be negative: the pool averages signed figures and clamps
#: once, after pooling (a pool of clamped figures overstates σ_b², and the design with it).
#: Its field is not ``process_var``, which releases before c796657 (2026-12-07) filled
#: with the clamped figure and c796657 with the signed one: an entry with only
#: ``process_var`` is passed over (clamped, it would bias the pool up), and one of ours
#: has no ``process_var``, so an earlier release sharing the file drops it as malformed
#: rather than reading a negative variance.  Each release, writing a key, keeps only the
#: entries it reads; all expire within MAX_AGE_HOURS.
SIGNED_FIELDS = ("process_excess",)
#: A design is chosen from the cache once its process level rests on this many degrees of
#: freedom (one run of 6 epochs, or two of 4); before that a run uses the defaults.
MIN_DESIGN_DOF = 4.0


@dataclass(frozen=True)
class Dimensioning:
    """Earlier runs' components, pooled: what :func:`perfbench.stats.dimensioning.
    choose_design` needs, the degrees of freedom of the process level, how many runs, and
    the rounds per epoch the last of them used (the incumbent design)."""

    components: Components
    dof: float
    runs: int
    last_rounds: int


def components_key(machine: str, sides: dict, settings: dict, block_s: float,
                   extra: dict | None = None) -> str:
    """As :func:`cache_key`, but not of one epoch length: the components do not depend
    on the rounds per epoch (the round noise on the block length, which is kept);
    ``extra``: more of the design (the noise controls in force)."""
    return cache_key(machine, sides, settings, {"block_s": round(block_s, 4),
                                                "components": True, **(extra or {})})


def race_components_key(machine: str, points: dict[str, dict], openvino: str,
                        block_s: float) -> str:
    """A race's components: this machine, every point's settings under its key (the model
    by its path and, for a file, its size and modification time, so that another model
    saved at the same path is another design), the runtime, and the block length
    (snapped, as an A/B's).  A race of another grid is another design; the same grid on a
    machine that races it in other waves is not (the components are per point)."""
    identity = {"machine": machine, "race": True, "openvino": openvino,
                "points": {key: {**{k: settings.get(k) for k in ("model", *_SHAPING)},
                                 "model_file": _file_identity(settings.get("model"))}
                           for key, settings in points.items()},
                "block_s": round(block_s, 4)}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str)
                          .encode()).hexdigest()[:16]


def _file_identity(path: object) -> list[int] | None:
    """A model file's size and modification time, and its weights' for an IR (None for
    the built-in model)."""
    if not isinstance(path, str) or not path:
        return None
    files = [path]
    if files[0].endswith(".xml"):
        files.append(files[0][:-4] + ".bin")
    out: list[int] = []
    for name in files:
        try:
            stat = os.stat(name)
        except (OSError, ValueError):
            continue
        out += [stat.st_size, stat.st_mtime_ns]
    return out or None


def no_design(known: Dimensioning | None, earlier: str, what: str) -> str | None:
    """Why the cache gives no design yet (None: it does): ``earlier`` names the runs in
    the plural ("runs", "races"), ``what`` what they were of ("this model", "this
    grid")."""
    if known is None:
        return (f"no earlier {earlier[:-1]} of {what} and block length on this boot of "
                "this machine")
    if known.dof < MIN_DESIGN_DOF:
        return (f"earlier {earlier}' process level rests on {known.dof:g} degrees of "
                f"freedom, fewer than {MIN_DESIGN_DOF:g}")
    return None


def store_components(key: str, measured: VarianceComponents, setup_s: float, round_s: float,
                     rounds: int, now: float | None = None) -> None:
    """Append one run's components and costs (unwritable: skipped, like :func:`store`)."""
    now = time.time() if now is None else now
    _append(key, {"round_var": measured.round_var, "process_excess": measured.process_excess,
                  "dof": measured.dof, "setup_s": setup_s, "round_s": round_s,
                  "rounds": rounds, "time": now}, now, _COMPONENT_FIELDS)


def load_components(key: str, now: float | None = None) -> Dimensioning | None:
    """The components of earlier runs under ``key``, variances pooled by degrees of
    freedom, costs averaged; None when none is cached."""
    entries = _fresh(_read().get(key, []), time.time() if now is None else now,
                     _COMPONENT_FIELDS)
    dof = sum(e["dof"] for e in entries)
    if not entries or dof <= 0 or not all(e["round_s"] > 0 for e in entries):
        return None

    def pooled(name: str) -> float:
        return sum(e["dof"] * e[name] for e in entries) / dof

    def mean(name: str) -> float:
        return sum(e[name] for e in entries) / len(entries)
    return Dimensioning(Components(pooled("round_var"), max(pooled("process_excess"), 0.0),
                                   mean("setup_s"), mean("round_s")),
                        float(dof), len(entries), int(entries[-1]["rounds"]))


def _append(key: str, entry: dict, now: float,
            numbers: tuple[str, ...] = _VARIANCE_FIELDS) -> None:
    data = _read()
    entries = _fresh(data.get(key, []), now, numbers)
    entries.append(entry)
    data[key] = entries
    try:
        os.makedirs(os.path.dirname(cache_path()), exist_ok=True)
        atomic_write(cache_path(), json.dumps(data, indent=1))
    except OSError:
        pass
