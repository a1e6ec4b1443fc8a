"""Interleaved A/B: BASE and NEW measured alternately, in short blocks, compared in pairs,
over several epochs of freshly started worker processes.

Each side lives in its own worker process (:mod:`perfbench.runner.side`, model compiled
once, pool ready), possibly under another interpreter (another OpenVINO).  Only one side
measures at a time while the other waits idle.  Rounds run in ABBA order (A B, then B A,
...), so a linear drift within a pair of rounds cancels as well; each switch is followed
by a short unmeasured warm-up.

A process is drawn once (memory layout, thread placement) and its luck stays with it, so
the run is split into epochs: each starts a fresh pair of workers, in the start order
opposite to the last, measures about ``epoch_s`` of rounds and closes them.  The epochs
sample the process level the rounds cannot see; :mod:`perfbench.stats.two_level` combines
rounds within epochs and epochs within the run, and :mod:`perfbench.stats.sequential`
decides when to stop, looking once per epoch.  The decision is taken once, when the run
stops, and stored (``ABRun.decision``); :func:`document` computes every other figure once
and returns the typed :class:`perfbench.results.ab.ABResult`, which reporters only read.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from perfbench.errors import UsageError
from perfbench.results.ab import (SCHEMA, SCHEMA_VERSION, ABEpoch, ABRatio, ABResult, ABRound,
                                  EpochDesign, Load,
                                  Look, PooledRatio, Prior, ServerTotals, SideFigures,
                                  side_fps)
from perfbench.results.ab_fidelity import ABFidelity
from perfbench.results.attribution import Attribution
from perfbench.runner import ab_cache
from perfbench.runner.benchmark import log
from perfbench.runner.controls import Controls
from perfbench.runner.side import SWITCH_WARMUP_S, Side, block_length, probe_block
from perfbench.stats import dimensioning, sequential
from perfbench.stats.two_level import (EpochVariance, TwoLevelRatio, epoch_variance,
                                       two_level_ratio, variance_components)
from perfbench.system.monitor import OtherLoad
from perfbench.system.host import describe_host
from perfbench.stats.tails import tail_ratio
from perfbench.system.checks import OTHER_CPU_PCT
from perfbench.stats.remaining import more_time_to_decide
from perfbench.stats.two_level import smallest_resolvable_pct

__all__ = ["SCHEMA", "SCHEMA_VERSION", "ABRun", "Decision", "Epoch", "Round", "decide",
           "document", "run_ab"]
DEFAULT_MAX_TIME_S = 120.0
DEFAULT_THRESHOLD_PCT = 2.0
DEFAULT_TARGET_PCT = 1.0
#: Measuring time of one epoch.  Each epoch costs a worker start and compile per side, so
#: shorter epochs buy process-level samples with overhead; see docs/ab.md
#: for the measurements behind 10 s.
DEFAULT_EPOCH_S = 10.0
#: An epoch measures at least this many rounds, however slow the model.
MIN_EPOCH_ROUNDS = 6


#: A round as the document stores it (its ratio, log-ratio and usability defined there).
Round = ABRound


@dataclass
class Epoch:
    index: int
    started_first: str              # "base" or "new": whose worker started (and compiled) first
    rounds: list[Round] = field(default_factory=list)
    setup_s: float = 0.0            # starting and compiling both workers
    wall_s: float = 0.0             # the whole epoch, setup included
    #: CPU other processes than perfbench and its two workers used while the epoch
    #: measured, % of the machine (None: not measured): the load that widens an interval.
    other_cpu_pct: float | None = None
    #: With ``--control``: what each of this epoch's two workers reported in force (its
    #: own layout draw, for one), not only the first epoch's (``sides``).
    controls: dict | None = None

    def frozen(self) -> ABEpoch:
        return ABEpoch(self.index, self.started_first, self.setup_s, self.wall_s,
                       self.other_cpu_pct, tuple(self.rounds), self.controls)


@dataclass(frozen=True)
class Decision:
    """The verdict, taken once when the run stopped, and the interval it was judged on."""

    verdict: str
    metric: str                     # the figure judged: "fps", or "median_ms" (server)
    level: float
    estimate: TwoLevelRatio | None
    early: bool                     # stopped before its planned length (look or interrupt)


@dataclass
class ABRun:
    settings: dict
    threshold_pct: float = DEFAULT_THRESHOLD_PCT
    target_pct: float = DEFAULT_TARGET_PCT
    max_time_s: float = DEFAULT_MAX_TIME_S
    block_s: float | None = None
    epoch_s: float = DEFAULT_EPOCH_S
    early_stop: bool = True        # False: measure for max_time_s whatever the interval
    use_cache: bool = True         # pool the process level with earlier runs' (ab_cache)
    #: How many A/Bs are judged together as one gate (a suite's entries): each is judged at
    #: the family's Bonferroni-adjusted levels (stats.sequential); 1 for a lone A/B.
    family_size: int = 1
    #: Which worker the first epoch starts (and compiles) first; later epochs alternate.
    started_first: str = field(default_factory=lambda: random.choice(("base", "new")))
    timestamp: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(
        timespec="seconds"))
    epochs: list[Epoch] = field(default_factory=list)
    #: One per epoch: its decision and the interim interval it read (the running estimate).
    looks: list[Look] = field(default_factory=list)
    #: The 95 % interval so far, after the last round (the progress line's); None before
    #: two epochs, or when nobody watches (no ``on_round``).
    running: ABRatio | None = None
    sides: dict = field(default_factory=dict)
    #: The machine, as a run result records it (``system.host.describe_host``).
    host: dict | None = None
    prior: EpochVariance | None = None
    cache_key: str | None = None
    stop_reason: str = ""
    status: str = "running"
    decision: Decision | None = None
    #: ``--attribute``: the separate profiling pass after the verdict, attributed
    #: (:mod:`perfbench.runner.attribute`); None when not asked.
    attribution: Attribution | None = None
    #: ``--fidelity``: both sides' outputs compared after the verdict
    #: (:mod:`perfbench.runner.ab_fidelity`); None when not asked.
    fidelity: ABFidelity | None = None
    #: ``--control``: noise controls for both workers (:mod:`perfbench.runner.controls`).
    controls: Controls = field(default_factory=Controls)
    #: Size the epochs from earlier runs' components when enough is cached
    #: (:mod:`perfbench.stats.dimensioning`); False: ``epoch_s`` as given.
    dimension: bool = False
    #: The rounds per epoch the design chose (None: from ``epoch_s``), and the design as
    #: the document records it; set once the block length is known.
    rounds_per_epoch: int | None = None
    design: EpochDesign | None = None
    components_key: str | None = None
    layout_rng: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def warmup_s(self) -> float:
        """The unmeasured warm-up before each block (``--control warmup=S``)."""
        return self.controls.warmup_s if self.controls.warmup_s is not None \
            else SWITCH_WARMUP_S

    @property
    def rounds(self) -> list[Round]:
        return [r for e in self.epochs for r in e.rounds]

    @property
    def metric(self) -> str:
        """Server blocks replay one schedule, so their FPS is the schedule's: judge latency."""
        server = self.settings.get("base", {}).get("scenario") == "server"
        return "median_ms" if server else "fps"

    def log_ratios_by_epoch(self, key: str | None = None) -> list[list[float]]:
        key = key or self.metric
        return [[r.log_ratio(key) for r in e.rounds if r.usable] for e in self.epochs]

    @property
    def orders(self) -> list[str]:
        """Each epoch's start order (whose worker started first), aligned with the epochs."""
        return [e.started_first for e in self.epochs]

    def log_ratios(self, key: str | None = None) -> list[float]:
        return [x for e in self.log_ratios_by_epoch(key) for x in e]


