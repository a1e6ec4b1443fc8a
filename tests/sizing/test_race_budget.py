"""``run_race`` end to end on a simulated clock: a 17-point grid against ``--budget 90s``,
with workers that take time to start and blocks that take the time asked of them, so the
budget's checks (blocks fitted, rounds cut, epochs planned at the first epoch's pace, the
next epoch refused when it would overrun) run as they do on a real machine, and the answer
is known: one point is 25 % faster than the default, the rest at most 10 %.

What the budget promises, measured here: at a steady pace the race ends within it; on a
machine that slows in mid-race (workers starting 6× slower after 40 s) it overruns by at
most the slow epoch's extra start time (98.6 s of 90 on the first of three seeds): an epoch already started runs
its workers' starts and the fewest rounds an epoch level needs (docs/sweep.md)."""

from __future__ import annotations

import math

import numpy as np

from perfbench.errors import RunFailed
from perfbench.settings.config import BenchmarkConfig
from perfbench.sizing.race_run import run_race
from perfbench.sizing.spec import SweepSpec
from tests.models import synthetic_document

BUDGET_S = 90.0
START_S = 0.4              # a worker's start and compile, on the simulated clock
SLOWS_AT_S = 40.0          # when the machine gets busier, in the slowing-machine test
BEST = "requests=4,streams=2"
DEFAULT_FPS = 1000.0
PROCESS_SD = 0.04          # each worker's draw (log), and each block's noise beyond it: noisy
BLOCK_SD = 0.06            # enough that the race runs into its budget, not a decision


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _truth(key: str) -> float:
    """Each point's FPS over the default's: the best 1.25, the others 0.7 to 1.1."""
    if key == "default":
        return 1.0
    if key == BEST:
        return 1.25
    return 0.7 + (sum(map(ord, key)) % 5) / 10


def simulated(clock: Clock, rng: np.random.Generator, slower_start_s: float = START_S):
    """A worker for ``run_race``'s ``side``: no process; its start and every block advance
    the clock; each worker draws its process level, each block its noise."""
    class Simulated:
        def __init__(self, label, python, settings, wait=True, controls=None):
            self.label, self.blocks = label, []
            self.level = rng.normal(0, PROCESS_SD)
            clock.advance(START_S if clock() < SLOWS_AT_S else slower_start_s)

        def wait_ready(self) -> dict:
            return {}

        def block(self, seconds: float, warmup: float, record: bool = True) -> dict:
            start = clock()
            clock.advance(seconds + warmup)
            fps = DEFAULT_FPS * _truth(self.label) * math.exp(self.level +
                                                              rng.normal(0, BLOCK_SD))
            if record:
                self.blocks.append(fps)
            return {"fps": fps, "completed": int(fps * seconds), "duration_s": seconds,
                    "t_start": start + warmup, "t_end": clock(), "median_ms": 1000 / fps,
                    "p99_ms": 1200 / fps}

        def result(self, interrupted: bool) -> dict:
            if not self.blocks:
                raise RunFailed("no block was measured")
            return synthetic_document([float(np.mean(self.blocks))])

        def close(self) -> None:
            pass
    return Simulated


def _race(seed: int, slower_start_s: float = START_S):
    """At fixed 10 s epochs: the budget's logic is the subject, so no race here is sized
    from an earlier seed's components (review M6 of the dimensioning)."""
    clock, saved = Clock(), []
    spec = SweepSpec(BenchmarkConfig(model="m.xml", seed=seed),
                     {"streams": [1, 2, 3, 4], "requests": [1, 2, 4, 8]},
                     budget_s=BUDGET_S, point_time_s=60.0, confirm=False, epoch_s=10.0)
    sweep = run_race(spec, saved.append, clock=clock,
                     side=simulated(clock, np.random.default_rng(seed), slower_start_s))
    return sweep, clock, saved


def test_a_17_point_race_keeps_its_90_s_budget_and_says_what_it_knows():
    sweep, clock, saved = _race(0)
    race = sweep.race
    assert len(race.keys) == 17 and race.keys[0] == "default"
    assert clock() <= BUDGET_S                      # never an epoch beyond the budget
    assert len(race.epochs) >= 2                    # enough for an interval between epochs
    assert saved and saved[-1] is sweep             # saved after every epoch and at the end
    # noisy points: the budget ends it, and it says what is known then
    assert race.status == "budget" and race.why.endswith(f"{race.winner} leads")
    assert sweep.status == "complete"
    # the answer: the best point is the pick, or still in the race beside it
    assert race.winner == BEST or BEST in race.live()


def test_over_ten_simulated_races_the_pick_is_the_best_point():
    """Ten seeds: the 25 % point is picked (or still racing when the budget ends, the
    race then saying so) in every one, each within the budget."""
    for seed in range(10):
        sweep, clock, _ = _race(seed)
        assert clock() <= BUDGET_S, seed
        assert sweep.race.winner == BEST or BEST in sweep.race.live(), (seed, sweep.race.why)


def test_a_machine_that_slows_mid_race_overruns_by_at_most_the_slow_epochs_starts():
    """Workers start 6× slower after 40 s: the epoch begun then was predicted at the last
    one's pace.  The overrun is bounded by that epoch's extra start time (every point of
    the grid started slower), and the best point is still named."""
    slower = 6 * START_S
    for seed in range(3):
        sweep, clock, _ = _race(seed, slower)
        assert clock() <= BUDGET_S + 17 * (slower - START_S), (seed, clock())
        assert sweep.race.winner == BEST or BEST in sweep.race.live(), seed
