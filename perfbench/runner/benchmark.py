"""One benchmark, start to finish: config → model → compiled model → timings → result.

This is the Python API the CLI is a thin layer over::

    from perfbench import BenchmarkConfig
    from perfbench import run
    result = run(BenchmarkConfig(hint="latency", time=10))
    print(result.fps, result.latency.p99)
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from typing import Callable

import openvino as ov

from perfbench.system import environment
from perfbench.system.host import describe_host
from perfbench.system.checks import (blame_overload, idle_slots, overload_check, roofline_check,
                                     roofline_efficiency, run_checks)
from perfbench.settings.config import BenchmarkConfig
from perfbench.settings.shapes import shape_label
from perfbench.model.compile import Compilation, check_device, compile_model, overrides
from perfbench.errors import (Interrupted, NothingCompleted, RunFailed, UsageError,
                              runtime_message)
from perfbench.measure.loop import make_pool, measure_async, measure_sync, warm_up
from perfbench.measure.windows import Measurement, Progress, StopLimits
from perfbench.model.data import load_run_inputs, synthetic_seed
from perfbench.model.executed import executed_precision, save_runtime_graph, shortfall
from perfbench.model.inputs import make_feeds, make_tensors
from perfbench.measure.recorder import LatencyRecorder
from perfbench.measure.server import measure_server
from perfbench.model.prepare import PreparedModel, prepare_model, prepare_shapes
from perfbench.model.quantize import quantized
from perfbench.system.monitor import SystemMonitor
from perfbench.measure.peak import PeakNotInPrecision, measure_peak, peak_for, store_peak
from perfbench.measure.layers import profile_layers
from perfbench.results.types import (PERCENTILES, BenchmarkResult, Check, LatencyStats, LayerTime,
                                    ModelInfo, Precision, Trial, Window, cpu_share,
                                    images_per_second)
from perfbench.stats.support import unsupported_fields
from perfbench.stats.intervals import (Estimate, StabilityRule, rate_ci, steady_rate,
                                      steady_windows, trials_fps_ci)

ProgressCallback = Callable[[Progress], None]
#: Phase messages ("warming up", "measuring"): shown with ``-v``; tests wait for them.
log = logging.getLogger("perfbench")


@dataclass
class _TrialRun:
    measured: Measurement
    first_inference_ms: float
    warmup_inferences: int


class Session:
    """A compiled model with its request pool and input tensors."""

    def __init__(self, core: ov.Core, prepared: PreparedModel, config: BenchmarkConfig,
                 compilation: Compilation | None = None):
        # input files are read and checked before the (possibly long) compile
        data = load_run_inputs(config, prepared) if config.input else None
        seed = synthetic_seed(config.fill, config.seed)
        self.compilation: Compilation = compilation or compile_model(core, prepared.model,
                                                                     config)
        self.pool_size = 1 if config.api == "sync" or config.scenario == "single-stream" else (
            config.requests or self.compilation.resolved.get("optimal_requests", 1))
        self.tensors = make_tensors(prepared.inputs, seed, self.pool_size, config.fill, data)
        self.feeds = make_feeds(prepared.inputs, data, self.pool_size)
        self.queue = make_pool(self.compilation.model, self.pool_size, self.tensors)
        self.executed = executed_precision(self.compilation.model, prepared.model)
        if config.exec_graph:
            save_runtime_graph(self.compilation.model, config.exec_graph)
        self.input_data = data.described if data is not None else {
            spec.name: _synthetic_description(config.fill, seed) for spec in prepared.inputs}


def _synthetic_description(fill: str, seed: int) -> str:
    if fill in ("zeros", "ones"):
        return f"synthetic: {fill}"
    return f"synthetic: {'fresh random' if fill == 'random' else 'seeded random'} (seed {seed})"


def _window_hook(monitor: SystemMonitor, rule: StabilityRule | None,
                 on_window: ProgressCallback | None, batch: int):
    def hook(progress: Progress) -> str | None:
        monitor.sample()
        progress.batch = batch
        if on_window is not None:
            on_window(progress)
        if rule is not None and rule.is_stable(progress.windows):
            return "stable"
        return None
    return hook


def _run_trial(session: Session, config: BenchmarkConfig, limits: StopLimits,
               hook, monitor: SystemMonitor) -> _TrialRun | None:
    """One warm-up + measured window; None when a stop came before measuring began.  The
    monitor watches the measured window only."""
    log.info("warming up")
    first_ms, warmup_runs = warm_up(session.queue, config.warmup, limits.stop_event)
    if limits.stop_event.is_set():
        return None
    log.info("measuring")
    monitor.begin()
    try:
        measured = measure_once(session, config, limits, hook)
    finally:
        monitor.end()
    if measured.stop_reason == "time" and config.until_stable is not None:
        measured = dataclasses.replace(measured, stop_reason="max_time")
    return _TrialRun(measured, first_ms, warmup_runs)


def measure_once(session: Session, config: BenchmarkConfig, limits: StopLimits, hook=None):
    """One measured window in the configured API and scenario (a run's trial, or a block
    of an interleaved A/B or sweep)."""
    feeds = session.feeds       # the session's, so the sample cursor goes on across blocks
    if config.api == "sync":
        return measure_sync(session.queue[0], limits, hook, feeds)
    if config.scenario == "server":
        return measure_server(session.queue, config.rate, limits, config.seed, hook, feeds)
    return measure_async(session.queue, limits, hook, feeds)


def _trial_summary(run: _TrialRun, batch: int) -> Trial:
    m = run.measured
    steady = steady_rate(m.windows)
    latency = m.latency
    return Trial(m.duration_s, m.completed, images_per_second(m.completed, batch, m.duration_s),
                 steady * batch if steady else None, latency.median, latency.p90,
                 latency.p99, m.stop_reason)


def _fps_from_windows(runs: list[_TrialRun], batch: int) -> Estimate | None:
    """95 % CI of FPS from the steady windows of every trial (within-run noise): images over
    time of those windows, the steady FPS itself; None with fewer than two of them."""
    estimate = rate_ci([w for r in runs for w in steady_windows(r.measured.windows)],
                       correlated=True)
    if estimate is None:
        return None
    return dataclasses.replace(estimate, value=estimate.value * batch, low=estimate.low * batch,
                               high=estimate.high * batch)


def _precision(runs: list[_TrialRun], trials: list[Trial], recorder, batch: int,
               config: BenchmarkConfig) -> Precision:
    unsupported = tuple(unsupported_fields(recorder.count))
    latency_ci = {name: recorder.percentile_interval(p) for name, p in PERCENTILES.items()
                  if name not in unsupported}
    stable = None
    if config.until_stable is not None:
        stable = all(t.stop_reason == "stable" for t in trials)
    return Precision(_fps_from_windows(runs, batch), trials_fps_ci(trials),
                     latency_ci, config.until_stable, stable, unsupported)


def _stability_warning(precision: Precision, config: BenchmarkConfig) -> str:
    reached = (f"reached ±{precision.fps_windows.half_width_pct:.2f} %"
               if precision.fps_windows else "could not be estimated")
    return (f"NOT STABLE: the FPS 95 % CI {reached} (target ±{config.until_stable:g} %) "
            f"before --max-time {config.time_limit_s:g} s; treat the figures as imprecise")


def _peak_step(core: ov.Core, config: BenchmarkConfig, result: BenchmarkResult,
               stopped: bool) -> dict | None:
    """The roofline's peak, after the measurement: cached, measured only when asked (and
    not after a stop).  A figure over 100 % means the peak was measured while the host was
    slower: when measuring is allowed the peak is measured again (and kept if higher).
    Returns the roofline block of the result (None: no ceiling in this precision)."""
    measure = config.roofline and not stopped
    precision = expected_precision(config, result.resolved) or "f32"
    try:
        entry = peak_for(core, config.device, precision, measure=measure)
        if entry is not None and measure and result.effective_gflops > entry["gflops"]:
            entry = store_peak(config.device, precision,
                               measure_peak(core, config.device, precision))
    except PeakNotInPrecision:    # no ceiling in this precision: no figure, the run stands
        return None
    if entry is None:
        return None
    return roofline_efficiency({"precision": precision, "peak_gflops": entry["gflops"],
                                "peak_method": entry["method"],
                                "peak_measured_at": entry["measured_at"]},
                               result.effective_gflops)


def run(config: BenchmarkConfig, on_window: ProgressCallback | None = None,
        stop_event: threading.Event | None = None) -> BenchmarkResult:
    return timed_run(config, on_window, stop_event).result


@dataclass(frozen=True)
class TimedRun:
    """A run's result with what was built for it, for work after the timed window that
    must use the same model and compile (``--fidelity``)."""

    core: ov.Core
    original: PreparedModel         # the model before any quantization
    session: Session                # the compiled model as measured
    result: BenchmarkResult


def timed_run(config: BenchmarkConfig, on_window: ProgressCallback | None = None,
              stop_event: threading.Event | None = None) -> TimedRun:
    """:func:`run`, keeping the models and the session it measured."""
    core = ov.Core()
    check_device(core, config.device)  # before the model build, which takes a while
    original = prepare_model(config, core)
    prepared = as_configured(original, config, core)
    session = Session(core, prepared, config)
    log.info("compiled in %.0f ms", session.compilation.compile_ms)
    return TimedRun(core, original, session,
                    _measure_session(core, config, prepared, session, on_window, stop_event))


def prepare(config: BenchmarkConfig, core: ov.Core) -> PreparedModel:
    """The model to measure: as configured, then quantized for ``--precision int8``."""
    return as_configured(prepare_model(config, core), config, core)


def as_configured(original: PreparedModel, config: BenchmarkConfig,
                  core: ov.Core) -> PreparedModel:
    """``original`` quantized for ``--precision int8``; else itself."""
    return quantized(original, config, core) if config.precision == "int8" else original


class ShapesFailed(RunFailed):
    """A later ``--data-shape`` shape failed: the shapes measured before it are kept."""

    def __init__(self, message: str, results: list[BenchmarkResult]):
        super().__init__(message)
        self.results = results


def run_shapes(config: BenchmarkConfig, on_window: ProgressCallback | None = None,
               stop_event: threading.Event | None = None,
               on_shape: Callable[[int, int, PreparedModel], None] | None = None
               ) -> list[BenchmarkResult]:
    """``--data-shape``: the model compiled once with its dynamic dimensions, then each
    shape measured in turn with its own inputs, pool and full result.  ``--input`` is
    checked against every shape before compiling.  A stop keeps the shapes done (the one
    it cut short is marked interrupted); a failure after the first shape raises
    :class:`ShapesFailed`, which carries the shapes done."""
    core = ov.Core()
    check_device(core, config.device)
    views = prepare_shapes(config, core)
    _check_shape_inputs(config, views)
    compilation = compile_model(core, views[0].model, config)
    log.info("compiled in %.0f ms", compilation.compile_ms)
    stop_event = stop_event or threading.Event()
    results: list[BenchmarkResult] = []
    for index, view in enumerate(views):
        if stop_event.is_set():
            break
        if on_shape is not None:
            on_shape(index, len(views), view)
        log.info("shape %d/%d", index + 1, len(views))
        try:
            session = Session(core, view, config, compilation)
            results.append(_measure_session(core, config, view, session, on_window,
                                            stop_event))
        except Interrupted:
            break
        except (RunFailed, RuntimeError) as exc:
            if not results:
                raise RunFailed(_failure_text(exc)) from None
            raise ShapesFailed(f"shape {index + 1} of {len(views)} "
                               f"({_shape_text(view)}): {_failure_text(exc)}", results) from None
    return results


def _check_shape_inputs(config: BenchmarkConfig, views: list[PreparedModel]) -> None:
    """Every shape's ``--input`` data, read and checked before the compile and the first
    measurement, so a misfit for the last shape does not cost the others' time."""
    if not config.input:
        return
    for index, view in enumerate(views):
        try:
            load_run_inputs(config, view)
        except UsageError as exc:
            raise UsageError(f"--data-shape shape {index + 1} of {len(views)} "
                             f"({_shape_text(view)}): {exc}") from None


