"""The race document: typed, round-trips through its dict, keeps who left when and why."""

import numpy as np
import pytest

from perfbench.results.race import Confirmation, Interval, RaceResult
from perfbench.sizing.race import REFERENCE, document, latency_judgements, restore
from tests.sizing import race_model


def _race():
    truth = {REFERENCE: 1.0, "fast": 1.15, "slow": 0.6, "same": 1.0}
    race = race_model.play(np.random.default_rng(1), truth)
    for epoch in race.epochs:
        epoch.latency_ms = {k: 10.0 + i for i, k in enumerate(epoch.points)}
    return race


def test_the_race_document_round_trips_and_keeps_its_history():
    race = _race()
    confirm = Confirmation("default", "fast", "complete", "improvement",
                           Interval(1.14, 1.12, 1.16, 0.99, 4), {"base": 100.0, "new": 114.0},
                           {"base": 95.0, "new": 109.0}, {"base": -5.0, "new": -4.4}, 4)
    doc = document(race, 0.1, "", latency_judgements(race, 12.0), confirm)
    again = RaceResult.from_dict(doc.to_dict())
    assert again == doc
    slow = next(x for x in doc.exits if x.key == "slow")
    assert slow.interval.high < 0.97 and slow.leader == "fast" and slow.epoch >= 3
    assert set(doc.to_dict()["versus_default"]["fast"]) >= {"ratio", "low", "high", "level"}
    assert doc.winner == "fast" and doc.status == "won"


def test_a_restored_race_has_the_same_levels_and_exits():
    race = _race()
    back = restore(document(race, 0.1), race.settings)
    assert np.allclose(back.levels, race.levels, equal_nan=True)
    assert back.gone() == race.gone() and back.status == race.status


def test_latency_is_judged_on_its_interval_against_the_sla():
    race = _race()
    for i, epoch in enumerate(race.epochs):        # "same": 19-21 ms, straddling 20
        epoch.latency_ms = {REFERENCE: 5.0 + 0.1 * (i % 2), "same": 19.0 + 2 * (i % 2),
                            "fast": 40.0 + i % 2}
    verdicts = {j.key: j.verdict for j in latency_judgements(race, 20.0)}
    assert verdicts[REFERENCE] == "within" and verdicts["same"] == "uncertain"
    assert verdicts["fast"] == "over"


@pytest.mark.parametrize("rules, design, words", [
    ({"rounds": "12"}, None, "rules.rounds must be a whole number from 3"),
    ({"rounds": 2}, None, "rules.rounds must be a whole number from 3"),
    ({"rounds": True}, None, "rules.rounds"),
    ({"rounds": 10 ** 6}, None, "to 512"),
    ({}, {"chosen_by": "guessed"}, "design.chosen_by must be one of fixed, defaults"),
    ({}, {"rounds_per_epoch": 0}, "design.rounds_per_epoch must be ≥ 1")])
def test_a_hand_edited_design_is_one_line_not_a_failure_mid_race(rules, design, words):
    """Review (issue 29, L2/L3): a hand-edited ``"rounds": "12"`` raised a TypeError in the
    middle of a resumed race, and 1 or 2 rounds gave levels of NaN: a race that never
    decides."""
    from perfbench.results.race import MAX_RULE_ROUNDS, MIN_LEVEL_ROUNDS
    from perfbench.results.types import SchemaError
    from perfbench.stats import dimensioning, racing
    assert MIN_LEVEL_ROUNDS == racing.MIN_LEVEL_ROUNDS
    assert MAX_RULE_ROUNDS == dimensioning.ROUNDS_GRID[-1]
    data = document(_race(), 0.1).to_dict()
    data["rules"] = {**data["rules"], **rules}
    if design is not None:
        data["design"] = {"rounds_per_epoch": 12, "chosen_by": "dimensioned",
                          "reason": "r", "budget_s": 20.0, **design}
    with pytest.raises(SchemaError, match=words):
        RaceResult.from_dict(data)
