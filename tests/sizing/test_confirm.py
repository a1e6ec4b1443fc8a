"""The confirmation A/B's figures on constructed rounds, and when it is skipped."""

import dataclasses

import numpy as np
import pytest

from perfbench.runner.ab import ABRun, Decision, Epoch, Round
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.confirm import confirm, summary
from perfbench.sizing.race import REFERENCE, RaceEpoch, end_of_budget
from perfbench.sizing.race_sweep import RaceSweep
from perfbench.sizing.spec import SweepSpec
from perfbench.sizing.sweep import Point
from perfbench.stats.two_level import TwoLevelRatio
from tests.sizing import race_model


def _sweep(truth, **spec):
    race = race_model.play(np.random.default_rng(2), truth)
    points = [Point(k, {}) for k in race.keys]
    return RaceSweep(SweepSpec(BenchmarkConfig(), {}, **spec), points, mode="race",
                     race=race)


def _block(completed, seconds, batch=1):
    return {"completed": completed, "duration_s": seconds, "batch": batch,
            "fps": completed * batch / seconds}


def test_sustained_fps_is_images_over_time_and_the_gap_is_against_the_race_blocks():
    sweep = _sweep({REFERENCE: 1.0, "fast": 1.3})
    run = ABRun(settings={})
    run.block_s, run.stop_reason, run.status = 1.0, "no change", "complete"
    run.epochs = [Epoch(0, "base", [Round("AB", _block(100, 1.0), _block(130, 1.0, 2)),
                                    Round("BA", _block(300, 2.0), _block(120, 1.0, 2))])]
    estimate = TwoLevelRatio(1.3, 1.25, 1.35, 0.99, 0.26, 0.01, 3, 4, 40, 2.0, 1.0,
                             "this run")
    run.decision = Decision("improvement", "fps", 0.99, estimate, True)
    found = summary(sweep, run)
    assert found.sustained_fps["base"] == pytest.approx(400 / 3.0)
    assert found.sustained_fps["new"] == pytest.approx(500 / 2.0)
    blocks = [r["fps"]["fast"] for e in sweep.race.epochs for r in e.rounds
              if "fast" in r["fps"]]
    # simulated rounds keep no block record: blocks of equal length, images over time
    assert found.block_fps["new"] == pytest.approx(float(np.mean(blocks)))
    assert found.gap_pct["new"] == pytest.approx(100 * (found.block_fps["new"] / 250 - 1))
    assert (found.ratio.ratio, found.ratio.low, found.ratio.level) == (1.3, 1.25, 0.99)


def _race_of_blocks(blocks: list[tuple[float, float]]) -> RaceSweep:
    """A race whose point ``fast`` ran blocks of (FPS, seconds), the default 100 FPS."""
    race = race_model.race_of({REFERENCE: 1.0, "fast": 1.0})
    rounds = [{"order": [REFERENCE, "fast"], "fps": {REFERENCE: 100.0, "fast": fps},
               "blocks": [{"key": "fast", "t_start": 10.0, "t_end": 10.0 + seconds,
                           "fps": fps}]} for fps, seconds in blocks]
    race.epochs.append(RaceEpoch(0, [REFERENCE, "fast"], [REFERENCE, "fast"], rounds, 1.0))
    race.winner = "fast"
    return RaceSweep(SweepSpec(BenchmarkConfig(), {}), [Point(k, {}) for k in race.keys],
                     mode="race", race=race)


def test_the_gap_compares_images_over_time_with_images_over_time():
    """Issue 25 (B3): blocks of 100 and 400 FPS, 0.1 s each, are 25 images in 0.2 s: 250
    FPS, as a sustained A/B at 250 FPS reads; the geometric mean (200) made a -20 % gap of
    an estimator.  A longer block weighs more: 0.1 s at 100 and 0.3 s at 400 is 325 FPS."""
    run = ABRun(settings={})
    run.block_s, run.stop_reason, run.status = 1.0, "no change", "complete"
    run.epochs = [Epoch(0, "base", [Round("AB", _block(100, 1.0), _block(250, 1.0))])]
    run.decision = Decision("inconclusive", "fps", 0.99, None, True)
    found = summary(_race_of_blocks([(100.0, 0.1), (400.0, 0.1)]), run)
    assert found.block_fps["new"] == pytest.approx(250.0)
    assert found.gap_pct["new"] == pytest.approx(0.0, abs=1e-9)
    assert found.block_fps["base"] == pytest.approx(100.0)
    weighted = summary(_race_of_blocks([(100.0, 0.1), (400.0, 0.3)]), run)
    assert weighted.block_fps["new"] == pytest.approx(325.0)


