"""``ab --attribute``: after the verdict, a separate profiling pass over both sides, and
the attribution of the change to nodes (:mod:`perfbench.stats.attribution`).

Counters cost time, so the pass is never part of the verdict: it runs after it, in a
fresh pair of workers (each side's own interpreter and settings, as the A/B's), with the
model compiled a second time with ``PERF_COUNT`` on.  Like the A/B, only one side runs at
a time: each round profiles one block per side, in an order drawn at random per round
(recorded), so a drift over the pass falls on both sides alike.  The first block of each
side also reads its runtime graph and is not kept (the counters' own warm-up).
"""

from __future__ import annotations

import random
import threading
import time

from perfbench.stats.matching import Node, match
from perfbench.runner.side import Side
from perfbench.stats.attribution import Block, attribute

#: Rounds of the pass (one block per side each): intervals with 7 degrees of freedom.
DEFAULT_ROUNDS = 8
#: A profiling block lasts at least this long and holds at least MIN_INFERENCES.
MIN_PROFILE_S = 0.2
MIN_INFERENCES = 10


def profile_pass(base: dict, new: dict, pythons: tuple[str, str], rounds: int = DEFAULT_ROUNDS,
                 block_s: float = MIN_PROFILE_S, stop_event: threading.Event | None = None,
                 seed: int | None = None, clock=time.monotonic) -> dict:
    """Both sides' profiling blocks, paired by round: the measurement the attribution is
    computed from (and the reproducer writes)."""
    rng = random.Random(seed)
    stop_event = stop_event or threading.Event()
    began = clock()
    specs = {"base": ("BASE", pythons[0], base), "new": ("NEW", pythons[1], new)}
    first = rng.choice(("base", "new"))
    sides: dict[str, Side] = {}
    measured: dict = {"rounds": [], "block_s": block_s, "started_first": first,
                      "status": "complete"}
    try:
        for name in (first, "new" if first == "base" else "base"):
            sides[name] = Side(*specs[name])
        probe = {name: side.profile(block_s, MIN_INFERENCES, graph=True)
                 for name, side in sides.items()}
        measured["graphs"] = {name: probe[name].pop("graph") for name in ("base", "new")}
        measured["sides"] = {name: {"openvino": side.ready.get("openvino"),
                                    "resolved": side.ready.get("resolved"),
                                    "python": side.python} for name, side in sides.items()}
        measured["setup_s"] = clock() - began
        for _ in range(rounds):
            if stop_event.is_set():
                measured["status"] = "interrupted"
                break
            order = rng.choice(("AB", "BA"))
            blocks = {}
            for name in (("base", "new") if order == "AB" else ("new", "base")):
                blocks[name] = sides[name].profile(block_s, MIN_INFERENCES)
            measured["rounds"].append({"order": order, **blocks})
    finally:
        for side in sides.values():
            side.close()
    measured["wall_s"] = clock() - began
    return measured


def attribution(measured: dict, level: float = 0.95) -> dict | None:
    """The ``attribution`` block of an A/B document from a pass's measurement; None when
    the pass has no complete round."""
    if not measured.get("rounds"):
        return None
    graphs = {name: [Node.from_dict(n) for n in measured["graphs"][name]]
              for name in ("base", "new")}
    blocks = {name: [Block.from_dict(r[name]) for r in measured["rounds"]]
              for name in ("base", "new")}
    result = attribute(match(graphs["base"], graphs["new"]), graphs["base"], graphs["new"],
                       blocks["base"], blocks["new"], level)
    return {"status": measured["status"], "separate_pass": True, "counters": "PERF_COUNT",
            "block_s": measured["block_s"], "orders": [r["order"] for r in measured["rounds"]],
            "setup_s": measured.get("setup_s"), "wall_s": measured.get("wall_s"),
            "inferences": {name: sum(b.inferences for b in blocks[name]) for name in blocks},
            **result.to_dict()}
