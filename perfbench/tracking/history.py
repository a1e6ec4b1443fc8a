"""Run history in SQLite: every run appended with its environment and VCS/CI context, and
the trend of a metric per configuration with its step changes.

Concurrency: WAL mode plus a generous busy timeout, and each append is one transaction, so
CI jobs writing the same file at once serialise instead of losing rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import sqlite3
import statistics
import subprocess
import time
from dataclasses import dataclass

from perfbench.tracking.verdict import (DEFAULT_NOISE_FLOORS_PCT, Samples, difference_interval,
                                        judge_change, ratio_interval)
from perfbench.errors import UsageError
from perfbench.results import from_document
from perfbench.results.ab import ABResult
from perfbench.results.types import BenchmarkResult
from perfbench.results.metrics import METRICS, benchmark_name, value_of
from perfbench.settings.identity import configuration_identity

BUSY_TIMEOUT_S = 60
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    status TEXT NOT NULL,
    config_key TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    fps REAL, p50 REAL, p90 REAL, p99 REAL, gflops REAL,
    git_commit TEXT, git_branch TEXT, ci_run_id TEXT,
    environment TEXT NOT NULL,
    result TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_config ON runs (config_key, id);
CREATE TABLE IF NOT EXISTS ab_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    pair TEXT NOT NULL,
    verdict TEXT NOT NULL,
    ratio REAL, ci95_low REAL, ci95_high REAL, rounds INTEGER,
    base_openvino TEXT, new_openvino TEXT,
    git_commit TEXT, git_branch TEXT, ci_run_id TEXT,
    document TEXT NOT NULL
);
"""
_CI_ENV = {  # what CI systems export, first match wins
    "git_commit": ("GITHUB_SHA", "CI_COMMIT_SHA", "BUILD_VCS_NUMBER", "GIT_COMMIT"),
    "git_branch": ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "GIT_BRANCH"),
    "ci_run_id": ("GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILD_ID", "BUILD_NUMBER"),
}
_GIT = {"git_commit": ["rev-parse", "HEAD"], "git_branch": ["rev-parse", "--abbrev-ref", "HEAD"]}


_SQLITE_MAGIC = b"SQLite format 3\x00"
_COLUMNS = {"id", "recorded_at", "status", "config_key", "benchmark", "fps", "p50", "p90",
            "p99", "gflops", "git_commit", "git_branch", "ci_run_id", "environment", "result"}


def check_target(path: str, flag: str = "--history") -> None:
    """Before measuring: ``path`` is absent, empty, or a perfbench history; never another
    program's SQLite file (which appending would write into) or a non-database."""
    if os.path.isdir(path):
        raise UsageError(f"{flag}: {path} is a directory, not a history database")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return
    _check_is_history(path, flag)


def _check_is_history(path: str, flag: str) -> None:
    with open(path, "rb") as handle:
        if handle.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
            raise UsageError(f"{flag}: {path} is not an SQLite database")
    conn = _open_read_only(path, flag)
    try:
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{flag}: {path} is not a usable SQLite database ({exc})") from None
    finally:
        conn.close()
    tables -= {"sqlite_sequence"}
    if tables and not _COLUMNS <= columns:
        raise UsageError(f"{flag}: {path} is another program's database (tables: "
                         f"{', '.join(sorted(tables))}), not a perfbench history")


def _open_read_only(path: str, flag: str) -> sqlite3.Connection:
    try:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{flag}: cannot open {path} ({exc})") from None


def connect(path: str) -> sqlite3.Connection:
    """A connection for appending: creates the schema (and WAL mode) on first use."""
    check_target(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
        _prepare(conn)
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"--history {path}: not a usable SQLite database ({exc})") from None
    return conn


def _prepare(conn: sqlite3.Connection) -> None:
    """WAL mode and the schema, once per database.  Switching to WAL needs an exclusive lock
    that SQLite's busy timeout does not wait for, so two jobs creating the same file at once
    would see "database is locked": retry that step with a short backoff instead."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            _migrate_keys(conn)
            return
        except sqlite3.OperationalError as exc:
            transient = "locked" in str(exc) or "busy" in str(exc)
            if not transient or time.monotonic() > deadline:
                raise
            time.sleep(0.02 + random.random() * 0.05)


def vcs_context() -> dict[str, str | None]:
    """Commit, branch and CI run id from CI variables, else from git in the working dir."""
    context = {}
    for key, names in _CI_ENV.items():
        context[key] = next((os.environ[n] for n in names if os.environ.get(n)), None)
    for key, args in _GIT.items():
        if context[key] is None:
            try:
                out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=5)
                context[key] = out.stdout.strip() or None if out.returncode == 0 else None
            except (OSError, subprocess.TimeoutExpired):
                context[key] = None
    return context


#: ``PRAGMA user_version`` once the stored ``config_key`` column holds the keys of
#: :func:`config_key` (before, it held a key of the requested settings minus a list).
KEY_VERSION = 2


def config_key(result: BenchmarkResult) -> str:
    """Same configuration and machine -> same key: only like is trended with like.  The
    configuration is :func:`perfbench.settings.identity.configuration_identity`, the one
    definition that compare and fleet use too.  The OpenVINO version is *not* part of it:
    an upgrade that slows a model down is exactly the step a history must show, so it is
    recorded per run and marked where it changes."""
    env = result.environment
    identity = {"configuration": configuration_identity(result),
                "machine": [env.get("cpu"), env.get("cpu_logical_cores")]}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]


def _migrate_keys(conn: sqlite3.Connection) -> None:
    """Rewrite the stored keys of a database written by an older perfbench, once (series
    are grouped by keys recomputed from each stored result, so reading needs no migration;
    this keeps the column and its index true for anyone querying the file directly)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] >= KEY_VERSION:
        return
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("PRAGMA user_version").fetchone()[0] >= KEY_VERSION:
            return
        for run_id, document in conn.execute("SELECT id, result FROM runs").fetchall():
            try:
                key = config_key(from_document(json.loads(document), f"run {run_id}"))
            except (UsageError, ValueError):
                continue                      # unreadable: left as it was
            conn.execute("UPDATE runs SET config_key = ? WHERE id = ?", (key, run_id))
        conn.execute(f"PRAGMA user_version = {KEY_VERSION}")


