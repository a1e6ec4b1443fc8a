"""The race's pick confirmed: the winner against the default, measured as ``perfbench ab``
measures (:func:`perfbench.runner.ab.run_ab`: epochs of fresh workers, ABBA rounds, the
two-level interval and the sequential stopping rule, its decision taken once).

The A/B runs blocks ten times the race's (at least 1 s), so its FPS is each side's
sustained speed, not a 0.1 s block's after a 30 ms warm-up; the confirmation stores both
sides' sustained FPS and how far the race's block FPS was from them (the blocks read up
to 8-12 % low on the 2-core VM for small pools).  Both are images over time, so the gap
compares like with like (:func:`block_fps`).
"""

from __future__ import annotations

import dataclasses
import sys
import threading

from perfbench.results.race import Confirmation, Interval
from perfbench.runner.ab import ABRun, run_ab, side_figures
from perfbench.sizing.race import REFERENCE
from perfbench.sizing.race_run import worker_settings
from perfbench.sizing.race_sweep import RaceSweep, confirm_block_s, confirm_floor_s



def sustained_fps(run: ABRun, side: str) -> float | None:
    """A side's images per second over its A/B blocks (``side``: "base"/"new"): the A/B
    document's own figure (:func:`perfbench.runner.ab.side_figures`), not a second one."""
    return side_figures(run, {})[side].fps


def block_fps(sweep: RaceSweep, key: str) -> float | None:
    """A point's FPS over the race's blocks, defined as the A/B's sustained FPS is: images
    over time, over every block of every epoch (each block's FPS times its length is its
    images).  The gap then measures what it is meant to, short blocks against long ones,
    not an estimator: the geometric mean of block FPS the race's ratios use is below the
    images over time by about half the blocks' log variance.  A round that kept no block
    record (a simulated one) counts its blocks as equally long."""
    images = seconds = 0.0
    for epoch in sweep.race.epochs:
        for found in epoch.rounds:
            fps = found["fps"].get(key, 0)
            if fps > 0:
                length = _block_length(found, key)
                images += fps * length
                seconds += length
    return images / seconds if seconds > 0 else None


def _block_length(found: dict, key: str) -> float:
    """The wall time of ``key``'s block in a round (``t_end - t_start``), or 1."""
    block = next((b for b in found.get("blocks") or () if b.get("key") == key), None)
    if block is None or block.get("t_end") is None or block.get("t_start") is None:
        return 1.0
    return max(block["t_end"] - block["t_start"], 0.0)


def _default_note(race) -> str:
    """Why the default is not confirmed, as far as the race got: it won (the last point
    left), it is among the points tied within the margin, or it only led when the
    budget or the planned epochs ran out (``race.why`` says how many were still in),
    which says nothing of the points still in the race."""
    if race.status == "won":
        return f"the default won the race ({race.why}): nothing to confirm"
    if race.status == "tied":
        return f"the default is among the points tied within the margin ({race.why})"
    return (f"the default only led when the race stopped ({race.why}): no pick to "
            "confirm, and no sign that the points still in it are not better")


def skipped(sweep: RaceSweep, note: str) -> Confirmation:
    return Confirmation(REFERENCE, sweep.race.winner or "", "skipped", note=note)


def confirm(sweep: RaceSweep, stop_event: threading.Event | None = None,
            on_round=None, ab=run_ab) -> Confirmation:
    """The winner against the default, as ``perfbench ab --base-set/--new-set`` would run
    them; skipped when asked, when the default won, or when the race was interrupted."""
    spec, race = sweep.spec, sweep.race
    if not spec.confirm:
        return skipped(sweep, "--no-confirm")
    if race.status in ("interrupted", "failed") or race.winner is None:
        return skipped(sweep, f"the race did not finish ({race.status})")
    if race.winner == REFERENCE:
        return skipped(sweep, _default_note(race))
    points = {p.key: p for p in sweep.points}
    base = worker_settings(spec, points[REFERENCE])
    new = worker_settings(spec, points[race.winner])
    block = confirm_block_s(sweep.block_s)
    seconds, floor = sweep.confirm_time_left_s(), confirm_floor_s(sweep.block_s)
    if seconds < min(floor, spec.confirm_time_s):      # the budget, not the user, cut it
        return skipped(sweep, f"{seconds:.0f} s of the budget left; a confirmation needs "
                       f"at least {floor:.0f} s ({block:.1f} s blocks) to give an "
                       "interval: a larger --budget, or --no-confirm to say so")
    # its epochs sized as ab's are, from earlier A/Bs of this pair (the default length
    # until enough is known: short enough for five epochs in the time given)
    run = ABRun(settings={"common": {}, "base": base, "new": new},
                max_time_s=seconds, block_s=block,
                epoch_s=min(10.0, max(seconds / 5, 2 * block)), dimension=True)
    try:
        ab(base, new, (sys.executable, sys.executable), run, stop_event=stop_event,
           on_round=on_round)
    except Exception as exc:        # the race's answer stands; the A/B says why it failed
        return Confirmation(REFERENCE, race.winner, "failed", note=str(exc)[:300],
                            epochs=len(run.epochs))
    found = summary(sweep, run)
    if seconds < spec.confirm_time_s:
        found = dataclasses.replace(found, note=f"{found.note}; --confirm-time "
                                    f"{spec.confirm_time_s:g} s cut to the {seconds:.0f} s "
                                    "the budget left")
    return found


def summary(sweep: RaceSweep, run: ABRun) -> Confirmation:
    """The A/B's stored decision and interval, both sides' sustained FPS, and the race's
    block FPS against them, in per cent."""
    decision = run.decision
    estimate = decision.estimate if decision is not None else None
    ratio = None if estimate is None else Interval(estimate.ratio, estimate.low,
                                                   estimate.high, estimate.level,
                                                   estimate.epochs, "epochs")
    sustained = {side: sustained_fps(run, side) for side in ("base", "new")}
    blocks = {"base": block_fps(sweep, REFERENCE), "new": block_fps(sweep, sweep.race.winner)}
    gap = {side: 100 * (blocks[side] / sustained[side] - 1) for side in sustained
           if sustained[side] and blocks[side]}
    return Confirmation(REFERENCE, sweep.race.winner, run.status,
                        decision.verdict if decision else None, ratio,
                        {k: v for k, v in sustained.items() if v},
                        {k: v for k, v in blocks.items() if v}, gap, len(run.epochs),
                        f"A/B blocks of {run.block_s:.2f} s, stopped: {run.stop_reason}")
