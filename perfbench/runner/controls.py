"""Noise controls of an A/B worker (``perfbench ab --control NAME[=VALUE]``), each off by
default: candidate causes of the process-level noise and of the start-order effect
(docs/ab.md, "Controls"), switched on one at a time so that an A/A can measure what each
one does to them (``benchmarks/ab_noise_hunt.py``).

The parent parses them (:func:`parse_controls`), draws what is drawn per epoch (the
layout), and starts each worker with its part: environment variables, and a
``--controls JSON`` argument the worker applies first thing (:func:`apply_at_start`),
before it imports OpenVINO or allocates a model.  The worker reports what it actually
sees in its ready reply (``"controls"``: :func:`observed`), and the parent refuses a run
where a control did not take effect (:func:`check_observed`), so the document never
claims a control that was not in force.

* ``thp-off``: ``prctl(PR_SET_THP_DISABLE)``: no transparent huge pages for the worker's
  memory (Linux; checked with ``PR_GET_THP_DISABLE``).
* ``prefault``: before each block, one synchronous inference on every request of the
  pool, so every request's buffers and the weights are touched, whatever a short timed
  warm-up reached.
* ``arena=N``: ``MALLOC_ARENA_MAX=N`` in the worker's environment (glibc's allocator).
* ``evict``: before each block (outside its timed window, before its warm-up), a pass
  that writes a buffer of twice the machine's last-level cache, read from sysfs, so every
  block starts from the same cache state whatever the other side left.
* ``layout``: per epoch and side, a random environment size (0–4 KiB: moves the initial
  stack) and a random heap offset (0–64 KiB allocated and held before anything else:
  moves later small allocations; large ones are page-aligned mmaps and do not move).
  Layout cannot be held equal, so it is randomised and becomes process-level noise
  (Mytkowicz et al.; Curtsinger & Berger).
* ``warmup=S``: the unmeasured warm-up before each block, S seconds instead of 30 ms.
* ``pin`` or ``pin=CPUS`` (``0-3``, ``0,2``): both sides' workers restricted to the same
  CPUs (``sched_setaffinity`` before any thread starts; default: the CPUs this process may
  use).  OpenVINO's own pinning (``--pin``) then places its threads within them.

The OpenVINO CPU plugin of 2026.4 exposes no property for how its waiting threads wait
(its SUPPORTED_PROPERTIES: NUM_STREAMS, INFERENCE_NUM_THREADS, ENABLE_CPU_PINNING,
ENABLE_CPU_RESERVATION, SCHEDULING_CORE_TYPE, ENABLE_HYPER_THREADING, TBB_PARTITIONER, …),
so there is no ``idle-wait`` control; pinning and streams are settings of both sides
already (``--pin``, ``--streams``, ``--base-set``/``--new-set``).
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import sys
from dataclasses import dataclass, field

from perfbench.errors import RunFailed, UsageError
from perfbench.system.caches import last_level_cache_bytes

NAMES = ("thp-off", "prefault", "arena", "evict", "layout", "warmup", "pin")
#: prctl options (linux/prctl.h).
PR_SET_THP_DISABLE = 41
PR_GET_THP_DISABLE = 42
#: The layout draws' ranges: environment bytes, heap-offset bytes.
LAYOUT_ENV_MAX = 4096
LAYOUT_HEAP_MAX = 64 << 10
LAYOUT_ENV_VAR = "PERFBENCH_LAYOUT_PAD"
#: The eviction buffer, in last-level caches.
EVICT_CACHES = 2


@dataclass(frozen=True)
class Controls:
    """The controls asked for (all off: ``Controls()``)."""

    thp_off: bool = False
    prefault: bool = False
    arena: int | None = None
    evict: bool = False
    layout: bool = False
    warmup_s: float | None = None
    pin: tuple[int, ...] | None = None

    def __bool__(self) -> bool:
        return bool(self.names())

    def names(self) -> tuple[str, ...]:
        """The controls in force, spelled as the option takes them (the document's
        ``controls``)."""
        out = [name for name, on in (("thp-off", self.thp_off), ("prefault", self.prefault))
               if on]
        if self.arena is not None:
            out.append(f"arena={self.arena}")
        out += [name for name, on in (("evict", self.evict), ("layout", self.layout)) if on]
        if self.warmup_s is not None:
            out.append(f"warmup={self.warmup_s:g}")
        if self.pin is not None:
            out.append(f"pin={cpu_list(self.pin)}")
        return tuple(out)

    def for_worker(self, rng: random.Random) -> "WorkerControls":
        """One worker's part, with this epoch's layout draws (each side its own)."""
        env = {}
        if self.arena is not None:
            env["MALLOC_ARENA_MAX"] = str(self.arena)
        heap = pad = 0
        if self.layout:
            pad = rng.randrange(LAYOUT_ENV_MAX + 1)
            env[LAYOUT_ENV_VAR] = "x" * pad
            heap = rng.randrange(LAYOUT_HEAP_MAX + 1)
        return WorkerControls(env, {"thp_off": self.thp_off, "prefault": self.prefault,
                                    "evict": self.evict, "layout": self.layout,
                                    "heap_offset": heap, "env_bytes": pad,
                                    "arena": self.arena,
                                    "pin": list(self.pin) if self.pin is not None else None})


@dataclass(frozen=True)
class WorkerControls:
    """What one worker is started with: environment variables and its ``--controls``."""

    env: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)

    def argv(self) -> list[str]:
        return ["--controls", json.dumps(self.spec)]


def cpu_list(cpus: tuple[int, ...]) -> str:
    """0,1,2,5 → "0-2,5"."""
    parts: list[str] = []
    run: list[int] = []
    for cpu in sorted(cpus):
        if run and cpu == run[-1] + 1:
            run.append(cpu)
            continue
        if run:
            parts.append(_span(run))
        run = [cpu]
    if run:
        parts.append(_span(run))
    return ",".join(parts)


def _span(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"


#: The largest CPU number a list may name where the system does not say which it has.
MAX_CPU = 1 << 16
#: The longest warm-up a block may be given, and the most malloc arenas one may ask for.
MAX_WARMUP_S = 60.0
MAX_ARENAS = 4096


def _shown(text: str) -> str:
    """User text in a one-line message (quoted where it is not printable)."""
    return text if text.isprintable() else repr(text)


def parse_cpu_list(text: str, flag: str) -> tuple[int, ...]:
    shown = _shown(text)
    allowed = _allowed_cpus()
    top = max(allowed) if allowed else MAX_CPU
    cpus: set[int] = set()
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            first, last = int(low), int(high or low)
            if first < 0 or last < first:
                raise ValueError
            if last > top:
                raise UsageError(f"{flag} pin={shown}: this process may only use CPUs "
                                 f"{cpu_list(tuple(allowed)) if allowed else f'0-{top}'}")
            cpus.update(range(first, last + 1))
    except ValueError:
        raise UsageError(f"{flag} pin={shown}: not a CPU list (e.g. 0-3 or 0,2)") from None
    if allowed is not None and not cpus <= allowed:
        raise UsageError(f"{flag} pin={shown}: this process may only use CPUs "
                         f"{cpu_list(tuple(allowed))}")
    return tuple(sorted(cpus))


def _allowed_cpus() -> set[int] | None:
    getter = getattr(os, "sched_getaffinity", None)
    return set(getter(0)) if getter else None


def _positive(value: str, kind, name: str, flag: str, most: float):
    try:
        number = kind(value)
    except (ValueError, OverflowError):
        number = None
    if number is None or not 0 < number <= most:
        raise UsageError(f"{flag} {name}={_shown(value)}: needs a positive "
                         f"{'whole number' if kind is int else 'number'} up to {most:g}")
    return number


def parse_controls(specs: list[str], flag: str = "--control",
                   platform: str = sys.platform) -> Controls:
    """``--control`` values (repeatable) as :class:`Controls`; a one-line UsageError for
    an unknown name, a bad value, or a control this system cannot apply."""
    values: dict = {}
    for spec in specs:
        name, has_value, value = spec.strip().partition("=")
        if name not in NAMES:
            raise UsageError(f"{flag} {_shown(spec)}: unknown control (one of "
                             f"{', '.join(NAMES)})")
        if name in values:
            raise UsageError(f"{flag} {name}: given twice")
        if name in ("thp-off", "prefault", "evict", "layout") and has_value:
            raise UsageError(f"{flag} {_shown(spec)}: {name} takes no value")
        if name in ("arena", "warmup") and not has_value:
            raise UsageError(f"{flag} {name}: needs a value ({name}=N)")
        values[name] = value if has_value else True
    if ("thp-off" in values or "pin" in values) and not platform.startswith("linux"):
        which = "thp-off" if "thp-off" in values else "pin"
        raise UsageError(f"{flag} {which}: needs Linux (prctl and sched_setaffinity)")
    return _controls(values, flag)


def _controls(values: dict, flag: str) -> Controls:
    evict = "evict" in values
    if evict:
        if last_level_cache_bytes() is None:
            raise UsageError(f"{flag} evict: the kernel does not say how large this "
                             "machine's last-level cache is (sysfs), so no pass can be sized")
    pin = values.get("pin")
    return Controls(
        thp_off="thp-off" in values, prefault="prefault" in values,
        arena=None if "arena" not in values else _positive(values["arena"], int, "arena",
                                                           flag, MAX_ARENAS),
        evict=evict, layout="layout" in values,
        warmup_s=None if "warmup" not in values else
        _positive(values["warmup"], float, "warmup", flag, MAX_WARMUP_S),
        pin=None if pin is None else
        (tuple(sorted(_allowed_cpus() or ())) if pin is True else parse_cpu_list(pin, flag)))


# -- in the worker ------------------------------------------------------------------------

_held: list[int] = []           # the layout's heap offset (bytes held for the worker's life)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, arg2: int = 0) -> int:
    """prctl with every argument a full unsigned long (the kernel refuses stray bits in
    the unused ones: ctypes would pass plain ints as 32-bit)."""
    args = [ctypes.c_ulong(a) for a in (arg2, 0, 0, 0)]
    return _libc().prctl(ctypes.c_int(option), *args)


def apply_at_start(spec: dict) -> None:
    """First thing in the worker, before OpenVINO is imported: what must hold for the
    whole process (threads inherit the affinity; THP and the heap offset must come before
    the model's allocations).  A control that cannot be applied is a failure, not a
    silent no-op."""
    if spec.get("thp_off"):
        if _prctl(PR_SET_THP_DISABLE, 1) != 0:
            raise RunFailed(f"thp-off: prctl(PR_SET_THP_DISABLE) failed "
                            f"({os.strerror(ctypes.get_errno())})")
    if spec.get("pin") is not None:
        os.sched_setaffinity(0, spec["pin"])
    if spec.get("heap_offset"):
        libc = _libc()
        libc.malloc.restype = ctypes.c_void_p
        size = int(spec["heap_offset"])
        if libc.malloc(size):       # held, never freed: what follows sits after it
            _held.append(size)


def observed(spec: dict) -> dict:
    """What this process sees of each control asked for (the ready reply's
    ``"controls"``), read back from the system, not from the request."""
    seen: dict = {}
    if spec.get("thp_off"):
        seen["thp_disable"] = _prctl(PR_GET_THP_DISABLE)
        seen["thp_system"] = thp_system_mode()
    if spec.get("arena") is not None:
        seen["malloc_arena_max"] = os.environ.get("MALLOC_ARENA_MAX")
    if spec.get("pin") is not None:
        seen["affinity"] = threads_affinity()
    if spec.get("layout"):
        seen["layout"] = {"env_bytes": len(os.environ.get(LAYOUT_ENV_VAR, "")),
                          "heap_offset": sum(_held)}
    if spec.get("evict"):
        seen["evict_bytes"] = EVICT_CACHES * (last_level_cache_bytes() or 0)
    if spec.get("prefault"):
        seen["prefault"] = True
    return seen


THP_ENABLED = "/sys/kernel/mm/transparent_hugepage/enabled"


def thp_system_mode(path: str = THP_ENABLED) -> str | None:
    """The machine's THP mode (``always``, ``madvise``, ``never``: the bracketed one), which
    says what ``thp-off`` can change: under ``never`` nothing, under ``madvise`` only the
    regions a library asked huge pages for."""
    try:
        with open(path, encoding="ascii") as handle:
            text = handle.read()
    except OSError:
        return None
    start, end = text.find("["), text.find("]")
    return text[start + 1:end] if 0 <= start < end else None


def threads_affinity() -> list[int]:
    """The CPUs any thread of this process may run on (the union over /proc/self/task,
    read after the model compiled: OpenVINO's own threads and their pinning included),
    or the calling thread's where /proc does not say."""
    cpus: set[int] = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        tasks = []
    for task in tasks:
        try:
            cpus |= os.sched_getaffinity(int(task))
        except OSError:
            continue                # a thread that ended meanwhile
    return sorted(cpus or os.sched_getaffinity(0))


def check_observed(label: str, spec: dict, seen: dict | None) -> None:
    """The worker's report against what it was asked: a control not in force fails the
    run (a worker of an older perfbench ignores what it does not know)."""
    seen = seen or {}
    wrong = []
    if spec.get("thp_off") and seen.get("thp_disable") != 1:
        wrong.append(f"thp-off (PR_GET_THP_DISABLE = {seen.get('thp_disable')})")
    if spec.get("arena") is not None and seen.get("malloc_arena_max") != str(spec["arena"]):
        wrong.append(f"arena (MALLOC_ARENA_MAX = {seen.get('malloc_arena_max')!r})")
    if spec.get("pin") is not None and seen.get("affinity") != sorted(spec["pin"]):
        wrong.append(f"pin (affinity {seen.get('affinity')})")
    drawn = {"env_bytes": spec.get("env_bytes"), "heap_offset": spec.get("heap_offset")}
    if spec.get("layout") and seen.get("layout") != drawn:
        wrong.append(f"layout (the worker sees {seen.get('layout')}, drawn {drawn})")
    for name, key in (("evict", "evict_bytes"), ("prefault", "prefault")):
        if spec.get(name) and not seen.get(key):
            wrong.append(name)
    if wrong:
        raise RunFailed(f"{label} worker: control not in force: {', '.join(wrong)} (its "
                        "perfbench may predate --control)")


def check_block(label: str, spec: dict, done: dict | None) -> None:
    """A block's reply against the per-block controls asked for: the eviction pass and
    the prefault are said to be ready when the worker starts, and done before every
    block; a block they did not run before fails the run, so no block is counted as
    measured under a control it was not measured under."""
    done = done or {}
    wrong = []
    if spec.get("evict") and not done.get("evicted_bytes"):
        wrong.append("evict (no eviction pass before the block)")
    if spec.get("prefault") and not done.get("prefaulted"):
        wrong.append("prefault (no request prefaulted before the block)")
    if wrong:
        raise RunFailed(f"{label} worker: control not in force: {', '.join(wrong)}")


class BlockControls:
    """The per-block controls in a worker: prefault and evict, run before the block's
    warm-up, outside its timed window."""

    def __init__(self, spec: dict):
        self.prefault = bool(spec.get("prefault"))
        self.buffer = None
        if spec.get("evict"):
            # inside: numpy (its OpenBLAS threads) loads after the controls are applied
            import numpy as np
            self.buffer = np.zeros(EVICT_CACHES * (last_level_cache_bytes() or 0), np.uint8)

    def __bool__(self) -> bool:
        return self.prefault or self.buffer is not None

    def before_block(self, queue) -> dict:
        """Run them; what was done (the block reply's ``"controls"``)."""
        done: dict = {}
        if self.buffer is not None:
            self.buffer += 1            # reads and writes every line of it
            done["evicted_bytes"] = int(self.buffer.nbytes)
        if self.prefault:
            for index in range(len(queue)):
                queue[index].infer()
            done["prefaulted"] = len(queue)
        return done
