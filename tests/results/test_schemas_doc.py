"""docs/schemas.md checked against the typed documents and the registry: each schema's
version as the registry writes it, and every key the typed documents write (their nested
records included) named in its table."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from perfbench.results import load_document
from perfbench.results.fleet import ClassSummary, MixClass, ModelBest, NodeRecord, Plan
from perfbench.results.interval import Interval
from perfbench.results.suite import (ABBlock, ABSummary, BaselineBlock, BaselineRow,
                                     EntryRecord, Gate, Geomean, Headline, Judged,
                                     MetricChange, NotComparable, Summary, TopCause)
from perfbench.results.registry import KINDS

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"
TEXT = (ROOT / "docs" / "schemas.md").read_text()


def _section(schema: str) -> str:
    match = re.search(rf"^## [^\n]*`{re.escape(schema)}`, version (\d+)\n(.*?)(?=^## |\Z)",
                      TEXT, re.S | re.M)
    assert match, f"docs/schemas.md has no section for {schema}"
    assert int(match[1]) == KINDS[schema].version, f"{schema}: the heading's version"
    return match[2]


def _rows(schema: str) -> dict[str, str]:
    """Each table row's first-column keys → the row's contents."""
    rows = {}
    for keys, contents in re.findall(r"^\| (`[^|]*) \| ([^\n]*) \|$", _section(schema), re.M):
        for key in re.findall(r"`([a-z_0-9]+)`", keys):
            rows[key] = contents
    return rows


def test_the_summary_table_states_each_schema_at_its_registry_version():
    table = dict(re.findall(r"^\| `(perfbench\.[a-z-]+)` \| (\d+)", TEXT, re.M))
    assert {k: int(v) for k, v in table.items()} == {s: k.version for s, k in KINDS.items()}


@pytest.mark.parametrize("schema", ["perfbench.shapes", "perfbench.fleet-report",
                                    "perfbench.fleet-run", "perfbench.result",
                                    "perfbench.suite"])
def test_each_typed_document_has_a_section_at_its_version(schema):
    _section(schema)


def _names(*types) -> set[str]:
    return {f.name for t in types for f in fields(t)}


@pytest.mark.parametrize("schema,file", [
    ("perfbench.fleet-report", "fleet-report_v2-suites.json"),
    ("perfbench.fleet-report", "fleet-report_v2-runs.json"),
    ("perfbench.fleet-run", "fleet-run_v1.json"), ("perfbench.shapes", "shapes_v1.json"),
    ("perfbench.suite", "suite_v2/suite.json"), ("perfbench.suite", "suite_v1-ab.json")])
def test_every_key_a_typed_document_writes_is_in_its_table(schema, file):
    written = set(load_document(str(DATA / file)).to_dict())
    rows = _rows(schema)
    optional = {key for key, contents in rows.items() if "(only" in contents}
    assert written - set(rows) == set(), "written but not documented"
    assert set(rows) - written <= optional, "documented but not written"


@pytest.mark.parametrize("schema,row,types", [
    ("perfbench.fleet-report", "classes", (ClassSummary, Plan, Interval)),
    ("perfbench.fleet-report", "models", (ModelBest, Interval)),
    ("perfbench.fleet-report", "mix", (MixClass,)),
    ("perfbench.fleet-run", "nodes", (NodeRecord,)),
    ("perfbench.suite", "entries", (EntryRecord, Headline, Interval)),
    ("perfbench.suite", "summary", (Summary,)),
    ("perfbench.suite", "baseline", (BaselineBlock, BaselineRow, MetricChange, Judged,
                                     Geomean, NotComparable, Interval)),
    # an A/B row's intervals are all ratios: Interval's value is spelled `ratio` there
    ("perfbench.suite", "ab", (ABBlock, ABSummary, Judged, Geomean, TopCause)),
    ("perfbench.suite", "gate", (Gate,)),
])
def test_every_nested_field_is_named_in_its_row(schema, row, types):
    named = set(re.findall(r"`([a-z_0-9]+)`", _rows(schema)[row]))
    assert _names(*types) - named == set()
