"""The rules of a racing sweep, as pure code: who is measured in the next epoch, in what
start and round order, what a look decides, when the race ends and which point the tie
rule picks.  :mod:`perfbench.sizing.race_run` plays it with real workers; the tests play
it with simulated points whose answer is known.

The design, and why (docs/sweep.md has the long form):

* **Racing** (Maron & Moore's Hoeffding races; Birattari et al.'s F-race): every point
  starts in the race, rounds measure only the points still in it, and a point leaves as
  soon as the data show it worse than the leader — here by more than the tie margin,
  judged on an interval that counts the process level (:mod:`perfbench.stats.racing`).
  So the time goes to the points that could still win, as in successive halving, but
  without a fixed halving schedule that would drop a point on a noisy rank.
* **Epochs of fresh workers** (Kalibera & Jones): a worker's process draw stays with it,
  so every epoch restarts every worker, in a fresh random start order (the process
  started later ran up to 7 % faster on the Xeon VM): the start-order effect becomes part
  of each epoch's draw and the random order keeps it out of the means.
* **One family** (Bonferroni over points and looks): each look tests every live point
  against the leader, one-sided at α / (points × (points − 1) × planned looks) (the
  leader is the data's choice, so every ordered pair is in the union bound); with the looks
  fixed before the first decision this is the simplest alpha spending that holds
  whatever the dependence between tests and looks, and the reference interval of each
  pick stays an ordinary 95 % one.
* **The reference** (the default) is measured in every epoch: every point of every wave
  is paired through it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from perfbench.results.ab import EpochDesign
from perfbench.results.race import (
    REFERENCE,
    Confirmation,
    Interval,
    LatencyJudgement,
    RaceEpochRecord,
    RaceExit,
    RaceLook,
    RaceResult,
)
from perfbench.stats.racing import (
    MIN_DECISION_EPOCHS,
    MIN_LEVEL_ROUNDS,
    Contrast,
    contrast,
    elimination_level,
    epoch_levels,
    leader_of,
    log_interval,
    look,
    pooled_variance,
)

DEFAULT_ALPHA = 0.05
DEFAULT_MARGIN_PCT = 3.0
#: Planned epochs when no budget says otherwise.
DEFAULT_MAX_EPOCHS = 12
#: An epoch measures about this long (as ``perfbench ab``'s epochs) and at least
#: MIN_EPOCH_ROUNDS rounds.
DEFAULT_EPOCH_S = 10.0
MIN_EPOCH_ROUNDS = 8
#: Planned epochs are never fewer than the first decision needs, nor more than this.
MAX_PLANNED_EPOCHS = 40


@dataclass(frozen=True)
class RaceRules:
    """The race's stated design: family error, tie margin, planned epochs."""

    alpha: float = DEFAULT_ALPHA
    margin_pct: float = DEFAULT_MARGIN_PCT
    max_epochs: int = DEFAULT_MAX_EPOCHS
    epoch_s: float = DEFAULT_EPOCH_S
    #: Rounds per epoch as the dimensioning chose them (:mod:`perfbench.sizing.
    #: race_design`); None: about ``epoch_s`` of rounds.
    rounds: int | None = None

    @property
    def margin(self) -> float:
        return self.margin_pct / 100

    def tests(self, points: int) -> int:
        """Tests in the family: every ordered pair of points at every planned look.  The
        leader is chosen by the data, so a point within the margin is eliminated against
        whichever point leads: the union bound runs over each point against every other
        (points − 1 tests a look cover only the best point's survival; 8 points tied at
        the best and 8 at the margin lost one of them in 10 % of simulated races)."""
        looks = max(self.max_epochs - MIN_DECISION_EPOCHS + 1, 1)
        return max(points * (points - 1), 1) * looks

    def level(self, points: int) -> float:
        return elimination_level(self.alpha, self.tests(points))

    def to_dict(self) -> dict:
        rules = {"alpha": self.alpha, "margin_pct": self.margin_pct,
                 "max_epochs": self.max_epochs, "epoch_s": self.epoch_s}
        return rules if self.rounds is None else {**rules, "rounds": self.rounds}


