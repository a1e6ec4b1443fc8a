"""The result type and the plain data types it holds: the one thing reporters, exporters and
trackers consume.

``to_dict`` defines the JSON schema (``SCHEMA`` / ``SCHEMA_VERSION``) and ``from_dict``
reads it back into the same frozen objects, so a result loaded from a file behaves like one
just measured.  Numbers are numbers (never pre-rounded strings); times are in milliseconds
unless the key says ``_s``.  Bump ``SCHEMA_VERSION`` on any change that renames or removes
a key, with an upgrade from the version before (``upgrade_vN`` below, in the registry's
table): ``from_dict`` reads the current version only.

Version 2 adds ``latency_histogram``: every latency in 1 %-wide log buckets
(``stats.histogram.LogHistogram.to_dict``, at most a few thousand ``[index, count]`` pairs
whatever the run's length), so a distribution can be drawn and merged; percentiles alone
cannot.  A result without one (read from a version-1 file) writes none.

Version 3 adds ``fidelity`` (``run --fidelity``: the outputs against the f32 reference's,
:mod:`perfbench.results.fidelity`), written only when measured.

Version 4 spells every interval of ``precision`` as every other document does (issue 25,
:mod:`perfbench.results.interval`): ``fps_windows`` and ``fps_trials`` are ``{value, low,
high, level, half_width_pct, n, cv_pct}`` (were ``ci95_low``, ``ci95_high``,
``ci95_half_width_pct``), and each latency percentile's interval is ``precision.latency_ms``
``{median: {value, low, high, level}, …}`` (was ``latency_ci95_ms`` ``{median: [lo, hi]}``),
its ``value`` the percentile of ``results.latency_ms``.  :func:`upgrade_v3` respells an
older file; the registry upgrades versions 1 to 3 to it, so every result writes version 4
(one read from a version-1 file has no ``latency_histogram``, and writes none).

Nothing here imports OpenVINO, so reading and comparing results needs no runtime.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from perfbench.results.fidelity import Fidelity, FidelityFormatError

SCHEMA = "perfbench.result"
SCHEMA_VERSION = 4
STATUSES = ("complete", "interrupted", "failed")
#: The confidence of every interval a result states (``precision``'s).
LEVEL = 0.95


#: Percentiles every result reports, by LatencyStats field name.
PERCENTILES = {"median": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99_9": 99.9}


def field_for(p: float) -> str:
    """The LatencyStats field holding percentile ``p`` (one of :data:`PERCENTILES`)."""
    for name, value in PERCENTILES.items():
        if value == p:
            return name
    raise ValueError(f"percentile {p:g} is not reported; use one of "
                     f"{', '.join(f'{v:g}' for v in PERCENTILES.values())}")


class SchemaError(ValueError):
    """A result document that does not hold what the schema says; the message names where."""


def _number(data: dict, key: str, where: str, optional: bool = False) -> float | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SchemaError(f"{where}.{key} must be a finite number (got {value!r:.40})")
    return value


def _text(data: dict, key: str, where: str, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise SchemaError(f"{where}.{key} must be a string (got {value!r:.40})")
    return value


def _level(data: dict, where: str) -> None:
    """A result's intervals are all 95 %: another ``level`` is not a file this wrote."""
    if _number(data, "level", where) != LEVEL:
        raise SchemaError(f"{where}.level is {data['level']!r}, not {LEVEL} (every interval "
                          "of a result is 95 %)")


def _list(data: dict, key: str, where: str, optional: bool = False) -> list:
    """``optional``: a missing list reads as empty."""
    value = data.get(key)
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise SchemaError(f"{where}.{key} must be a list (got {type(value).__name__})")
    return value