def decide(run: ABRun) -> Decision:
    """Judge the finished run, once: at the interim level if it stopped before its planned
    length (a look, or an interrupt), else at 95 % (both adjusted for its family)."""
    early = run.stop_reason not in ("max_time",)
    bigger = run.metric == "fps"
    result, estimate = sequential.judge(run.log_ratios_by_epoch(), run.threshold_pct, early,
                                        run.prior, bigger, run.orders, run.family_size)
    return Decision(result, run.metric, sequential.judged_level(early, run.family_size),
                    estimate, early)


def run_ab(base: dict, new: dict, pythons: tuple[str, str], run: ABRun,
           stop_event: threading.Event | None = None,
           on_round: Callable[[ABRun], None] | None = None,
           clock: Callable[[], float] = time.monotonic) -> ABRun:
    """Measure epochs until the verdict is decided, the interval is within ``target_pct``,
    or ``max_time_s`` has passed; a stop keeps the epochs done (status interrupted).  The
    decision is taken here, once, whatever ended the run."""
    stop_event = stop_event or threading.Event()
    started = clock()
    try:
        while run.status == "running":
            _run_epoch(base, new, pythons, run, stop_event, on_round, clock, started)
    finally:
        if run.status == "running":         # an exception: what was measured still counts
            run.status, run.stop_reason = "failed", run.stop_reason or "failed"
        run.decision = decide(run)
        _remember_process_level(run)
    return run


