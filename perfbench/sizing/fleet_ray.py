"""The Ray executor of ``perfbench fleet run``: each measuring node offers the custom resource
``perfbench`` (1), and each node's task asks for it and is pinned to that node (node
affinity, not soft), so exactly one perfbench task holds a node at a time and the head
measures nothing unless it offers the resource too.

Ray is the optional extra ``perfbench[ray]``; it is imported here only, inside
:class:`RayExecutor` (so the extra stays optional).
"""

from __future__ import annotations

import logging
import socket

from perfbench.errors import UsageError
from perfbench.sizing.fleet_task import node_task

RESOURCE = "perfbench"


class RayExecutor:
    """Ray: resource ``perfbench`` = 1 per measuring node, node affinity per task."""

    def __init__(self, address: str):
        try:
            import ray      # inside: the optional extra perfbench[ray]
        except ImportError:
            raise UsageError("fleet run needs Ray: pip install 'perfbench[ray]'") from None
        self.ray = ray
        _check_reachable(address)
        try:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
        except Exception as exc:        # ConnectionError, or Ray's own for a bad address
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise UsageError(f"--ray {address}: no reachable Ray cluster ({first})") from None
        self.remote = ray.remote(node_task)

    def nodes(self) -> list[dict]:
        out = []
        for n in self.ray.nodes():
            labels = {k: v for k, v in (n.get("Labels") or {}).items()
                      if not k.startswith("ray.io")}
            out.append({"id": n["NodeID"], "alive": bool(n.get("Alive")), "labels": labels,
                        "offers": bool(n.get("Resources", {}).get(RESOURCE)),
                        "hostname": n.get("NodeManagerHostname") or "node"})
        return out

    def submit(self, node_id: str, command: list[str], label: str | None, timeout_s: float):
        # inside: Ray is the optional extra perfbench[ray]
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        strategy = NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)
        return self.remote.options(resources={RESOURCE: 1}, num_cpus=0, max_retries=0,
                                   scheduling_strategy=strategy).remote(command, label,
                                                                        timeout_s)

    def wait(self, handles: list, timeout: float) -> list:
        ready, _ = self.ray.wait(handles, num_returns=1, timeout=timeout)
        return ready

    def get(self, handle) -> dict:
        return self.ray.get(handle)

    def cancel(self, handle) -> None:
        """Not forced: the task gets a KeyboardInterrupt, stops its benchmark and removes
        its directory (a forced cancel kills the worker before it can)."""
        self.ray.cancel(handle, force=False)

    def close(self) -> None:
        self.ray.shutdown()


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Ray keeps retrying an address where nothing listens (minutes); a plain TCP connect
    answers at once.  ``auto`` is left to Ray, which fails fast when no cluster is known."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--ray {address}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as exc:
        raise UsageError(f"--ray {address}: no reachable Ray cluster ({exc.strerror or exc})"
                         ) from None