def _flag(data: dict, key: str, where: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise SchemaError(f"{where}.{key} must be true or false (got {value!r:.40})")
    return value


def _table(data: Any, where: str) -> dict:
    if not isinstance(data, dict):
        raise SchemaError(f"{where} must be an object (got {type(data).__name__})")
    return data


def _simple(cls, data: Any, where: str):
    """A flat dataclass from its dict: numeric fields checked, unknown keys ignored."""
    data = _table(data, where)
    values = {}
    for f in fields(cls):
        if f.name not in data:
            if f.default is not MISSING or f.default_factory is not MISSING:
                continue
            raise SchemaError(f"{where}.{f.name} is missing")
        values[f.name] = data[f.name]
        if f.type in ("float", "int") and (isinstance(data[f.name], bool) or not isinstance(
                data[f.name], (int, float))):
            raise SchemaError(f"{where}.{f.name} must be a number (got {data[f.name]!r:.40})")
    return cls(**values)


@dataclass(frozen=True)
class Window:
    """One ~1 s slice of the measured window: completions observed in it and their latency."""

    start_s: float
    end_s: float
    completed: int
    latency_median_ms: float | None
    latency_p90_ms: float | None
    latency_p99_ms: float | None
    trial: int = 0

    def rate(self) -> float:
        """Completions per second (requests, not images)."""
        return self.completed / (self.end_s - self.start_s) if self.end_s > self.start_s else 0.0


def images_per_second(completed: int, batch: int, duration_s: float) -> float:
    """Throughput as every figure of perfbench states it: images (a request of batch N
    holds N) per second; 0 without a completion or a measured time.  The one definition:
    a result's FPS, each trial's, a worker's block (A/B, interleaved sweeps) all use it
    (``results.metrics`` re-exports it)."""
    return completed * batch / duration_s if completed and duration_s > 0 else 0.0


def steady_windows(windows) -> list:
    """Windows without the ramp-up (first) and drain (last) ones; none when there are
    fewer than three: ramp-up and drain are never passed off as steady windows."""
    return list(windows[1:-1])


def trials_fps(trials) -> list[float]:
    """Each trial's FPS as a run's FPS is defined: its steady FPS (without ramp-up and
    drain), where every trial has one; else every trial's whole-trial FPS, so that one
    figure is never a mix of the two.  The one rule, for the interval between trials
    (``stats.intervals.trials_fps_ci``), a run's FPS (``results.metrics.fps_estimate``)
    and compare's trial units."""
    steady = [t.steady_fps for t in trials]
    if all(s is not None and s > 0 for s in steady):
        return steady
    return [t.fps for t in trials]


def cpu_share(cpu_s: float | None, wall_s: float) -> float | None:
    """CPU time over wall time, in cores (1.0: one core busy all the time); None when not
    measured or the window has no length.  The driver-bound check's one definition."""
    if cpu_s is None or wall_s <= 0:
        return None
    return cpu_s / wall_s


@dataclass(frozen=True)
class LatencyStats:
    """Latency summary in milliseconds; ``exact`` is False when drawn from the histogram."""

    count: int
    min: float
    mean: float
    std: float
    median: float
    p90: float
    p95: float
    p99: float
    p99_9: float
    max: float
    exact: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95 % confidence interval and the spread of what was averaged."""

    value: float
    low: float
    high: float
    n: int
    cv_pct: float

    @property
    def half_width_pct(self) -> float:
        return 100 * (self.high - self.value) / self.value if self.value else math.inf

    def to_dict(self) -> dict:
        """The interval's one spelling first (``level`` 0.95), then what it was built on;
        ``half_width_pct`` is derived, written for readers and not read back."""
        return {"value": self.value, "low": self.low, "high": self.high, "level": LEVEL,
                "half_width_pct": self.half_width_pct, "n": self.n, "cv_pct": self.cv_pct}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Estimate | None":
        if data is None:
            return None
        data = _table(data, where)
        _level(data, where)
        return cls(_number(data, "value", where), _number(data, "low", where),
                   _number(data, "high", where), int(_number(data, "n", where)),
                   _number(data, "cv_pct", where))


@dataclass(frozen=True)
class Check:
    """One noise check: what was seen, against what threshold, and the remedy if it failed."""

    name: str
    ok: bool
    value: float | str | None
    threshold: float | str | None
    message: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SystemSummary:
    """What the monitor saw; all fractions are 0..100 percentages of the whole machine."""

    seconds: float = 0.0
    cpu_total_pct: float = 0.0
    cpu_own_pct: float = 0.0
    cpu_other_pct: float = 0.0
    per_core_pct: list[float] = field(default_factory=list)
    rss_peak_bytes: int = 0
    memory_used_pct_peak: float = 0.0
    memory_total_bytes: int = 0
    swap_in_out_bytes: int = 0
    cpu_mhz_min: float | None = None
    cpu_mhz_max: float | None = None
    governors: list[str] = field(default_factory=list)
    cpu_steal_pct: float | None = None   # time the hypervisor gave to other guests

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        if data["cpu_steal_pct"] is None:      # not measured (files from before 0.1 kept it out)
            del data["cpu_steal_pct"]
        return data


@dataclass(frozen=True)
class LayerTime:
    name: str
    type: str
    exec_type: str
    total_ms: float
    mean_ms: float       # per inference
    share_pct: float     # of all layers' summed time

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    source: str
    inputs: tuple[dict, ...]
    batch: int
    gflops_per_image: float
    gflops_source: str
    notes: tuple[str, ...] = ()     # choices made for the user (e.g. batch 1 on a dynamic batch)


@dataclass(frozen=True)
class Trial:
    """One independent trial of ``--repeat``: its own warm-up and measured window."""

    duration_s: float
    completed_requests: int
    fps: float
    steady_fps: float | None
    latency_median_ms: float
    latency_p90_ms: float
    latency_p99_ms: float
    stop_reason: str


@dataclass(frozen=True)
class Precision:
    """How sure the figures are (see ``stats.intervals`` for the methods)."""

    fps_windows: Estimate | None          # 95 % CI from steady windows (within-run noise)
    fps_trials: Estimate | None           # 95 % CI from trial FPS (run-to-run noise)
    latency_ci_ms: dict[str, tuple[float, float]]
    stable_target_pct: float | None       # --until-stable target, if any
    stable: bool | None                   # None when no target was set
    #: Latency percentiles (LatencyStats fields) too few samples support, by
    #: perfbench.stats.support: their figures are not what they are called, and they get
    #: no interval.
    latency_unsupported: tuple[str, ...] = ()

    def to_dict(self, latency: LatencyStats) -> dict:
        """``latency``: the percentiles the latency intervals are of (each interval's
        ``value``, as ``results.latency_ms`` states it)."""
        data = {
            "fps_windows": self.fps_windows.to_dict() if self.fps_windows else None,
            "fps_trials": self.fps_trials.to_dict() if self.fps_trials else None,
            "latency_ms": {k: {"value": getattr(latency, k), "low": low, "high": high,
                               "level": LEVEL} for k, (low, high) in self.latency_ci_ms.items()},
            "until_stable_target_pct": self.stable_target_pct,
            "stable": self.stable,
        }
        if self.latency_unsupported:     # absent when every percentile is supported, as
            data["latency_unsupported"] = list(self.latency_unsupported)   # v1 files were
        return data

    @classmethod
    def from_dict(cls, data: Any, latency: LatencyStats) -> "Precision | None":
        """Each latency interval's ``value`` must be the percentile ``latency`` holds."""
        if data is None:
            return None
        data = _table(data, "precision")
        intervals = _table(data.get("latency_ms") or {}, "precision.latency_ms")
        return cls(Estimate.from_dict(data.get("fps_windows"), "precision.fps_windows"),
                   Estimate.from_dict(data.get("fps_trials"), "precision.fps_trials"),
                   {k: _latency_interval(v, k, latency) for k, v in intervals.items()},
                   data.get("until_stable_target_pct"), data.get("stable"),
                   tuple(data.get("latency_unsupported") or ()))


def _latency_interval(data: Any, name: str, latency: LatencyStats) -> tuple[float, float]:
    where = f"precision.latency_ms.{name}"
    if name not in PERCENTILES:
        raise SchemaError(f"{where}: not a reported percentile ({', '.join(PERCENTILES)})")
    data = _table(data, where)
    _level(data, where)
    value = _number(data, "value", where)
    if not math.isclose(value, getattr(latency, name), rel_tol=1e-9, abs_tol=1e-12):
        raise SchemaError(f"{where}.value is {value!r:.20} but results.latency_ms.{name} is "
                          f"{getattr(latency, name)!r:.20}; edited by hand?")
    return _number(data, "low", where), _number(data, "high", where)


@dataclass(frozen=True)
class BenchmarkResult:
    status: str                       # "complete", "interrupted" or "failed"
    model: ModelInfo
    requested: dict
    resolved: dict
    pool_size: int
    compile_ms: float
    first_inference_ms: float
    warmup_inferences: int
    duration_s: float
    completed_requests: int
    stop_reason: str
    latency: LatencyStats
    windows: tuple[Window, ...]
    environment: dict
    trials: tuple[Trial, ...] = ()
    precision: Precision | None = None
    system: SystemSummary | None = None
    checks: tuple[Check, ...] = ()
    roofline: dict | None = None
    layers: tuple[LayerTime, ...] = ()
    load: dict | None = None          # scenario, target/achieved rate, requests over the SLA
    warnings: tuple[str, ...] = field(default_factory=tuple)
    #: Share of conv + matmul FLOPs per precision the device really ran (runtime graph);
    #: None where unknown (files written before it was recorded).
    executed_precision: dict | None = None
    #: How an INT8 model was made (--quantize int8): tool, versions, time, cache, sizes.
    quantization: dict | None = None
    #: The machine: CPU, cores, ISA features, memory, devices, hardware class (or label).
    host: dict | None = None
    #: CPU seconds of the thread that drove the requests, over the measured window(s);
    #: None where not measured (sync, server, files written before it was recorded).
    driver_cpu_s: float | None = None
    #: Every latency as a compact log-bucketed histogram (schema version 2); None when read
    #: from a version-1 file, which cannot show its distribution.
    latency_histogram: dict | None = None
    #: The outputs against the f32 reference's (``--fidelity``, schema version 3).
    fidelity: Fidelity | None = None

    @property
    def schema_version(self) -> int:
        """Always the current version: a result read from an older file is upgraded on
        load and writes today's spelling (one from a version-1 file without a histogram)."""
        return SCHEMA_VERSION

    @property
    def images(self) -> int:
        return self.completed_requests * self.model.batch

    @property
    def fps(self) -> float:
        """Images per second over the measured window(s), ramp-up and drain included."""
        return images_per_second(self.completed_requests, self.model.batch, self.duration_s)

    @property
    def steady_fps(self) -> float | None:
        """Images per second without each trial's ramp-up and drain windows."""
        values = [(t.steady_fps, t.duration_s) for t in self.trials if t.steady_fps]
        if not values:
            return None
        return sum(f * d for f, d in values) / sum(d for _, d in values)

    @property
    def driver_cpu_share(self) -> float | None:
        """The measuring thread's CPU time per second of the measured window(s), in cores."""
        return cpu_share(self.driver_cpu_s, self.duration_s)

    @property
    def effective_gflops(self) -> float:
        return self.fps * self.model.gflops_per_image

    def timeline_fps(self) -> list[float]:
        """Images per second in each window: a falling line means throttling or drift."""
        return [w.rate() * self.model.batch for w in self.windows]

    def _model_dict(self) -> dict:
        """``notes`` only when there are some: files without them stay as version 1 wrote."""
        model = asdict(self.model)
        if not model["notes"]:
            del model["notes"]
        else:
            model["notes"] = list(model["notes"])
        return model

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "schema_version": self.schema_version,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "model": self._model_dict(),
            "config": {"requested": self.requested, "resolved": self.resolved,
                       "pool_size": self.pool_size},
            "results": {
                "fps": self.fps,
                "steady_fps": self.steady_fps,
                "images": self.images,
                "completed_requests": self.completed_requests,
                "duration_s": self.duration_s,
                "effective_gflops": self.effective_gflops,
                "compile_ms": self.compile_ms,
                "first_inference_ms": self.first_inference_ms,
                "warmup_inferences": self.warmup_inferences,
                "latency_ms": self.latency.to_dict(),
                **self._driver_dict(),
            },
            "precision": self.precision.to_dict(self.latency) if self.precision else None,
            "trials": [asdict(t) for t in self.trials],
            "timeline": [dict(asdict(w), fps=fps)
                         for w, fps in zip(self.windows, self.timeline_fps())],
            "system": self.system.to_dict() if self.system else None,
            "checks": [c.to_dict() for c in self.checks],
            "load": self.load,
            "roofline": self.roofline,
            "perf_counters": [layer.to_dict() for layer in self.layers],
            "environment": self.environment,
            "warnings": list(self.warnings),
            **self._added_later(),
        }

    def _driver_dict(self) -> dict:
        """The driver's CPU figures, written only when measured (older files unchanged)."""
        if self.driver_cpu_s is None:
            return {}
        return {"driver_cpu_s": self.driver_cpu_s, "driver_cpu_share": self.driver_cpu_share}

    def _added_later(self) -> dict:
        """Blocks newer than the first version-1 files, written only when present, so a
        file without them writes back as it was read."""
        added = {}
        if self.executed_precision is not None:
            added["executed_precision"] = self.executed_precision
        if self.quantization is not None:
            added["quantization"] = self.quantization
        if self.host is not None:
            added["host"] = self.host
        if self.latency_histogram is not None:
            added["latency_histogram"] = self.latency_histogram
        if self.fidelity is not None:
            added["fidelity"] = self.fidelity.to_dict()
        return added

    @classmethod
    def from_dict(cls, data: Any) -> "BenchmarkResult":
        """The typed result of a current-version document (the registry upgrades older
        ones first); :class:`SchemaError` names what is
        wrong.  The derived figures (FPS, images, GFLOP/s) are recomputed, and must agree
        with the stored ones: a file edited by hand or by another tool is refused."""
        data = _table(data, "result")
        status = data.get("status")
        if status not in STATUSES:
            raise SchemaError(f"status must be one of {', '.join(STATUSES)} (got {status!r:.40})")
        config = _table(data.get("config"), "config")
        results = _table(data.get("results"), "results")
        model = _simple(ModelInfo, data.get("model"), "model")
        model = ModelInfo(model.name, model.source, tuple(model.inputs or ()), model.batch,
                          model.gflops_per_image, model.gflops_source, tuple(model.notes))
        latency = _simple(LatencyStats, results.get("latency_ms"), "results.latency_ms")
        result = cls(
            status=status, model=model,
            requested=_table(config.get("requested"), "config.requested"),
            resolved=_table(config.get("resolved") or {}, "config.resolved"),
            pool_size=int(config.get("pool_size") or 1),
            compile_ms=_number(results, "compile_ms", "results", optional=True) or 0.0,
            first_inference_ms=_number(results, "first_inference_ms", "results",
                                       optional=True) or 0.0,
            warmup_inferences=int(results.get("warmup_inferences") or 0),
            duration_s=_number(results, "duration_s", "results"),
            completed_requests=int(_number(results, "completed_requests", "results")),
            stop_reason=str(data.get("stop_reason") or "time"), latency=latency,
            environment=_table(data.get("environment"), "environment"),
            precision=Precision.from_dict(data.get("precision"), latency),
            system=_simple(SystemSummary, data["system"], "system")
            if data.get("system") is not None else None,
            roofline=data.get("roofline"), load=data.get("load"),
            warnings=tuple(data.get("warnings") or ()),
            executed_precision=data.get("executed_precision"),
            quantization=data.get("quantization"), host=data.get("host"),
            driver_cpu_s=_number(results, "driver_cpu_s", "results", optional=True),
            latency_histogram=_histogram(data), fidelity=_fidelity(data), **_records(data))
        _check_derived(result, results)
        return result


