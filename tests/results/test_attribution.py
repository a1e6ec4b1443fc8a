"""The typed attribution block: every block written so far reads back as itself, byte for
byte (the A/B schema version did not change), and a malformed one is named."""

import json
from pathlib import Path

import pytest

from perfbench.files import json_text
from perfbench.results import load_document
from perfbench.results.ab import ABResult
from perfbench.results.attribution import Attribution
from perfbench.results.types import SchemaError

DATA = Path(__file__).resolve().parent.parent / "data"


def test_a_current_document_round_trips_byte_for_byte_through_the_type():
    text = (DATA / "ab_v7.json").read_text()
    doc = ABResult.from_dict(json.loads(text))
    assert isinstance(doc.attribution, Attribution) and doc.attribution.table is not None
    assert json_text(doc.to_dict()) == json_text(json.loads(text))


def test_a_v3_documents_attribution_block_is_kept_as_written():
    raw = json.loads((DATA / "ab_v3.json").read_text())["attribution"]
    doc = load_document(str(DATA / "ab_v3.json"))
    assert json.dumps(doc.attribution.to_dict()) == json.dumps(raw)
    assert not all(r.matched for r in doc.attribution.table.nodes)   # a row with no match


@pytest.mark.parametrize("block", [
    {"status": "failed", "error": "worker exited"},
    {"status": "interrupted", "error": "no profiling round completed"},
])
def test_a_pass_with_no_round_is_its_status_and_error_only(block):
    typed = Attribution.from_dict(block)
    assert typed.table is None and typed.to_dict() == block


def test_a_partial_block_keeps_its_error_and_its_table():
    block = dict(json.loads((DATA / "ab_v4.json").read_text())["attribution"])
    partial = {"status": "partial", "error": "epoch 2 failed: x", **{
        k: v for k, v in block.items() if k != "status"}}
    typed = Attribution.from_dict(partial)
    assert typed.status == "partial" and typed.error == "epoch 2 failed: x"
    assert list(typed.to_dict()) == list(partial) and typed.to_dict() == partial


@pytest.mark.parametrize("block,message", [
    ({"status": "done"}, "status must be one of"),
    ({"status": "failed"}, "names its error"),
    ({"status": "complete"}, "has its nodes"),
])
def test_a_malformed_block_is_named(block, message):
    with pytest.raises(SchemaError, match=message):
        Attribution.from_dict(block)


def test_the_waterfalls_bars_add_up_to_the_total():
    table = load_document(str(DATA / "ab_v3.json")).attribution.table
    for top in (0, 1, 2, 10):
        steps = table.waterfall(top)
        assert steps[-1].kind == "total" and steps[-1].delta == table.total.delta
        assert sum(s.delta.value for s in steps[:-1]) == pytest.approx(
            table.total.delta.value, abs=1e-12)
        shown = [r for s in steps for r in s.rows]
        assert sorted(r.key for r in shown) == sorted(r.key for r in table.nodes)
