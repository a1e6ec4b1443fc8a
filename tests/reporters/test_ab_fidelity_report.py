"""The A/B's fidelity block on the terminal, in Markdown and in the HTML view: next to the
speed verdict, and showing the document's figures, not its own."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from rich.console import Console

from perfbench.report import ab_view
from perfbench.reporters import ab_fidelity_report, ab_report
from perfbench.results.ab_fidelity import ABFidelity
from perfbench.runner.ab_fidelity import judged
from tests.report.test_ab_view import ab_document
from tests.runner.test_ab_fidelity import ROWS, _reply

REGRESSION_LINE = "FIDELITY REGRESSION: y f32 reference: NEW vs BASE SQNR 40.0 dB (at least " \
                  "60.0 dB)"


@pytest.fixture(scope="module")
def moved() -> ABFidelity:
    """NEW's f32 outputs 1.01 × BASE's (40 dB), both sides int8 as their own f32."""
    return judged({"base": _reply(ROWS, ROWS), "new": _reply([r * 1.01 for r in ROWS],
                                                              [r * 1.01 for r in ROWS])})


def _shown(doc) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    ab_report.render(doc, console)
    return console.file.getvalue()


def test_the_answers_verdict_is_the_line_under_the_speed_verdict(moved):
    doc = dataclasses.replace(ab_document([[1.0, 1.01, 0.99, 1.0], [1.0, 1.0, 1.01, 0.99]]),
                              fidelity=moved)
    lines = _shown(doc).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(doc.verdict.upper()))
    assert lines[at + 1] == REGRESSION_LINE
    text = ab_report.markdown(doc)
    assert f"**{REGRESSION_LINE}**" in text
    assert text.index(REGRESSION_LINE) < text.index("| metric | NEW / BASE |")
    assert "| NEW f32 vs BASE f32 | y | 100.0 % / 100.0 % | 40.0 dB |" in text
    page = "".join(ab_view.section(doc, "ab", "ab-0").parts)
    assert f'<p class="bad">{REGRESSION_LINE}</p>' in page
    assert page.index("Fidelity: both sides") < page.index('id="ab-0-rounds"')


def test_every_comparison_is_shown_from_the_documents_figures(moved):
    (reference,) = moved.reference
    stored = dataclasses.replace(moved, reference=(dataclasses.replace(reference,
                                                                       sqnr_db=12.345),))
    console = Console(file=io.StringIO(), width=200, color_system=None)
    ab_fidelity_report.render(stored, console)
    shown = console.file.getvalue()
    assert "NEW f32 vs BASE f32" in shown and "12.3 dB" in shown     # the stored figure
    assert "NEW int8 vs BASE int8" in shown and "BASE int8 vs its f32" in shown
    assert "∞ (identical)" in shown                 # each side's int8 is its f32 here
    assert [what for what, _, _ in ab_fidelity_report.rows(moved)] == [
        "NEW f32 vs BASE f32", "NEW int8 vs BASE int8", "BASE int8 vs its f32",
        "NEW int8 vs its f32"]


def test_unchanged_failed_and_stopped_passes_say_so():
    same = judged({"base": _reply(ROWS), "new": _reply(ROWS)})
    assert ab_fidelity_report.verdict_line(same) == (
        "fidelity within tolerance (4 synthetic sample(s), f32; numerical fidelity on "
        "synthetic inputs)")
    failed = ABFidelity.not_measured("failed", "outputs not compared: output 'y': shape [1, 7] "
                                     "from NEW, [1, 6] from BASE")
    assert ab_fidelity_report.verdict_line(failed) == (
        "FIDELITY FAILED: outputs not compared: output 'y': shape [1, 7] from NEW, [1, 6] "
        "from BASE (the answers are not known to be unchanged)")
    assert ab_fidelity_report.markdown(failed)[1].startswith("**FIDELITY FAILED: ")
    stopped = ABFidelity.not_measured("interrupted")
    assert ab_fidelity_report.verdict_line(stopped).startswith("FIDELITY INTERRUPTED (")
    assert ABFidelity.from_dict(failed.to_dict()) == failed
    assert ABFidelity.from_dict(same.to_dict()) == same
    assert np.isclose(same.reference[0].cosine_similarity, 1.0)