#: The stored latency histogram's buckets (``stats.histogram`` takes them from here, the
#: lower layer, so that a document is checked against the one definition): 1 % wide from
#: 1 µs, the last bucket holding 1000 s.
HISTOGRAM_GROWTH = 1.01
HISTOGRAM_MIN_MS = 0.001
HISTOGRAM_MAX_MS = 1e6
HISTOGRAM_MAX_INDEX = int(math.floor(math.log(HISTOGRAM_MAX_MS / HISTOGRAM_MIN_MS)
                                     / math.log(HISTOGRAM_GROWTH)))


def _histogram(data: dict) -> dict | None:
    """The latency histogram, checked as ``stats.histogram`` will read it (its bucket
    design, sorted ``[index, count]`` pairs of indices in range and positive counts); None
    where there is none (a result upgraded from a version-1 file: :func:`upgrade_v3`
    refuses a version-2 or 3 file that lost its own)."""
    if data.get("latency_histogram") is None:
        return None
    hist = _table(data.get("latency_histogram"), "latency_histogram")
    for key, expected in (("growth", HISTOGRAM_GROWTH), ("min_ms", HISTOGRAM_MIN_MS)):
        if _number(hist, key, "latency_histogram") != expected:
            raise SchemaError(f"latency_histogram.{key} is {hist[key]!r}, not this "
                              f"version's {expected}")
    pairs = hist.get("counts")
    if not isinstance(pairs, list):
        raise SchemaError("latency_histogram.counts must be a list of [index, count]")
    last = -1
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, list) and len(pair) == 2
                and all(type(v) is int for v in pair) and pair[0] > last and pair[1] > 0
                and pair[0] <= HISTOGRAM_MAX_INDEX):
            raise SchemaError(f"latency_histogram.counts[{i}] is not an [index, count] pair "
                              f"of increasing index (up to {HISTOGRAM_MAX_INDEX}) and "
                              f"positive count (got {pair!r:.40})")
        last = pair[0]
    return hist


