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
             baseline: dict | None = None, ab: dict | None = None,
             mode: dict | None = None) -> dict:
    return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "suite": name,
            "status": suite_status(records, interrupted), "entries": records,
            "summary": summary(records), "baseline": baseline, "ab": ab,
            "mode": mode or PLAIN, "provenance": provenance(records)}


#: How the entries were measured: each a ``perfbench run`` (plain), or each an A/B of two
#: sides (``{"kind": "ab", "base": …, "new": …}``).  A directory is resumed in its own mode.
PLAIN = {"kind": "plain"}


def mode_of(doc: dict) -> dict:
    """A suite.json's mode; one written before the mode was recorded is told by its block."""
    mode = doc.get("mode")
    if isinstance(mode, dict) and mode.get("kind") in ("plain", "ab"):
        return mode
    return {"kind": "ab"} if doc.get("ab") else PLAIN


def provenance(records: list[dict]) -> dict:
    """The OpenVINO versions and hardware classes the entries' results name (each
    record's ``provenance``, taken from its result when it ran)."""
    seen: dict[str, set] = {"openvino": set(), "hardware_class": set()}
    for record in records:
        for key, values in (record.get("provenance") or {}).items():
            if key in seen:
                seen[key].update(v for v in values if v)
    return {k: sorted(v) for k, v in seen.items()}


def result_provenance(result: BenchmarkResult) -> dict:
    """One result's OpenVINO version and hardware class, for its record."""
    return {"openvino": [result.environment.get("openvino")],
            "hardware_class": [(result.host or {}).get("hardware_class")]}


class SuiteFile:
    """``DIR/suite.json``, rewritten after every entry.  A write that fails (a full disk)
    does not stop the suite: it is said once, on one line, and each later version goes to
    a fallback file as well, so the last one is kept somewhere; ``failed`` then makes the
    command exit non-zero."""

    def __init__(self, path: str):
        self.path = path
        self.fallback: str | None = None
        self.failed = False

    def write(self, doc: dict) -> bool:
        import sys
        from perfbench.files import fallback_path, write_json
        try:
            write_json(self.path, doc)
            return True
        except OSError as exc:
            first = self.fallback is None
            self.failed = True
            self.fallback = self.fallback or fallback_path("suite")
            try:
                write_json(self.fallback, doc)
                where = f"it is saved in {self.fallback}"
            except OSError as again:
                where = f"nor in {self.fallback} ({again.strerror})"
            if first:
                print(f"perfbench: could not write {self.path}: {exc.strerror or exc}; the "
                      f"suite goes on, and {where}", file=sys.stderr)
            return False


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
    for index, record in enumerate(data["entries"]):
        problem = record_problem(record)
        if problem:
            raise UsageError(f"{flag} {directory}: suite.json entry #{index + 1} {problem}")
    return data


#: What each entry of a suite.json read back must hold, and of which type.
_RECORD_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str, "status": str, "file": (str, type(None)),
                 "settings": dict, "model_path": str, "headline": (dict, type(None))}
STATUSES = ("pending", "skipped", *FINAL)


def record_problem(record) -> str | None:
    """Why ``record`` is not an entry a resume or a baseline can use (None: it is one),
    checked when suite.json is read, so nothing runs before a broken one is refused."""
    if not isinstance(record, dict):
        return f"is {type(record).__name__}, not a table"
    for key in ("name", "status"):
        if key not in record:
            return f"has no '{key}'"
    for key, kind in _RECORD_TYPES.items():
        if key in record and not isinstance(record[key], kind):
            return f"has a '{key}' of type {type(record[key]).__name__}"
    if not record["name"].strip():
        return "has an empty 'name'"
    if record["status"] not in STATUSES:
        return f"has an unknown status {record['status']!r}"
    file = record.get("file")
    if file is not None and (os.path.basename(file) != file or file in ("", ".", "..")):
        return f"names a file outside its directory: {file!r}"
    return None
