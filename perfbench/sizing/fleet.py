"""Sizing across machines: results grouped by hardware class, each class's best
configuration, machines needed for a target, and what that costs.

The input is result files from anywhere: ``perfbench run`` and ``sweep`` on each runner of
a CI matrix, or ``perfbench fleet run`` on a Ray cluster.  Every result names its class
(``host.hardware_class``, or ``--label``); older files without a host block get one from
their environment (CPU and cores).  Within a class, results of the same configuration
from several machines are pooled: each host's results are averaged first, then FPS per
machine is the mean of the hosts, with a t-interval across hosts (with one machine, across
its runs, or that run's own interval).  "The same configuration" is
:func:`perfbench.settings.identity.configuration_key`, as compare and history use it.
"""

from __future__ import annotations

import dataclasses
import glob
import math
import os
import statistics
import tomllib
from dataclasses import dataclass, field

from perfbench.errors import UsageError
from perfbench.results import BenchmarkResult, from_document
from perfbench.results.fleet import ClassSummary, FleetReport, Mix, MixClass, ModelBest, Plan
from perfbench.results.interval import Interval
from perfbench.results.io import read_json
from perfbench.results.metrics import fps_estimate
from perfbench.settings.identity import DEFAULTS as _DEFAULTS
from perfbench.settings.identity import configuration_identity, configuration_key
from perfbench.stats.intervals import rate_mean_ci
from perfbench.system.host import hardware_class
from perfbench.tracking.verdict import disturbed

DEFAULT_HEADROOM = 0.2
#: Between machines of one class, FPS that varies more than this marks the class unstable.
UNSTABLE_CV_PCT = 10.0


@dataclass(frozen=True)
class Measured:
    """One measured configuration on one machine."""

    hardware_class: str
    configuration: str         # as a reader sees it: model, settings that differ, resolved
    hostname: str
    fps: float
    fps_low: float | None
    fps_high: float | None
    p99_ms: float
    noisy: bool
    source: str
    configuration_key: str = ""   # what is pooled: perfbench.settings.identity
    model: str = ""               # a suite's model name ("" for a run or sweep file)
    #: The machine's own noise checks that failed (other processes, steal), as remarks:
    #: a figure built on this measurement names them (tracking.verdict.disturbed).
    disturbed: tuple[str, ...] = ()


def hardware_class_of(result: BenchmarkResult) -> str:
    """The class a result names; one derived (not labelled) is derived again from its host
    block, so files written under an older rule group with today's."""
    host = result.host or {}
    if host.get("labelled") is False and host.get("cpu"):
        return hardware_class(host["cpu"], host.get("logical_cores"), host.get("isa") or [],
                              host.get("memory_bytes"))
    if host.get("hardware_class"):
        return host["hardware_class"]
    env = result.environment       # a file from before host blocks: CPU and cores only
    return hardware_class(str(env.get("cpu") or "unknown"), env.get("cpu_logical_cores"),
                          [], env.get("memory_total_bytes"))


def configuration_of(result: BenchmarkResult) -> str:
    """What was run, for a reader: the model, each identity setting that is not its default
    (as requested), then what the device resolved (hint, streams, requests, batch,
    precision)."""
    resolved, requested = result.resolved, result.requested
    precision = "int8" if requested.get("precision") == "int8" else resolved.get("precision")
    asked = configuration_identity(result)["settings"]
    changed = [f"{k}={_setting_text(v)}" for k, v in asked.items()
               if v != _DEFAULTS[k] and k not in ("hint", "precision")]
    return " ".join([result.model.name, *changed,
                     f"hint={str(resolved.get('hint', '?')).lower()}",
                     f"streams={resolved.get('streams', '?')}", f"requests={result.pool_size}",
                     f"batch={result.model.batch}", f"precision={precision}"])


def _setting_text(value) -> str:
    """A setting's value as a configuration names it (a list as ``1,2``)."""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def measured_from(document: object, where: str) -> list[Measured]:
    """The results in one file: a run, every finished point of a sweep."""
    schema = document.get("schema") if isinstance(document, dict) else None
    if schema == "perfbench.fleet-run":          # the index `fleet run` writes beside results
        return []
    if schema == "perfbench.result":
        results = [from_document(document, where)]
    elif schema == "perfbench.sweep":
        assert isinstance(document, dict)
        results = [from_document(p["result"], f"{where} point {p.get('key')}")
                   for p in _sweep_points(document, where) if p.get("status") == "done"]
    else:
        raise UsageError(f"{where}: not a perfbench run or sweep result (schema "
                         f"{schema!r:.40}); fleet report reads perfbench.result and "
                         "perfbench.sweep files")
    return [_measured(r, where) for r in results if r.status == "complete"]


