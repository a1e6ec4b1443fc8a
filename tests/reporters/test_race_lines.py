"""The race in words: the live line, the answer, the confirmation, from the document."""

import numpy as np

from perfbench.reporters.race_lines import answer_line, confirmation_lines, live_line
from perfbench.results.race import Confirmation, Interval
from perfbench.sizing.race import REFERENCE, document
from tests.sizing import race_model


def test_the_live_line_shows_points_left_the_leader_and_the_latest_exits():
    truth = {REFERENCE: 1.0, "fast": 1.15, "slow": 0.6, "slower": 0.5}
    race = race_model.play(np.random.default_rng(1), truth)
    doc = document(race, 0.1)
    line = live_line(doc)
    left = len(doc.looks[-1].live) - len(doc.looks[-1].eliminated)
    assert f"{left} of 4 points left" in line and "leader fast" in line
    versus = doc.looks[-1].versus_default["fast"]
    assert f"{100 * (versus.ratio - 1):+.1f} %" in line
    assert "slow (after epoch" in line and "vs fast ≤" in line
    assert "\n" not in line
    assert answer_line(doc).startswith("race (won): fast won the race")


def test_the_confirmation_says_ratio_interval_and_the_block_gap():
    found = Confirmation(REFERENCE, "fast", "complete", "improvement",
                         Interval(1.14, 1.12, 1.16, 0.99, 4), {"base": 100.0, "new": 114.0},
                         {"base": 95.0, "new": 109.0}, {"base": -5.0, "new": -4.4}, 4)
    first, base, new = confirmation_lines(found)
    assert "improvement, FPS +14.0 % [+12.0, +16.0] (99 %)" in first
    assert "sustained 100.0 FPS" in base and "(-5.0 %)" in base
    assert "sustained 114.0 FPS" in new and "109.0" in new
    skipped = Confirmation(REFERENCE, "fast", "skipped", note="--no-confirm")
    assert confirmation_lines(skipped) == ["confirmation A/B: skipped: --no-confirm"]


def test_the_answer_says_a_dimensioned_design_and_nothing_of_the_defaults():
    from perfbench.results.ab import EpochDesign
    race = race_model.play(np.random.default_rng(1), {REFERENCE: 1.0, "fast": 1.15})
    race.design = EpochDesign(12, "defaults", "no earlier race", 20.0)
    assert "rounds" not in answer_line(document(race, 0.1))
    race.design = EpochDesign(16, "dimensioned", "from 2 earlier races: …", 20.0)
    line = answer_line(document(race, 0.1))
    assert "; epochs of 16 rounds, dimensioned (from 2 earlier races: …)" in line
    assert "\n" not in line