def _shape_text(view: PreparedModel) -> str:
    return shape_label({spec.name: list(spec.shape) for spec in view.inputs})


def _failure_text(exc: Exception) -> str:
    return str(exc) if isinstance(exc, RunFailed) else runtime_message(exc)


def _measure_session(core, config: BenchmarkConfig, prepared: PreparedModel, session: Session,
                     on_window, stop_event) -> BenchmarkResult:
    compile_ms = session.compilation.compile_ms
    limits = StopLimits(config.time_limit_s, config.iterations)
    if stop_event is not None:
        limits.stop_event = stop_event
    rule = StabilityRule(config.until_stable) if config.until_stable is not None else None
    monitor = SystemMonitor()
    hook = _window_hook(monitor, rule, on_window, prepared.batch)
    runs, session = _run_trials(core, prepared, session, config, limits, hook, monitor)
    system = monitor.summarize()
    if not runs:
        raise Interrupted("interrupted before measuring started; nothing to report")
    interrupted = len(runs) < config.repeat or runs[-1].measured.stop_reason == "interrupted"
    stopped = limits.stop_event.is_set()
    # a trial that completed nothing (a stop early in it, a stalled host) has no figures:
    # the others stand; all empty, and _assemble says nothing completed
    counted = [r for r in runs if r.measured.completed] or runs
    layers = _layer_pass(core, config, prepared, session, stopped)
    result = _assemble(core, config, prepared, session, compile_ms, counted, system,
                       interrupted, stopped, layers)
    return _with_roofline(result, _peak_step(core, config, result, stopped))


