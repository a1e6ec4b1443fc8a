"""The typed suite document (``results.suite``): the suite's producers write today what
the code before it (1c02455) wrote, apart from the one documented rename (each interval
one object), and a version-1 file reads as it was written.

The frozen files were written by :mod:`tests.suite.suite_inputs` (hand-made entries, no
measurement) with that code: ``suite_v1-KIND.json`` its JSON, ``suite_now-KIND.{md,txt,
csv}`` its Markdown, terminal summary and CSV; regenerate the latter on purpose only when
a figure changes.  Regenerated once, with main's untyped suite (df8b70c), when the merge
brought its geomean verdict by judge_change: the baseline and A/B geomeans read
"inconclusive" where 1c02455 said "no significant change", nothing else changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfbench.files import json_text
from perfbench.results import SuiteDocument, load_document
from perfbench.results.suite import upgrade_suite_v1
from tests.suite.suite_inputs import KINDS, write_outputs

DATA = Path(__file__).resolve().parent.parent / "data"
#: Version 1's spellings of an interval, each gone from version 2.
OLD_KEYS = {"fps_low", "fps_high", "ci_low", "ci_high", "judged_ci_low", "judged_ci_high",
            "judged_level", "ci_low_pct", "ci_high_pct"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    return write_outputs(tmp_path_factory.mktemp("suite"))


def _keys(value) -> set[str]:
    if isinstance(value, list):
        return set().union(*map(_keys, value)) if value else set()
    if isinstance(value, dict):
        return set(value).union(*map(_keys, value.values()))
    return set()


def _with_unrecorded_centres(upgraded: dict, now: dict) -> dict:
    """Version 1 did not record the centre of an A/B verdict's interval when it was judged
    on latency (the upgrade leaves it null); today's row has it, from the A/B document."""
    for old, new in zip((upgraded.get("ab") or {}).get("entries", []),
                        (now.get("ab") or {}).get("entries", []), strict=True):
        if old["judged_metric"] not in (None, "fps"):
            assert old["judged"]["ratio"] is None and new["judged"]["ratio"] is not None
            old["judged"]["ratio"] = new["judged"]["ratio"]
    return upgraded


def _with_recorded_epochs(upgraded: dict, now: dict) -> dict:
    """An --ab mode records its epochs' design (``epoch_s``) since 2026-12-08; the frozen
    file's mode, written before, did not: today's value, last in the mode, as written."""
    mode = upgraded.get("mode")
    if isinstance(mode, dict) and mode.get("kind") == "ab" and "epoch_s" not in mode:
        mode["epoch_s"] = now["mode"]["epoch_s"]
    return upgraded


@pytest.mark.parametrize("kind", KINDS)
def test_the_typed_suite_writes_what_the_untyped_one_did(outputs, kind):
    """Same bytes: the Markdown, CSV and terminal summary exactly; the JSON is the old
    file upgraded (every interval one object, standing where its first key stood)."""
    written = outputs[kind]
    for ext in ("md", "txt", "csv"):
        assert written[ext].read_text() == (DATA / f"suite_now-{kind}.{ext}").read_text()
    now = json.loads(written["json"].read_text())
    upgraded = upgrade_suite_v1(json.loads((DATA / f"suite_v1-{kind}.json").read_text()))
    assert written["json"].read_text() == json_text(
        _with_recorded_epochs(_with_unrecorded_centres(upgraded, now), now))
    document = load_document(str(written["json"]))
    assert isinstance(document, SuiteDocument)
    assert SuiteDocument.from_dict(document.to_dict()) == document


@pytest.mark.parametrize("kind", KINDS)
def test_the_upgrade_spells_each_interval_once(kind):
    old = json.loads((DATA / f"suite_v1-{kind}.json").read_text())
    new = load_document(str(DATA / f"suite_v1-{kind}.json")).to_dict()
    assert new["schema_version"] == 2 and not _keys(new) & OLD_KEYS
    for was, now in zip(old["entries"], new["entries"], strict=True):
        head = was["headline"]
        if head is not None:
            assert now["headline"]["fps"] == {
                "value": head["fps"], "low": head["fps_low"], "high": head["fps_high"],
                "level": None if head["fps_low"] is None else 0.95}
    for block in ("baseline", "ab"):
        for was, now in zip((old[block] or {}).get("entries", []),
                            (new[block] or {}).get("entries", []), strict=True):
            assert now["ratio"] == {"ratio": was["ratio"], "low": was["ci_low"],
                                    "high": was["ci_high"], "level": 0.95}
            assert (now["judged"]["low"], now["judged"]["high"], now["judged"]["level"]) == \
                (was["judged_ci_low"], was["judged_ci_high"], was["judged_level"])
            for change, before in zip(now.get("regressions", []),
                                      was.get("regressions", []), strict=True):
                assert change["change_pct"] == {
                    "value": before["change_pct"], "low": before["ci_low_pct"],
                    "high": before["ci_high_pct"], "level": was["judged_level"]}
        if old[block]:
            g, before = new[block]["geomean"], old[block]["geomean"]
            assert g["ratio"] == {"ratio": before["ratio"], "low": before["ci_low"],
                                  "high": before["ci_high"], "level": 0.95}


def test_every_figure_the_views_show_is_read_not_recomputed(outputs):
    """The summary's geomean, verdicts and family level are the document's: changing the
    stored figures changes what is shown (a reader that recomputed them would not)."""
    from perfbench.reporters.suite_report import comparison_lines
    doc = load_document(str(outputs["ab"]["json"])).to_dict()
    doc["ab"]["geomean"]["ratio"]["ratio"] = 0.5
    doc["ab"]["entries"][0]["verdict"] = "improvement"
    doc["ab"]["entries"][0]["judged"]["level"] = 0.9
    lines = comparison_lines(SuiteDocument.from_dict(doc))
    assert any(line.startswith("A/B NEW/BASE: geomean ratio 0.500") for line in lines)
    assert any(line.startswith("A/B NEW/BASE: conv: ratio 0.970 [0.950, 0.990] improvement; "
                               "judged at 90 % (one of 3)") for line in lines)


def test_a_malformed_suite_document_is_one_line():
    from perfbench.errors import UsageError
    from perfbench.results.registry import read_document
    doc = json.loads((DATA / "suite_v2" / "suite.json").read_text())
    doc["entries"][0]["headline"]["fps"] = {"value": "fast"}
    with pytest.raises(UsageError, match=r"x: invalid perfbench.suite document: "
                                         r"entries\[0\].headline.fps.value must be a finite"):
        read_document(doc, "x")
