"""``perfbench fleet run``: the same perfbench command on every measuring node of a cluster,
one task per node at a time, results saved on the driver as they arrive.

No scheduler of our own.  The driver talks to an *executor* with five operations (nodes,
submit, wait, get, cancel); :class:`RayExecutor` is the real one.  On Ray, each measuring
node offers the custom resource ``perfbench`` (1), and each node's task asks for it and is
pinned to that node (node affinity, not soft), so exactly one perfbench task holds a node
at a time and the head measures nothing unless it offers the resource too.  A task runs
``python -m perfbench <command>`` in a subprocess on its node and returns the JSON document,
with the CPU share Ray's own processes took on that node meanwhile and its wall-clock start
and end (so the driver can state the overhead of going through Ray).

Ray is the optional extra ``perfbench[ray]``; it is imported only by :class:`RayExecutor`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from perfbench.errors import UsageError
from perfbench.files import write_json

RESOURCE = "perfbench"
INDEX_EVERY_S = 1.0
SCHEMA = "perfbench.fleet-run"
#: Processes of Ray itself (name or command line), whose CPU share a node task records.
RAY_PROCESS_MARKERS = ("raylet", "gcs_server", "ray::", "dashboard", "log_monitor",
                       "monitor.py", "runtime_env_agent", "ray/_private")


@dataclass
class NodeRun:
    node_id: str
    name: str
    labels: dict
    status: str = "pending"          # done, failed, cancelled, resumed
    error: str = ""
    file: str = ""
    submitted_at: float | None = None     # wall clock (time.time()) on the driver
    started_at: float | None = None       # on the node, when the benchmark process started
    ended_at: float | None = None
    received_at: float | None = None      # back on the driver

    @property
    def overhead_s(self) -> float | None:
        """Time spent in the cluster, not in the benchmark: submit → start, end → back."""
        stamps = (self.submitted_at, self.started_at, self.ended_at, self.received_at)
        if None in stamps:
            return None
        return (self.started_at - self.submitted_at) + (self.received_at - self.ended_at)


@dataclass
class FleetRun:
    command: list[str]
    out_dir: Path
    nodes: list[NodeRun] = field(default_factory=list)
    status: str = "running"

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "schema_version": 1, "status": self.status,
                "command": self.command,
                "nodes": [dict(vars(n), overhead_s=n.overhead_s) for n in self.nodes]}


class Executor(Protocol):
    """What the fleet driver needs from a cluster."""

    def nodes(self) -> list[dict]: ...            # {"id", "name", "labels", "alive", "offers"}
    def submit(self, node_id: str, command: list[str], label: str | None) -> Any: ...
    def wait(self, handles: list, timeout: float) -> list: ...
    def get(self, handle) -> dict: ...
    def cancel(self, handle) -> None: ...


class RayExecutor:
    """Ray: resource ``perfbench`` = 1 per measuring node, node affinity per task."""

    def __init__(self, address: str):
        try:
            import ray
        except ImportError:
            raise UsageError("fleet run needs Ray: pip install 'perfbench[ray]'") from None
        self.ray = ray
        _check_reachable(address)
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False)
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
                        "name": f"{n.get('NodeManagerHostname') or 'node'}-{n['NodeID'][:8]}"})
        return out

    def submit(self, node_id: str, command: list[str], label: str | None):
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        strategy = NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)
        return self.remote.options(resources={RESOURCE: 1}, num_cpus=0, max_retries=0,
                                   scheduling_strategy=strategy).remote(command, label)

    def wait(self, handles: list, timeout: float) -> list:
        ready, _ = self.ray.wait(handles, num_returns=1, timeout=timeout)
        return ready

    def get(self, handle) -> dict:
        return self.ray.get(handle)

    def cancel(self, handle) -> None:
        self.ray.cancel(handle, force=True)

    def close(self) -> None:
        self.ray.shutdown()


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Ray keeps retrying an address where nothing listens (minutes); a plain TCP connect
    answers at once.  ``auto`` is left to Ray, which fails fast when no cluster is known."""
    import socket
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
    return [NodeRun(n["id"], n["name"], n["labels"]) for n in chosen]


