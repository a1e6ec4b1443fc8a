"""The compare view with ``compare --attribute``: the comparison's own per-layer table
drawn as the A/B view's waterfall, its top rows, and what two files cannot say.

``tests/data/comparison_v4.json`` is ``perfbench compare --attribute`` of the two real
``--perf-counters`` runs beside it (``result_v3-layers{base,new}.json``: the tiny conv
chain, NEW with one 7×7 convolution more)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from perfbench.report import compare_view
from perfbench.report.ab_view import waterfall_bars
from perfbench.results import load, load_document

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def stored():
    comparison = load_document(str(DATA / "comparison_v4.json"))
    runs = [(name, load(str(DATA / name))) for name in
            (*comparison.baseline_files, *comparison.new_files)]
    return comparison, runs


def test_the_view_draws_the_stored_attribution_as_the_ab_waterfall(stored):
    pytest.importorskip("plotly")
    comparison, runs = stored
    html = "".join(compare_view.section(runs, "compare", comparison).parts)
    assert 'id="compare-waterfall"' in html
    assert "Which nodes the change comes from (compare --attribute)" in html
    assert "one profiling pass a side, not paired, so no intervals" in html
    table = html[html.index("Which nodes the change"):]
    # the top rows in the producer's order, the extra node first
    keys = [r.name for r in comparison.attribution.nodes]
    assert keys[0] == "extra_conv7x7"
    at = [table.index(f"<td>{k}</td>") for k in keys[:3]]
    assert at == sorted(at)
    assert "<td>only in NEW</td>" in table and "no intervals: one file a side" in table


def test_the_bars_add_up_to_the_stored_total_and_claim_no_interval(stored):
    comparison, _ = stored
    table = comparison.attribution
    bars = waterfall_bars(table)
    assert bars[0]["label"].startswith("extra_conv7x7") and bars[0]["kind"] == "unmatched"
    assert bars[-1]["kind"] == "total" and bars[-1]["end"] == pytest.approx(
        table.total.delta.value)
    assert bars[-2]["end"] == pytest.approx(table.total.delta.value)
    assert all(b["low"] is None and b["high"] is None for b in bars)


def test_without_attribute_there_is_no_waterfall(stored):
    pytest.importorskip("plotly")
    comparison, runs = stored
    plain = dataclasses.replace(comparison, attribution=None)
    html = "".join(compare_view.section(runs, "compare", plain).parts)
    assert "compare-waterfall" not in html and "Which nodes" not in html
