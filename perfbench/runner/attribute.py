"""``ab --attribute``: after the verdict, a separate profiling pass over both sides, and
the attribution of the change to nodes (:mod:`perfbench.stats.attribution`).

Counters cost time, so the pass is never part of the verdict: it runs after it, in a
fresh pair of workers (each side's own interpreter and settings, as the A/B's), with the
model compiled a second time with ``PERF_COUNT`` on.  Like the A/B, only one side runs at
a time: each round profiles one block per side, in an order drawn at random per round
(recorded), so a drift over the pass falls on both sides alike.  The first block of each
side also reads its runtime graph and is not kept (the counters' own warm-up).

Under ``--control`` the pass's workers start under the same controls as the verdict's
(each epoch its own layout draw), so the nodes are timed in the process the verdict timed:
``pin`` above all, which sets how many threads a node runs on.  The controls that act
before each timed block (prefault, evict, warmup) are the verdict's only: a profiling block
has its own probe as warm-up.
"""

from __future__ import annotations

import random
import threading
import time

from perfbench.results.attribution import Attribution, AttributionTable, ProfilingPass
from perfbench.runner.benchmark import log
from perfbench.runner.controls import Controls
from perfbench.stats.matching import Node, match
from perfbench.runner.side import Side
from perfbench.stats.attribution import Block, attribute

#: Epochs of the pass (fresh pairs of workers; the intervals' units, 3 degrees of freedom)
#: and rounds in each (one block per side each).
DEFAULT_EPOCHS = 4
DEFAULT_ROUNDS = 3
#: A profiling block lasts at least this long and holds at least MIN_INFERENCES.
MIN_PROFILE_S = 0.2
MIN_INFERENCES = 10


def profile_pass(base: dict, new: dict, pythons: tuple[str, str], rounds: int = DEFAULT_ROUNDS,
                 block_s: float = MIN_PROFILE_S, stop_event: threading.Event | None = None,
                 seed: int | None = None, epochs: int = DEFAULT_EPOCHS,
                 clock=time.monotonic, controls: Controls | None = None) -> dict:
    """Both sides' profiling blocks, paired by round, ``rounds`` in each of ``epochs``
    fresh pairs of workers (started in alternating order, under ``controls``): the
    measurement the attribution is computed from (and the reproducer writes)."""
    rng = random.Random(seed)
    layout_rng = random.Random(None if seed is None else seed + 1)
    stop_event = stop_event or threading.Event()
    began = clock()
    first = rng.choice(("base", "new"))
    measured: dict = {"rounds": [], "block_s": block_s, "started_first": first,
                      "epochs": [], "status": "complete"}
    for epoch in range(epochs):
        if stop_event.is_set():
            measured["status"] = "interrupted"
            break
        order = first if epoch % 2 == 0 else ("new" if first == "base" else "base")
        try:
            _profile_epoch(base, new, pythons, order, epoch, rounds, block_s, stop_event,
                           rng, measured, clock, _workers(controls, layout_rng))
        except Exception as exc:
            if not _keep_completed_epochs(measured, epoch, exc):
                raise
            break
    measured["wall_s"] = clock() - began
    return measured


def _keep_completed_epochs(measured: dict, failed: int, exc: Exception) -> bool:
    """After epoch ``failed`` failed (a worker died, say), keep the epochs before it as a
    ``partial`` pass with the error; the failed epoch's own rounds go (their pair of
    workers did not finish: not an epoch like the others).  False when no epoch had
    completed: nothing to keep, the failure is the pass's."""
    if failed == 0:
        return False
    measured["rounds"] = [r for r in measured["rounds"] if r["epoch"] < failed]
    measured["epochs"] = [e for e in measured["epochs"] if e["index"] < failed]
    first_line = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    measured["status"] = "partial"
    measured["error"] = f"epoch {failed + 1} failed: {first_line}"
    return True


def _workers(controls: Controls | None, rng: random.Random) -> dict:
    """Each side's part of the controls for one epoch (no part without controls)."""
    if not controls:
        return {"base": None, "new": None}
    return {name: controls.for_worker(rng) for name in ("base", "new")}


def _profile_epoch(base, new, pythons, first: str, epoch: int, rounds: int, block_s: float,
                   stop_event, rng, measured: dict, clock, workers: dict) -> None:
    """One pair of workers: a probe block each (the counters' warm-up, and the runtime
    graph, kept from the first epoch), then the rounds."""
    specs = {"base": ("BASE", pythons[0], base), "new": ("NEW", pythons[1], new)}
    began = clock()
    sides: dict[str, Side] = {}
    try:
        for name in (first, "new" if first == "base" else "base"):
            sides[name] = Side(*specs[name], controls=workers[name])
        probe = {name: side.profile(block_s, MIN_INFERENCES, graph=True)
                 for name, side in sides.items()}
        measured.setdefault("graphs", {name: probe[name]["graph"] for name in ("base", "new")})
        measured.setdefault("sides", {name: {"openvino": side.ready.get("openvino"),
                                             "resolved": side.ready.get("resolved"),
                                             "python": side.python}
                                      for name, side in sides.items()})
        record = {"index": epoch, "started_first": first, "setup_s": clock() - began}
        if workers["base"] is not None:         # each worker's own report of its controls
            record["controls"] = {name: sides[name].ready.get("controls") or {}
                                  for name in ("base", "new")}
        measured["epochs"].append(record)
        for _ in range(rounds):
            if stop_event.is_set():
                measured["status"] = "interrupted"
                break
            order = rng.choice(("AB", "BA"))
            blocks = {}
            for name in (("base", "new") if order == "AB" else ("new", "base")):
                blocks[name] = sides[name].profile(block_s, MIN_INFERENCES)
            measured["rounds"].append({"epoch": epoch, "order": order, **blocks})
            log.info("ab attribution epoch %d round %d", epoch + 1,
                     sum(r["epoch"] == epoch for r in measured["rounds"]))
        record["wall_s"] = clock() - began
    finally:
        for side in sides.values():
            side.close()


def attribution(measured: dict, level: float = 0.95) -> Attribution | None:
    """The ``attribution`` block of an A/B document from a pass's measurement; None when
    the pass has no complete round.  A ``partial`` pass (an epoch failed after others
    completed) carries its ``error``."""
    if not measured.get("rounds"):
        return None
    graphs = {name: [Node.from_dict(n) for n in measured["graphs"][name]]
              for name in ("base", "new")}
    blocks = {name: [Block.from_dict(r[name]) for r in measured["rounds"]]
              for name in ("base", "new")}
    result = attribute(match(graphs["base"], graphs["new"]), graphs["base"], graphs["new"],
                       blocks["base"], blocks["new"], level,
                       [r["epoch"] for r in measured["rounds"]])
    profiling = ProfilingPass(
        separate_pass=True, counters="PERF_COUNT", block_s=measured["block_s"],
        orders=tuple(r["order"] for r in measured["rounds"]),
        setup_s=sum(e["setup_s"] for e in measured["epochs"]),
        wall_s=measured.get("wall_s"),
        inferences={name: sum(b.inferences for b in blocks[name]) for name in blocks})
    return Attribution(measured["status"], measured.get("error"), profiling,
                       AttributionTable.from_dict(result.to_dict(), "attribution"))
