"""``perfbench fleet run``: the same perfbench command on every measuring node of a cluster,
one task per node at a time, results saved on the driver as they arrive.

No scheduler of our own.  The driver talks to an *executor* with five operations (nodes,
submit, wait, get, cancel); ``fleet_ray.RayExecutor`` is the real one.  A task
(``fleet_task.node_task``) runs ``python -m perfbench <command>`` in a subprocess on its
node and returns the JSON document, with the CPU share Ray's own processes took on that
node meanwhile (``ray_cpu``) and its wall-clock start and end (so the driver can state the
overhead of going through Ray).  Node selection is ``fleet_nodes``; a suite directory's
trip back is ``fleet_suite_dir``.  This module holds the run's state and its loop.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from perfbench.files import write_json
from perfbench.results import fleet as documents
from perfbench.sizing.fleet_suite_dir import SUITE_SCHEMA, suite_done, write_suite_directory
from perfbench.sizing.fleet_task import DEFAULT_TIMEOUT_S, STOP_GRACE_S

INDEX_EVERY_S = 1.0
#: After a stop, how long the driver waits for the cancelled tasks' partial results: each
#: node stops its benchmark within STOP_GRACE_S, and sends back what it wrote.
CANCEL_WAIT_S = STOP_GRACE_S + 15.0
SCHEMA = documents.RUN_SCHEMA


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
    timeout_s: float = DEFAULT_TIMEOUT_S

    def document(self) -> documents.FleetRun:
        """The run as it stands, as the ``perfbench.fleet-run`` document (``fleet-run.json``)."""
        return documents.FleetRun(self.status, tuple(self.command), self.timeout_s, tuple(
            documents.NodeRecord(**vars(n), overhead_s=n.overhead_s) for n in self.nodes))

    def to_dict(self) -> dict:
        return self.document().to_dict()


class Executor(Protocol):
    """What the fleet driver needs from a cluster."""

    def nodes(self) -> list[dict]: ...        # {"id", "hostname", "labels", "alive", "offers"}
    def submit(self, node_id: str, command: list[str], label: str | None,
               timeout_s: float) -> Any: ...
    def wait(self, handles: list, timeout: float) -> list: ...
    def get(self, handle) -> dict: ...
    def cancel(self, handle) -> None: ...


def run_fleet(executor: Executor, fleet: FleetRun, resume: bool, stop_event: threading.Event,
              label_key: str | None = None, save: bool = True) -> FleetRun:
    """Submit one task per node (skipping nodes already done when resuming), save each
    result as it arrives, and cancel what is left when stopped, keeping the partial
    results the cancelled nodes send back (:func:`_collect_cancelled`)."""
    pending = {}
    for node in fleet.nodes:
        path = fleet.out_dir / (f"{node.name}/suite.json" if fleet.command[0] == "suite"
                                else f"{node.name}.json")
        label = node.labels.get(label_key) if label_key else None
        if resume and _complete(path, fleet.command, label):
            node.status, node.file = "resumed", str(path)
            continue
        node.submitted_at = time.time()
        handle = executor.submit(node.node_id, fleet.command, label, fleet.timeout_s)
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
    _collect_cancelled(executor, pending, fleet, save)
    fleet.status = "interrupted" if pending else (
        "complete" if all(n.status in ("done", "resumed") for n in fleet.nodes) else "failed")
    if save:
        _save(fleet)
    return fleet


def _collect_cancelled(executor: Executor, cancelled: dict, fleet: FleetRun, save: bool,
                       wait_s: float = CANCEL_WAIT_S) -> None:
    """A cancelled node stops its benchmark with SIGINT, which writes what it measured,
    and sends that back: each is saved as it arrives, for at most ``wait_s`` (they were
    left unread, so a measured partial result was lost).  A node whose task ended with
    the cancel (nothing measured yet) stays cancelled."""
    left = dict(cancelled)
    deadline = time.monotonic() + wait_s
    while left and time.monotonic() < deadline:
        for handle in executor.wait(list(left), timeout=min(0.5, wait_s)):
            # one that finished before its cancel came is done (or failed) as it says
            _collect(executor, handle, left.pop(handle), fleet, save, cancelled=True)


def _collect(executor: Executor, handle, node: NodeRun, fleet: FleetRun, save: bool,
             cancelled: bool = False) -> None:
    try:
        document = executor.get(handle)
    except Exception as exc:        # a task error, a dead worker or node: the node failed
        if not cancelled:           # (a cancelled task's error is its cancel)
            node.status, node.error = "failed", _short(exc)
        return
    node.received_at = time.time()
    stamps = document.get("fleet") or {}
    node.started_at, node.ended_at = stamps.get("started_at"), stamps.get("ended_at")
    path = fleet.out_dir / f"{node.name}.json"
    if document.get("schema") == SUITE_SCHEMA:      # the node's suite directory
        path = fleet.out_dir / node.name
        if save:
            write_suite_directory(document, path)
    elif save:
        write_json(str(path), document)
    node.status, node.file = "done", str(path)
    if document.get("schema") == SUITE_SCHEMA and stamps.get("exit_status") != 0 and \
            not stamps.get("timed_out") and document.get("status") != "interrupted":
        node.status = "failed"      # every entry failed, a regression, or the suite crashed
        node.error = (f"the suite exited with status {stamps.get('exit_status')}; its "
                      f"directory is kept in {path}")
    if stamps.get("cancelled"):
        node.status = "cancelled"   # stopped by this run: what it measured is kept
        node.error = f"cancelled; its partial result is kept in {path}"
    elif stamps.get("timed_out") or document.get("status") == "interrupted":
        node.status = "failed"      # what it measured is kept, but the node did not finish
        node.error = (f"timed out (fleet run --timeout); its partial result is kept in "
                      f"{path}" if stamps.get("timed_out") else
                      f"interrupted; its partial result is kept in {path}")


def _short(exc: Exception) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:300]


def _complete(path: Path, command: list[str], label: str | None) -> bool:
    """A complete result of this very command (and label): a file another command made,
    or one from before fleet run recorded its command, is measured again."""
    try:
        document = json.loads(path.read_text())
        made_by = document.get("fleet") or {}
        if document.get("schema") == "perfbench.suite":
            return suite_done(document) and made_by.get("command") == command \
                and made_by.get("exit_status") == 0
        return document.get("status") == "complete" and made_by.get("command") == command \
            and made_by.get("label") == label
    except (OSError, ValueError, AttributeError):
        return False


def _save(fleet: FleetRun) -> None:
    write_json(str(fleet.out_dir / "fleet-run.json"), fleet.to_dict())