def _layer_pass(core, config: BenchmarkConfig, prepared: PreparedModel, session: Session,
                stopped: bool) -> tuple[LayerTime, ...]:
    """``--perf-counters``: a separate profiled pass after the measurement (profiling
    changes timings, so it never is the measurement); none after a stop."""
    if not config.perf_counters or stopped:
        return ()
    return tuple(profile_layers(core, prepared.model, config, session.tensors))


def _run_trials(core, prepared, session, config, limits, hook, monitor):
    """Every ``--repeat`` trial, until a stop: a stop between trials or during a later
    warm-up leaves fewer trials, which makes the run interrupted, not complete."""
    runs: list[_TrialRun] = []
    for index in range(config.repeat):
        if limits.stop_event.is_set():
            break
        if index and config.recompile:
            session = Session(core, prepared, config)
        trial = _run_trial(session, config, limits, hook, monitor)
        if trial is None:
            break
        runs.append(trial)
        if trial.measured.stop_reason == "interrupted":
            break
    return runs, session


def _assemble(core, config, prepared, session, compile_ms, runs, system, interrupted: bool,
              stop_requested: bool, layers: tuple[LayerTime, ...] = (),
              in_blocks: bool = False) -> BenchmarkResult:
    """The result from what was measured: it measures nothing itself (the layer pass and
    the roofline peak are steps of the run, before and after it; ``core`` only names the
    host's devices)."""
    batch = prepared.batch
    recorder = LatencyRecorder.pooled([r.measured.recorder for r in runs])
    if not recorder.count:
        measured_s = sum(r.measured.duration_s for r in runs)
        raise NothingCompleted(f"no inference completed in the {measured_s:.3g} s measured "
                               "(those in flight at the stop were cut): measure for longer")
    latency = recorder.summary()
    trials = [_trial_summary(r, batch) for r in runs]
    windows = tuple(dataclasses.replace(w, trial=i)
                    for i, r in enumerate(runs) for w in r.measured.windows)
    precision = _precision(runs, trials, recorder, batch, config)
    duration = sum(r.measured.duration_s for r in runs)
    driver_cpu = _driver_cpu([r.measured for r in runs])
    completed = sum(r.measured.completed for r in runs)
    load = _load_summary(config, recorder, completed, duration, latency,
                         [r.measured for r in runs])
    checks = _checks(system, precision, latency, runs[0].first_inference_ms, load,
                     cpu_share(driver_cpu, duration))
    checks.append(_idle_slots(config, session, recorder, duration, in_blocks))
    warnings = _warnings(checks, precision, load, session, config,
                         stop_requested and not interrupted)
    return BenchmarkResult(
        status="interrupted" if interrupted else "complete",
        model=_model_info(prepared, session.input_data), requested=config.to_dict(),
        resolved=session.compilation.resolved,
        pool_size=session.pool_size, compile_ms=compile_ms,
        first_inference_ms=runs[0].first_inference_ms,
        warmup_inferences=sum(r.warmup_inferences for r in runs), duration_s=duration,
        completed_requests=completed, stop_reason=runs[-1].measured.stop_reason,
        latency=latency, windows=windows, environment=environment.describe(),
        trials=tuple(trials), precision=precision, system=system, checks=tuple(checks),
        layers=layers, load=load, warnings=tuple(warnings),
        executed_precision=session.executed or None, quantization=prepared.quantization,
        host=describe_host(core.available_devices, ov.get_version(), config.label),
        driver_cpu_s=driver_cpu, latency_histogram=recorder.compact_histogram().to_dict())