def suite_measured(suite: dict, files: dict[str, object], where: str) -> list[Measured]:
    """The ok entries of a suite directory, each tagged with its model's name, so each
    model's variants are compared with each other only."""
    out = []
    for record in suite.get("entries", []):
        document = files.get(record.get("file") or "")
        if record.get("status") != "ok" or document is None:
            continue
        result = from_document(document, f"{where} entry {record.get('name')}")
        if result.status == "complete":
            out.append(dataclasses.replace(_measured(result, where),
                                           model=str(record.get("model"))))
    return out


def suite_directory_measured(directory: str) -> list[Measured]:
    """A suite directory as :func:`suite_measured` reads it, from disk: its ``suite.json``
    and each ok entry's result file; anything unreadable is one line."""
    suite = read_json(os.path.join(directory, "suite.json"), "suite file")
    if not isinstance(suite, dict) or suite.get("schema") != "perfbench.suite":
        raise UsageError(f"{directory}/suite.json: not a perfbench suite file")
    files = {r["file"]: read_json(os.path.join(directory, r["file"]), "suite entry file")
             for r in suite.get("entries", [])
             if isinstance(r, dict) and r.get("status") == "ok" and r.get("file")}
    return suite_measured(suite, files, directory)


def directory_report(path: str) -> FleetReport:
    """A fleet directory as ``perfbench report`` draws it: its result and sweep files and
    each ``fleet run … -- suite`` node's NODE/suite.json, merged as ``fleet report``
    merges them (no target, SLA or prices)."""
    files = sorted(glob.glob(os.path.join(path, "*.json")))
    nodes = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(path, "*", "suite.json")))
    if not files and not nodes:
        raise UsageError(f"{path}: no suite.json and no .json result file in this directory")
    measured = [m for f in files for m in measured_from(read_json(f), f)]
    measured += [m for node in nodes for m in suite_directory_measured(node)]
    if not measured:
        raise UsageError(f"{path}: no complete result in this directory")
    return report(measured, None, None, DEFAULT_HEADROOM, None)


def _sweep_points(document: dict, where: str) -> list[dict]:
    """A sweep file's points, each a mapping, a finished one with its result: else one line."""
    points = document.get("points", [])
    bad = not isinstance(points, list) or any(
        not isinstance(p, dict) or (p.get("status") == "done" and
                                    not isinstance(p.get("result"), dict)) for p in points)
    if bad:
        raise UsageError(f"{where}: not a valid perfbench sweep file (each of its points must "
                         "be an object, a finished one with its result)")
    return points


def _measured(result: BenchmarkResult, where: str) -> Measured:
    fps, low, high = fps_estimate(result)
    noisy = any(not check.ok for check in result.checks)
    host = (result.host or {}).get("hostname") or result.environment.get("hostname") or where
    return Measured(hardware_class_of(result), configuration_of(result), host, fps, low, high,
                    result.latency.p99, noisy, where, configuration_key(result),
                    disturbed=tuple(disturbed(result, where)))


@dataclass
class Candidate:
    """One configuration of a class, pooled: flagged (and marked outside the SLA) while
    the class's best is chosen, then written as a ``results.fleet.ClassSummary``."""

    hardware_class: str
    configuration: str
    fps: float
    fps_low: float | None
    fps_high: float | None
    p99_ms: float
    machines_measured: int
    results: int
    meets_sla: bool = True
    flags: list[str] = field(default_factory=list)
    disturbed: list[str] = field(default_factory=list)   # of the measurements pooled

    def summary(self, plan: Plan) -> ClassSummary:
        return ClassSummary(self.hardware_class, self.configuration,
                            Interval.of(self.fps, self.fps_low, self.fps_high), self.p99_ms,
                            self.machines_measured, self.results, self.meets_sla,
                            tuple(self.flags), plan, tuple(self.disturbed))


