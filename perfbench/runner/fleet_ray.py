"""``perfbench fleet run``: the same perfbench command on every measuring node of a Ray
cluster, one node at a time each, results saved on the driver as they arrive.

No scheduler of our own: each measuring node offers the custom resource ``perfbench`` (1),
and each node's task asks for it and is pinned to that node (node affinity, not soft), so
exactly one perfbench task holds a node at a time and the head measures nothing unless it
offers the resource too.  A task runs ``python -m perfbench <command>`` in a subprocess on
its node and returns the JSON document, with the CPU share Ray's own processes took on
that node meanwhile (they run beside the benchmark on every measured node).

Ray is the optional extra ``perfbench[ray]``; it is imported only here.
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

from perfbench.errors import UsageError
from perfbench.files import write_json

RESOURCE = "perfbench"
SCHEMA = "perfbench.fleet-run"
#: Processes of Ray itself (name or command line), whose CPU share a node task records.
RAY_PROCESS_MARKERS = ("raylet", "gcs_server", "ray::", "dashboard", "log_monitor",
                       "monitor.py", "runtime_env_agent", "ray/_private")


def require_ray():
    try:
        import ray
    except ImportError:
        raise UsageError("fleet run needs Ray: pip install 'perfbench[ray]'") from None
    return ray


@dataclass
class NodeRun:
    node_id: str
    name: str
    labels: dict
    status: str = "pending"          # done, failed, cancelled, resumed
    error: str = ""
    file: str = ""


@dataclass
class FleetRun:
    command: list[str]
    out_dir: Path
    nodes: list[NodeRun] = field(default_factory=list)
    status: str = "running"

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "schema_version": 1, "status": self.status,
                "command": self.command, "nodes": [vars(n) for n in self.nodes]}


def measuring_nodes(ray, selectors: dict[str, str]) -> list[NodeRun]:
    """Alive nodes offering the resource, matching every LABEL=VALUE selector."""
    nodes = [n for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get(RESOURCE)]
    if not nodes:
        raise UsageError(f"no node of the cluster offers the resource {RESOURCE!r}; start "
                         f"measuring nodes with --resources '{{\"{RESOURCE}\": 1}}'")
    known = {key for n in nodes for key in (n.get("Labels") or {})}
    for key in selectors:
        if key not in known:
            raise UsageError(f"--nodes: no measuring node has the label {key!r} (labels: "
                             f"{', '.join(sorted(known)) or 'none'})")
    chosen = [n for n in nodes if all((n.get("Labels") or {}).get(k) == v
                                      for k, v in selectors.items())]
    if not chosen:
        wanted = ", ".join(f"{k}={v}" for k, v in selectors.items())
        raise UsageError(f"--nodes {wanted}: no measuring node matches")
    runs = []
    for n in chosen:
        labels = {k: v for k, v in (n.get("Labels") or {}).items() if not k.startswith("ray.io")}
        name = f"{n.get('NodeManagerHostname') or 'node'}-{n['NodeID'][:8]}"
        runs.append(NodeRun(n["NodeID"], name, labels))
    return runs


def node_task(command: list[str], label: str | None) -> dict:
    """Runs on the node: perfbench in a subprocess, and Ray's CPU share meanwhile."""
    import psutil
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        args = [sys.executable, "-m", "perfbench", *command, "-q", "--json", out]
        if label and command[0] in ("run", "sweep"):
            args += ["--label", label]
        before, started = _ray_cpu_seconds(psutil), time.monotonic()
        done = subprocess.run(args, capture_output=True, text=True,
                              preexec_fn=_die_with_parent)
        ray_cpu, wall = _ray_cpu_seconds(psutil) - before, time.monotonic() - started
        if not os.path.exists(out):
            last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
            raise RuntimeError(last[:300])
        with open(out, encoding="utf-8") as handle:
            document = json.load(handle)
    share = 100 * ray_cpu / (wall * (psutil.cpu_count() or 1)) if wall > 0 else 0.0
    document["fleet"] = {"ray_cpu_pct": share, "exit_status": done.returncode}
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


def run_fleet(ray, fleet: FleetRun, resume: bool, stop_event: threading.Event,
              label_key: str | None = None) -> FleetRun:
    """Start one task per node (skipping nodes already done when resuming), save each
    result as it arrives, and cancel what is left when stopped."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    remote = ray.remote(node_task)
    pending = {}
    for node in fleet.nodes:
        path = fleet.out_dir / f"{node.name}.json"
        if resume and _complete(path):
            node.status, node.file = "resumed", str(path)
            continue
        strategy = NodeAffinitySchedulingStrategy(node_id=node.node_id, soft=False)
        ref = remote.options(resources={RESOURCE: 1}, num_cpus=0,
                             scheduling_strategy=strategy, max_retries=0).remote(
            fleet.command, node.labels.get(label_key) if label_key else None)
        pending[ref] = node
    _save(fleet)
    while pending and not stop_event.is_set():
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
        for ref in ready:
            _collect(ray, ref, pending.pop(ref), fleet)
            _save(fleet)
    for ref, node in pending.items():
        ray.cancel(ref, force=True)
        node.status = "cancelled"
    fleet.status = "interrupted" if pending else (
        "complete" if all(n.status in ("done", "resumed") for n in fleet.nodes) else "failed")
    _save(fleet)
    return fleet


def _collect(ray, ref, node: NodeRun, fleet: FleetRun) -> None:
    try:
        document = ray.get(ref)
    except Exception as exc:        # a RayTaskError, a dead worker or node: the node failed
        node.status, node.error = "failed", _short(exc)
        return
    path = fleet.out_dir / f"{node.name}.json"
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