def _driver_cpu(measured: list[Measurement]) -> float | None:
    """The driving thread's CPU seconds over every measured window, or None unless each
    window measured it (a partial sum over the whole duration would understate it)."""
    times = [m.driver_cpu_s for m in measured]
    return None if not times or None in times else sum(times)


def _idle_slots(config: BenchmarkConfig, session: Session, recorder, duration: float,
                in_blocks: bool) -> Check:
    """How long the closed async loop's request slots sat empty (checks.idle_slots).  Not
    judged where the rule does not hold or its remedy cannot apply: an open loop waits
    for arrivals by design; sync and single-stream keep one request by design; a point
    measured in short blocks drains at every block's end."""
    moments = recorder.moments
    judged = (config.scenario == "offline" and config.api == "async" and not in_blocks
              and moments.count)
    if not judged:
        return idle_slots(None, session.pool_size, duration, None)
    busy_s = moments.count * moments.mean / 1e3
    return idle_slots(busy_s, session.pool_size, duration, moments.mean / 1e3)


def _checks(system, precision: Precision, latency, first_ms: float, load: dict,
            driver_share: float | None) -> list[Check]:
    """The noise checks, and in the server scenario the overload check (whose failure a
    window spread is then blamed on, not the machine)."""
    checks = run_checks(system, precision.fps_windows, latency, first_ms, driver_share)
    if "overloaded" not in load:
        return checks
    overload = overload_check(load["behind_schedule_s"], load["scheduled_s"])
    return blame_overload([overload] + checks)


