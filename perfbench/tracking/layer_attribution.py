"""``compare --attribute``: which layers a change between two result files comes from.

Each file measured with ``--perf-counters`` holds its per-layer pass
(``results.types.LayerTime``: each executed node's type, implementation and mean counter
time per inference).  The nodes of the two sides are grouped by the matching ``ab
--attribute`` uses (:func:`perfbench.stats.matching.match`) and each group's change is
a row of :func:`perfbench.stats.attribution.attribute`, the same arithmetic: the rows
add up to the change of the counters' sum exactly.  The result is the A/B block's typed
table (:class:`perfbench.results.attribution.AttributionTable`), so one table builder
prints both.

What a result file cannot give, and so is not stated:

* **No interval.**  A file holds one profiling pass: one value per node, per side.
  ``ab --attribute`` takes its intervals over repeated interleaved profiling blocks;
  two separate runs are not paired, so there is nothing to take one over.  With several
  files a side, each node's time is the mean over the side's files, still without one.
* **No time outside the counters.**  A file stores the counters, not the wall time of
  its profiling pass, so the change is that of the counters' sum; scheduling and memory
  traffic between nodes are not in it.
* **No runtime precision change.**  The stored counters name the implementation
  (``execType``), not the precision it ran at.
* Original-layer and producer lists are not stored either, so nodes are matched by
  name, then by type in execution order where one candidate is left; the rest is a
  node on one side only.
"""

from __future__ import annotations

from perfbench.errors import UsageError
from perfbench.results.attribution import AttributionTable
from perfbench.results.types import BenchmarkResult
from perfbench.stats.attribution import Block, attribute
from perfbench.stats.matching import Node, match


def _side_nodes(results: list[BenchmarkResult]) -> tuple[list[Node], dict[str, float]]:
    """The side's executed nodes (first seen first), and each one's counter time per
    inference, the mean over the side's files (a node a file lacks counts 0 there)."""
    nodes: dict[str, Node] = {}
    times: dict[str, float] = {}
    for result in results:
        for layer in result.layers:
            nodes.setdefault(layer.name, Node(layer.name, layer.type, layer.exec_type))
            times[layer.name] = times.get(layer.name, 0.0) + layer.mean_ms / len(results)
    return list(nodes.values()), times


def _block(times: dict[str, float], results: list[BenchmarkResult]) -> Block:
    """One block of the side: the counters' sum is its time (no wall time is stored)."""
    profiled = sum(round(r.layers[0].total_ms / r.layers[0].mean_ms) for r in results
                   if r.layers and r.layers[0].mean_ms > 0)
    return Block(profiled, sum(times.values()), dict(times))


def attribute_results(base: list[BenchmarkResult], new: list[BenchmarkResult],
                      base_files: list[str], new_files: list[str],
                      level: float = 0.95) -> AttributionTable:
    """The per-layer attribution of NEW against BASE; a file without counters is bad
    input, named."""
    for path, result in zip(base_files + new_files, base + new):
        if not result.layers:
            raise UsageError(f"--attribute: {path} has no per-layer counters (measure it "
                             "with perfbench run --perf-counters)")
    base_graph, base_times = _side_nodes(base)
    new_graph, new_times = _side_nodes(new)
    found = attribute(match(base_graph, new_graph), base_graph, new_graph,
                      [_block(base_times, base)], [_block(new_times, new)], level)
    return AttributionTable.from_dict(found.to_dict(), "attribution")
