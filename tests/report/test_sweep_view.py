"""The sweep view's race chart: each point's interval by look, eliminations, the A/B."""

import json

import numpy as np

from perfbench.report.sweep_view import race_chart
from perfbench.results.race import Confirmation, Interval
from perfbench.sizing.race import REFERENCE, document
from tests.sizing import race_model


def test_the_race_chart_draws_every_look_marks_exits_and_shows_the_confirmation():
    truth = {REFERENCE: 1.0, "fast": 1.15, "slow": 0.6}
    race = race_model.play(np.random.default_rng(1), truth)
    confirm = Confirmation(REFERENCE, "fast", "complete", "improvement",
                           Interval(1.14, 1.12, 1.16, 0.99, 4), {"base": 100.0, "new": 114.0},
                           {"base": 95.0, "new": 109.0}, {"base": -5.0, "new": -4.4}, 4)
    doc = document(race, 0.1, confirmation=confirm)
    html = race_chart(doc, "race")
    looks_of_fast = [x.versus_default["fast"].ratio for x in doc.looks
                     if "fast" in x.versus_default]
    assert looks_of_fast and json.dumps(looks_of_fast[-1])[:8] in html
    assert "left the race" in html and "slow" in html and "worse than the leader" in html
    assert "Confirmation A/B: fast against default: improvement" in html
    assert "block vs sustained" in html and "-4.4" in html