@dataclass
class Exit:
    """A point that left the race: at which epoch's look, why, and on which interval."""

    key: str
    epoch: int
    reason: str                         # "worse than the leader" or "worker failed: …"
    leader: str | None = None
    interval: dict | None = None        # Contrast.to_dict() against the leader


@dataclass
class RaceEpoch:
    """One epoch: the points measured (fresh workers), their start order, its rounds."""

    index: int
    points: list[str]
    start_order: list[str]
    rounds: list[dict] = field(default_factory=list)     # {"order": [...], "fps": {k: v}}
    wall_s: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)   # at the SLA percentile

    def log_fps(self, keys: list[str]) -> np.ndarray:
        """rounds × all race points (NaN: not in this epoch, or no block)."""
        out = np.full((len(self.rounds), len(keys)), np.nan)
        column = {k: i for i, k in enumerate(keys)}
        for r, rnd in enumerate(self.rounds):
            for key, fps in rnd["fps"].items():
                if fps and fps > 0 and key in column:
                    out[r, column[key]] = math.log(fps)
        return out



@dataclass
class Race:
    keys: list[str]                     # every point, the reference first
    settings: dict[str, dict]
    rules: RaceRules = field(default_factory=RaceRules)
    seed: int = 0
    epochs: list[RaceEpoch] = field(default_factory=list)
    exits: list[Exit] = field(default_factory=list)
    looks: list[dict] = field(default_factory=list)
    status: str = "running"     # running, won, tied, budget, interrupted, failed
    winner: str | None = None
    why: str = ""
    #: How the epochs were sized (:mod:`perfbench.sizing.race_design`); None until the
    #: first epoch's probe has set the block length.
    design: EpochDesign | None = None
    _levels: list[np.ndarray] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.keys[0] != REFERENCE:
            raise ValueError("the reference comes first")
        self._levels = [self._epoch_levels(e) for e in self.epochs]

    def _epoch_levels(self, epoch: RaceEpoch) -> np.ndarray:
        """The epoch's levels over its own points (NaN for the rest of the race)."""
        levels = np.full(len(self.keys), np.nan)
        present = [i for i, k in enumerate(self.keys) if k in epoch.points]
        levels[present] = epoch_levels(epoch.log_fps([self.keys[i] for i in present]))
        return levels

    @property
    def levels(self) -> np.ndarray:
        return np.array(self._levels) if self._levels else np.empty((0, len(self.keys)))

    def gone(self) -> set[str]:
        return {e.key for e in self.exits}

    def live(self) -> list[str]:
        """The contenders still in the race (the reference too, unless it was beaten)."""
        return [k for k in self.keys if k not in self.gone()]

    def measured(self) -> list[str]:
        """What the next epoch measures: the live points, and the reference always
        (unless its worker failed: then nothing is paired through it any more)."""
        failed = {e.key for e in self.exits if e.reason.startswith("worker failed")}
        keep = self.live()
        if REFERENCE not in keep and REFERENCE not in failed:
            keep = [REFERENCE] + keep
        return keep

    def add_epoch(self, epoch: RaceEpoch) -> None:
        self.epochs.append(epoch)
        self._levels.append(self._epoch_levels(epoch))

    def drop(self, key: str, message: str) -> None:
        """A point whose worker died: out of the race, with its message; the rest goes on."""
        if key not in self.gone():
            self.exits.append(Exit(key, len(self.epochs), f"worker failed: {message}"))

    def leader(self) -> str | None:
        live = self.live()
        if not live or not self._levels:
            return live[0] if live else None
        index = [self.keys.index(k) for k in live]
        return self.keys[leader_of(self.levels, index, 0)]


