"""docs/schemas.md checked against the typed documents and the registry: each schema's
version as the registry writes it, and every key the typed documents write (their nested
records included) named in its table."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from perfbench.results import load_document
from perfbench.results.ab import (ABEpoch, ABRatio, ABRound, EpochDesign, Load, Look,
                                  PooledRatio, Prior,
                                  ServerTotals, SideFigures)
from perfbench.results.ab_fidelity import ABFidelity
from perfbench.results.comparison import FidelityChange
from perfbench.results.fidelity import OutputFidelity
from perfbench.results.fleet import ClassSummary, MixClass, ModelBest, NodeRecord, Plan
from perfbench.results.interval import Interval
from perfbench.results.suite import (ABBlock, ABSummary, BaselineBlock, BaselineRow,
                                     EntryRecord, Gate, Geomean, Headline, Judged,
                                     MetricChange, NotComparable, Summary, TopCause)
from perfbench.results.registry import KINDS
from perfbench.results.race import Interval as RaceInterval
from perfbench.results.sweep import Pick, PrecisionFidelity, PrecisionGain, SweepPoint

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
                                    "perfbench.ab", "perfbench.comparison",
                                    "perfbench.sweep", "perfbench.suite"])
def test_each_typed_document_has_a_section_at_its_version(schema):
    _section(schema)


def _names(*types) -> set[str]:
    return {f.name for t in types for f in fields(t)}


@pytest.mark.parametrize("schema,file", [
    ("perfbench.fleet-report", "fleet-report_v2-suites.json"),
    ("perfbench.fleet-report", "fleet-report_v2-runs.json"),
    ("perfbench.fleet-run", "fleet-run_v1.json"), ("perfbench.shapes", "shapes_v1.json"),
    ("perfbench.ab", "ab_v7.json"), ("perfbench.comparison", "comparison_v2.json"),
    ("perfbench.comparison", "comparison_v4.json"),
    ("perfbench.sweep", "sweep_v2-race.json"), ("perfbench.sweep", "sweep_v2-incomplete.json"),
    ("perfbench.sweep", "sweep_v2-sequential.json"), ("perfbench.sweep", "sweep_v3-fidelity.json"),
    ("perfbench.sweep", "sweep_v4-dimensioned.json"),
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
    ("perfbench.ab", "verdict_interval", (ABRatio,)),
    ("perfbench.ab", "ratios", (PooledRatio,)),
    ("perfbench.ab", "looks", (Look,)),
    ("perfbench.ab", "epoch_variance_prior", (Prior,)),
    ("perfbench.ab", "schedule", (ServerTotals,)),
    ("perfbench.ab", "side_figures", (SideFigures,)),
    ("perfbench.ab", "load", (Load,)),
    ("perfbench.ab", "design", (EpochDesign,)),
    ("perfbench.ab", "epochs", (ABEpoch, ABRound)),
    ("perfbench.ab", "fidelity", (ABFidelity, OutputFidelity, FidelityChange)),
    ("perfbench.sweep", "points", (SweepPoint,)),
    ("perfbench.sweep", "recommendations", (Pick,)),
    ("perfbench.sweep", "precision_gains", (PrecisionGain, RaceInterval)),
    ("perfbench.sweep", "fidelity", (PrecisionFidelity,)),
    ("perfbench.suite", "entries", (EntryRecord, Headline, Interval)),
    ("perfbench.suite", "summary", (Summary,)),
    ("perfbench.suite", "baseline", (BaselineBlock, BaselineRow, MetricChange, Judged,
                                     Geomean, NotComparable, Interval)),
    # an A/B row's intervals are all ratios: Interval's value is spelled `ratio` there
    ("perfbench.suite", "ab", (ABBlock, ABSummary, Judged, Geomean, TopCause,
                               FidelityChange)),
    ("perfbench.suite", "gate", (Gate,)),
])
def test_every_nested_field_is_named_in_its_row(schema, row, types):
    named = set(re.findall(r"`([a-z_0-9]+)`", _rows(schema)[row]))
    assert _names(*types) - named == set()


@pytest.mark.parametrize("file", ["sweep_v2-sequential.json", "sweep_v1.json"])
def test_every_key_of_a_sweeps_sizing_plan_is_named_in_its_row(file):
    """Its JSON keys, not its fields: the point it is built on is written ``from``."""
    plan = load_document(str(DATA / file)).sizing
    named = set(re.findall(r"`([a-z_0-9]+)`", _rows("perfbench.sweep")["sizing"]))
    assert set(plan.to_dict()) - named == set()


def test_every_key_of_a_comparison_s_metrics_and_fidelity_figures_is_named_in_its_row():
    """The comparison's nested records as it writes them (a metric's JSON keys are not its
    fields: ``change_pct`` holds the interval)."""
    written = load_document(str(DATA / "comparison_v2.json")).to_dict()
    rows = _rows("perfbench.comparison")
    for row, records in (("metrics", written["metrics"]),
                         ("fidelity", [written["fidelity"], *written["fidelity"]["figures"]])):
        named = set(re.findall(r"`([a-z_0-9]+)`", rows[row]))
        assert {k for record in records for k in record} - named == set(), row
    assert set(re.findall(r"`([a-z_0-9]+)`", rows["metrics"])) >= {"value", "low", "high",
                                                                     "level"}