def append(path: str, result: BenchmarkResult) -> int:
    context = vcs_context()
    values = {name: value_of(result, name) for name in METRICS}
    conn = connect(path)
    try:
        with conn:
            cursor = conn.execute(
                "INSERT INTO runs (recorded_at, status, config_key, benchmark, fps, p50, p90, "
                "p99, gflops, git_commit, git_branch, ci_run_id, environment, result) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.environment["timestamp"], result.status, config_key(result),
                 benchmark_name(result), values["fps"], values["p50"], values["p90"],
                 values["p99"], values["gflops"], context["git_commit"], context["git_branch"],
                 context["ci_run_id"], json.dumps(result.environment),
                 json.dumps(result.to_dict(), allow_nan=False)))
            return int(cursor.lastrowid)
    finally:
        conn.close()


def append_ab(path: str, document: ABResult, pair: str) -> int:
    """One interleaved A/B run (schema perfbench.ab) with its VCS/CI context."""
    context = vcs_context()
    # The ratio the verdict was judged on: FPS, or a server A/B's latency at the rate.
    judged = document.judged
    sides = document.sides
    conn = connect(path)
    try:
        with conn:
            cursor = conn.execute(
                "INSERT INTO ab_runs (recorded_at, pair, verdict, ratio, ci95_low, ci95_high, "
                "rounds, base_openvino, new_openvino, git_commit, git_branch, ci_run_id, "
                "document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (document.timestamp, pair, document.verdict,
                 *((None, None, None) if judged is None else
                   (judged.ratio, judged.low, judged.high)), len(document.rounds),
                 sides["base"]["openvino"], sides["new"]["openvino"], context["git_commit"],
                 context["git_branch"], context["ci_run_id"],
                 json.dumps(document.to_dict(), allow_nan=False)))
            return int(cursor.lastrowid)
    finally:
        conn.close()


@dataclass(frozen=True)
class ABRow:
    run_id: int
    recorded_at: str
    verdict: str
    ratio: float | None
    low: float | None
    high: float | None
    commit: str | None


def ab_series(path: str) -> dict[str, list[ABRow]]:
    """A/B runs per pair, oldest first; empty for a history written before A/B runs."""
    conn = _open_read_only(path, "history")
    try:
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "ab_runs" not in tables:
            return {}
        rows = conn.execute("SELECT id, recorded_at, verdict, ratio, ci95_low, ci95_high, "
                            "git_commit, pair FROM ab_runs ORDER BY id").fetchall()
    finally:
        conn.close()
    grouped: dict[str, list[ABRow]] = {}
    for *fields, pair in rows:
        grouped.setdefault(pair, []).append(ABRow(*fields))
    return grouped


@dataclass(frozen=True)
class Point:
    run_id: int
    recorded_at: str
    value: float
    commit: str | None
    openvino: str | None = None


@dataclass(frozen=True)
class StepChange:
    index: int            # position in the series where the new level begins
    point: Point
    before: float         # median level before
    after: float          # median level after
    change_pct: float


def series(path: str, metric: str) -> dict[tuple[str, str], list[Point]]:
    """Complete runs per (configuration, benchmark name), oldest first.  Reading never
    writes: a read-only or foreign database is read or refused, not modified."""
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory, not a history database")
    if not os.path.isfile(path):
        raise UsageError(f"history database not found: {path}")
    if metric not in METRICS:
        raise UsageError(f"--metric: unknown metric {metric!r} (known: {', '.join(METRICS)})")
    _check_is_history(path, "history")
    conn = _open_read_only(path, "history")
    try:
        rows = conn.execute(f"SELECT result, id, recorded_at, {metric}, git_commit FROM runs "
                            "WHERE status = 'complete' ORDER BY id").fetchall()
    finally:
        conn.close()
    grouped: dict[tuple[str, str], list[Point]] = {}
    for document, run_id, recorded_at, value, commit in rows:
        result = from_document(json.loads(document), f"{path} run {run_id}")
        key = (config_key(result), benchmark_name(result))
        grouped.setdefault(key, []).append(Point(run_id, recorded_at, value, commit,
                                                 result.environment.get("openvino")))
    return grouped