def _start_sides(base, new, pythons, run: ABRun, first: str) -> list[Side]:
    """Both workers, started one after the other in the epoch's order, BASE first in the
    returned list."""
    specs = {"base": ("BASE", pythons[0], base), "new": ("NEW", pythons[1], new)}
    order = [first, "new" if first == "base" else "base"]
    sides: list[Side] = []
    try:
        for name in order:
            controls = run.controls.for_worker(run.layout_rng) if run.controls else None
            sides.append(Side(*specs[name], controls=controls))
    except BaseException:
        for side in sides:
            side.close()
        raise
    sides.sort(key=lambda side: side.label != "BASE")
    return sides


def _run_epoch(base, new, pythons, run: ABRun, stop_event, on_round, clock, started) -> None:
    index = len(run.epochs)
    first = run.started_first if index % 2 == 0 else \
        ("new" if run.started_first == "base" else "base")
    setup_began = clock()
    sides = _start_sides(base, new, pythons, run, first)
    try:
        if not run.epochs:
            _first_epoch_setup(sides, base, new, run)
        epoch = Epoch(index, first, setup_s=clock() - setup_began,
                      controls=_controls_in_force(sides) if run.controls else None)
        run.epochs.append(epoch)
        log.info("ab epoch %d: both workers ready, measuring", index + 1)
        load = OtherLoad([side.process.pid for side in sides])
        _measure_epoch(sides, run, epoch, stop_event, on_round, clock)
        epoch.other_cpu_pct = load.share_pct()
    finally:
        for side in sides:
            side.close()
    if run.epochs and run.epochs[-1].index == index:
        run.epochs[-1].wall_s = clock() - setup_began
    if run.status == "running":
        _after_epoch(run, clock, started)


def _controls_in_force(sides: list[Side]) -> dict:
    """Each worker's own report of its controls (checked against what was asked when it
    became ready): every epoch's workers are fresh processes, each with its own draws."""
    return {side.label.lower(): side.ready.get("controls") or {} for side in sides}


def _first_epoch_setup(sides: list[Side], base: dict, new: dict, run: ABRun) -> None:
    _check_comparable(sides, base, new)
    run.sides = {s.label.lower(): dict(s.ready, python=s.python) for s in sides}
    if run.block_s is None:
        run.block_s = ab_cache.snap_block_s(max(   # probes that complete a few requests
            block_length(probe_block(s, run.warmup_s)) for s in sides))
    here, settings = machine(), {"base": base, "new": new}
    # controls change the noise they are meant to measure: a run under them is another
    # design (no key changes for a run without any)
    controls = {"controls": list(run.controls.names())} if run.controls else {}
    run.components_key = ab_cache.components_key(here, run.sides, settings, run.block_s,
                                                 controls)
    size_epochs(run, ab_cache.load_components(run.components_key)
                if run.dimension and run.use_cache else None)
    design = {"block_s": round(run.block_s, 4), "epoch_rounds": epoch_rounds(run), **controls}
    run.host = _host(run)
    run.cache_key = ab_cache.cache_key(here, run.sides, settings, design)
    if run.use_cache:
        run.prior = ab_cache.load(run.cache_key)


def _host(run: ABRun) -> dict:
    return describe_host([], (run.sides.get("base") or {}).get("openvino", ""),
                         (run.settings.get("base") or {}).get("label"))


def machine() -> str:
    """This machine as the caches key it (host, CPU model, boot)."""
    host = describe_host([], "")
    return ab_cache.machine_identity(f"{host['hostname']}/{host['derived_class']}",
                                     f"{host['cpu']} (family {host['cpu_family']}, "
                                     f"model {host['cpu_model']})")


def _check_comparable(sides: list[Side], base: dict, new: dict) -> None:
    shapes = [[i["shape"] for i in side.ready["inputs"]] for side in sides]
    if (base.get("shape") or new.get("shape")) and shapes[0] != shapes[1]:
        raise UsageError(f"--shape gives the two sides different inputs: BASE {shapes[0]}, "
                         f"NEW {shapes[1]}")