def wave(race: Race, capacity: int) -> list[str]:
    """The points of the next epoch.  All of them when they fit; else the reference, the
    leader, and the next slice of the others in turn, so that every point is paired with
    the reference (and the leader) in each of its epochs."""
    points = race.measured()
    if len(points) <= capacity:
        return points
    leader = race.leader()
    anchors = [k for k in (REFERENCE, leader) if k in points]
    anchors = list(dict.fromkeys(anchors))
    others = [k for k in points if k not in anchors]
    size = max(capacity - len(anchors), 1)
    waves = math.ceil(len(others) / size)
    index = len(race.epochs) % waves
    return anchors + others[index * size:(index + 1) * size]


def waves_needed(race: Race, capacity: int) -> int:
    points = race.measured()
    if len(points) <= capacity:
        return 1
    return math.ceil((len(points) - 2) / max(capacity - 2, 1))


def start_order(rng: np.random.Generator, points: list[str]) -> list[str]:
    """A fresh random start order each epoch: which worker starts (and compiles) first."""
    return [points[i] for i in rng.permutation(len(points))]


def round_order(rng: np.random.Generator, points: list[str]) -> list[str]:
    return [points[i] for i in rng.permutation(len(points))]


def epoch_rounds(rules: RaceRules, points: int, block_s: float, warmup_s: float) -> int:
    """Rounds per epoch: as the dimensioning chose them (for the whole race), else about
    ``epoch_s`` of measuring, at least MIN_EPOCH_ROUNDS (as points leave, rounds get
    shorter and each epoch holds more of them)."""
    if rules.rounds is not None:
        return rules.rounds
    round_s = max(points, 1) * (block_s + warmup_s)
    return max(MIN_EPOCH_ROUNDS, math.ceil(rules.epoch_s / round_s))


