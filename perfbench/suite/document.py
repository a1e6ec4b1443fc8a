"""``suite.json`` (schema ``perfbench.suite`` v1): every entry's status, file and headline
figures, and the summary.  Headline figures come from each entry's result through
:mod:`perfbench.results.metrics`, the one definition of every figure."""

from __future__ import annotations

import math
import os

from perfbench.results import BenchmarkResult
from perfbench.results.metrics import executed_precision, fps_estimate, value_of
from perfbench.suite.spec import Entry

SCHEMA = "perfbench.suite"
SCHEMA_VERSION = 1
FAILED = ("failed", "timeout", "oom")
FINAL = ("ok", *FAILED)


def pending_record(entry: Entry) -> dict:
    return {"name": entry.name, "model": entry.model_name,
            "model_path": entry.model or "builtin", "settings": entry.settings,
            "time_limit_s": entry.time_limit_s, "status": "pending", "file": None,
            "message": None, "headline": None, "wall_s": None}


def headline(result: BenchmarkResult, peak_rss_mb: float | None) -> dict:
    fps, low, high = fps_estimate(result)
    return {"fps": fps, "fps_low": low, "fps_high": high, "p50_ms": value_of(result, "p50"),
            "p99_ms": value_of(result, "p99"), "compile_ms": result.compile_ms,
            "peak_rss_mb": peak_rss_mb, "precision": executed_precision(result)}


def geometric_mean(values: list[float]) -> float | None:
    positive = [v for v in values if v > 0]
    if not positive or len(positive) != len(values):
        return None
    return math.exp(sum(math.log(v) for v in positive) / len(positive))


def summary(records: list[dict]) -> dict:
    """Counts, and the geomean of the ok entries' FPS (a descriptive figure of this run;
    comparisons use the geomean of per-entry ratios, never of raw FPS).  A/B entries have
no headline of their own: their figures are ratios, in the ``ab`` block."""
    ok = [r for r in records if r["status"] == "ok"]
    measured = [r["headline"]["fps"] for r in ok if r.get("headline")]
    return {"entries": len(records), "ok": len(ok),
            "failed": sum(r["status"] in FAILED for r in records),
            "skipped": sum(r["status"] == "skipped" for r in records),
            "pending": sum(r["status"] == "pending" for r in records),
            "geomean_fps": geometric_mean(measured) if measured else None}


def suite_status(records: list[dict], interrupted: bool) -> str:
    """interrupted by a signal; complete when every entry ran (ok or failed); else partial
    (entries skipped, by --select or the budget, or not yet run)."""
    if interrupted:
        return "interrupted"
    return "complete" if all(r["status"] in FINAL for r in records) else "partial"


def document(name: str, records: list[dict], interrupted: bool = False,
             baseline: dict | None = None, ab: dict | None = None) -> dict:
    return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "suite": name,
            "status": suite_status(records, interrupted), "entries": records,
            "summary": summary(records), "baseline": baseline, "ab": ab}


def read_suite(directory: str, flag: str) -> dict:
    """A suite directory's ``suite.json``, checked; one line if it is not one."""
    from perfbench.errors import UsageError
    from perfbench.results.io import read_json
    path = os.path.join(directory, "suite.json")
    if not os.path.isdir(directory):
        raise UsageError(f"{flag} {directory}: no such suite directory")
    data = read_json(path, "suite file (suite.json)")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or \
            not isinstance(data.get("entries"), list):
        raise UsageError(f"{flag} {directory}: suite.json is not a perfbench suite file")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(f"{flag} {directory}: unsupported suite schema version "
                         f"{data.get('schema_version')!r}")
    return data
