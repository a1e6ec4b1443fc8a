"""Which nodes of a cluster measure: alive, offering the ``perfbench`` resource, matching
every ``--nodes LABEL=VALUE``; and each one's identity across cluster restarts (its host
name and labels), which also names its result file."""

from __future__ import annotations

import re

from perfbench.errors import UsageError
from perfbench.sizing.fleet_ray import RESOURCE
from perfbench.sizing.fleet_run import Executor, NodeRun


def measuring_nodes(executor: Executor, selectors: dict[str, str]) -> list[NodeRun]:
    """Alive nodes offering the resource, matching every LABEL=VALUE selector."""
    nodes = [n for n in executor.nodes() if n["alive"] and n["offers"]]
    if not nodes:
        raise UsageError(f"no node of the cluster offers the resource {RESOURCE!r}; start "
                         f"measuring nodes with --resources '{{\"{RESOURCE}\": 1}}'")
    known = {key for n in nodes for key in n["labels"]}
    for key in selectors:
        if key not in known:
            raise UsageError(f"--nodes: no measuring node has the label {key!r} (labels: "
                             f"{', '.join(sorted(known)) or 'none'})")
    chosen = [n for n in nodes if all(n["labels"].get(k) == v for k, v in selectors.items())]
    if not chosen:
        wanted = ", ".join(f"{k}={v}" for k, v in selectors.items())
        raise UsageError(f"--nodes {wanted}: no measuring node matches")
    runs = [NodeRun(n["id"], node_name(n["hostname"], n["labels"]), n["labels"]) for n in chosen]
    names = [r.name for r in runs]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UsageError(f"two measuring nodes share the identity {twice[0]!r} (host name and "
                         "labels): give each its own label, or run one node per machine")
    return runs


def node_name(hostname: str, labels: dict) -> str:
    """A node's identity across cluster restarts (Ray's node id changes with every start):
    its host name and its label values; also its result file's name in --out."""
    text = "-".join([hostname, *(str(labels[k]) for k in sorted(labels))])
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "node"
