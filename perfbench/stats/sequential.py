"""When an A/B run may stop, and what it may then claim.

Looking at the interval after every epoch and stopping once it supports a verdict
("peeking") would raise false alarms far above the nominal 5 %, so each look judges a
*repeated confidence interval* at a stricter level, INTERIM_LEVEL: at 99 % (z 2.58) it
is close to Pocock's constant for ten looks at an overall 5 %, and a run of the default
length makes fewer looks than that.  A run that reaches its planned length is judged at
95 %, which is not Pocock's design (its final look would stay at 99 %); the overall rate
is measured instead: 0 false regressions in 400 simulated A/A runs; false decisions of
either sign at threshold 0 at 4–6 % without a cache (``benchmarks/ab_review.py``), which
is above the nominal 5 %.  The critical value is Student's t at that level with
the interval's own degrees of freedom, never z, since a few epochs give few of them.

Three more rules, each against a failure seen on the project's VMs:

* a decision must be the **same** at CONFIRM_LOOKS consecutive looks ("precise, precise,
  regression" is no decision: one noisy epoch cannot tip it);
* the run measures at least MIN_ESTIMATE_EPOCHS epochs before it stops, decided or not,
  so the reported ratio is not the extreme that happened to end the run (stopping the
  moment the interval first supports a verdict reported −8.7 % for a −6 % change).  The
  decision may come earlier; the estimate rests on the fuller sample, and the bias that
  remains is measured in ``tests/stats/test_sequential.py`` on simulated two-level runs;
* a run stopped at a look, or interrupted, is judged at the interim level, and only a run
  that reached its planned length is judged at the nominal 95 %.

A run judged as one of a family (``perfbench suite --ab``: m entries, one gate) has both
levels Bonferroni-adjusted, 1 − (1 − level)/m, so that the chance that *any* member of an
A/A family shows a false decision stays about that of one run alone, whatever the
dependence between members; each member then needs a larger change, or more epochs, to
decide.  ``interim_level`` and ``final_level`` are the one definition of the levels.
"""

from __future__ import annotations

from perfbench.stats.intervals import family_level
from perfbench.stats.paired import verdict
from perfbench.stats.two_level import EpochVariance, TwoLevelRatio, two_level_ratio

INTERIM_LEVEL = 0.99
FINAL_LEVEL = 0.95
CONFIRM_LOOKS = 2
MIN_ESTIMATE_EPOCHS = 4
DECISIONS = ("regression", "improvement", "no change", "no regression")


def interim_level(family_size: int = 1) -> float:
    """The level of every look (and of a run that stopped early), for one of a family."""
    return family_level(INTERIM_LEVEL, family_size)


def final_level(family_size: int = 1) -> float:
    """The level of a run that reached its planned length, for one of a family."""
    return family_level(FINAL_LEVEL, family_size)


def look(epochs: list[list[float]], threshold_pct: float, target_pct: float,
         prior: EpochVariance | None = None, bigger_is_better: bool = True,
         orders: list[str] | None = None,
         family_size: int = 1) -> tuple[str | None, TwoLevelRatio | None]:
    """What one look at the interim level says — a verdict, "precise" (the interval is as
    narrow as asked), or None (go on) — and the interim interval it read."""
    estimate = two_level_ratio(epochs, interim_level(family_size), prior, orders)
    if estimate is None:
        return None, None
    result = verdict(estimate, threshold_pct, bigger_is_better)
    if result in DECISIONS:
        return result, estimate
    if estimate.half_width_pct <= target_pct:
        return "precise", estimate
    return None, estimate


def stop_reason(looks: list[str | None], epochs_done: int) -> str | None:
    """Why to stop now (the last CONFIRM_LOOKS looks agree on one decision and enough
    epochs are in for the estimate), or None."""
    if epochs_done < MIN_ESTIMATE_EPOCHS or len(looks) < CONFIRM_LOOKS:
        return None
    last = looks[-CONFIRM_LOOKS:]
    if last[0] is None or any(x != last[0] for x in last):
        return None
    return last[0]


def judged_level(early: bool, family_size: int = 1) -> float:
    """The level a finished run is judged at: interim when it stopped before its planned
    length (at a look, or interrupted), nominal when it ran its course."""
    return interim_level(family_size) if early else final_level(family_size)


def judge(epochs: list[list[float]], threshold_pct: float, early: bool,
          prior: EpochVariance | None = None, bigger_is_better: bool = True,
          orders: list[str] | None = None,
          family_size: int = 1) -> tuple[str, TwoLevelRatio | None]:
    """The verdict of a finished run and the interval it was judged on."""
    estimate = two_level_ratio(epochs, judged_level(early, family_size), prior, orders)
    return verdict(estimate, threshold_pct, bigger_is_better), estimate
