"""``suite.json`` (:class:`perfbench.results.suite.SuiteDocument`): every entry's status,
file and headline figures, and the summary, computed here once.  Headline figures come
from each entry's result through :mod:`perfbench.results.metrics`, the one definition of
every figure.  While a suite runs, each entry's record is a working dict of
:class:`EntryRecord`'s fields (the runners update it in place); :func:`document` freezes
them into the typed document."""

from __future__ import annotations

import math
import os
import sys

from perfbench.results import BenchmarkResult
from perfbench.results.interval import Interval
from perfbench.results.metrics import executed_precision, fps_estimate, value_of
from perfbench.results.suite import (SCHEMA, SCHEMA_VERSION, ABBlock, BaselineBlock,
                                     EntryRecord, Geomean, Headline, Summary, SuiteDocument)
from perfbench.stats.geomean import GeomeanRatio
from perfbench.suite.spec import Entry
from perfbench.files import fallback_path, write_json
from perfbench.errors import UsageError
from perfbench.results.io import read_json
from perfbench.results.registry import read_document
FAILED = ("failed", "timeout", "oom")
FINAL = ("ok", *FAILED)


def pending_record(entry: Entry) -> dict:
    """A working record (:class:`EntryRecord`'s fields) of an entry not run yet."""
    return {"name": entry.name, "model": entry.model_name,
            "model_path": entry.model or "builtin", "settings": entry.settings,
            "time_limit_s": entry.time_limit_s, "status": "pending", "file": None,
            "message": None, "headline": None, "wall_s": None}


def headline(result: BenchmarkResult, peak_rss_mb: float | None) -> Headline:
    fps, low, high = fps_estimate(result)
    return Headline(Interval.of(fps, low, high), value_of(result, "p50"),
                    value_of(result, "p99"), result.compile_ms, peak_rss_mb,
                    executed_precision(result))


def geometric_mean(values: list[float]) -> float | None:
    positive = [v for v in values if v > 0]
    if not positive or len(positive) != len(values):
        return None
    return math.exp(sum(math.log(v) for v in positive) / len(positive))


def geomean_figure(estimate: GeomeanRatio, **judgement) -> Geomean:
    """A geomean estimate (``stats.geomean``) as the document holds it, its 95 % interval
    one object, with its judgement (excluded entries, verdict; an A/B's random-models
    estimate and judged interval)."""
    return Geomean(Interval.of(estimate.ratio, estimate.ci_low, estimate.ci_high),
                   estimate.scope, estimate.entries, estimate.between_sd_pct,
                   estimate.run_sd_pct, **judgement)


def summary(records: list[EntryRecord]) -> Summary:
    """Counts, and the geomean of the ok entries' FPS (a descriptive figure of this run;
    comparisons use the geomean of per-entry ratios, never of raw FPS).  A/B entries have
    no headline of their own: their figures are ratios, in the ``ab`` block."""
    ok = [r for r in records if r.status == "ok"]
    measured = [r.headline.fps.value for r in ok if r.headline is not None]
    return Summary(len(records), len(ok), sum(r.status in FAILED for r in records),
                   sum(r.status == "skipped" for r in records),
                   sum(r.status == "pending" for r in records),
                   geometric_mean(measured) if measured else None)


def suite_status(records: list[dict], interrupted: bool) -> str:
    """interrupted by a signal; complete when every entry ran (ok or failed); else partial
    (entries skipped, by --select or the budget, or not yet run)."""
    if interrupted:
        return "interrupted"
    return "complete" if all(r["status"] in FINAL for r in records) else "partial"


def document(name: str, records: list[dict], interrupted: bool = False,
             baseline: BaselineBlock | None = None, ab: ABBlock | None = None,
             mode: dict | None = None) -> SuiteDocument:
    """The typed document of the working ``records`` (each :class:`EntryRecord`'s
    fields), with its status, counts and provenance computed here, once."""
    entries = tuple(EntryRecord(**record) for record in records)
    return SuiteDocument(name, suite_status(records, interrupted), entries,
                         summary(list(entries)), baseline, ab, mode or PLAIN,
                         provenance(records))


#: How the entries were measured: each a ``perfbench run`` (plain), or each an A/B of two
#: sides (``{"kind": "ab", "base": …, "new": …}``).  A directory is resumed in its own mode.
PLAIN = {"kind": "plain"}


def mode_of(doc: SuiteDocument) -> dict:
    """A suite.json's mode; one written before the mode was recorded is told by its block."""
    if isinstance(doc.mode, dict) and doc.mode.get("kind") in ("plain", "ab"):
        return doc.mode
    return {"kind": "ab"} if doc.ab else PLAIN


def same_mode(found: dict, mode: dict) -> bool:
    """Whether a directory's recorded mode admits this run's.  What a mode does not record
    is unknown, not a default, and admits either: an --ab mode without its sides (written
    before they were recorded), or with its sides but no ``epoch_s`` (before 2026-12-08;
    from 160cf17 on such suites were dimensioned without saying so, before it fixed at
    10 s)."""
    if found == mode:
        return True
    if found.get("kind") != "ab" or mode.get("kind") != "ab":
        return False
    if "base" not in found:
        return True
    return "epoch_s" not in found and found == {k: v for k, v in mode.items()
                                                if k != "epoch_s"}


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

    def write(self, document: SuiteDocument) -> bool:
        doc = document.to_dict()
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


def read_suite(directory: str, flag: str) -> SuiteDocument:
    """A suite directory's ``suite.json``, checked and upgraded (``results.registry``);
    one line if it is not one."""
    path = os.path.join(directory, "suite.json")
    if not os.path.isdir(directory):
        raise UsageError(f"{flag} {directory}: no such suite directory")
    data = read_json(path, "suite file (suite.json)")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or \
            not isinstance(data.get("entries"), list):
        raise UsageError(f"{flag} {directory}: suite.json is not a perfbench suite file")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or \
            not 1 <= version <= SCHEMA_VERSION:
        raise UsageError(f"{flag} {directory}: unsupported suite schema version "
                         f"{version!r}")
    for index, record in enumerate(data["entries"]):
        problem = record_problem(record)
        if problem:
            raise UsageError(f"{flag} {directory}: suite.json entry #{index + 1} {problem}")
    return read_document(data, f"{flag} {directory}: suite.json", SCHEMA)


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
