"""Every document perfbench writes, in one table: its schema name, the version written
today, the oldest version still read, the upgrade from each older version to the next,
and how it is read (a typed ``from_dict``, or, for the documents not typed yet, a check of
the shape its readers rely on).  :func:`read_document` is the one place a document is
recognised and upgraded, as asv's ``Results`` upgrades its ``api_version``: a reader
only ever sees the current version.

Anything that is not a perfbench document this version understands, or is one with the
wrong shape (a list where an object belongs, a schema name that is not a string), is one
line naming the file (``UsageError``), never a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from perfbench.errors import UsageError
from perfbench.results.ab import (ABResult, upgrade_ab_v3, upgrade_ab_v4, upgrade_ab_v5,
                                  upgrade_ab_v6)
from perfbench.results.comparison import Comparison
from perfbench.results.comparison import upgrade_v1 as upgrade_comparison_v1
from perfbench.results.comparison import upgrade_v2 as upgrade_comparison_v2
from perfbench.results.comparison import upgrade_v3 as upgrade_comparison_v3
from perfbench.results.fleet import FleetReport, FleetRun, upgrade_report_v1
from perfbench.results.server_search import ServerSearch
from perfbench.results.server_search import upgrade_v1 as upgrade_server_search_v1
from perfbench.results.server_search import upgrade_v2 as upgrade_server_search_v2
from perfbench.results.shapes import ShapesResult
from perfbench.results.suite import SuiteDocument, upgrade_suite_v1
from perfbench.results.sweep import SweepResult
from perfbench.results.types import BenchmarkResult, SchemaError
from perfbench.results.types import upgrade_v1 as upgrade_result_v1
from perfbench.results.types import upgrade_v2 as upgrade_result_v2
from perfbench.results.types import upgrade_v3 as upgrade_result_v3


@dataclass(frozen=True)
class Kind:
    """One document kind.  ``upgrades[v]`` turns version ``v`` into ``v + 1``; there is one
    for every version from ``oldest`` to ``version - 1`` (the registry test checks it,
    with a frozen file of each version in tests/data)."""

    schema: str
    version: int
    what: str                       # what it is and what reads it, for a misplaced file
    oldest: int = 1
    upgrades: dict[int, Callable[[dict], dict]] = field(default_factory=dict)
    read: Callable[[dict], Any] | None = None     # typed; else the checked dict
    shape: dict[str, Any] = field(default_factory=dict)   # key -> type, [dict]: objects
    unversioned: int | None = None   # the version of a document written without one


def upgrade_sweep_v1(data: dict) -> dict:
    """Sweep v1 wrote each ratio's interval as ``ci95_low``/``ci95_high``; version 2 (the
    race) spells every interval ``{ratio, low, high, level}``."""
    def respell(value: Any) -> Any:
        if isinstance(value, list):
            return [respell(v) for v in value]
        if not isinstance(value, dict):
            return value
        out = {k: respell(v) for k, v in value.items()}
        if "ratio" in out and "ci95_low" in out:
            out["low"], out["high"] = out.pop("ci95_low"), out.pop("ci95_high")
            out.setdefault("level", 0.95)
        return out
    return {**respell(data), "schema_version": 2}


def upgrade_sweep_v2(data: dict) -> dict:
    """Sweep version 3 adds ``fidelity`` and ``excluded`` (sizing with fidelity), written
    only when a sweep has them: a version-2 sweep had neither."""
    return {**data, "schema_version": 3}


def upgrade_sweep_v3(data: dict) -> dict:
    """Sweep version 4: a race's epochs may be dimensioned from earlier races (its block's
    ``rules.rounds`` then holds the rounds per epoch over ``rules.epoch_s``, and its
    ``design`` says how they were chosen), race block version 2.  A version-3 race had
    epochs of about ``rules.epoch_s`` of rounds and no design."""
    race = data.get("race")
    if isinstance(race, dict):
        race = {**race, "version": 2, "design": None}
        return {**data, "schema_version": 4, "race": race}
    return {**data, "schema_version": 4}


def upgrade_ab_v2(data: dict) -> dict:
    """A/B version 3 adds ``attribution`` (``ab --attribute``): null in a version-2 file,
    which never had it."""
    return {**data, "schema_version": 3, "attribution": None}


KINDS: dict[str, Kind] = {k.schema: k for k in (
    Kind("perfbench.result", 4, "a single run's result (perfbench run --json)",
         upgrades={1: upgrade_result_v1, 2: upgrade_result_v2, 3: upgrade_result_v3},
         read=BenchmarkResult.from_dict),
    Kind("perfbench.shapes", 1, "a --data-shape run (perfbench run --data-shape --json); "
         "each shape's result is in its results list",
         read=lambda d: ShapesResult.from_dict(d, nested_result)),
    Kind("perfbench.sweep", 4, "a sweep (perfbench sweep --json); perfbench fleet report "
         "and sweep --resume read it, and each finished point's result is in "
         "points[].result", upgrades={1: upgrade_sweep_v1, 2: upgrade_sweep_v2,
                                              3: upgrade_sweep_v3},
         shape={"status": str, "spec": dict, "points": [dict]},
         read=lambda d: SweepResult.from_dict(d, nested_result)),
    Kind("perfbench.server-search", 3, "a server rate search (perfbench sweep --scenario "
         "server --json); no command reads it back",
         upgrades={1: upgrade_server_search_v1, 2: upgrade_server_search_v2},
         read=ServerSearch.from_dict),
    Kind("perfbench.ab", 7, "an A/B run (perfbench ab --json); no command reads it back: "
         "ab --history DB records it for perfbench history", oldest=2,
         upgrades={2: upgrade_ab_v2, 3: upgrade_ab_v3, 4: upgrade_ab_v4, 5: upgrade_ab_v5,
                   6: upgrade_ab_v6},
         read=lambda d: ABResult.from_dict(d, "A/B document"),
         shape={"status": str, "epochs": [dict], "ratios": dict}),
    Kind("perfbench.comparison", 4, "a comparison (perfbench compare --json); no command "
         "reads it back: compare the result files it names",
         upgrades={1: upgrade_comparison_v1, 2: upgrade_comparison_v2,
                   3: upgrade_comparison_v3},
         shape={"baseline": list, "new": list, "metrics": [dict]}, read=Comparison.from_dict),
    Kind("perfbench.fleet-report", 2, "a fleet report (perfbench fleet report --json); no "
         "command reads it back", upgrades={1: upgrade_report_v1},
         read=FleetReport.from_dict),
    Kind("perfbench.fleet-run", 1, "the index perfbench fleet run writes; perfbench fleet "
         "report reads the directory it is in", read=FleetRun.from_dict),
    Kind("perfbench.suite", 2, "a suite's index (perfbench suite --out DIR); each entry's "
         "result is DIR/ENTRY.json, and fleet report reads the directory",
         upgrades={1: upgrade_suite_v1}, read=SuiteDocument.from_dict,
         shape={"entries": [dict]}),
    Kind("perfbench.fleet-suite", 1, "a fleet node's suite directory in transit (fleet run "
         "-- suite); the driver writes it back as a suite directory",
         shape={"suite": dict, "files": dict}, unversioned=1),
)}


def read_json(path: str, what: str = "result file") -> object:
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such {what}")
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: corrupt JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise UsageError(f"{path}: JSON nested too deeply to be a perfbench document") from None


def kind_of(data: object, where: str) -> Kind:
    """The kind a parsed document names; one line for anything that names none we know."""
    if not isinstance(data, dict):
        raise UsageError(f"{where}: not a perfbench document (a JSON "
                         f"{type(data).__name__}, not an object)")
    schema = data.get("schema")
    if not isinstance(schema, str) or schema not in KINDS:
        raise UsageError(f"{where}: not a perfbench document (schema {schema!r:.40}; "
                         "another tool's file?)")
    return KINDS[schema]


def read_document(data: object, where: str, expect: str | None = None) -> Any:
    """The document, upgraded to the current version of its kind and read: the typed
    object where its kind has a type, else the checked dict.  ``expect``: the schema the
    caller wants; another perfbench document is named for what it is."""
    if expect is not None and (not isinstance(data, dict) or data.get("schema") != expect):
        schema = data.get("schema") if isinstance(data, dict) else None
        if isinstance(schema, str) and schema in KINDS:
            raise UsageError(f"{where}: not {KINDS[expect].what} but {KINDS[schema].what}")
        raise UsageError(f"{where}: not a perfbench {expect.removeprefix('perfbench.')} "
                         f"(no \"schema\": \"{expect}\"; another tool's file?)")
    kind = kind_of(data, where)
    assert isinstance(data, dict)
    noun = "result" if kind.schema == "perfbench.result" else f"{kind.schema} document"
    with _one_line(where, noun):        # an older file that lacks what its version had
        data = upgrade(kind, data, where)
    problem = shape_problem(data, kind.shape)
    if problem:
        raise UsageError(f"{where}: not a complete {kind.schema} document ({problem})")
    if kind.read is None:
        return data
    with _one_line(where, noun):
        document = kind.read(data)
    return document


#: What a reader raises on a value of the wrong kind deep inside a document that its own
#: checks did not reach (a list where a table is, a string where a number is): the file's
#: fault, not a bug, as long as every frozen fixture of every version still loads (which
#: tests/results/test_registry.py checks), so it is named as the file's, in one line.
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError)


@contextmanager
def _one_line(where: str, noun: str) -> Iterator[None]:
    """Any problem of a document's content as one :class:`UsageError` naming the file,
    for every reader of every kind (``report``, ``compare``, ``--resume``, ...)."""
    try:
        yield
    except SchemaError as exc:
        raise UsageError(f"{where}: invalid {noun}: {exc}") from None
    except _MALFORMED as exc:
        raise UsageError(f"{where}: invalid {noun}: a missing value or one of the wrong "
                         f"kind ({type(exc).__name__}: {str(exc)[:120]})") from None


def version_of(kind: Kind, data: dict, where: str) -> int:
    version = data.get("schema_version", kind.unversioned)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UsageError(f"{where}: unsupported schema version {version!r:.20} of "
                         f"{kind.schema}")
    if version > kind.version:
        raise UsageError(f"{where}: {kind.schema} version {version} is newer than this "
                         f"perfbench understands ({kind.version}); upgrade perfbench")
    if version < kind.oldest:
        raise UsageError(f"{where}: {kind.schema} version {version} is older than this "
                         f"perfbench reads (from version {kind.oldest})")
    return version


def upgrade(kind: Kind, data: dict, where: str) -> dict:
    """``data`` at the current version of its kind, one step at a time (a step may raise
    :class:`SchemaError` for an older file that lacks what its version held)."""
    version = version_of(kind, data, where)
    while version < kind.version:
        data = kind.upgrades[version](data)
        version += 1
    return data


def shape_problem(data: dict, shape: dict[str, Any]) -> str | None:
    """What a document lacks of the shape its readers rely on, or None."""
    for key, expected in shape.items():
        value = data.get(key)
        if isinstance(expected, list):
            if not isinstance(value, list):
                return f"{key} must be a list (got {type(value).__name__})"
            bad = next((i for i, item in enumerate(value)
                        if not isinstance(item, expected[0])), None)
            if bad is not None:
                return f"{key}[{bad}] must be an object (got {value[bad]!r:.40})"
        elif not isinstance(value, expected):
            noun = {str: "a string", list: "a list"}.get(expected, "an object")
            return f"{key} must be {noun} (got {value!r:.40})"
    return None


def nested_result(data: object, where: str) -> BenchmarkResult:
    """A result held inside another document (a shape's, a sweep point's); a problem is a
    :class:`SchemaError` naming where, for the outer document's reader to name the file."""
    try:
        return read_document(data, where, "perfbench.result")
    except UsageError as exc:
        raise SchemaError(str(exc)) from None


def load(path: str, expect: str | None = None) -> Any:
    """The document in ``path``, recognised, upgraded and read (see :func:`read_document`)."""
    return read_document(read_json(path, "file" if expect is None else "result file"),
                         path, expect)
