"""Server scenario: the highest Poisson rate whose latency percentile stays within a bound.

An offline run gives the ceiling; then bisection over the rate.  A machine that drifts can
fail or pass one probe by chance, so the search does not trust a single probe at the edge:
the answer is re-probed once before it is reported, and a probe whose load generator fell
behind its schedule (an *invalid* run, see ``runner.benchmark.generator_validity``) is
probed again before it counts as a failure.  Each probe's percentile carries its interval,
and the answer says how sure it is (``results.server_search``): the reported rate is one
whose every probe met the bound with its whole interval; a higher one that met it only by
its point estimate is named as probable, not taken.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Callable

from perfbench.errors import Interrupted, NothingCompleted
from perfbench.results.server_search import RateTrial, ServerSearch
from perfbench.results.types import BenchmarkResult
from perfbench.runner import run
from perfbench.runner.benchmark import log
from perfbench.settings.config import BenchmarkConfig
from perfbench.stats.percentiles import field_for

#: The server loop waits for every query it issued, so a probe that completed none
#: issued none: its rate was too low for a query to arrive in the probe's time.
NOTHING_ISSUED = "no query arrived in the probe's time (too low a rate for it): not measured"
NOTHING_YET = "no query arrived in the probe's time; probed again for longer"
GENERATOR_BEHIND = "generator behind; probed again"
#: A probe in which no query arrived is probed again this many times longer (once): at
#: ``rate`` queries/s a probe of T seconds draws none with probability exp(-rate·T), so
#: the longer probe misses with that probability to the 4th power.  Still nothing, and the
#: search stops there, uncertain: not measured, neither direction is known.
LONGER_PROBE = 4.0


@dataclass(frozen=True)
class Probe:
    latency_ms: float | None    # at the bound's percentile, from the scheduled arrivals
    achieved_rate: float
    valid: bool = True          # the generator kept to its schedule
    interrupted: bool = False   # stopped before it finished: counts neither way
    completed: bool = True      # some query was issued and completed (else latency None)
    low_ms: float | None = None     # the percentile's ~95 % interval; None: unsupported
    high_ms: float | None = None


def judge(probe: Probe, sla_ms: float) -> str:
    """pass: the whole interval within the bound; fail: the interval's low end beyond it
    (a one-sided low end is enough: see :func:`probe_of`); uncertain: it straddles, or
    there is nothing to judge by (no interval, no query)."""
    if not probe.completed:
        return "uncertain"
    if probe.low_ms is not None and probe.low_ms > sla_ms:
        return "fail"
    if probe.low_ms is not None and probe.high_ms is not None and probe.high_ms <= sla_ms:
        return "pass"
    return "uncertain"


#: The tail a one-sided low end may miss by: half of the two-sided ~95 % interval's 5 %.
LOW_END_TAIL = 0.025


def probe_of(result: BenchmarkResult, percentile: float) -> Probe:
    """A server run as a probe: the percentile and its interval, where the sample count
    supports one.  Where it does not, the fastest query is still a low end: the q-th
    percentile lies below the fastest of n queries only if all n fell above it, which has
    probability at most (1 − q)^n; at most LOW_END_TAIL, it is a low end as sure as the
    interval's (one query for p99, six for the median; independent queries assumed, as
    (1 − q)^n does), with no high end (the probe can fail by it, never pass)."""
    field = field_for(percentile)
    intervals = result.precision.latency_ci_ms if result.precision else {}
    low, high = intervals.get(field, (None, None))
    count = result.latency.count if result.latency else 0
    if low is None and count and (1 - percentile / 100) ** count <= LOW_END_TAIL:
        low = result.latency.min
    return Probe(getattr(result.latency, field), result.load["achieved_rate"],
                 result.load.get("valid", True), result.status == "interrupted",
                 low_ms=low, high_ms=high)


def find_max_rate(base: BenchmarkConfig, sla_ms: float, percentile: float, point_time_s: float,
                  steps: int = 6, stop_event: threading.Event | None = None,
                  on_point=None, spec: dict | None = None) -> ServerSearch:
    stop_event = stop_event or threading.Event()
    try:
        offline = run(dataclasses.replace(base, scenario="offline", rate=None,
                                          time=point_time_s, iterations=None,
                                          until_stable=None), stop_event=stop_event)
    except Interrupted:
        return ServerSearch("interrupted", spec or {}, None, sla_ms, percentile, None, None,
                            None, None, ())

    def probe(rate: float, longer: float = 1.0) -> Probe:
        try:
            result = run(dataclasses.replace(base, scenario="server", rate=rate,
                                             time=point_time_s * longer, iterations=None,
                                             until_stable=None, sla_ms=sla_ms),
                         stop_event=stop_event)
        except Interrupted:
            return Probe(0.0, 0.0, interrupted=True)
        except NothingCompleted:
            return Probe(None, 0.0, completed=False)
        return probe_of(result, percentile)

    found = search_rate(probe, offline.fps / offline.model.batch, sla_ms, steps, stop_event,
                        on_point, percentile)
    return dataclasses.replace(found, spec=spec or {}, offline_fps=offline.fps)


#: Probes a rate: ``probe(rate)``, or ``probe(rate, longer)`` for a probe ``longer`` times
#: the usual time (:data:`LONGER_PROBE`, after one in which no query arrived).
ProbeRate = Callable[..., Probe]


class _Search:
    def __init__(self, probe: ProbeRate, sla_ms: float, on_point, steps: int):
        self.probe, self.sla_ms, self.on_point, self.steps = probe, sla_ms, on_point, steps
        self.trials: list[RateTrial] = []      # every probe, the repeated ones too
        self.interrupted = False
        self.unmeasured_rate: float | None = None   # where the search stopped, uncertain

    def attempt(self, rate: float, note: str = "") -> bool | None:
        """Probe ``rate`` (once more if the generator fell behind, once longer if no query
        arrived); None when it gives no direction: stopped, or still no query arrived
        (then the search stops there, uncertain: ``unmeasured_rate``)."""
        log.info("probe %d/%d: %.2f queries/s", len(self.trials) + 1, self.steps, rate)
        if self.on_point is not None:
            self.on_point(len(self.trials), self.steps, rate)
        result = self.probe(rate)
        if not result.interrupted and not result.valid:
            self._record(rate, result, False, GENERATOR_BEHIND)
            result = self.probe(rate)
        if not result.interrupted and not result.completed:
            self._record(rate, result, False, NOTHING_YET)
            result = self.probe(rate, LONGER_PROBE)
        if result.interrupted:
            self.interrupted = True
            return None
        if not result.completed:        # not measured: below is no more known than above
            self._record(rate, result, False, NOTHING_ISSUED)
            self.unmeasured_rate = rate
            return None
        passed = result.valid and result.latency_ms <= self.sla_ms
        self._record(rate, result, passed, note)
        return passed

    def _record(self, rate: float, result: Probe, passed: bool, note: str) -> None:
        # a generator that fell behind twice is a failure, as before: the machine, driver
        # included, did not sustain the rate
        judged = judge(result, self.sla_ms) if result.valid else "fail"
        self.trials.append(RateTrial(rate, result.latency_ms, result.low_ms, result.high_ms,
                                     passed, judged, result.valid, result.achieved_rate,
                                     note))

    def counted(self) -> list[RateTrial]:
        """The probes that count: not those probed again (the generator fell behind, or no
        query arrived in the usual time)."""
        return [t for t in self.trials if t.note not in (GENERATOR_BEHIND, NOTHING_YET)]


def search_rate(probe: ProbeRate, capacity: float, sla_ms: float, steps: int,
                stop_event: threading.Event | None = None, on_point=None,
                percentile: float = 99.0) -> ServerSearch:
    """Bisect between 0 and 1.05 × the closed-loop ``capacity`` in ``steps`` probes, then
    confirm the answer with one more; then say how sure the answer is.  A rate at which
    no query arrived, even in a longer probe, ends the bisection there: not measured, it
    cannot steer (it steered below as if failed; a lower rate only draws fewer queries)."""
    search = _Search(probe, sla_ms, on_point, steps + 1)
    low, high = 0.0, capacity * 1.05
    for step in range(steps):
        if stop_event is not None and stop_event.is_set():
            search.interrupted = True
            break
        rate = (low + high) / 2 if step else high * 0.9
        passed = search.attempt(rate)
        if passed is None:
            break
        low, high = (rate, high) if passed else (low, rate)
    if low > 0 and not search.interrupted and search.attempt(low, "confirm") is False:
        high = low          # one lucky pass at the edge: fall back to the next one down
        low = max((t.rate for t in search.trials if t.passed and t.rate < high),
                  default=0.0)
    return _answer(search, low, sla_ms, percentile)


def _answer(search: _Search, low: float, sla_ms: float, percentile: float) -> ServerSearch:
    """The rate known to meet the bound (every probe of it passed with its interval), at
    or below where the bisection ended; the bisection's answer as probable when higher."""
    counted = search.counted()
    sure = [r for r in {t.rate for t in counted}
            if r <= low and all(t.judged == "pass" for t in counted if t.rate == r)]
    rate = max(sure, default=None) if low > 0 else None
    failed = [t for t in counted if not t.passed and t.rate > low
              and t.note != NOTHING_ISSUED]      # not measured: no failure to bracket by
    lowest_failed = min(failed, key=lambda t: t.rate, default=None)
    return ServerSearch(
        "interrupted" if search.interrupted else "complete", {}, None, sla_ms, percentile, rate,
        low if low > 0 and (rate is None or low > rate) else None,
        lowest_failed.rate if lowest_failed else None,
        None if lowest_failed is None else all(      # every probe of it, passes too
            t.judged == "fail" for t in counted if t.rate == lowest_failed.rate),
        tuple(search.trials), unmeasured_rate=search.unmeasured_rate)