def epoch_rounds(run: ABRun) -> int:
    """Rounds per epoch: as the design chose them, else about ``epoch_s`` of measuring, at
    least MIN_EPOCH_ROUNDS."""
    return run.rounds_per_epoch or default_rounds(run)


def default_rounds(run: ABRun) -> int:
    round_s = 2 * (run.block_s + run.warmup_s)
    return max(MIN_EPOCH_ROUNDS, math.ceil(run.epoch_s / round_s))


def size_epochs(run: ABRun, known: "ab_cache.Dimensioning | None") -> None:
    """Choose the rounds per epoch (Kalibera & Jones, :mod:`perfbench.stats.dimensioning`)
    from earlier runs' components when enough is known, else keep the default; record
    which, and why, as the document's ``design``.  Chosen before this run measures, from
    earlier runs only: it moves the interval's width, never what it covers."""
    default = default_rounds(run)
    budget = run.max_time_s

    def keep(chosen_by: str, reason: str) -> None:
        run.design = EpochDesign(default, chosen_by, reason, budget)
    if not run.dimension:
        return keep("fixed", f"--epoch-s {run.epoch_s:g}: epochs of about that many "
                    "seconds of rounds")
    if not run.use_cache:
        return keep("defaults", "--process-level this-run: nothing is read from the cache")
    refusal = ab_cache.no_design(known, "runs", "this model")
    if refusal is not None:
        return keep("defaults", refusal)
    assert known is not None            # no_design gives a reason for a missing one
    c = known.components
    chosen = dimensioning.choose_design(c, budget, 0.95, MIN_EPOCH_ROUNDS, known.last_rounds)
    default_epochs = dimensioning.epochs_within(c, default, budget)
    default_half = (100 * _expected_half(c, default, default_epochs)
                    if default_epochs >= 3 else None)
    run.rounds_per_epoch = chosen.rounds
    optimum = dimensioning.optimal_rounds(c)
    source = f"from {known.runs} earlier run{'s' if known.runs != 1 else ''}: "
    run.design = EpochDesign(
        chosen.rounds, "dimensioned", source + (
            f"Kalibera & Jones' optimum {optimum:.1f} rounds per epoch" if math.isfinite(optimum)
            else "no process level measured beyond the rounds'") +
        f"; the grid design expected narrowest in {budget:g} s",
        budget, known.runs, 100 * math.sqrt(c.round_var), 100 * math.sqrt(c.process_var),
        c.setup_s, c.round_s, chosen.epochs, 100 * chosen.half_width, default_half)


def _expected_half(c: dimensioning.Components, rounds: int, epochs: int) -> float:
    return dimensioning.expected_half_width(c, rounds, epochs, 0.95)


def _measure_epoch(sides: list[Side], run: ABRun, epoch: Epoch, stop_event, on_round,
                   clock) -> None:
    base, new = sides
    for _ in range(epoch_rounds(run)):
        if stop_event.is_set():
            run.status, run.stop_reason = "interrupted", "interrupted"
            return
        order = "AB" if len(run.rounds) % 2 == 0 else "BA"
        first, second = (base, new) if order == "AB" else (new, base)
        a = first.block(run.block_s, run.warmup_s)
        b = second.block(run.block_s, run.warmup_s)
        results = {first.label: a, second.label: b}
        epoch.rounds.append(Round(order, results["BASE"], results["NEW"]))
        log.info("ab epoch %d round %d", epoch.index + 1, len(epoch.rounds))
        if on_round is not None:
            run.running = _ratio(two_level_ratio(run.log_ratios_by_epoch(), 0.95, run.prior,
                                                 run.orders))
            on_round(run)


def _after_epoch(run: ABRun, clock, started: float) -> None:
    """One look per epoch; stop on a confirmed decision, or when another epoch would not
    fit in ``max_time_s``.  At least two epochs are measured (one gives no interval)
    unless the time is already spent."""
    decision, estimate = sequential.look(run.log_ratios_by_epoch(), run.threshold_pct,
                                         run.target_pct, run.prior, run.metric == "fps",
                                         run.orders, run.family_size)
    run.looks.append(Look(len(run.epochs), decision, _ratio(estimate)))
    decisions = [x.decision for x in run.looks]
    reason = sequential.stop_reason(decisions, len(run.epochs)) if run.early_stop else None
    elapsed = clock() - started
    if reason is None and (elapsed >= run.max_time_s or (
            len(run.epochs) >= 2 and elapsed + typical_epoch_s(run) > run.max_time_s)):
        reason = "max_time"
    if reason is not None:
        run.status, run.stop_reason = "complete", reason