def summarize(measured: list[Measured], sla_ms: float | None) -> list[Candidate]:
    """Each class's best configuration (highest FPS per machine, under the SLA if given)."""
    by_class: dict[str, list[Measured]] = {}
    for m in measured:
        by_class.setdefault(m.hardware_class, []).append(m)
    summaries = []
    for name, items in sorted(by_class.items()):
        by_config: dict[str, list[Measured]] = {}
        for m in items:
            by_config.setdefault(m.configuration_key, []).append(m)
        options = [_pool(name, group[0].configuration, group)
                   for _, group in sorted(by_config.items())]
        allowed = [o for o in options if sla_ms is None or o.p99_ms <= sla_ms]
        if not allowed:
            best = min(options, key=lambda o: o.p99_ms)
            best.meets_sla = False
            best.flags.append(f"no configuration meets p99 ≤ {sla_ms:g} ms (best "
                              f"{best.p99_ms:.1f} ms)")
        else:
            best = max(allowed, key=lambda o: o.fps)
        summaries.append(best)
    return summaries


def _pool(name: str, configuration: str, items: list[Measured]) -> Candidate:
    """FPS per machine: each host's results averaged first, then the mean of the hosts
    with a t-interval across them; two files of one host are one machine.  With one
    machine: a t-interval across its runs, or its one run's own interval."""
    by_host: dict[str, list[float]] = {}
    for m in items:
        by_host.setdefault(m.hostname, []).append(m.fps)
    per_machine = [statistics.fmean(values) for values in by_host.values()]
    spread = per_machine if len(per_machine) >= 2 else [m.fps for m in items]
    if len(spread) >= 2:
        estimate = rate_mean_ci(spread)
        fps, low, high = estimate.value, estimate.low, estimate.high
    else:
        fps, low, high = items[0].fps, items[0].fps_low, items[0].fps_high
    summary = Candidate(name, configuration, fps, low, high,
                           max(m.p99_ms for m in items), len(by_host), len(items))
    if len(by_host) < 2:
        summary.flags.append("one machine: no spread between machines")
    if len(spread) >= 2 and statistics.stdev(spread) / fps * 100 > UNSTABLE_CV_PCT:
        between = "machines" if len(by_host) >= 2 else "runs"
        summary.flags.append(f"unstable: FPS varies {statistics.stdev(spread) / fps * 100:.0f} "
                             f"% between {between}")
    if any(m.noisy for m in items):
        summary.flags.append("a noise check failed in a result")
    summary.disturbed = [remark for m in items for remark in m.disturbed]
    return summary


def plan(summary: Candidate, target_fps: float | None, headroom: float,
         price_per_hour: float | None) -> Plan:
    """Machines for the target, each loaded to at most (1 − headroom) of what it measured;
    also from the interval's low end (conservative).  Cost per hour and per 1,000 FPS."""
    usable = summary.fps * (1 - headroom)
    machines = conservative = None
    if target_fps is not None and usable > 0:
        machines = math.ceil(target_fps / usable)
        if summary.fps_low and summary.fps_low > 0:
            conservative = math.ceil(target_fps / (summary.fps_low * (1 - headroom)))
    if price_per_hour is None:
        return Plan(summary.fps, usable, machines, conservative)
    return Plan(summary.fps, usable, machines, conservative, price_per_hour,
                1000 * price_per_hour / summary.fps,
                None if machines is None else machines * price_per_hour)


def cheapest(summaries: list[ClassSummary]) -> str | None:
    """The class that serves the target for the least per hour (else per 1,000 FPS).  A
    class that meets no configuration of the SLA cannot serve it, at any price."""
    summaries = [s for s in summaries if s.meets_sla]
    costed = [(s.plan.cost_per_hour, s.hardware_class) for s in summaries
              if s.plan.cost_per_hour is not None]
    per_fps = [(s.plan.cost_per_1000_fps_hour, s.hardware_class) for s in summaries
               if s.plan.cost_per_1000_fps_hour is not None]
    for options in (costed, per_fps):
        if options:
            return min(options, key=lambda o: o[0])[1]
    return None