def node_task(command: list[str], label: str | None) -> dict:
    """Runs on the node: perfbench in a subprocess, and Ray's CPU share meanwhile."""
    import psutil
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        args = [sys.executable, "-m", "perfbench", *command, "-q", "--json", out]
        if label and command[0] in ("run", "sweep"):
            args += ["--label", label]
        before, started, wall_start = _ray_cpu_seconds(psutil), time.monotonic(), time.time()
        done = subprocess.run(args, capture_output=True, text=True,
                              preexec_fn=_die_with_parent)
        ray_cpu, wall = _ray_cpu_seconds(psutil) - before, time.monotonic() - started
        wall_end = time.time()
        if not os.path.exists(out):
            last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise RuntimeError(last[:300])
        with open(out, encoding="utf-8") as handle:
            document = json.load(handle)
    share = 100 * ray_cpu / (wall * (psutil.cpu_count() or 1)) if wall > 0 else 0.0
    document["fleet"] = {"ray_cpu_pct": share, "exit_status": done.returncode,
                         "started_at": wall_start, "ended_at": wall_end}
    return document


def _die_with_parent() -> None:
    """The benchmark ends with its task: a cancelled (killed) Ray worker must not leave a
    perfbench measuring on, and disturbing, the node (Linux; elsewhere a no-op)."""
    try:
        import ctypes
        import signal
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _ray_cpu_seconds(psutil) -> float:
    total = 0.0
    me = os.getpid()
    for proc in psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]):
        try:
            if proc.info["pid"] == me:
                continue
            text = f"{proc.info['name']} {' '.join(proc.info['cmdline'] or [])}"
            if any(marker in text for marker in RAY_PROCESS_MARKERS):
                times = proc.info["cpu_times"]
                total += times.user + times.system
        except (psutil.Error, TypeError):
            continue
    return total


def run_fleet(executor: Executor, fleet: FleetRun, resume: bool, stop_event: threading.Event,
              label_key: str | None = None, save: bool = True) -> FleetRun:
    """Submit one task per node (skipping nodes already done when resuming), save each
    result as it arrives, and cancel what is left when stopped."""
    pending = {}
    for node in fleet.nodes:
        path = fleet.out_dir / f"{node.name}.json"
        if resume and _complete(path):
            node.status, node.file = "resumed", str(path)
            continue
        node.submitted_at = time.time()
        handle = executor.submit(node.node_id, fleet.command,
                                 node.labels.get(label_key) if label_key else None)
        pending[handle] = node
    if save:
        _save(fleet)
    last_save = time.monotonic()
    while pending and not stop_event.is_set():
        for handle in executor.wait(list(pending), timeout=0.5):
            _collect(executor, handle, pending.pop(handle), fleet, save)
            # each result file is written as it arrives; the index (all nodes) at most
            # once a second: rewriting it per arrival is quadratic in the node count
            if save and time.monotonic() - last_save >= INDEX_EVERY_S:
                _save(fleet)
                last_save = time.monotonic()
    for handle, node in pending.items():
        executor.cancel(handle)
        node.status = "cancelled"
    fleet.status = "interrupted" if pending else (
        "complete" if all(n.status in ("done", "resumed") for n in fleet.nodes) else "failed")
    if save:
        _save(fleet)
    return fleet


def _collect(executor: Executor, handle, node: NodeRun, fleet: FleetRun, save: bool) -> None:
    try:
        document = executor.get(handle)
    except Exception as exc:        # a task error, a dead worker or node: the node failed
        node.status, node.error = "failed", _short(exc)
        return
    node.received_at = time.time()
    stamps = document.get("fleet") or {}
    node.started_at, node.ended_at = stamps.get("started_at"), stamps.get("ended_at")
    path = fleet.out_dir / f"{node.name}.json"
    if save:
        write_json(str(path), document)
    node.status, node.file = "done", str(path)


def _short(exc: Exception) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]


def _complete(path: Path) -> bool:
    try:
        return json.loads(path.read_text()).get("status") == "complete"
    except (OSError, ValueError, AttributeError):
        return False


def _save(fleet: FleetRun) -> None:
    write_json(str(fleet.out_dir / "fleet-run.json"), fleet.to_dict())