def _fidelity(data: dict) -> Fidelity | None:
    """The version-3 fidelity block, when the run measured one."""
    if data.get("fidelity") is None:
        return None
    try:
        return Fidelity.from_dict(data["fidelity"])
    except FidelityFormatError as exc:
        raise SchemaError(f"fidelity: {exc}") from None


def _records(data: dict) -> dict:
    """The result's lists of records (windows, trials, checks, layers), each validated."""
    lists = {"windows": ("timeline", Window), "trials": ("trials", Trial),
             "checks": ("checks", Check), "layers": ("perf_counters", LayerTime)}
    return {name: tuple(_simple(cls, item, f"{key}[{i}]")
                        for i, item in enumerate(data.get(key) or []))
            for name, (key, cls) in lists.items()}


def _check_derived(result: BenchmarkResult, stored: dict) -> None:
    derived = [("fps", result.fps), ("effective_gflops", result.effective_gflops)]
    if result.driver_cpu_share is not None:
        derived.append(("driver_cpu_share", result.driver_cpu_share))
    for key, value in derived:
        kept = _number(stored, key, "results")
        if not math.isclose(kept, value, rel_tol=1e-6, abs_tol=1e-9):
            raise SchemaError(f"results.{key} is {kept!r:.20} but the file's own counts give "
                              f"{value:.6g}; edited by hand?")