def typical_epoch_s(run: ABRun) -> float:
    """How long the next epoch will take: the later epochs' mean; from the first alone,
    its measuring plus a setup no longer than that (its own setup held one-off work: the
    block-length probe, a cold compile or INT8 quantization)."""
    later = [e.wall_s for e in run.epochs[1:]]
    if later:
        return sum(later) / len(later)
    first = run.epochs[0]
    measuring = max(first.wall_s - first.setup_s, 0.0)
    return measuring + min(first.setup_s, measuring)


def _remember_process_level(run: ABRun) -> None:
    """A complete run with enough epochs adds its epoch-level variance to the cache.

    A run stops sooner when its epochs happen to agree, so one run's variance is selected
    low; the cache pools runs weighted by their degrees of freedom, and there the
    selection cancels (the runs that stopped early, low, bring few dof): measured on
    simulated runs under the real rule, the pool is within a few per cent of the
    unstopped runs' (3 % low) while the plain mean of runs is 15 % low
    (tests/stats/test_sequential.py)."""
    if run.status != "complete" or run.cache_key is None:
        return
    if len(run.epochs) < ab_cache.MIN_EPOCHS:
        return
    estimate = epoch_variance(run.log_ratios_by_epoch(), run.orders)
    if estimate is not None:
        ab_cache.store(run.cache_key, estimate)
    _remember_components(run)


def _remember_components(run: ABRun) -> None:
    """The run's components and costs, for sizing later runs' epochs: the round cost is
    the epochs' time after their setup per round, the setup cost the mean setup of the
    epochs after the first (whose setup held one-off work: the block-length probe, a cold
    compile)."""
    measured = variance_components(run.log_ratios_by_epoch(), run.orders)
    rounds = sum(len(e.rounds) for e in run.epochs)
    if measured is None or run.components_key is None or not rounds:
        return
    round_s = sum(max(e.wall_s - e.setup_s, 0.0) for e in run.epochs) / rounds
    later = [e.setup_s for e in run.epochs[1:]] or [run.epochs[0].setup_s]
    if round_s > 0:
        ab_cache.store_components(run.components_key, measured, sum(later) / len(later),
                                  round_s, epoch_rounds(run))


def _ratio(estimate: TwoLevelRatio | None) -> ABRatio | None:
    """The estimate as the document stores it (its change and half-width computed here)."""
    if estimate is None:
        return None
    return ABRatio(estimate.ratio, estimate.low, estimate.high, estimate.level,
                   estimate.change_pct, estimate.half_width_pct, estimate.dof,
                   estimate.epochs, estimate.rounds, estimate.round_sd_pct,
                   estimate.process_sd_pct if process_sd_estimable(estimate) else None,
                   estimate.order_effect_pct, estimate.source)


#: The process-level SD is a variance of epoch levels: with fewer degrees of freedom than
#: this (two epochs of this run, no earlier runs pooled) it cannot be estimated, and it is
#: reported as missing (None), not as the 0 its clamp would give.
MIN_PROCESS_SD_DOF = 2


def process_sd_estimable(estimate: TwoLevelRatio) -> bool:
    return estimate.dof >= MIN_PROCESS_SD_DOF


def _pooled(tail) -> PooledRatio | None:
    if tail is None:
        return None
    return PooledRatio(tail.ratio, tail.low, tail.high, tail.level, tail.change_pct,
                       tail.half_width_pct, tail.base_ms, tail.new_ms, tail.method)


def _tails(run: ABRun) -> dict[str, PooledRatio | None]:
    """Median and p99 ratios of each side's pooled latencies (not of per-block figures)."""
    rounds = [(e.index, r) for e in run.epochs for r in e.rounds if r.usable]
    if not rounds or any("latency_hist" not in r.base or "latency_hist" not in r.new
                         for _, r in rounds):
        return {"median_ms": None, "p99_ms": None}
    base = [r.base["latency_hist"] for _, r in rounds]
    new = [r.new["latency_hist"] for _, r in rounds]
    epochs = [index for index, _ in rounds]
    return {key: _pooled(tail_ratio(base, new, epochs, p))
            for key, p in (("median_ms", 50.0), ("p99_ms", 99.0))}