def version_changes(points: list[Point]) -> list[tuple[int, str | None, str | None]]:
    """Where the OpenVINO version changes along a series: (index, before, after)."""
    return [(i, points[i - 1].openvino, points[i].openvino) for i in range(1, len(points))
            if points[i].openvino != points[i - 1].openvino]


def step_changes(values: list[float], threshold_pct: float = 5.0, window: int = 5,
                 min_segment: int = 3) -> list[tuple[int, float, float]]:
    """Indices where a persistent level shift begins: (index, level before, level after).

    At index i the series is split into up to ``window`` points before (since the last
    change) and after.  A step starts at i when the medians differ by more than the
    threshold, the Welch interval of the means excludes zero, the point at i itself is
    already on the new side, and at least two thirds of the points after it are: one
    outlier moves neither a median nor two thirds of a window.
    """
    found = []
    start = 0
    i = min_segment
    while i <= len(values) - min_segment:
        before = values[max(start, i - window):i]
        after = values[i:i + window]
        if len(before) < min_segment:
            i += 1
            continue
        level_before, level_after = statistics.median(before), statistics.median(after)
        change = 100 * (level_after / level_before - 1) if level_before else math.inf
        midpoint = (level_before + level_after) / 2
        on_new_side = [(v > midpoint) == (level_after > level_before) for v in after]
        interval = difference_interval(Samples(before, "runs"), Samples(after, "runs"))
        significant = interval is not None and (interval[0] > 0 or interval[1] < 0)
        if abs(change) > threshold_pct and significant and on_new_side[0] and \
                sum(on_new_side) * 3 >= 2 * len(after):
            found.append((i, level_before, level_after))
            start = i
            i += min_segment
        else:
            i += 1
    return found


def trend(points: list[Point], threshold_pct: float = 5.0) -> list[StepChange]:
    values = [p.value for p in points]
    return [StepChange(i, points[i], before, after, 100 * (after / before - 1))
            for i, before, after in step_changes(values, threshold_pct)]


def last_run(path: str, result: BenchmarkResult,
             before_id: int | None = None) -> BenchmarkResult | None:
    """The last complete run recorded for ``result``'s configuration and machine
    (:func:`config_key`), or None: a suite's baseline per entry.  ``before_id``: the last
    one recorded before that row (a result appended already is not its own baseline)."""
    conn = _open_read_only(path, "--history")
    try:
        row = conn.execute("SELECT id, result FROM runs WHERE config_key = ? AND "
                           "status = 'complete' AND id < ? ORDER BY id DESC LIMIT 1",
                           (config_key(result),
                            2 ** 62 if before_id is None else before_id)).fetchone()
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"--history {path}: not a usable history database ({exc})") from None
    finally:
        conn.close()
    return None if row is None else from_document(json.loads(row[1]), f"{path} run {row[0]}")


#: Runs before the last that its verdict compares it with (at most, since the last step).
LAST_RUN_WINDOW = 5


@dataclass(frozen=True)
class LastRun:
    """The latest run against the level before it, judged by compare's rule."""

    verdict: str                 # regression, improvement, no significant change, inconclusive
    change_pct: float
    ci_pct: tuple[float, float] | None
    before: int                  # how many runs the level was taken from


def last_run_verdict(points: list[Point], metric: str, threshold_pct: float = 5.0,
                     noise_floor_pct: float | None = None) -> LastRun | None:
    """The last run against up to :data:`LAST_RUN_WINDOW` runs before it (since the last
    step change): those runs measure run-to-run noise, the last is one run with compare's
    noise floor, and :func:`perfbench.tracking.verdict.judge_change` decides, so a run
    whose interval cannot exclude a regression is inconclusive here too.  None with fewer
    than two runs before it."""
    values = [p.value for p in points]
    steps = step_changes(values, threshold_pct)
    start = steps[-1][0] if steps and steps[-1][0] < len(values) - 1 else 0
    before = values[max(start, len(values) - 1 - LAST_RUN_WINDOW):-1]
    if len(before) < 2 or values[-1] <= 0:
        return None
    floor = DEFAULT_NOISE_FLOORS_PCT.get(metric, 4.0) if noise_floor_pct is None \
        else noise_floor_pct
    base, new = Samples(before, "runs"), Samples([values[-1]], "run", floor)
    interval = ratio_interval(base, new)
    change = 100 * (new.mean / base.mean - 1) if base.mean else None
    verdict = judge_change(change, interval, METRICS[metric][1], threshold_pct, floor,
                           floored_sides=1)   # the runs before measured their own noise
    ci = None if interval is None else (100 * (interval[0] - 1), 100 * (interval[1] - 1))
    return LastRun(verdict, change if change is not None else math.nan, ci, len(before))
