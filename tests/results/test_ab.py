"""The typed A/B document (``results.ab.ABResult``): the runner's document of seeded runs is
the base code's byte for byte apart from the documented interval respelling, its tables
are the base code's, and it reads back equal to itself."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from perfbench.files import json_text
from perfbench.reporters import ab_report
from perfbench.results.ab import (SCHEMA_VERSION, ABRatio, ABResult, EpochDesign, SideFigures,
                                  upgrade_ab_v3, upgrade_ab_v4, upgrade_ab_v5, upgrade_ab_v6)
from tests.results.ab_inputs import VARIANTS, seeded_document, seeded_run

DATA = Path(__file__).resolve().parent.parent / "data"


def _respelled(text: str) -> str:
    """The base code's (version 3) JSON text with version 4's one rename applied: every
    interval's ``ci_low``/``ci_high`` spelled ``low``/``high``; version 5's addition,
    ``fidelity``, null (none of these runs compared outputs), and version 6's two, no
    controls and no design (the seeded runs state none)."""
    assert text.endswith('\n  "attribution": null\n}\n')
    return (text.replace('"ci_low":', '"low":').replace('"ci_high":', '"high":')
            .replace('"schema_version": 3,', f'"schema_version": {SCHEMA_VERSION},', 1)
            .replace('\n  "attribution": null\n}\n',
                     '\n  "attribution": null,\n  "fidelity": null,\n  "controls": [],\n'
                     '  "design": null\n}\n'))


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_document_is_the_base_codes_apart_from_the_interval_spelling(variant):
    """tests/data/ab_now-VARIANT.json was written by the base code (1c02455, the dict
    builder) from these seeded runs: no figure changed, only ``ci_low``/``ci_high``, and
    version 5's null ``fidelity``, version 6's empty ``controls`` and null ``design``."""
    frozen = (DATA / f"ab_now-{variant}.json").read_text()
    written = _to_12_digits(json_text(seeded_document(variant).to_dict()))
    assert written == _to_12_digits(_respelled(frozen))
    upgraded = upgrade_ab_v6(upgrade_ab_v5(upgrade_ab_v4(upgrade_ab_v3(json.loads(frozen)))))
    assert written == _to_12_digits(json_text(upgraded))


def _to_12_digits(text: str) -> str:
    """The document's text with every float to 12 significant digits: the same keys, in
    the same order, and the same figures, whatever numpy's summation order in the
    environment that runs it (numpy 2.4 moves a variance's last of 17 digits)."""
    def rounded(value):
        if isinstance(value, float):
            return float(f"{value:.12g}")
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return [rounded(v) for v in value] if isinstance(value, list) else value
    return json_text(rounded(json.loads(text)))


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_table_and_markdown_are_the_base_codes(variant):
    doc = seeded_document(variant)
    console = Console(file=io.StringIO(), width=160, color_system=None)
    ab_report.render(doc, console)
    assert console.file.getvalue() == (DATA / f"ab_now-{variant}.txt").read_text()
    assert ab_report.markdown(doc) == (DATA / f"ab_now-{variant}.md").read_text()


@pytest.mark.parametrize("variant", VARIANTS)
def test_from_dict_of_to_dict_is_the_document(variant):
    doc = seeded_document(variant)
    assert isinstance(doc, ABResult)
    assert ABResult.from_dict(json.loads(json_text(doc.to_dict()))) == doc


def test_the_seeded_runs_cover_what_the_document_can_hold():
    docs = {v: seeded_document(v) for v in VARIANTS}
    assert docs["fps"].verdict == "improvement" and docs["fps"].epoch_variance_prior
    assert docs["server"].schedule and "median_ms_rounds" in docs["server"].ratios
    assert docs["noisy"].load.disturbed and docs["noisy"].more_time_s > 0
    assert docs["noisy"].empty_rounds == 1
    assert docs["short"].verdict_interval is None and docs["short"].ratios["fps"] is None


def test_the_terminal_shows_the_stored_side_figures_not_its_own():
    """A reader shows what the producer stored: change the stored FPS and the table
    follows (a reader that recomputed it from the blocks would not)."""
    doc = seeded_document("fps")
    side_figures = dict(doc.side_figures, base=SideFigures(123.0, 4.5, 6.75))
    console = Console(file=io.StringIO(), width=160, color_system=None)
    ab_report.render(dataclasses.replace(doc, side_figures=side_figures), console)
    assert "FPS 123.0 · p50 4.50 ms · p99 6.75 ms" in console.file.getvalue()


def test_the_progress_line_reads_the_runners_running_interval():
    """The line shows ``run.running``, which the runner stores after each round: it does
    not estimate the interval a third time."""
    run = seeded_run("fps")
    assert ab_report.progress_line(run).endswith("interval after the second epoch")
    run.running = ABRatio(1.2345, 1.1, 1.3, 0.95, 23.45, 8.1, 4.0, 3, 24, 1.0, 0.5, 0.0,
                          "this run")
    assert ab_report.progress_line(run) == (
        f"epoch {len(run.epochs)} round {len(run.epochs[-1].rounds)}: NEW/BASE FPS 1.2345 "
        "[1.1000, 1.3000] (95 %)")


def test_a_malformed_ratio_is_named():
    from perfbench.results.types import SchemaError
    data = seeded_document("fps").to_dict()
    data["ratios"]["fps"]["low"] = "low"
    with pytest.raises(SchemaError, match=r"ratios\.fps\.low must be a finite number"):
        ABResult.from_dict(data)


@pytest.mark.parametrize("module", ["perfbench/reporters/ab_report.py",
                                    "perfbench/report/ab_view.py",
                                    "perfbench/cli/commands/ab.py", "perfbench/suite/ab.py"])
def test_the_ab_readers_take_the_type_not_a_dict(module):
    """Every reader of the A/B document is typed ``ABResult`` and reads attributes: no
    ``doc: dict`` parameter, no string-keyed read of the document (``doc["…"]``)."""
    import ast
    root = Path(__file__).resolve().parent.parent.parent
    tree = ast.parse((root / module).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.arg == "doc":
            assert ast.unparse(node.annotation) == "ABResult", (module, node.lineno)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            assert node.value.id != "doc", (module, node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            assert not (isinstance(target, ast.Name) and target.id == "doc"
                        and node.func.attr == "get"), (module, node.lineno)


def test_the_controls_and_the_design_are_recorded_and_read_back():
    """Version 5: the controls in force and the design, written and read back as they
    were; the terminal says both (a dimensioned design with its expected widths)."""
    design = EpochDesign(16, "dimensioned", "from 2 earlier runs: Kalibera & Jones' "
                         "optimum 13.9 rounds per epoch", 120.0, 2, 5.0, 1.0, 2.0, 0.26, 17,
                         1.25, 1.75)
    doc = dataclasses.replace(seeded_document("fps"), controls=("thp-off", "arena=2"),
                              design=design)
    data = json.loads(json_text(doc.to_dict()))
    assert data["schema_version"] == SCHEMA_VERSION and data["controls"] == ["thp-off",
                                                                              "arena=2"]
    assert data["design"]["rounds_per_epoch"] == 16 and data["design"]["runs"] == 2
    assert ABResult.from_dict(data) == doc
    console = Console(file=io.StringIO(), width=200, color_system=None)
    ab_report.render(doc, console)
    text = console.file.getvalue()
    assert "controls in force: thp-off, arena=2" in text
    assert "epochs of 16 rounds, dimensioned" in text and "±1.25 %" in text
    assert "the default design ±1.75 %" in text
    summary = ab_report.markdown(doc)
    assert "controls in force: thp-off, arena=2\n" in summary
    assert "epochs of 16 rounds, dimensioned" in summary


@pytest.mark.parametrize("name", ["ab_v4.json", "ab_v5.json"])
def test_an_older_file_reads_as_no_controls_and_no_design(name):
    from perfbench.results import load_document
    doc = load_document(str(DATA / name))
    assert doc.schema_version == SCHEMA_VERSION and doc.controls == () and doc.design is None


def test_malformed_controls_are_named():
    from perfbench.results.types import SchemaError
    data = seeded_document("fps").to_dict()
    data["controls"] = [1]
    with pytest.raises(SchemaError, match=r"controls: a list of control names"):
        ABResult.from_dict(data)