def _schedule(run: ABRun) -> dict[str, ServerTotals] | None:
    """Server blocks: what each side did with the same schedule (arrivals sent, never sent,
    over ``--sla-ms``, blocks whose generator fell behind its rate)."""
    if run.metric != "median_ms":
        return None
    totals = {}
    for side in ("base", "new"):
        figures = [getattr(r, side).get("server") or {} for r in run.rounds]
        totals[side] = {key: sum(f.get(key) or 0 for f in figures)
                        for key in ("scheduled", "sent", "missed", "over_sla")}
        totals[side]["invalid_blocks"] = sum(f.get("valid") is False for f in figures)
    return {side: ServerTotals(**counts) for side, counts in totals.items()}


def side_figures(run: ABRun, tails: dict[str, PooledRatio | None]) -> dict[str, SideFigures]:
    """Each side's own FPS (:func:`perfbench.results.ab.side_fps` over its usable blocks)
    and pooled p50/p99 latency (the tails' percentiles of its pooled histograms)."""
    def pooled(key: str, side: str) -> float | None:
        tail = tails.get(key)
        return None if tail is None else getattr(tail, f"{side}_ms")
    return {side: SideFigures(side_fps([getattr(r, side) for r in run.rounds if r.usable]),
                              pooled("median_ms", side), pooled("p99_ms", side))
            for side in ("base", "new")}


def load(run: ABRun) -> Load:
    """Other processes' CPU over the epochs, against a run's check limit: a load above it
    is what widened the interval, and an undecided verdict names it."""
    shares = [e.other_cpu_pct for e in run.epochs if e.other_cpu_pct is not None]
    mean = sum(shares) / len(shares) if shares else None
    return Load(None if mean is None else round(mean, 1), max(shares) if shares else None,
                OTHER_CPU_PCT, mean is not None and mean > OTHER_CPU_PCT)


def _more_time(run: ABRun, decision: Decision) -> float | None:
    """An undecided run: how much longer it would need at the noise it measured."""
    if decision.verdict != "inconclusive" or decision.estimate is None:
        return None
    e = decision.estimate
    return more_time_to_decide(e.ratio, e.low, e.high, run.threshold_pct,
                               run.metric == "fps", sum(x.wall_s for x in run.epochs))


def document(run: ABRun, exit_status: int | None = None) -> ABResult:
    """The run as a ``perfbench.ab`` document: the stored decision, the descriptive figures
    (95 % intervals), each side's own figures, every epoch's rounds, and ``attribution``;
    each figure computed here, once."""
    decision = run.decision or decide(run)
    prior = run.prior
    fps = two_level_ratio(run.log_ratios_by_epoch("fps"), 0.95,
                          prior if run.metric == "fps" else None, run.orders)
    judged = decision.estimate
    tails = _tails(run)
    ratios: dict[str, ABRatio | PooledRatio | None] = {"fps": _ratio(fps), **tails}
    if run.metric != "fps":
        ratios[run.metric + "_rounds"] = _ratio(two_level_ratio(
            run.log_ratios_by_epoch(), 0.95, prior, run.orders))
    return ABResult(
        status=run.status, stop_reason=run.stop_reason, exit_status=exit_status,
        verdict=decision.verdict, judged_metric=decision.metric,
        judged_ratio="fps" if run.metric == "fps" else run.metric + "_rounds",
        regression=decision.verdict == "regression", verdict_interval=_ratio(judged),
        judged_level=decision.level, family_size=run.family_size,
        interim_level=sequential.interim_level(run.family_size),
        final_level=sequential.final_level(run.family_size),
        threshold_pct=run.threshold_pct,
        smallest_resolvable_pct=None if judged is None else
        smallest_resolvable_pct(judged, run.threshold_pct),
        epoch_variance_prior=None if prior is None else Prior(
            100 * math.sqrt(prior.variance), prior.dof, prior.runs),
        target_pct=run.target_pct, block_s=run.block_s, epoch_s=run.epoch_s,
        started_first=run.started_first, timestamp=run.timestamp, looks=tuple(run.looks),
        ratios=ratios, schedule=_schedule(run), side_figures=side_figures(run, tails),
        load=load(run), more_time_s=_more_time(run, decision),
        empty_rounds=sum(not r.usable for r in run.rounds), sides=run.sides,
        settings=run.settings, host=run.host, epochs=tuple(e.frozen() for e in run.epochs),
        attribution=run.attribution, fidelity=run.fidelity, controls=run.controls.names(),
        design=run.design)
