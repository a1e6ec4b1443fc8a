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
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from perfbench.errors import UsageError
from perfbench.files import write_json
from perfbench.results import fleet as documents
from perfbench.suite.document import FINAL
from perfbench.suite.process import STOP_GRACE_S as SUITE_ENTRY_GRACE_S
from perfbench.suite.process import perfbench_command

RESOURCE = "perfbench"
INDEX_EVERY_S = 1.0
SCHEMA = documents.RUN_SCHEMA
#: What a node task returns for ``-- suite``: its suite directory in one document.
SUITE_SCHEMA = "perfbench.fleet-suite"
#: Ray's own processes, whose CPU share a node task records, matched exactly: the names of
#: its binaries, the ``ray::`` title its workers and agents set, and its Python scripts
#: by their path inside the ray package.
RAY_PROCESS_NAMES = ("raylet", "gcs_server")
RAY_TITLE = "ray::"
RAY_SCRIPTS = ("ray/_private/log_monitor.py", "ray/autoscaler/_private/monitor.py",
               "ray/dashboard/dashboard.py", "ray/dashboard/agent.py",
               "ray/_private/runtime_env/agent/main.py", "ray/_private/workers/default_worker.py",
               "ray/util/client/server/server.py")
#: A node task that has not finished after this long is stopped and reported failed.
DEFAULT_TIMEOUT_S = 4 * 3600.0
#: Each node task's temporary directory: this prefix, the task process id, a random part.
TMP_PREFIX = "perfbench-fleet-"


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


def node_task(command: list[str], label: str | None,
              timeout_s: float = DEFAULT_TIMEOUT_S) -> dict:
    """Runs on the node: perfbench in a subprocess, and Ray's CPU share meanwhile.  The
    temporary directory goes whatever ends the task (a result, a failure, the timeout, a
    cancel); one left by a task whose worker was killed goes at the next task's start."""
    import psutil
    remove_stale_directories()
    tmp = tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-")
    try:
        out = os.path.join(tmp, "result.json")
        suite_dir = os.path.join(tmp, "suite")
        where = ["--out", suite_dir] if command[0] == "suite" else ["--json", out]
        args = perfbench_command(*command, "-q", *where)     # ends with this task
        if label and command[0] in ("run", "sweep"):
            args += ["--label", label]
        before, started, wall_start = _ray_cpu_by_process(psutil), time.monotonic(), time.time()
        code, stderr, timed_out = _run_benchmark(args, timeout_s)
        ray_cpu, wall = _ray_cpu_grown(psutil, before), time.monotonic() - started
        wall_end = time.time()
        if command[0] == "suite" and os.path.exists(os.path.join(suite_dir, "suite.json")):
            out, document = suite_dir, read_suite_directory(suite_dir)
        if not os.path.exists(out):
            if timed_out:
                raise RuntimeError(f"timed out after {timeout_s:g} s (fleet run --timeout): "
                                   "the benchmark was stopped before it wrote a result")
            last = (stderr.strip().splitlines() or [f"exit status {code}"])[-1]
            raise RuntimeError(last[:300])
        if command[0] != "suite":
            with open(out, encoding="utf-8") as handle:
                document = json.load(handle)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    share = 100 * ray_cpu / (wall * (psutil.cpu_count() or 1)) if wall > 0 else 0.0
    document["fleet"] = {"ray_cpu_pct": share, "exit_status": code, "command": command,
                         "label": label, "started_at": wall_start, "ended_at": wall_end,
                         "timed_out": timed_out}
    return document


def read_suite_directory(directory: str) -> dict:
    """A node's suite directory as one document to send back: its ``suite.json`` and each
    entry's result file, by name."""
    with open(os.path.join(directory, "suite.json"), encoding="utf-8") as handle:
        suite = json.load(handle)
    files = {}
    for record in suite.get("entries", []):
        name = record.get("file")
        if name and os.path.isfile(os.path.join(directory, name)):
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                files[name] = json.load(handle)
    return {"schema": SUITE_SCHEMA, "status": suite.get("status"), "suite": suite,
            "files": files}


def write_suite_directory(document: dict, directory: Path) -> None:
    """A node's suite directory on the driver, as the node wrote it, with the fleet block
    (command, label, times) in its ``suite.json``."""
    for name, content in document["files"].items():
        write_json(str(directory / Path(name).name), content)
    write_json(str(directory / "suite.json"), dict(document["suite"],
                                                   fleet=document.get("fleet")))


#: After the timeout, or a cancel, the benchmark gets this long to stop on SIGINT and write
#: the result it has measured (marked interrupted) before its session is killed; longer
#: than a suite gives its running entry for the same, so a suite can finish its own stop.
STOP_GRACE_S = SUITE_ENTRY_GRACE_S + 15.0


