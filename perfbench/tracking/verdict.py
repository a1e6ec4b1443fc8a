"""Did NEW get slower than BASE, beyond noise?

A metric changes only when the change is **both** beyond its threshold (default 5 %) **and**
statistically significant: the 95 % confidence interval of the ratio of means (Welch, on
the log scale: :func:`ratio_interval`) excludes 1.  The samples are the most honest
repeated measurements available:

* several files per side (repeated CI runs), or several ``--repeat`` trials: one value per
  run/trial, so run-to-run noise is what the test sees;
* otherwise one run's steady 1 s windows, with the variance inflated for their lag-1
  autocorrelation (see ``stability.py``); this sees within-run noise only, so the result says
  so and recommends ``--repeat``.

Trials and windows of one run are consecutive and correlated, so they understate how much a
whole run varies from the next.  On the 2-core CI machines, twenty identical runs of
profiles/ci.toml (two sessions of ten) had run-to-run CVs of FPS 3.1–3.4 %, p50 2.8 %,
p90 3.7 % and p99 ~25 % (one run's tail doubled in all its trials), while trials inside a
run agreed within ~1 %.  One run per side cannot measure that, so its variance of the mean
is floored at ``(floor · mean)²`` with the per-metric floors of
:data:`DEFAULT_NOISE_FLOORS_PCT` (``--noise-floor``), a known variance (normal quantile).
Several files per side measure run-to-run noise directly and get no floor.

Which metrics gate the exit status: FPS, p50, p90 and GFLOP/s by default (``--gate``).  p99
is compared and shown but does not fail the gate unless asked: in the A/A runs above, one
run in ten had its p99 doubled in every trial by the host, so a p99 gate on single CI runs
fails on machine noise.

A change that is not called must also be *excluded*: when the interval reaches a regression
beyond the threshold by more than the gate's own resolution (what the noise floors alone
give one run a side: z·√2·floor, ±11 % for FPS at the defaults; nothing when both sides
are several runs, which measured their own noise), the verdict is "inconclusive", never
"no significant change" (:func:`excludes_regression`).  A CI gate
that passed a −39 % FPS drop with an interval of [−74 %, +42 %] because the machine was
noisy told its user the change was safe when nothing had been measured.  Inconclusive exits
:data:`EXIT_NOT_DECIDED` (3), distinct from a pass (0) and a regression (1).

Welch's interval is used rather than Mann–Whitney U because CI comparisons often have three
runs a side, where the smallest two-sided Mann–Whitney p-value (0.10) can never reach 0.05.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import statistics
from dataclasses import dataclass

from perfbench.errors import UsageError
from perfbench.results.comparison import (EXIT_NOT_DECIDED, EXIT_REGRESSION,  # noqa: F401
                                          Comparison, MetricChange)
from perfbench.results.types import BenchmarkResult
from perfbench.results.metrics import METRICS, unit_samples, value_of
from perfbench.tracking.fidelity_verdict import (FidelityThresholds,
                                                 compare_fidelity)
from perfbench.settings.identity import IDENTITY_KEYS, configuration_identity
from perfbench.stats.intervals import lag1_autocorrelation, t_critical, z_two_sided

#: compare()'s fidelity tolerances unless a caller passes its own (frozen: one is shared).
DEFAULT_FIDELITY = FidelityThresholds()

DEFAULT_THRESHOLD_PCT = 5.0
DEFAULT_GATE = ("fps", "p50", "p90", "gflops")
#: Run-to-run CV assumed for a side with one run, per metric (measured, see above).
DEFAULT_NOISE_FLOORS_PCT = {"fps": 4.0, "p50": 4.0, "p90": 5.0, "p99": 20.0, "gflops": 4.0}
#: Checks that say something outside the run took the machine while it measured (a
#: change cannot trip them itself, as it can swapping or a clock's spread under turbo).
DISTURBED = ("other_processes_cpu", "cpu_steal")
#: Checks a verdict names when they failed on either side: the disturbances, and the
#: window spread they leave behind (a noisy machine's interval is wide).
NOISY = DISTURBED + ("window_cv",)
_LIKE_ENV = ("cpu", "cpu_logical_cores", "openvino")


@dataclass(frozen=True)
class Samples:
    values: list[float]
    kind: str                      # "runs", "trials" or "windows"
    floor_pct: float = 0.0         # run-to-run CV assumed for a single run

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @functools.cached_property
    def measured_variance_of_mean(self) -> float:
        """0 for a single sample: it measures no spread, and only a floor can give one."""
        n = len(self.values)
        if n < 2:
            return 0.0
        var = statistics.variance(self.values) / n
        if self.kind == "windows":
            rho = lag1_autocorrelation(self.values)
            var *= (1 + rho) / (1 - rho)
        return var

    @property
    def floor_variance(self) -> float:
        return (self.floor_pct / 100 * self.mean) ** 2

    @property
    def usable(self) -> bool:
        """Enough to say how uncertain the mean is: two samples, or one and a floor."""
        return len(self.values) >= 2 or (len(self.values) == 1 and self.floor_pct > 0)

    @property
    def floored(self) -> bool:
        """True when the assumed run-to-run noise outweighs what was measured."""
        return self.floor_variance > self.measured_variance_of_mean

    @property
    def variance_of_mean(self) -> float:
        return max(self.measured_variance_of_mean, self.floor_variance)


def parse_thresholds(specs: list[str]) -> dict[str, float]:
    """``5%`` sets every metric; ``p99=10%`` one metric (see :func:`parse_per_metric`)."""
    return parse_per_metric(specs, {name: DEFAULT_THRESHOLD_PCT for name in METRICS},
                            "--threshold")


def parse_gate(text: str | None) -> tuple[str, ...]:
    if text is None:
        return DEFAULT_GATE
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in METRICS]
    if unknown or not names:
        raise UsageError(f"--gate: unknown metric {unknown[0] if unknown else text!r} "
                         f"(known: {', '.join(METRICS)})")
    return names


def parse_noise_floors(specs: list[str]) -> dict[str, float]:
    return parse_per_metric(specs, dict(DEFAULT_NOISE_FLOORS_PCT), "--noise-floor")


#: Metrics that are another metric times a constant (effective GFLOP/s = FPS × the model's
#: GFLOPs per image): a threshold or floor set for the one is set for the other, unless it
#: is given its own.
FOLLOWS = {"gflops": "fps"}


def parse_per_metric(specs: list[str], defaults: dict[str, float], flag: str) -> dict[str, float]:
    """Per-metric percentages: ``5%`` sets every metric, ``p99=10%`` one.  A metric named
    wins over a general value whatever their order (``fps=30% 10%`` keeps fps at 30 %);
    among values of one kind the later wins."""
    general, named = None, {}
    for spec in specs:
        name, pct = _parse_percentage(spec, flag)
        if name:
            named[name] = pct
        else:
            general = pct
    for follower, leader in FOLLOWS.items():
        if leader in named and follower not in named:
            named[follower] = named[leader]
    values = dict(defaults) if general is None else dict.fromkeys(defaults, general)
    values.update(named)
    return values


def _parse_percentage(spec: str, flag: str) -> tuple[str, float]:
    """``p99=10%`` as ("p99", 10.0); ``5%`` as ("", 5.0)."""
    name, _, value = spec.rpartition("=")
    if name and name not in METRICS:
        raise UsageError(f"{flag}: unknown metric {name!r} (known: {', '.join(METRICS)})")
    try:
        pct = float(value.strip().rstrip("%"))
    except ValueError:
        raise UsageError(f"{flag}: {spec!r} is not a percentage like 5%") from None
    if not 0 <= pct < 1000 or not math.isfinite(pct):
        raise UsageError(f"{flag}: {spec!r} is out of range")
    return name, pct


def samples_for(results: list[BenchmarkResult], name: str, noise_floor_pct: float) -> Samples:
    """The repeated measurements of one side.  Their mean is the side's value *and* the
    centre of the interval, so the change and its significance come from one estimator."""
    if len(results) >= 2:
        return Samples([value_of(r, name) for r in results], "runs")
    values, kind = unit_samples(results[0], name)
    if not values:     # a run too short for a steady window: its headline is one sample
        values, kind = [value_of(results[0], name)], "run"
    return Samples(values, kind, noise_floor_pct)


def difference_interval(base: Samples, new: Samples) -> tuple[float, float] | None:
    """95 % Welch interval of mean(new) − mean(base); None when a side cannot say how
    uncertain it is (one sample and no noise floor)."""
    if not base.usable or not new.usable:
        return None
    va, vb = base.variance_of_mean, new.variance_of_mean
    diff = new.mean - base.mean
    half = _welch_half_width(base, va, new, vb)
    return diff - half, diff + half


def ratio_interval(base: Samples, new: Samples,
                   level: float = 0.95) -> tuple[float, float] | None:
    """``level`` (95 %) interval of mean(new) / mean(base), computed on the log scale and
    exponentiated: a ratio of positive figures is skewed (a latency can double but never
    fall by more than all of it), and the difference of means gave intervals like
    [−143.7 %, +68.4 %].  The
    variance of ln(mean) is var(mean)/mean² (delta method), Welch's degrees of freedom
    are taken on those; the centre stays the ratio of the means, the sides' values.  None
    when a side cannot say how uncertain it is, or a mean is not positive."""
    if not base.usable or not new.usable or base.mean <= 0 or new.mean <= 0:
        return None
    va = base.variance_of_mean / base.mean ** 2
    vb = new.variance_of_mean / new.mean ** 2
    log_ratio = math.log(new.mean / base.mean)
    half = _welch_half_width(base, va, new, vb, level)
    return math.exp(log_ratio - half), math.exp(log_ratio + half)


def _welch_half_width(base: Samples, va: float, new: Samples, vb: float,
                      level: float = 0.95) -> float:
    """Half-width of a ``level`` interval for a sum of two variances of means: t with
    Welch-Satterthwaite degrees of freedom, where a floored (known) variance adds none."""
    if va + vb == 0:
        return 0.0
    estimated = sum(v**2 / (len(s.values) - 1) for s, v in ((base, va), (new, vb))
                    if not s.floored)
    if estimated == 0:
        critical = z_two_sided(level)
    else:
        critical = t_critical(max(int((va + vb) ** 2 / estimated), 1), level)
    return critical * math.sqrt(va + vb)


def resolution_log(noise_floor_pct: float, level: float = 0.95, floored_sides: int = 2) -> float:
    """The half-width, on the log scale, that the noise floors alone give a comparison
    whose ``floored_sides`` sides are one run each: the finest change such a gate can
    resolve.  A side of several runs measured its own noise and adds no floor, so with
    several runs on both sides there is no such limit (0)."""
    return z_two_sided(level) * math.sqrt(floored_sides) * noise_floor_pct / 100


def excludes_regression(ratio_low: float, ratio_high: float, bigger_is_better: bool,
                        threshold_pct: float, noise_floor_pct: float,
                        level: float = 0.95, floored_sides: int = 2) -> bool:
    """Whether the interval of NEW/BASE rules out a regression beyond the threshold, to
    within the gate's resolution (:func:`resolution_log`): its worse end may not pass
    ``1 ∓ threshold`` by more than that.  With ``--noise-floor 0``, or several runs on
    both sides, it is the plain rule (the worse end inside the threshold)."""
    slack = resolution_log(noise_floor_pct, level, floored_sides)
    if bigger_is_better:
        return math.log(ratio_low) >= math.log(1 - min(threshold_pct, 99.0) / 100) - slack
    return math.log(ratio_high) <= math.log(1 + threshold_pct / 100) + slack


def judge_change(change_pct: float | None, interval: tuple[float, float] | None,
                 bigger_is_better: bool, threshold_pct: float, noise_floor_pct: float,
                 level: float = 0.95, floored_sides: int = 2) -> str:
    """The one verdict rule (compare, suite entries, history's last run): a change beyond
    the threshold whose interval of NEW/BASE excludes 1 is a regression or improvement;
    one that is not called but cannot be excluded (:func:`excludes_regression`), or has no
    interval, is inconclusive; else no significant change.  ``floored_sides``: how many
    sides are one run with the noise floor (only those limit the gate's resolution)."""
    if interval is None or change_pct is None:
        return "inconclusive"
    if (interval[0] > 1 or interval[1] < 1) and abs(change_pct) > threshold_pct:
        return "improvement" if (change_pct > 0) == bigger_is_better else "regression"
    if not excludes_regression(*interval, bigger_is_better, threshold_pct, noise_floor_pct,
                               level, floored_sides):
        return "inconclusive"
    return "no significant change"


def geomean_verdict(geomean: dict, threshold_pct: float, noise_floor_pct: float = 0.0,
                    floored_sides: int = 0) -> str:
    """A suite's geomean FPS ratio (``ratio``, ``ci_low``, ``ci_high``) judged by the one
    rule, :func:`judge_change`: an interval that can neither call nor exclude a regression
    beyond the threshold is inconclusive (exit 3), never a pass.  ``noise_floor_pct`` and
    ``floored_sides``: the resolution its interval is limited to.  The geomean of separate
    single runs counts compare's run-level floor once, as one entry does (its interval is
    never narrower than one entry's, however many there are), so it gets an entry's slack;
    interleaved A/B entries measured their own noise and get none."""
    change = 100 * (geomean["ratio"] - 1)
    return judge_change(change, (geomean["ci_low"], geomean["ci_high"]), True, threshold_pct,
                        noise_floor_pct, floored_sides=floored_sides)


def compare_metric(name: str, base: list[BenchmarkResult], new: list[BenchmarkResult],
                   threshold: float, noise_floor_pct: float,
                   level: float = 0.95) -> MetricChange:
    unit, bigger = METRICS[name]
    base_samples = samples_for(base, name, noise_floor_pct)
    new_samples = samples_for(new, name, noise_floor_pct)
    base_value, new_value = base_samples.mean, new_samples.mean
    change = 100 * (new_value / base_value - 1) if base_value else None
    interval = ratio_interval(base_samples, new_samples, level)
    significant = interval is not None and (interval[0] > 1 or interval[1] < 1)
    ci_pct = None if interval is None else (100 * (interval[0] - 1), 100 * (interval[1] - 1))
    floored_sides = sum(1 for s in (base_samples, new_samples) if s.floor_pct > 0)
    verdict = judge_change(change, interval, bigger, threshold, noise_floor_pct, level,
                           floored_sides)
    kind = base_samples.kind if base_samples.kind == new_samples.kind else \
        f"{base_samples.kind}/{new_samples.kind}"
    return MetricChange(name, unit, bigger, base_value, new_value, change, ci_pct, significant,
                        threshold, kind, verdict, level=level)


def like_with_like(base: list[BenchmarkResult], new: list[BenchmarkResult]) -> list[str]:
    """Differences that make the comparison one of unlike things: in the configuration
    identity (:mod:`perfbench.settings.identity`, as history and fleet pair results) and
    in the machine."""
    problems = []
    reference = base[0]
    for other in base[1:] + new:
        problems += _identity_differences(configuration_identity(reference),
                                          configuration_identity(other))
        ea, eb = reference.environment, other.environment
        for key in _LIKE_ENV:
            if ea.get(key) != eb.get(key):
                problems.append(f"different machine: {key} {ea.get(key)!r} vs {eb.get(key)!r}")
    return sorted(set(problems))


def _identity_differences(a: dict, b: dict) -> list[str]:
    problems = []
    model = [(k, x, b["model"][k]) for k, x in a["model"].items() if x != b["model"][k]]
    if model:
        problems.append("different model: " + ", ".join(f"{k} {x!r} vs {y!r}"
                                                        for k, x, y in model))
    for key in IDENTITY_KEYS:
        if a["settings"][key] != b["settings"][key]:
            problems.append(f"different config: {key} {_requested_repr(a['settings'][key])} vs "
                            f"{_requested_repr(b['settings'][key])}")
    return problems


def _requested_repr(value) -> str:
    """A requested setting as a user reads it: unset means the device chose."""
    return "auto" if value is None else repr(value)


def compare(base: list[BenchmarkResult], new: list[BenchmarkResult], base_files: list[str],
            new_files: list[str],
            thresholds: dict[str, float], strict: bool = False,
            noise_floors: dict[str, float] | None = None,
            gate: tuple[str, ...] = DEFAULT_GATE, level: float = 0.95,
            fidelity_thresholds: FidelityThresholds = DEFAULT_FIDELITY) -> Comparison:
    """``level``: the confidence of every interval, and so of every verdict (a suite that
    judges N entries at once asks 1 − 0.05/N of each, so that together they hold 95 %)."""
    warnings = like_with_like(base, new)
    if warnings and strict:
        raise UsageError(f"--strict: not like with like: {warnings[0]}")
    for path, result in zip(base_files + new_files, base + new):
        if result.status != "complete":
            warnings.append(f"{path}: status {result.status!r}, not a complete run")
    floors = noise_floors if noise_floors is not None else dict(DEFAULT_NOISE_FLOORS_PCT)
    changes = [dataclasses.replace(compare_metric(name, base, new, thresholds[name],
                                                  floors[name], level), gating=name in gate)
               for name in METRICS]
    unmeasured = [c for c in changes if c.verdict == "inconclusive" and c.diff_ci_pct is None]
    if unmeasured:
        warnings.append(f"inconclusive ({_names(unmeasured)}): too few samples to tell a "
                        "change from noise (a run shorter than 3 windows, and --noise-floor "
                        "0); measure longer (-t), use --until-stable or --repeat 3, or pass "
                        f"several result files per side. {_exit_note(unmeasured)}")
    wide = [c for c in changes if c.verdict == "inconclusive" and c.diff_ci_pct]
    if wide:
        warnings.append(f"inconclusive ({_names(wide)}): the interval is too wide to "
                        "exclude a regression beyond the threshold; re-run on a quiet "
                        "machine, measure longer, or pass several result files per side. "
                        f"{_exit_note(wide)}")
    if len(base) == 1 or len(new) == 1:
        assumed = ", ".join(f"{k} {v:g} %" for k, v in floors.items())
        warnings.append(f"one run on a side: run-to-run noise is assumed ({assumed}; "
                        "--noise-floor); pass several result files per side to measure it")
    noise = [remark for side, results in (("baseline", base), ("new", new))
             for result in results for remark in disturbed(result, side, NOISY)]
    fidelity = compare_fidelity(base, new, fidelity_thresholds)
    return Comparison.judged(base_files, new_files, changes, warnings, dict.fromkeys(noise),
                             fidelity if fidelity.changes or fidelity.warnings else None,
                             level)


def against_first(runs: list[tuple[str, BenchmarkResult]]) -> list[tuple[str, Comparison]]:
    """Each run after the first against the first, at compare's defaults (``perfbench
    report a b …``: several runs and no command's own comparison)."""
    base_name, base = runs[0]
    return [(name, compare([base], [result], [base_name], [name], parse_thresholds([]),
                           noise_floors=parse_noise_floors([])))
            for name, result in runs[1:]]


def _names(changes: list[MetricChange]) -> str:
    return ", ".join(c.name for c in changes)


def _exit_note(changes: list[MetricChange]) -> str:
    """What these inconclusive metrics do to the exit status: a gating one exits 3; a
    metric outside the gate is only reported (the sentence said 'exits 3' over an exit 0)."""
    if any(c.gating for c in changes):
        return f"Inconclusive exits {EXIT_NOT_DECIDED}."
    return "Not gating (--gate): the exit status does not change."


def disturbed(result: BenchmarkResult, side: str,
              names: tuple[str, ...] = DISTURBED) -> list[str]:
    """The machine's own noise checks among ``names`` that failed during ``result``, as
    short remarks: a verdict measured then may be the machine's rather than the change's."""
    return [f"{side}: {c.name} {c.value} (limit {c.threshold})" for c in result.checks
            if c.name in names and not c.ok]
