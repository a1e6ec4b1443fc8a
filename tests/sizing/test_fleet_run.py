"""``perfbench fleet run`` (perfbench.sizing.fleet_run): its parts, and the whole on a real
Ray cluster of a head and worker nodes, all on this machine.

Network rule: every Ray process these tests start lives in a private network namespace
holding only loopback (``unshare -n`` + ``ip link set lo up``), because Ray binds to the
machine's own interface address even when told 127.0.0.1.  The whole scenario (cluster,
driver, assertions' raw material) runs in one child process inside that namespace, and
prints a JSON summary that the tests check.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.processes import checkout_env

#: Under CI (the CI variable set) nothing here may be skipped: CI installs ray and runs as
#: root, so a missing piece is a broken environment, reported as a failure with its reason.
UNDER_CI = bool(os.environ.get("CI"))

if UNDER_CI:
    import ray  # noqa: F401  (the test extra installs it: missing under CI is a failure)
else:
    pytest.importorskip("ray", reason="the ray extra is part of the test extra")


def _loopback_namespace_available() -> bool:
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    done = subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"],
                          capture_output=True)
    return done.returncode == 0


LOOPBACK_REASON = "needs unshare -n (root): Ray may only use loopback"


@pytest.fixture(scope="module")
def _loopback():
    """Skip where no loopback-only namespace can be made (a developer's machine); under CI
    fail with the same reason instead, so the two-node tests cannot vanish from CI."""
    if not _loopback_namespace_available():
        (pytest.fail if UNDER_CI else pytest.skip)(LOOPBACK_REASON)


needs_loopback = pytest.mark.usefixtures("_loopback")

SCENARIO = textwrap.dedent('''
    import json, os, subprocess, sys, time
    import psutil
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    from ray.cluster_utils import Cluster
    model, out = sys.argv[1], sys.argv[2]
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    nodes = {name: cluster.add_node(num_cpus=1, resources={"perfbench": 1},
                                    labels={"hardware": name}, node_ip_address="127.0.0.1")
             for name in ("a", "b")}
    cluster.wait_for_nodes()
    address = cluster.address
    summary = {"t": {"cluster": time.time()}}

    def fleet(*args, background=False):
        cmd = [sys.executable, "-m", "perfbench", "fleet", "run", "--ray", address, *args]
        if background:
            return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        done = subprocess.run(cmd, capture_output=True, text=True)
        return done.returncode, done.stderr.strip()[-300:]

    # two fleet runs at once: each node runs both benchmarks, one after the other
    runs = [fleet("--out", f"{out}/twice{i}", "--label-from", "hardware", "--", "run", "-m",
                  model, "-n", "2000", background=True) for i in (1, 2)]
    summary["twice_exit"] = [p.wait(timeout=300) for p in runs]
    summary["t"]["twice"] = time.time()
    summary["twice"] = [json.load(open(f"{out}/twice{i}/fleet-run.json")) for i in (1, 2)]
    summary["results"] = {}
    for i in (1, 2):
        for node in summary["twice"][i - 1]["nodes"]:
            doc = json.load(open(node["file"]))
            summary["results"].setdefault(node["labels"]["hardware"], []).append(
                {"fleet": doc["fleet"], "class": doc["host"]["hardware_class"],
                 "completed": doc["results"]["completed_requests"]})

    # node b killed while it measures: a's result kept, b's failure recorded, exit 1
    raylet = nodes["b"].all_processes["raylet"][0].process.pid
    proc = fleet("--out", f"{out}/kill", "--", "run", "-m", model, "-t", "6", background=True)
    deadline = time.time() + 120
    def measuring(pid):
        """Is b's benchmark process running under b's raylet?  (Processes come and go
        while we look: a vanished or zombie one is simply not it.)"""
        try:
            kids = psutil.Process(pid).children(recursive=True)
        except psutil.Error:
            return False
        for kid in kids:
            try:
                line = kid.cmdline()
            except psutil.Error:
                continue
            if "perfbench" in " ".join(line) and "run" in line:
                return True
        return False

    while time.time() < deadline and not measuring(raylet):   # the marker
        time.sleep(0.05)
    summary["t"]["marker"] = time.time()
    cluster.remove_node(nodes["b"], allow_graceful=False)
    summary["kill_exit"] = proc.wait(timeout=300)
    summary["t"]["killed"] = time.time()
    summary["kill"] = json.load(open(f"{out}/kill/fleet-run.json"))

    # a replacement node for b, then --resume fills the gap only
    cluster.add_node(num_cpus=1, resources={"perfbench": 1}, labels={"hardware": "b"},
                     node_ip_address="127.0.0.1")
    cluster.wait_for_nodes()
    summary["resume_exit"] = fleet("--out", f"{out}/kill", "--resume", "--", "run", "-m",
                                   model, "-t", "6")[0]
    summary["resume"] = json.load(open(f"{out}/kill/fleet-run.json"))
    summary["t"]["resumed"] = time.time()
    summary["bad"] = [fleet("--out", f"{out}/bad", *extra, "--", "run", "-m", model)
                      for extra in (["--nodes", "hardware=zzz"], ["--nodes", "gpu=h100"])]
    summary["t"]["bad"] = time.time()
    cluster.shutdown()
    summary["t"]["shutdown"] = time.time()
    print("SUMMARY " + json.dumps(summary))
''')


@pytest.fixture(scope="module")
def scenario(_loopback, tiny_ir, tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet")
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", SCENARIO, tiny_ir, str(out)],
                          capture_output=True, text=True, env=checkout_env(), timeout=900)
    line = next((x for x in done.stdout.splitlines() if x.startswith("SUMMARY ")), None)
    assert line, done.stderr[-2000:]
    summary = json.loads(line[len("SUMMARY "):])
    stamps = list(summary["t"].items())
    print("phases:", ", ".join(f"{name} {t - stamps[i - 1][1]:.1f} s"
                               for i, (name, t) in enumerate(stamps) if i))
    return summary


@needs_loopback
def test_every_node_ran_and_no_two_benchmarks_overlapped_on_a_node(scenario):
    assert scenario["twice_exit"] == [0, 0]
    for index in scenario["twice"]:
        assert index["status"] == "complete"
        assert sorted(n["labels"]["hardware"] for n in index["nodes"]) == ["a", "b"]
        assert all(n["status"] == "done" and n["overhead_s"] >= 0 for n in index["nodes"])
    for node, results in scenario["results"].items():
        assert len(results) == 2                                  # both fleet runs ran here
        first, second = sorted((r["fleet"]["started_at"], r["fleet"]["ended_at"])
                               for r in results)
        assert first[1] <= second[0], node                        # one benchmark at a time
        assert all(r["class"] == node and r["completed"] == 2000 for r in results)
        assert all(r["fleet"]["ray_cpu_pct"] >= 0 for r in results)


@needs_loopback
def test_a_killed_node_is_a_failure_and_resume_fills_the_gap(scenario):
    assert scenario["kill_exit"] == 1
    status = {n["labels"]["hardware"]: n for n in scenario["kill"]["nodes"]}
    assert status["a"]["status"] == "done" and os.path.exists(status["a"]["file"])
    assert status["b"]["status"] == "failed" and status["b"]["error"]
    assert scenario["resume_exit"] == 0
    after = {(n["labels"]["hardware"], n["status"]) for n in scenario["resume"]["nodes"]}
    assert after == {("a", "resumed"), ("b", "done")}
    assert scenario["resume"]["status"] == "complete"


@needs_loopback
def test_unknown_labels_are_refused_before_anything_runs(scenario):
    (no_match, no_label) = scenario["bad"]
    assert no_match[0] == 2 and "no measuring node matches" in no_match[1]
    assert no_label[0] == 2 and "no measuring node has the label 'gpu'" in no_label[1]


def test_bad_input_without_a_cluster(tiny_ir, tmp_path, capsys, monkeypatch):
    from perfbench.cli.main import main
    out = str(tmp_path / "o")
    missing = str(tmp_path / "none.toml")
    for command, message in ((["--", "compare", "a", "b"], "(run, sweep or suite)"),
                             (["--", "suite", missing], "suite file not found"),
                             (["--", "suite", missing, "--out", "d"], "--out is set by fleet"),
                             (["--", "run", "--json", "x.json"], "--json is set by fleet run"),
                             (["--", "run", "--hint", "fast"], "'hint' must be one of"),
                             (["--nodes", "hardware", "--", "run"], "expected LABEL=VALUE"),
                             (["--", "run", "--hist", "h.db"], "unrecognized arguments: --hist"),
                             (["--", "sweep", "--export-c", "x.csv"],
                              "unrecognized arguments: --export-c"),
                             (["--timeout", "0", "--", "run"], "'timeout' must be")):
        assert main(["fleet", "run", "--ray", "127.0.0.1:1", "--out", out, *command]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    for address, message in (("127.0.0.1:1", "no reachable Ray cluster"),
                             ("nowhere", "expected auto, HOST:PORT")):
        assert main(["fleet", "run", "--ray", address, "--out", out, "--", "run"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["fleet", "run", "--ray", "127.0.0.1:1", "--out", out, "--", "run"]) == 2
    assert "pip install 'perfbench[ray]'" in capsys.readouterr().err


def test_cluster_overhead_is_submit_to_start_plus_end_to_back():
    from perfbench.sizing.fleet_run import NodeRun
    node = NodeRun("id", "n", {}, submitted_at=100.0, started_at=100.4, ended_at=110.0,
                   received_at=110.25)
    assert node.overhead_s == pytest.approx(0.65)
    assert NodeRun("id", "n", {}).overhead_s is None


class FakeExecutor:
    """Nodes as Ray lists them (ids change with every cluster start); each task returns a
    complete synthetic result at once, stamped as node_task stamps it."""

    def __init__(self, ids=("n1", "n2")):
        self.ids, self.submitted = ids, []

    def nodes(self):
        return [{"id": node_id, "hostname": "host", "alive": True, "offers": True,
                 "labels": {"hardware": f"k{i}"}} for i, node_id in enumerate(self.ids)]

    def submit(self, node_id, command, label, timeout_s):
        self.submitted.append(node_id)
        return (node_id, tuple(command), label)

    def wait(self, handles, timeout):
        return handles[:1]

    def get(self, handle):
        from tests.models import synthetic_document
        doc = synthetic_document([100.0])
        doc["fleet"] = {"command": list(handle[1]), "label": handle[2],
                        "started_at": 1.0, "ended_at": 2.0}
        return doc

    def cancel(self, handle):
        pass


def _fleet(executor, out, command, resume):
    import threading
    from perfbench.sizing.fleet_nodes import measuring_nodes
    from perfbench.sizing.fleet_run import FleetRun, run_fleet
    fleet = FleetRun(command, out, measuring_nodes(executor, {}))
    return run_fleet(executor, fleet, resume, threading.Event(), "hardware")


def test_node_identity_survives_a_cluster_restart(tmp_path):
    """After a restart Ray gives every node a new id: --resume still finds their results."""
    first = _fleet(FakeExecutor(("a1", "b1")), tmp_path, ["run", "-t", "1"], resume=False)
    assert first.status == "complete"
    restarted = FakeExecutor(("a2", "b2"))
    again = _fleet(restarted, tmp_path, ["run", "-t", "1"], resume=True)
    assert restarted.submitted == [] and {n.status for n in again.nodes} == {"resumed"}


def test_resume_reruns_a_node_whose_result_another_command_made(tmp_path):
    _fleet(FakeExecutor(), tmp_path, ["run", "-t", "1"], resume=False)
    other = FakeExecutor()
    again = _fleet(other, tmp_path, ["run", "-t", "2"], resume=True)
    assert sorted(other.submitted) == ["n1", "n2"]
    assert {n.status for n in again.nodes} == {"done"}


SUITE_SCENARIO = textwrap.dedent('''
    import json, os, subprocess, sys
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    from ray.cluster_utils import Cluster
    suite, out = sys.argv[1], sys.argv[2]
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    for name in ("a", "b"):
        cluster.add_node(num_cpus=1, resources={"perfbench": 1}, labels={"hardware": name},
                         node_ip_address="127.0.0.1")
    cluster.wait_for_nodes()
    run = subprocess.run([sys.executable, "-m", "perfbench", "fleet", "run", "--ray",
                          cluster.address, "--out", out, "--", "suite", suite],
                         capture_output=True, text=True)
    report = subprocess.run([sys.executable, "-m", "perfbench", "fleet", "report", out,
                             "--mix", "tiny=1000", "--json", out + "/report.json"],
                            capture_output=True, text=True)
    cluster.shutdown()
    print("SUMMARY " + json.dumps({"run": [run.returncode, run.stderr[-500:]],
                                   "report": [report.returncode, report.stderr[-500:]]}))
''')


@needs_loopback
def test_a_suite_runs_on_every_node_and_each_suite_directory_comes_back(tiny_ir, failing_ir,
                                                                        tmp_path):
    suite = tmp_path / "s.toml"
    suite.write_text(f'[defaults]\niterations = 200\n[matrix]\nhint = ["throughput", '
                     f'"latency"]\n[[models]]\nmodel = "{tiny_ir}"\n[[models]]\n'
                     f'model = "{failing_ir}"\n')
    out = tmp_path / "out"
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", SUITE_SCENARIO, str(suite),
                           str(out)], capture_output=True, text=True, env=checkout_env(),
                          timeout=900)
    line = next((x for x in done.stdout.splitlines() if x.startswith("SUMMARY ")), None)
    assert line, done.stderr[-2000:]
    summary = json.loads(line[len("SUMMARY "):])
    # the suite exits 1 on each node (an entry failed): each node failed, its directory kept
    assert summary["run"][0] == 1, summary
    index = json.loads((out / "fleet-run.json").read_text())
    assert [n["status"] for n in index["nodes"]] == ["failed", "failed"]
    assert all("exited with status 1" in n["error"] for n in index["nodes"])
    for node in index["nodes"]:
        suite_doc = json.loads((out / node["name"] / "suite.json").read_text())
        statuses = {e["name"]: e["status"] for e in suite_doc["entries"]}
        # the crashing entry failed on each node; the others ran there
        assert statuses == {"tiny.throughput": "ok", "tiny.latency": "ok",
                            "fails.throughput": "failed", "fails.latency": "failed"}
        assert (out / node["name"] / "tiny.latency.json").is_file()
        assert suite_doc["fleet"]["command"][0] == "suite"
    assert summary["report"][0] == 0, summary
    report = json.loads((out / "report.json").read_text())
    assert {m["model"] for m in report["models"]} == {"tiny"}
    assert report["mix"]["classes"][0]["machines"] >= 1


def test_a_node_that_timed_out_is_failed_and_keeps_its_partial_result(tmp_path):
    """A timed-out benchmark now writes what it measured (SIGINT first): that node came
    back "done" and the fleet "complete" (exit 0), though it never finished."""
    executor = FakeExecutor(("a", "b"))
    plain = executor.get

    def get(handle):
        doc = plain(handle)
        if handle[0] == "b":
            doc["status"] = "interrupted"
            doc["fleet"].update(timed_out=True, exit_status=130)
        return doc
    executor.get = get
    fleet = _fleet(executor, tmp_path, ["run", "-t", "1"], resume=False)
    nodes = {n.node_id: n for n in fleet.nodes}
    assert nodes["a"].status == "done" and nodes["b"].status == "failed"
    assert "timed out" in nodes["b"].error and os.path.exists(nodes["b"].file)
    assert fleet.status == "failed"


class SuiteExecutor(FakeExecutor):
    """Each task returns a node's suite directory, with the suite's exit status."""

    def __init__(self, ids=("n1", "n2"), exit_status=0, entries=None):
        super().__init__(ids)
        self.exit_status = exit_status
        self.entries = entries or [{"name": "a", "status": "ok", "file": None}]

    def get(self, handle):
        from perfbench.sizing.fleet_suite_dir import SUITE_SCHEMA
        from perfbench.suite.document import suite_status
        status = suite_status(self.entries, False)
        suite = {"schema": "perfbench.suite", "schema_version": 1, "suite": "s",
                 "status": status, "entries": self.entries}
        return {"schema": SUITE_SCHEMA, "status": status, "suite": suite, "files": {},
                "fleet": {"command": list(handle[1]), "label": handle[2], "started_at": 1.0,
                          "ended_at": 2.0, "exit_status": self.exit_status}}


def test_a_suite_node_that_exits_non_zero_has_failed_and_is_run_again(tmp_path):
    """Every entry failed (exit 1): the node was done and the fleet complete, exit 0, and
    --resume never ran it again (issue 30, item 7)."""
    failing = SuiteExecutor(exit_status=1, entries=[{"name": "a", "status": "failed",
                                                     "file": None}])
    fleet = _fleet(failing, tmp_path, ["suite", "s.toml"], resume=False)
    assert {n.status for n in fleet.nodes} == {"failed"} and fleet.status == "failed"
    assert all("exited with status 1" in n.error for n in fleet.nodes)
    again = SuiteExecutor()
    fleet = _fleet(again, tmp_path, ["suite", "s.toml"], resume=True)
    assert again.submitted == ["n1", "n2"] and fleet.status == "complete"


def test_a_suite_with_only_unselected_entries_skipped_is_done_on_resume(tmp_path):
    """`-- suite … --select`: the suite is "partial" (the rest skipped), which a resume
    measured again on every node, every time (issue 30, item 8).  Skipped by the budget,
    an entry was asked for, and the node runs again."""
    from perfbench.suite.runner import NOT_SELECTED
    command = ["suite", "s.toml", "--select", "a"]
    selected = [{"name": "a", "status": "ok", "file": None},
                {"name": "b", "status": "skipped", "file": None, "message": NOT_SELECTED}]
    _fleet(SuiteExecutor(entries=selected), tmp_path, command, resume=False)
    again = SuiteExecutor(entries=selected)
    fleet = _fleet(again, tmp_path, command, resume=True)
    assert again.submitted == [] and {n.status for n in fleet.nodes} == {"resumed"}
    budget = [selected[0], {"name": "b", "status": "skipped", "file": None,
                            "message": "the --budget was spent before it ran"}]
    _fleet(SuiteExecutor(entries=budget), tmp_path, command, resume=False)
    again = SuiteExecutor(entries=budget)
    _fleet(again, tmp_path, command, resume=True)
    assert again.submitted == ["n1", "n2"]


class CancelledExecutor(FakeExecutor):
    """Ctrl-C while both nodes measure: the stop comes in the first wait; after the cancel,
    node ``a`` sends back the partial result its benchmark wrote on SIGINT (stamped
    cancelled), and ``b``'s task ends with the cancel (nothing measured yet)."""

    def __init__(self, stop):
        super().__init__(("a", "b"))
        self.stop, self.cancelled = stop, []

    def wait(self, handles, timeout):
        if not self.cancelled:
            self.stop.set()
            return []
        return handles[:1]

    def cancel(self, handle):
        self.cancelled.append(handle[0])

    def get(self, handle):
        if handle[0] == "b":
            raise RuntimeError("TaskCancelledError")
        doc = super().get(handle)
        doc["status"] = "interrupted"
        doc["fleet"].update(cancelled=True, exit_status=130)
        return doc


def test_a_cancelled_nodes_partial_result_is_kept(tmp_path):
    """The driver cancelled what was left and never read it: a node's measured partial
    result was lost.  Now it is saved, the node cancelled with where it is kept."""
    import threading
    from perfbench.sizing.fleet_nodes import measuring_nodes
    from perfbench.sizing.fleet_run import FleetRun, run_fleet
    stop = threading.Event()
    executor = CancelledExecutor(stop)
    fleet = FleetRun(["run", "-t", "60"], tmp_path, measuring_nodes(executor, {}))
    run_fleet(executor, fleet, False, stop, "hardware")
    nodes = {n.node_id: n for n in fleet.nodes}
    assert sorted(executor.cancelled) == ["a", "b"] and fleet.status == "interrupted"
    assert nodes["a"].status == "cancelled" and "partial result is kept" in nodes["a"].error
    from pathlib import Path
    assert json.loads(Path(nodes["a"].file).read_text())["status"] == "interrupted"
    assert nodes["b"].status == "cancelled" and not nodes["b"].file
    index = json.loads((tmp_path / "fleet-run.json").read_text())
    assert {n["node_id"]: n["status"] for n in index["nodes"]} == {"a": "cancelled",
                                                                  "b": "cancelled"}