def _run_benchmark(args: list[str], timeout_s: float) -> tuple[int, str, bool]:
    """The benchmark in its own session (``start_new_session``, safe in a threaded worker),
    so that it and any process it starts can be stopped together.  Waits in short steps:
    Ray cancels a task by raising KeyboardInterrupt in it, which a wait without a timeout
    would not see until the benchmark ended.  Returns (exit status, stderr, timed out)."""
    deadline = time.monotonic() + timeout_s
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        while True:
            try:
                _, stderr = proc.communicate(timeout=min(0.5, max(deadline - time.monotonic(),
                                                                  0.01)))
                return proc.returncode, stderr, False
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    stderr = _stop_session(proc)
                    return proc.returncode, stderr, True
    finally:
        if proc.returncode is None:
            _stop_session(proc)


def _stop_session(proc: subprocess.Popen) -> str:
    """SIGINT first, so perfbench writes what it measured; the whole session is killed
    if it has not ended after STOP_GRACE_S, and with it every process it started in a
    session of its own (a suite's entries), which a kill of the session would miss."""
    import psutil
    for signum, wait_s in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGKILL, None)):
        if signum == signal.SIGKILL:
            _kill_descendants(psutil, proc.pid)
        try:
            os.killpg(proc.pid, signum)
        except OSError:
            pass
        try:
            return proc.communicate(timeout=wait_s)[1] or ""
        except subprocess.TimeoutExpired:
            continue
    return ""


def _kill_descendants(psutil, pid: int) -> None:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass


def remove_stale_directories() -> None:
    """Temporary directories of node tasks whose process no longer exists."""
    import psutil
    pattern = re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")
    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return
    for entry in entries:
        match = pattern.match(entry.name)
        if match and entry.is_dir() and not psutil.pid_exists(int(match.group(1))):
            shutil.rmtree(entry.path, ignore_errors=True)


def _ray_cpu_by_process(psutil) -> dict[int, float]:
    """CPU seconds of each live Ray process (not this one), by pid."""
    out = {}
    me = os.getpid()
    for proc in psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]):
        try:
            if proc.info["pid"] != me and is_ray_process(proc.info["name"] or "",
                                                         proc.info["cmdline"] or []):
                times = proc.info["cpu_times"]
                out[proc.info["pid"]] = times.user + times.system
        except (psutil.Error, TypeError, AttributeError):
            continue
    return out


def _ray_cpu_seconds(psutil) -> float:
    return sum(_ray_cpu_by_process(psutil).values())


def _ray_cpu_grown(psutil, before: dict[int, float]) -> float:
    """Ray's CPU seconds since ``before``, per process: one that exited meanwhile takes
    its whole CPU time with it, and a difference of totals then went negative."""
    after = _ray_cpu_by_process(psutil)
    return sum(max(cpu - before.get(pid, 0.0), 0.0) for pid, cpu in after.items())


def is_ray_process(name: str, cmdline: list[str]) -> bool:
    """Exactly Ray's: a Ray binary by name, a ``ray::`` process title, or a Ray script by
    its path in the ray package; not any process whose command line mentions one."""
    if name in RAY_PROCESS_NAMES or name.startswith(RAY_TITLE):
        return True
    if cmdline and cmdline[0].startswith(RAY_TITLE):
        return True
    return any(arg.replace("\\", "/").endswith("/" + script)
               for arg in cmdline[1:3] for script in RAY_SCRIPTS)


def run_fleet(executor: Executor, fleet: FleetRun, resume: bool, stop_event: threading.Event,
              label_key: str | None = None, save: bool = True) -> FleetRun:
    """Submit one task per node (skipping nodes already done when resuming), save each
    result as it arrives, and cancel what is left when stopped."""
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
    if stamps.get("timed_out") or document.get("status") == "interrupted":
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


def suite_done(document: dict) -> bool:
    """A node's suite ran every entry it was asked to: complete, or partial with nothing
    left but the entries ``--select`` left out (a budget's skipped entries were asked for)."""
    from perfbench.suite.runner import NOT_SELECTED
    if document.get("status") == "complete":
        return True
    return document.get("status") == "partial" and all(
        r.get("status") in FINAL or (r.get("status") == "skipped" and
                                     r.get("message") == NOT_SELECTED)
        for r in document.get("entries") or [] if isinstance(r, dict))


def _save(fleet: FleetRun) -> None:
    write_json(str(fleet.out_dir / "fleet-run.json"), fleet.to_dict())