def test_sustained_fps_is_the_ab_documents_side_fps():
    """A round with an empty block is no round of the A/B (``Round.usable``): the A/B
    document's side FPS leaves it out, and the confirmation's sustained FPS is that same
    figure (it counted the other side's block of that round: 130/2 s, not 100/1 s)."""
    from perfbench.runner.ab import side_figures
    sweep = _sweep({REFERENCE: 1.0, "fast": 1.3})
    run = ABRun(settings={})
    run.block_s, run.stop_reason, run.status = 1.0, "no change", "complete"
    run.epochs = [Epoch(0, "base", [Round("AB", _block(100, 1.0), _block(130, 1.0)),
                                    Round("BA", _block(30, 1.0), _block(0, 1.0))])]
    run.decision = Decision("inconclusive", "fps", 0.99, None, True)
    found = summary(sweep, run)
    assert found.sustained_fps["base"] == pytest.approx(100.0)
    assert found.sustained_fps["base"] == side_figures(run, {})["base"].fps


def test_the_confirmation_is_skipped_when_asked_or_when_the_default_won():
    won = _sweep({REFERENCE: 1.0, "fast": 1.3}, confirm=False)
    assert confirm(won).note == "--no-confirm"
    default = _sweep({REFERENCE: 1.3, "slow": 0.6})
    assert default.race.winner == REFERENCE
    never = confirm(default, ab=lambda *a, **k: pytest.fail("no A/B when the default won"))
    assert never.status == "skipped" and "default won" in never.note


def test_the_winner_and_the_default_are_measured_as_ab_does():
    sweep = _sweep({REFERENCE: 1.0, "fast": 1.3}, confirm_time_s=20.0)
    seen = {}

    def ab(base, new, pythons, run, stop_event=None, on_round=None):
        seen.update(base=base, new=new, run=dataclasses.replace(run))
        run.status, run.stop_reason = "complete", "max_time"
        return run
    found = confirm(sweep, ab=ab)
    assert seen["run"].max_time_s == 20.0 and seen["run"].block_s >= 1.0
    assert found.new == "fast" and found.base == REFERENCE and found.status == "complete"


def test_a_default_that_only_led_at_the_budget_is_not_said_to_have_won():
    """The 90 s conv race of 2026-12-07: one epoch, 17 points still in, the default
    leading; the note said "the default won the race"."""
    sweep = _sweep({REFERENCE: 1.0, "same": 1.0, "other": 1.0})
    sweep.race.status, sweep.race.exits = "running", []
    end_of_budget(sweep.race, "budget reached")
    sweep.race.winner = REFERENCE
    note = confirm(sweep, ab=lambda *a, **k: pytest.fail("no A/B of the default")).note
    assert "won" not in note and "only led" in note
    assert "3 points still in the race" in note         # the race's own count, once


def test_the_confirmation_takes_at_most_a_third_of_a_budget_and_runs_within_it():
    """--budget 90s with the 60 s confirmation left the race 30 s (one epoch); now the
    race has 60 s and the A/B 30 s, and the A/B is capped at its share."""
    sweep = _sweep({REFERENCE: 1.0, "fast": 1.3}, budget_s=90.0)
    assert (sweep.race_budget_s(), sweep.confirm_budget_s()) == (60.0, 30.0)
    assert _sweep({REFERENCE: 1.0}, budget_s=600.0).confirm_budget_s() == 60.0
    assert _sweep({REFERENCE: 1.0}).confirm_budget_s() == 60.0        # no budget
    assert _sweep({REFERENCE: 1.0}, budget_s=90.0, confirm=False).race_budget_s() == 90.0
    seen = {}

    def ab(base, new, pythons, run, stop_event=None, on_round=None):
        seen["max_time_s"] = run.max_time_s
        run.status, run.stop_reason = "complete", "max_time"
        return run
    confirm(sweep, ab=ab)
    assert seen["max_time_s"] == 30.0
