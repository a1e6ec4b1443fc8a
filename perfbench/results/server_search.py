"""``perfbench.server-search``: the document of ``sweep --scenario server`` (the highest
Poisson rate whose latency percentile stays within a bound), and how sure each part of its
answer is.

Each probe's percentile comes with its ~95 % interval (order statistics widened for the
correlation between windows: ``LatencyRecorder.percentile_interval``), so a probe is judged
``pass`` (the whole interval within the bound), ``fail`` (the whole interval beyond it, or
no query completed in a probe longer than the bound) or ``uncertain`` (the interval
straddles the bound, or the sample count cannot support the percentile).  The bisection
steers by the point estimate, as before; the answer it reports is stricter:

* ``rate``: the highest rate every probe of which *passed*, at or below where the
  bisection ended: a rate known to meet the bound;
* ``probable_rate``: the bisection's answer when it is above ``rate`` (its point estimate
  met the bound, its interval did not): named, never silently taken;
* ``failed_above``: the lowest rate above the answer whose point estimate failed, and
  ``failed_above_sure`` whether its interval did too;
* ``unmeasured_rate``: where the bisection stopped because no query arrived even in a
  longer probe (not measured: neither direction is known, so the search is uncertain
  from there).

Version 1 held no intervals and took the bisection's answer as ``rate``; it is read with
every probe ``judged`` None and the answer as it was (``certainty_known`` False).
Version 3 adds ``exit_status`` (an interrupted search's stop status) and
``unmeasured_rate``; a version-2 file reads with neither (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from perfbench.results.types import SchemaError, _number, _table

SCHEMA = "perfbench.server-search"
SCHEMA_VERSION = 3
STATUSES = ("complete", "interrupted")
#: An interrupted search's exit status when no signal is known (a stop asked for through
#: a library's stop event): that of SIGINT, 128 + 2, as a Ctrl-C gives.
EXIT_INTERRUPTED = 130
JUDGEMENTS = ("pass", "fail", "uncertain")


@dataclass(frozen=True)
class RateTrial:
    """One probe: the rate asked for, the percentile measured (None when no query
    completed) with its interval, and how it was judged against the bound."""

    rate: float
    latency_ms: float | None
    latency_low_ms: float | None
    latency_high_ms: float | None
    passed: bool                # the point estimate met the bound (steers the bisection)
    judged: str | None          # pass / fail / uncertain; None in a version-1 document
    valid: bool                 # the load generator kept to its schedule
    achieved_rate: float
    note: str = ""

    def to_dict(self) -> dict:
        return {"rate": self.rate, "latency_ms": self.latency_ms,
                "latency_low_ms": self.latency_low_ms, "latency_high_ms": self.latency_high_ms,
                "passed": self.passed, "judged": self.judged, "valid": self.valid,
                "achieved_rate": self.achieved_rate, "note": self.note}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "RateTrial":
        data = _table(data, where)
        judged = data.get("judged")
        if judged is not None and judged not in JUDGEMENTS:
            raise SchemaError(f"{where}.judged must be one of {', '.join(JUDGEMENTS)}")
        return cls(float(_number(data, "rate", where)),
                   _number(data, "latency_ms", where, optional=True),
                   _number(data, "latency_low_ms", where, optional=True),
                   _number(data, "latency_high_ms", where, optional=True),
                   bool(data.get("passed")), judged, bool(data.get("valid", True)),
                   float(_number(data, "achieved_rate", where)), str(data.get("note") or ""))


@dataclass(frozen=True)
class ServerSearch:
    status: str
    spec: dict                  # the sweep spec as SweepSpec.to_dict() wrote it
    offline_fps: float | None   # None: stopped before the offline run finished
    sla_ms: float
    percentile: float
    rate: float | None
    probable_rate: float | None
    failed_above: float | None
    failed_above_sure: bool | None
    trials: tuple[RateTrial, ...]
    certainty_known: bool = True    # False for a version-1 document (no intervals)
    #: An interrupted search's exit status, set by the command that stopped it (128 + the
    #: signal); None: EXIT_INTERRUPTED.
    stop_status: int | None = None
    #: Where the bisection stopped because no query arrived, even in a probe
    #: ``LONGER_PROBE`` times as long: not measured, so it could not steer either way and
    #: the search is uncertain from there (None: it never happened).
    unmeasured_rate: float | None = None

    schema = SCHEMA
    schema_version = SCHEMA_VERSION

    @property
    def precision_pct(self) -> float | None:
        """How far the answer is from the lowest failing rate above it, in % of that."""
        if self.rate is None or self.failed_above is None:
            return None
        return 100 * (self.failed_above - self.rate) / self.failed_above

    @property
    def none_met(self) -> bool:
        """No rate meets the bound, surely: even the lowest rate probed failed, judged by
        its whole interval (or, in a version-1 document, by its point estimate)."""
        if self.rate is not None or self.probable_rate is not None or not self.trials:
            return False
        lowest = min(t.rate for t in self.trials)
        at_lowest = [t for t in self.trials if t.rate == lowest]
        return all(not t.passed if t.judged is None else t.judged == "fail"
                   for t in at_lowest[-1:])

    @property
    def exit_status(self) -> int:
        """0: a rate is known to meet the bound; 1: no rate meets it (the lowest probed
        failed with its whole interval); 3: not decided (a rate met it by its point
        estimate only, or the lowest probe's interval straddled the bound, or it issued
        nothing); an interrupted search, the stop's status (128 + its signal), whatever
        it found so far: its answer is partial (it was 0, so a reader of the document saw
        an interrupted search as a success while the command exited 130)."""
        if self.status == "interrupted":
            return self.stop_status or EXIT_INTERRUPTED
        if self.rate is not None:
            return 0
        return 1 if self.none_met else 3

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "spec": self.spec,
                "status": self.status, "offline_fps": self.offline_fps,
                "sla_ms": self.sla_ms, "percentile": self.percentile, "rate": self.rate,
                "probable_rate": self.probable_rate, "failed_above": self.failed_above,
                "failed_above_sure": self.failed_above_sure,
                "precision_pct": self.precision_pct,
                "certainty_known": self.certainty_known,
                "exit_status": self.exit_status, "unmeasured_rate": self.unmeasured_rate,
                "trials": [t.to_dict() for t in self.trials]}

    @classmethod
    def from_dict(cls, data: Any) -> "ServerSearch":
        data = _table(data, "server-search")
        if data.get("status") not in STATUSES:
            raise SchemaError(f"status must be one of {', '.join(STATUSES)} "
                              f"(got {data.get('status')!r:.40})")
        trials = data.get("trials")
        if not isinstance(trials, list):
            raise SchemaError("trials must be a list of probes")
        sure = data.get("failed_above_sure")
        return cls(data["status"], dict(_table(data.get("spec") or {}, "spec")),
                   _number(data, "offline_fps", "server-search", optional=True),
                   float(_number(data, "sla_ms", "server-search")),
                   float(_number(data, "percentile", "server-search")),
                   _number(data, "rate", "server-search", optional=True),
                   _number(data, "probable_rate", "server-search", optional=True),
                   _number(data, "failed_above", "server-search", optional=True),
                   None if sure is None else bool(sure),
                   tuple(RateTrial.from_dict(t, f"trials[{i}]") for i, t in enumerate(trials)),
                   bool(data.get("certainty_known", True)), _stop_status(data),
                   _number(data, "unmeasured_rate", "server-search", optional=True))


def _stop_status(data: dict) -> int | None:
    """The stored status of an interrupted search (files before it was stored: None)."""
    status = _number(data, "exit_status", "server-search", optional=True)
    return int(status) if status is not None and data["status"] == "interrupted" else None


def upgrade_v1(data: dict) -> dict:
    """Version 1: no latency intervals, no judgement, the bisection's answer as ``rate``."""
    trials = [dict(t, latency_low_ms=None, latency_high_ms=None, judged=None)
              for t in data.get("trials") or [] if isinstance(t, dict)]
    return {**data, "schema_version": 2, "trials": trials, "probable_rate": None,
            "failed_above_sure": None, "certainty_known": False}


def upgrade_v2(data: dict) -> dict:
    """Version 2: no ``exit_status`` or ``unmeasured_rate`` (neither was known; a
    development file that held them keeps them)."""
    return {**data, "schema_version": 3, "unmeasured_rate": data.get("unmeasured_rate")}