def _warnings(checks, precision: Precision, load: dict, session: Session,
              config: BenchmarkConfig, stopped_before_extras: bool) -> list[str]:
    """Failed checks, the most serious first: an invalid rate, then an unstable run."""
    warnings = [c.message for c in checks if not c.ok]
    if precision.stable is False:
        warnings.insert(0, _stability_warning(precision, config))
    if load.get("valid") is False:
        warnings.insert(0, f"INVALID for this rate: {load['invalid_reason']}")
    short = shortfall(session.executed, expected_precision(config, session.compilation.resolved))
    if short:
        warnings.append(short)
    warnings.extend(overrides(config, session.compilation.resolved))
    if stopped_before_extras and (config.perf_counters or config.roofline):
        warnings.append("stopped before the extra passes: no --perf-counters or --roofline "
                        "figures (the measured figures are complete)")
    return warnings


def _with_roofline(result: BenchmarkResult, roofline: dict | None) -> BenchmarkResult:
    check = roofline_check(roofline)
    if check is None:
        return dataclasses.replace(result, roofline=roofline)
    return dataclasses.replace(result, roofline=roofline, checks=result.checks + (check,),
                               warnings=result.warnings + ((check.message,) if not check.ok
                                                           else ()))


def merge_blocks(blocks: list[tuple[float, Measurement]], stop_reason: str) -> Measurement:
    """Short blocks measured apart (an interleaved sweep's point) as one measurement: each
    block becomes one window placed at its start since the first block, so the windows'
    spread is the block-to-block spread, drift between blocks included."""
    t0 = blocks[0][0]
    windows = []
    for start, block in blocks:
        # a block can complete nothing (a starved machine): a window of 0 completions with
        # no latency, as the loop writes an empty window; it failed the point's whole
        # result ("no latency samples") and dropped the point from its race
        figures = ((block.latency.median, block.latency.p90, block.latency.p99)
                   if block.completed else (None, None, None))
        windows.append(Window(start - t0, start - t0 + block.duration_s, block.completed,
                              *figures))
    recorder = LatencyRecorder.pooled([block.recorder for _, block in blocks])
    return Measurement(sum(b.duration_s for _, b in blocks), sum(b.completed for _, b in blocks),
                       recorder, tuple(windows), stop_reason,
                       driver_cpu_s=_driver_cpu([b for _, b in blocks]))