#: Version 3's names of an estimate's interval keys, by version 4's.
_ESTIMATE_NAMES = {"ci95_low": "low", "ci95_high": "high", "ci95_half_width_pct": "half_width_pct"}
_ESTIMATE_ORDER = ("value", "low", "high", "level", "half_width_pct", "n", "cv_pct")


def upgrade_v1(data: dict) -> dict:
    """Version 2 adds ``latency_histogram``: a version-1 file has none (null here, so that
    :func:`upgrade_v3` tells it from a later file that lost its own; written back absent)."""
    return {**data, "schema_version": 2, "latency_histogram": data.get("latency_histogram")}


def upgrade_v2(data: dict) -> dict:
    """Version 3 adds the optional ``fidelity`` (a version-2 run never measured one)."""
    return {**data, "schema_version": 3}


def upgrade_v3(data: dict) -> dict:
    """Version 4's one spelling of an interval in ``precision``, the same numbers: each FPS
    estimate's ``ci95_low``/``ci95_high``/``ci95_half_width_pct`` become ``low``/``high``/
    ``half_width_pct`` with ``level`` 0.95; ``latency_ci95_ms`` ``{p: [lo, hi]}`` becomes
    ``latency_ms`` ``{p: {value, low, high, level}}``, ``value`` the file's own
    ``results.latency_ms`` percentile.  A version-2 or 3 file without its latency histogram
    is refused here (from version 4 on, none means one read from a version-1 file)."""
    if "latency_histogram" not in data:
        raise SchemaError("latency_histogram must be an object (got nothing, in a "
                          f"version-{data.get('schema_version')} result)")
    out = dict(data, schema_version=4)
    precision = data.get("precision")
    if isinstance(precision, dict):
        results = data.get("results")
        latency = results.get("latency_ms") if isinstance(results, dict) else None
        out["precision"] = _respelled_precision(
            precision, latency if isinstance(latency, dict) else {})
    return out


def _respelled_precision(precision: dict, latency: dict) -> dict:
    out = {}
    for key, value in precision.items():          # the keys' order kept
        if key in ("fps_windows", "fps_trials") and isinstance(value, dict):
            value = _respelled_estimate(value)
        elif key == "latency_ci95_ms" and isinstance(value, dict):
            key = "latency_ms"
            value = {p: {"value": latency.get(p), "low": b[0], "high": b[1], "level": LEVEL}
                     if isinstance(b, list) and len(b) == 2 else b for p, b in value.items()}
        out[key] = value
    return out


def _respelled_estimate(estimate: dict) -> dict:
    renamed = {_ESTIMATE_NAMES.get(k, k): v for k, v in estimate.items()}
    renamed.setdefault("level", LEVEL)
    return {**{k: renamed[k] for k in _ESTIMATE_ORDER if k in renamed},
            **{k: v for k, v in renamed.items() if k not in _ESTIMATE_ORDER}}