def read_prices(text: str, where: str) -> dict[str, float]:
    """``[prices]`` table of hardware class (or label) = price per machine-hour."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"--prices {where}: not valid TOML ({exc})") from None
    prices = data.get("prices")
    if not isinstance(prices, dict) or not prices:
        raise UsageError(f"--prices {where}: needs a [prices] table: class = price per hour")
    for name, value in prices.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
                or not math.isfinite(value):
            raise UsageError(f"--prices {where}: the price of {name!r} must be a positive "
                             f"number (got {value!r:.20})")
    return {name: float(value) for name, value in prices.items()}


def check_prices(prices: dict[str, float], classes: list[str], where: str) -> None:
    missing = [c for c in classes if c not in prices]
    if missing:
        raise UsageError(f"--prices {where}: no price for class {missing[0]!r} (classes: "
                         f"{', '.join(classes)})")


def parse_mix(text: str) -> dict[str, float]:
    """``--mix name=fps,name=fps``: the FPS each model must serve."""
    mix = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            target = float(value)
        except ValueError:
            target = -1.0
        if not sep or not name.strip() or not math.isfinite(target) or target <= 0:
            raise UsageError(f"--mix: expected name=FPS,… with positive FPS, got {part!r:.40}")
        mix[name.strip()] = target
    return mix


def models_by_class(measured: list[Measured], sla_ms: float | None) -> list[ModelBest]:
    """Per class, each suite model's best configuration across its matrix variants (the
    same pooling and choice as a class's best configuration)."""
    rows = []
    for model in sorted({m.model for m in measured if m.model}):
        for best in summarize([m for m in measured if m.model == model], sla_ms):
            rows.append(ModelBest(best.hardware_class, model, best.configuration,
                                  Interval.of(best.fps, best.fps_low, best.fps_high),
                                  best.p99_ms, best.meets_sla, best.machines_measured))
    return rows


def mix_cost(models: list[ModelBest], mix: dict[str, float], headroom: float,
             prices: dict[str, float] | None) -> list[MixClass]:
    """Per class, machines shared across the models of the mix: Σ target / usable FPS of
    each model's best configuration, rounded up once; and what that costs per hour."""
    known = {m.model for m in models}
    unknown = sorted(set(mix) - known)
    if unknown:
        raise UsageError(f"--mix: no suite model named {unknown[0]!r} (models: "
                         f"{', '.join(sorted(known))})")
    out = []
    for cls in sorted({m.hardware_class for m in models}):
        best = {m.model: m for m in models if m.hardware_class == cls and m.meets_sla}
        missing = sorted(set(mix) - set(best))
        load = sum(target / (best[name].fps.value * (1 - headroom))
                   for name, target in mix.items() if name in best)
        machines = None if missing else math.ceil(load)
        price = (prices or {}).get(cls)
        cost = machines * price if price is not None and machines is not None else None
        out.append(MixClass(cls, load, tuple(missing), machines, cost))
    return out


#: Why a report of suite inputs has no class table of them: a class's fastest entry is
#: whichever model is lightest, so comparing classes on it compares different models.
SUITE_NOTE = ("suite results are compared per model (models) and for the --mix (mix), not "
              "in classes: a class's fastest suite entry is its lightest model")


def report(measured: list[Measured], target_fps: float | None, sla_ms: float | None,
           headroom: float, prices: dict[str, float] | None,
           mix: dict[str, float] | None = None) -> FleetReport:
    """Classes (best configuration, plan, cheapest) from run and sweep results only; suite
    entries, each of one model, go to the per-model and mix sections instead."""
    classes = tuple(c.summary(plan(c, target_fps, headroom,
                                   (prices or {}).get(c.hardware_class)))
                    for c in summarize([m for m in measured if not m.model], sla_ms))
    models = models_by_class(measured, sla_ms)
    if not models and mix:
        raise UsageError("--mix needs suite directories (perfbench suite --out DIR)")
    report = FleetReport(target_fps, sla_ms, headroom, len(measured), classes,
                         cheapest(list(classes)))
    if not models:
        return report
    costs = mix_cost(models, mix, headroom, prices) if mix else []
    return dataclasses.replace(report, models=tuple(models), note=SUITE_NOTE, mix=None if
                               not mix else Mix(mix, tuple(costs), mix_cheapest(costs)))


def mix_cheapest(rows: list[MixClass]) -> str | None:
    """The class that serves the whole mix for the least per hour (priced classes that
    measured every model of it); None without prices."""
    costed = [(r.cost_per_hour, r.hardware_class) for r in rows if r.cost_per_hour is not None]
    return min(costed, key=lambda r: r[0])[1] if costed else None
