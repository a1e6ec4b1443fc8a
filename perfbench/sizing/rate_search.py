"""Server scenario: the highest Poisson rate whose latency percentile stays within a bound.

An offline run gives the ceiling; then bisection over the rate.  A machine that drifts can
fail or pass one probe by chance, so the search does not trust a single probe at the edge:
the answer is re-probed once before it is reported, and a probe whose load generator fell
behind its schedule (an *invalid* run, see ``runner.benchmark.generator_validity``) is
probed again before it counts as a failure.  The answer is bracketed: ``rate`` passed (None
when no probe did), ``failed_above`` was the lowest rate that failed (None when none did).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Callable

from perfbench.errors import Interrupted, NothingCompleted
from perfbench.runner import run
from perfbench.runner.benchmark import log
from perfbench.settings.config import BenchmarkConfig
from perfbench.stats.percentiles import field_for


#: A probe in which no query completed (all were still in flight at the stop, and cut)
#: failed any bound below this share of its time: every query issued before the last
#: (1 − share) of it took longer than the bound, so more than 1 % of them did.
NOTHING_DONE_FAILS = 0.99


@dataclass(frozen=True)
class Probe:
    latency_ms: float | None    # at the bound's percentile, from the scheduled arrivals
    achieved_rate: float
    valid: bool = True          # the generator kept to its schedule
    interrupted: bool = False   # stopped before it finished: counts neither way
    completed: bool = True      # some query completed (else latency_ms is None)


def find_max_rate(base: BenchmarkConfig, sla_ms: float, percentile: float, point_time_s: float,
                  steps: int = 6, stop_event: threading.Event | None = None,
                  on_point=None) -> dict:
    stop_event = stop_event or threading.Event()
    try:
        offline = run(dataclasses.replace(base, scenario="offline", rate=None,
                                          time=point_time_s, iterations=None,
                                          until_stable=None), stop_event=stop_event)
    except Interrupted:
        return {"status": "interrupted", "offline_fps": None, "sla_ms": sla_ms,
                "percentile": percentile, "rate": None, "failed_above": None,
                "precision_pct": None, "trials": []}

    def probe(rate: float) -> Probe:
        try:
            result = run(dataclasses.replace(base, scenario="server", rate=rate,
                                             time=point_time_s, iterations=None,
                                             until_stable=None, sla_ms=sla_ms),
                         stop_event=stop_event)
        except Interrupted:
            return Probe(0.0, 0.0, interrupted=True)
        except NothingCompleted:
            if sla_ms / 1e3 >= NOTHING_DONE_FAILS * point_time_s:
                raise       # queries issued in the last 1 % could have met it: undecided
            return Probe(None, 0.0, completed=False)
        return Probe(getattr(result.latency, field_for(percentile)),
                     result.load["achieved_rate"], result.load.get("valid", True),
                     result.status == "interrupted")

    found = search_rate(probe, offline.fps / offline.model.batch, sla_ms, steps, stop_event,
                        on_point)
    return {"offline_fps": offline.fps, "sla_ms": sla_ms, "percentile": percentile, **found}


class _Search:
    def __init__(self, probe: Callable[[float], Probe], sla_ms: float, on_point, steps: int):
        self.probe, self.sla_ms, self.on_point, self.steps = probe, sla_ms, on_point, steps
        self.trials: list[dict] = []      # every probe, the repeated ones too
        self.interrupted = False

    def attempt(self, rate: float, note: str = "") -> bool | None:
        """Probe ``rate`` (once more if the generator fell behind); None if stopped."""
        log.info("probe %d/%d: %.2f queries/s", len(self.trials) + 1, self.steps, rate)
        if self.on_point is not None:
            self.on_point(len(self.trials), self.steps, rate)
        result = self.probe(rate)
        if not result.interrupted and not result.valid:
            self._record(rate, result, False, "generator behind; probed again")
            result = self.probe(rate)
        if result.interrupted:
            self.interrupted = True
            return None
        passed = result.valid and result.completed and result.latency_ms <= self.sla_ms
        if not result.completed:
            note = "no query completed within the probe's time, so none within the bound"
        self._record(rate, result, passed, note)
        return passed

    def _record(self, rate: float, result: Probe, passed: bool, note: str) -> None:
        self.trials.append({"rate": rate, "latency_ms": result.latency_ms, "passed": passed,
                            "valid": result.valid, "achieved_rate": result.achieved_rate,
                            "note": note})


def search_rate(probe: Callable[[float], Probe], capacity: float, sla_ms: float, steps: int,
                stop_event: threading.Event | None = None, on_point=None) -> dict:
    """Bisect between 0 and 1.05 × the closed-loop ``capacity`` in ``steps`` probes, then
    confirm the answer with one more."""
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
        low = max((t["rate"] for t in search.trials if t["passed"] and t["rate"] < high),
                  default=0.0)
    failed = [t["rate"] for t in search.trials
              if not t["passed"] and not t["note"].startswith("generator behind")]
    failed_above = min((r for r in failed if r > low), default=None)
    # rate None: no probe passed, so no rate is known to meet the bound (not "0/s")
    return {"status": "interrupted" if search.interrupted else "complete",
            "rate": low if low > 0 else None,
            "failed_above": failed_above,
            "precision_pct": (100 * (failed_above - low) / failed_above
                              if failed_above and low > 0 else None),
            "trials": search.trials}