def rounds_within_budget(count: int, left_s: float, round_s: float, start_s: float,
                         epochs_done: int) -> int:
    """Rounds for this epoch when a budget binds.  The process level needs epochs, not
    rounds: an interval needs MIN_DECISION_EPOCHS of them, so until they are done the
    budget left is shared among the epochs still needed (each also paying its workers'
    start, ``start_s``, as this one did).  Given the whole budget, a first epoch slowed
    by a loaded machine took all of it and the race ended with no interval at all.
    Never fewer than an epoch level needs (MIN_LEVEL_ROUNDS)."""
    still_needed = max(MIN_DECISION_EPOCHS - epochs_done, 1)
    share = left_s / still_needed - start_s
    fits = int(share // round_s) if round_s > 0 else count
    return max(min(count, fits), MIN_LEVEL_ROUNDS)


#: The fewest requests of the slowest point a block shortened for the budget still holds.
MIN_BLOCK_COMPLETIONS = 5


def block_floor(probed_s: float, probe_requests: int, floor_s: float) -> float:
    """The shortest block a budget may ask for: the time the slowest point takes for
    MIN_BLOCK_COMPLETIONS requests (the probe's block was sized for ``probe_requests`` of
    them), at least ``floor_s``.  Shorter, a block completes nothing, or a request per
    stream (0.1 s blocks of a 0.3 s model, the review found)."""
    return max(floor_s, probed_s * MIN_BLOCK_COMPLETIONS / probe_requests)


def block_within_budget(block_s: float, left_s: float, points: int, start_s: float,
                        warmup_s: float, floor_s: float) -> float:
    """The block length, shortened when even the fewest rounds an epoch level needs
    (MIN_LEVEL_ROUNDS) over MIN_DECISION_EPOCHS epochs would overrun the budget: a probe
    on a loaded machine asked for 6 s blocks, and a 75 s race took 151 s for one epoch.
    A shorter block holds fewer requests and is noisier, which the interval counts; the
    budget is the user's.  Never below ``floor_s``."""
    share = left_s / MIN_DECISION_EPOCHS - start_s
    fits = share / (MIN_LEVEL_ROUNDS * max(points, 1)) - warmup_s
    return max(floor_s, min(block_s, fits))


def resources(settings: dict) -> tuple:
    """What a point holds: streams × requests × batch (unset counts 1), for the tie rule."""
    def value(key: str) -> int:
        v = settings.get(key)
        return int(v) if isinstance(v, int) else 1
    return (value("streams") * value("requests") * value("batch"), value("streams"),
            value("requests"), value("batch"))


def tie_pick(race: Race, tied: list[str]) -> tuple[str, str]:
    """The point a tie gives: the default if it is among them (no change to make), else
    the one holding the fewest resources (fewer streams, requests and images in flight:
    less memory, shorter queues)."""
    if REFERENCE in tied:
        return REFERENCE, "tied within the margin: the default is among the tied points"
    pick = min(tied, key=lambda k: (resources(race.settings.get(k, {})), k))
    return pick, "tied within the margin: the one with the fewest resources"


def decide(race: Race) -> None:
    """The look after an epoch: eliminations (recorded with their interval), then the
    end of the race if one point is left or the rest are tied with the leader, or if the
    planned epochs are spent."""
    live = race.live()
    index = [race.keys.index(k) for k in live]
    level = race.rules.level(len(race.keys))
    found = look(race.levels, index, 0, race.rules.margin, level)
    leader = race.keys[found.leader]
    epoch = len(race.epochs)
    for p, interval in found.eliminated.items():
        race.exits.append(Exit(race.keys[p], epoch, "worse than the leader by more than "
                               f"{race.rules.margin_pct:g} %", leader, interval.to_dict()))
    race.looks.append(_look_record(race, epoch, leader, found, level))
    survivors = race.live()
    if len(survivors) == 1:
        race.status, race.winner = "won", survivors[0]
        race.why = "the last point in the race"
    elif found.tied and len(race.epochs) >= MIN_DECISION_EPOCHS:
        race.status = "tied"
        race.winner, race.why = tie_pick(race, survivors)
    elif epoch >= race.rules.max_epochs:
        end_of_budget(race, "planned epochs spent")


def end_of_budget(race: Race, reason: str) -> None:
    """The race stopped before a decision: it says what is known (the leader, and who is
    still in), and names the leader only as the best so far."""
    race.status = "budget"
    race.winner = race.leader()
    left = race.live()
    race.why = (f"{reason}: {len(left)} point{'s' if len(left) != 1 else ''} still in the "
                f"race; {race.winner} leads")


def _look_record(race: Race, epoch: int, leader: str, found, level: float) -> dict:
    """Each live point's interval against the leader (at the elimination level) and
    against the reference (at 95 %), for the history the report draws."""
    versus_default = {}
    if found.pooled is not None:
        for key in race.measured():
            c = contrast(race.levels, race.keys.index(key), 0, 0, found.pooled, 0.95)
            if c is not None and key != REFERENCE:
                versus_default[key] = c.to_dict()
    return {"epoch": epoch, "leader": leader, "level": level,
            "live": race.live(),
            "versus_leader": {race.keys[p]: c.to_dict() for p, c in found.versus_leader.items()
                              if c is not None},
            "versus_default": versus_default,
            "eliminated": [race.keys[p] for p in found.eliminated]}


def versus_default(race: Race, level: float = 0.95) -> dict[str, Contrast]:
    """Every point's FPS over the default's with its interval (process level counted: the
    pooled two-level variance), from all epochs it was measured in."""
    pooled = pooled_variance(race.levels)
    if pooled is None:
        return {}
    out = {}
    for i, key in enumerate(race.keys[1:], start=1):
        c = contrast(race.levels, i, 0, 0, pooled, level)
        if c is not None:
            out[key] = c
    return out


#: Measures one epoch: (points, start order, rounds, rng) -> the rounds
#: ({"order": [...], "fps": {key: fps}}); a worker that fails is reported through
#: ``failed`` (key -> message) and left out of the rest of the epoch.
def play_epoch(race: Race, measure, capacity: int, rng: np.random.Generator,
               rounds: int) -> RaceEpoch:
    """One epoch of the race: its wave, a fresh start order, ``rounds`` rounds in fresh
    random order (``measure`` runs them), the workers that failed dropped, then the look."""
    points = wave(race, capacity)
    order = start_order(rng, points)
    epoch = RaceEpoch(len(race.epochs), points, order)
    failed: dict[str, str] = {}
    epoch.rounds, epoch.wall_s = measure(points, order, rounds, rng, failed)
    for key, message in failed.items():
        race.drop(key, message)
    epoch.points = [k for k in points if k not in failed]
    race.add_epoch(epoch)
    if race.status == "running" and len(race.live()) >= 1:
        decide(race)
    return epoch


def _interval(data: dict | None) -> Interval | None:
    return None if data is None else Interval.from_dict(data, "race")


def document(race: Race, block_s: float | None, waves_note: str = "",
             latency: tuple[LatencyJudgement, ...] = (),
             confirmation: Confirmation | None = None) -> RaceResult:
    """The race as its typed document: every figure computed here, once."""
    return RaceResult(
        race.rules.to_dict(), race.status, race.winner, race.why, tuple(race.keys),
        race.seed, block_s, waves_note,
        tuple(RaceEpochRecord(e.index, tuple(e.points), tuple(e.start_order), e.wall_s,
                              tuple(e.rounds), dict(e.latency_ms)) for e in race.epochs),
        tuple(RaceExit(x.key, x.epoch, x.reason, x.leader, _interval(x.interval))
              for x in race.exits),
        tuple(RaceLook(x["epoch"], x["leader"], x["level"], tuple(x["live"]),
                       {k: _interval(v) for k, v in x["versus_leader"].items()},
                       {k: _interval(v) for k, v in x["versus_default"].items()},
                       tuple(x["eliminated"])) for x in race.looks),
        {k: _interval(c.to_dict()) for k, c in versus_default(race).items()},
        latency, confirmation, design=race.design)


def restore(result: RaceResult, settings: dict[str, dict]) -> Race:
    """The race saved in a sweep file, ready to go on (``--resume``)."""
    rules = RaceRules(**{k: v for k, v in result.rules.items()
                         if k in RaceRules.__dataclass_fields__})
    race = Race(list(result.keys), settings, rules, result.seed,
                [RaceEpoch(e.index, list(e.points), list(e.start_order), list(e.rounds),
                           e.wall_s, dict(e.latency_ms)) for e in result.epochs],
                [Exit(x.key, x.epoch, x.reason, x.leader,
                      x.interval.to_dict() if x.interval else None) for x in result.exits],
                [x.to_dict() for x in result.looks], design=result.design)
    if result.status not in ("interrupted", "running"):
        race.status, race.winner, race.why = result.status, result.winner, result.why
    return race


def latency_judgements(race: Race, sla_ms: float, level: float = 0.95
                       ) -> tuple[LatencyJudgement, ...]:
    """Each point's latency at the SLA percentile with its interval over the epochs it
    ran in (fresh processes: the process level counted), and what that says against the
    SLA; a point with no interval (one epoch) is "uncertain" unless it is far over."""
    out = []
    for key in race.keys:
        values = [e.latency_ms[key] for e in race.epochs if e.latency_ms.get(key)]
        found = log_interval(values, level)
        if found is None:
            out.append(LatencyJudgement(key, None, "over" if values and min(values) > sla_ms
                                        else "uncertain" if values else "unmeasured"))
            continue
        value, low, high = found
        verdict = "within" if high <= sla_ms else "over" if low > sla_ms else "uncertain"
        out.append(LatencyJudgement(key, Interval(None, low, high, level, len(values),
                                                  value=value), verdict))
    return tuple(out)