def result_of_blocks(core, config: BenchmarkConfig, prepared: PreparedModel, session: Session,
                     measured: Measurement, first_ms: float, warmups: int, system,
                     interrupted: bool) -> BenchmarkResult:
    """The full result of a point measured in blocks, with the same checks as a run."""
    layers = _layer_pass(core, config, prepared, session, interrupted)
    result = _assemble(core, config, prepared, session, session.compilation.compile_ms,
                       [_TrialRun(measured, first_ms, warmups)], system, interrupted,
                       interrupted, layers, in_blocks=True)
    return _with_roofline(result, _peak_step(core, config, result, interrupted))


def expected_precision(config: BenchmarkConfig, resolved: dict) -> str | None:
    """The precision a run's figures are about: int8 for a quantized model, else what the
    device resolved (bf16 on AMX machines unless told otherwise)."""
    if config.precision == "int8":
        return "int8"
    value = str(resolved.get("precision") or "").lower()
    return value or None


def _model_info(prepared, input_data: dict[str, str]) -> ModelInfo:
    return ModelInfo(prepared.name, prepared.source,
                     tuple({"name": s.name, "element_type": s.element_type,
                            "shape": list(s.shape), "data": input_data[s.name]}
                           for s in prepared.inputs),
                     prepared.batch, prepared.gflops_per_image, prepared.gflops_source,
                     prepared.notes)


def _load_summary(config: BenchmarkConfig, recorder, completed: int, duration: float,
                  latency, measured: list[Measurement]) -> dict:
    """The scenario, achieved vs target rate, how many requests missed the bound, and (open
    loop) the generator's own issue delay with whether the run is valid for its rate, and
    whether the device kept up with the arrivals.  The open loop's achieved rate counts
    its requests over the span they were scheduled in (``-t``), not up to the last
    completion, which overstated a slow rate (3/s reported as 4.33/s)."""
    spans = [m.scheduled_s for m in measured if m.scheduled_s is not None]
    span = sum(spans) if spans else duration
    load = {"scenario": config.scenario, "target_rate": config.rate,
            "achieved_rate": completed / span if span else 0.0,
            "sla_ms": config.sla_ms, "missed_sla": None, "missed_sla_pct": None}
    if config.sla_ms is not None and recorder.count:
        missed = recorder.count_above(config.sla_ms)
        load.update(missed_sla=missed, missed_sla_pct=100 * missed / recorder.count)
    delays = [m.issue_delays for m in measured if m.issue_delays is not None
              and m.issue_delays.count]
    if delays:
        load.update(generator_validity(LatencyRecorder.pooled(delays).summary(),
                                       config.sla_ms or latency.median))
    if spans:
        load.update(_schedule(measured))
    return load


def _schedule(measured: list[Measurement]) -> dict:
    """How far behind schedule each trial ended (the worst), over its scheduled span, and
    whether that makes the run overloaded (see ``system.checks.overload_check``)."""
    worst = max((m for m in measured if m.scheduled_s), default=None,
                key=lambda m: (m.behind_schedule_s or 0.0) / m.scheduled_s)
    if worst is None:
        return {"scheduled_s": None, "behind_schedule_s": None, "overloaded": False}
    check = overload_check(worst.behind_schedule_s, worst.scheduled_s)
    return {"scheduled_s": worst.scheduled_s, "behind_schedule_s": worst.behind_schedule_s,
            "overloaded": not check.ok}


#: An open-loop run is valid for its rate while the generator's p99 issue delay stays
#: within this share of the latency that matters (the bound, else the median)...
GENERATOR_SHARE = 0.10
#: ...or under this many milliseconds (sleep/spin granularity on a tiny model).
GENERATOR_FLOOR_MS = 0.05


def generator_validity(delays: LatencyStats, reference_ms: float) -> dict:
    """Issue-delay figures, and whether the generator kept to its schedule (MLPerf's
    LoadGen marks a run whose generator fell behind as invalid the same way).  Requests
    the device could not take on schedule (overload) are not the generator's fault: they
    are marked apart (``overloaded``), so that a rate search counts such a probe as a
    failure instead of probing it again."""
    limit = max(GENERATOR_SHARE * reference_ms, GENERATOR_FLOOR_MS)
    valid = delays.p99 <= limit
    return {"issue_delay_ms": {"median": delays.median, "p99": delays.p99, "max": delays.max},
            "valid": valid,
            "invalid_reason": None if valid else (
                f"the load generator fell behind its schedule (issue delay p99 "
                f"{delays.p99:.3f} ms > {limit:.3f} ms); latencies include its lateness")}
