"""The confirmation A/B's figures on constructed rounds, and when it is skipped."""

import dataclasses

import numpy as np
import pytest

from perfbench.runner.ab import ABRun, Decision, Epoch, Round
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.confirm import confirm, summary
from perfbench.sizing.race import REFERENCE, RaceEpoch, end_of_budget
from perfbench.sizing.race_sweep import RaceSweep, confirm_floor_s
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
    # as `perfbench ab` measures (review M4): its epochs sized from earlier A/Bs of the
    # pair, pooling their epoch variance (never narrower than its own)
    assert seen["run"].dimension and seen["run"].use_cache
    assert found.new == "fast" and found.base == REFERENCE and found.status == "complete"


def test_a_default_that_only_led_at_the_budget_is_not_said_to_have_won():
    """The 90 s conv race of 2026-12-07: one epoch, 17 points still in, the default
    leading; the note said "the default won the race".  Here a race stopped after two
    epochs (before any look may decide) with the default ahead."""
    from perfbench.sizing.race import play_epoch
    truth = {REFERENCE: 1.3, "same": 1.0, "other": 1.0}
    race, measure = race_model.race_of(truth), race_model.measurer(truth)
    rng = np.random.default_rng(0)
    for _ in range(2):
        play_epoch(race, measure, 10, rng, 8)
    end_of_budget(race, "budget reached")
    assert race.winner == REFERENCE and race.status == "budget"
    sweep = RaceSweep(SweepSpec(BenchmarkConfig(), {}), [Point(k, {}) for k in race.keys],
                      mode="race", race=race)
    note = confirm(sweep, ab=lambda *a, **k: pytest.fail("no A/B of the default")).note
    assert "won" not in note and "only led" in note and "default leads" in note
    assert note.count("still in the race") == 1


def _timed(budget_s, elapsed_s, race_block_s=None, **spec):
    """A race won by "fast" that has used ``elapsed_s`` of ``budget_s``."""
    sweep = _sweep({REFERENCE: 1.0, "fast": 1.3}, budget_s=budget_s, **spec)
    sweep.clock, sweep.started, sweep.block_s = (lambda: elapsed_s), 0.0, race_block_s
    return sweep


def _recording_ab(seen):
    def ab(base, new, pythons, run, stop_event=None, on_round=None):
        seen["max_time_s"] = run.max_time_s
        run.status, run.stop_reason = "complete", "max_time"
        return run
    return ab


def test_a_budget_too_small_for_a_confirmation_gives_the_race_all_of_it():
    """--budget 90s: a third (30 s) cannot hold the 3 epochs of 6 ABBA rounds of 1 s
    blocks an interval needs (about 37 s), so nothing is kept from the race, and the
    race's end finds too little left: skipped, saying why, no A/B run."""
    floor = confirm_floor_s(None)
    assert 30.0 < floor < 45.0
    sweep = _timed(90.0, 88.0)
    assert (sweep.confirm_budget_s(), sweep.race_budget_s()) == (0.0, 90.0)
    found = confirm(sweep, ab=lambda *a, **k: pytest.fail("no A/B without the time"))
    assert found.status == "skipped" and "2 s of the budget left" in found.note
    # longer race blocks make longer confirmation blocks: 150 s is then too small too
    assert _timed(150.0, 0.0, race_block_s=0.3).confirm_budget_s() == 0.0


def test_the_confirmation_has_what_the_race_left_of_the_budget_up_to_confirm_time():
    """150 s: a third (50 s) is kept while the race plans.  A race that ended at 40 s
    leaves 110 s: the A/B gets its full --confirm-time (60 s); one that overran to 105 s
    leaves 45 s, and the A/B is cut to that, the note saying so."""
    sweep = _timed(150.0, 40.0)
    assert (sweep.confirm_budget_s(), sweep.race_budget_s()) == (50.0, 100.0)
    seen = {}
    assert "cut" not in confirm(sweep, ab=_recording_ab(seen)).note
    assert seen["max_time_s"] == 60.0
    late = confirm(_timed(150.0, 105.0), ab=_recording_ab(seen))
    assert seen["max_time_s"] == pytest.approx(45.0)
    assert "--confirm-time 60 s cut to the 45 s the budget left" in late.note
    assert _sweep({REFERENCE: 1.0}).confirm_budget_s() == 60.0        # no budget
    assert _timed(150.0, 0.0, confirm=False).race_budget_s() == 150.0
    # a --confirm-time asked below the floor is the user's: kept, and run
    assert _timed(600.0, 0.0, confirm_time_s=20.0).confirm_budget_s() == 20.0
