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


def test_ray_cpu_share_counts_only_ray_processes():
    """A child named as Ray's raylet burns a known amount of CPU, then waits: the count
    grows by at least its CPU time (other Ray processes could only add).  The same child
    merely mentioning "raylet" on its command line is not Ray's, and is not counted."""
    import subprocess
    import sys
    import psutil
    from perfbench.sizing.fleet_run import _ray_cpu_seconds
    code = ("import ctypes, sys, time  # raylet\n"
            "NAME\nend = time.process_time() + 0.3\n"
            "while time.process_time() < end: pass\nprint('done', flush=True)\n"
            "sys.stdin.read()")
    named = code.replace("NAME", "ctypes.CDLL('libc.so.6').prctl(15, b'raylet')")  # PR_SET_NAME
    before = _ray_cpu_seconds(psutil)
    child = subprocess.Popen([sys.executable, "-c", named], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "done\n"
        times = psutil.Process(child.pid).cpu_times()
        grown = _ray_cpu_seconds(psutil) - before
        assert grown >= times.user + times.system - 0.01
    finally:
        child.stdin.close()
        child.wait(10)
    plain = subprocess.Popen([sys.executable, "-c", code.replace("NAME", "")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        start = _ray_cpu_seconds(psutil)
        assert plain.stdout.readline() == "done\n"
        assert _ray_cpu_seconds(psutil) - start < 0.25      # not a Ray process: not counted
    finally:
        plain.stdin.close()
        plain.wait(10)


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
    from perfbench.sizing.fleet_run import FleetRun, measuring_nodes, run_fleet
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


def test_two_nodes_with_one_identity_are_refused():
    from perfbench.errors import UsageError
    from perfbench.sizing.fleet_run import measuring_nodes
    executor = FakeExecutor()
    executor.nodes = lambda: [{"id": i, "hostname": "host", "alive": True, "offers": True,
                               "labels": {}} for i in ("x", "y")]
    with pytest.raises(UsageError, match="share the identity 'host'"):
        measuring_nodes(executor, {})


@pytest.mark.parametrize("name, cmdline, ray", [
    ("raylet", ["/venv/lib/ray/core/src/ray/raylet/raylet", "--node"], True),
    ("gcs_server", ["/venv/lib/ray/core/src/ray/gcs/gcs_server"], True),
    ("ray::IDLE", ["ray::IDLE"], True),
    ("python3", ["ray::node_task"], True),
    ("python3", ["python3", "/venv/site-packages/ray/dashboard/dashboard.py", "--x"], True),
    ("python3", ["python3", "-u", "/venv/site-packages/ray/_private/log_monitor.py"], True),
    ("python3", ["python3", "-c", "# raylet"], False),
    ("grafana-dashboard", ["grafana-dashboard"], False),
    ("python3", ["python3", "monitor.py"], False),
    ("python3", ["python3", "/home/me/ray/_private_notes.py"], False),
    ("bash", ["bash", "-c", "echo ray::x gcs_server"], False),
    ("raylet-exporter", ["raylet-exporter"], False)])
def test_ray_processes_are_matched_exactly(name, cmdline, ray):
    from perfbench.sizing.fleet_run import is_ray_process
    assert is_ray_process(name, cmdline) is ray


def _our_benchmarks(tmp):
    import psutil
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if str(tmp) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def test_a_node_task_times_out_stops_its_benchmark_and_removes_its_directory(
        tiny_ir, tmp_path, monkeypatch):
    import tempfile
    from perfbench.sizing.fleet_run import node_task
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # The benchmark is stopped with SIGINT first: once it measures, it writes what it has
    # (marked interrupted) and that comes back; stopped before that, the task fails.
    try:
        document = node_task(["run", "-m", tiny_ir, "-t", "120"], None, timeout_s=3.0)
    except RuntimeError as exc:
        assert "timed out after 3 s" in str(exc)
    else:
        assert document["fleet"]["timed_out"] and document["status"] == "interrupted"
        assert document["fleet"]["exit_status"] == 130
    assert list(tmp_path.iterdir()) == [] and _our_benchmarks(tmp_path) == []


def test_a_cancelled_node_task_stops_its_benchmark_and_removes_its_directory(
        tiny_ir, tmp_path, monkeypatch):
    """Ray cancels a running task with a KeyboardInterrupt in its thread; raised here as
    soon as the benchmark runs, in its own session (no preexec_fn in a threaded worker)."""
    import _thread
    import os
    import tempfile
    import threading
    from perfbench.sizing.fleet_run import node_task
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sessions = []

    def interrupt_when_measuring():
        import time
        while not sessions:                          # the marker: the benchmark process
            for proc in _our_benchmarks(tmp_path):
                sessions.append(os.getsid(proc.pid) == proc.pid)
            time.sleep(0.05)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_when_measuring, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        node_task(["run", "-m", tiny_ir, "-t", "120"], None, timeout_s=600.0)
    assert sessions[:1] == [True]
    assert list(tmp_path.iterdir()) == [] and _our_benchmarks(tmp_path) == []


def test_directories_of_dead_tasks_are_removed(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile
    from perfbench.sizing.fleet_run import TMP_PREFIX, remove_stale_directories
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / f"{TMP_PREFIX}{dead}-abc").mkdir()
    alive = tmp_path / f"{TMP_PREFIX}{os.getpid()}-def"
    alive.mkdir()
    remove_stale_directories()
    assert list(tmp_path.iterdir()) == [alive]


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


def test_a_ray_process_that_exits_does_not_make_the_share_negative(monkeypatch):
    """Ray's CPU is counted per process: one that ends between the two readings took its
    CPU time with it (a difference of totals went negative once in a suite run)."""
    from perfbench.sizing import fleet_run
    readings = iter([{1: 5.0, 2: 40.0}, {1: 6.5, 3: 0.25}])
    monkeypatch.setattr(fleet_run, "_ray_cpu_by_process", lambda psutil: next(readings))
    before = fleet_run._ray_cpu_by_process(None)
    assert fleet_run._ray_cpu_grown(None, before) == pytest.approx(1.75)


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


def test_a_stopped_node_gives_a_suite_time_to_stop_its_entry_and_kills_what_is_left(
        tmp_path, monkeypatch):
    """A suite's entries run in sessions of their own: killing the suite's session missed
    them, and the fleet's grace equalled the suite's, so an entry still stopping was
    orphaned.  Here the benchmark ignores SIGINT and leaves a child in its own session."""
    import signal
    import subprocess
    import sys
    from perfbench.sizing import fleet_run
    from perfbench.suite import process
    from tests.suite.test_process import _exited, _wait_for
    assert fleet_run.STOP_GRACE_S > process.STOP_GRACE_S
    monkeypatch.setattr(fleet_run, "STOP_GRACE_S", 0.2)
    pid_file = tmp_path / "pid"
    code = ("import signal, subprocess, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN);"
            " p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
            f" start_new_session=True); open({str(pid_file)!r}, 'w').write(str(p.pid));"
            " time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: pid_file.exists() and pid_file.read_text())
    child = int(pid_file.read_text())
    try:
        fleet_run._stop_session(proc)
        assert proc.returncode == -signal.SIGKILL
        _wait_for(lambda: _exited(child))
    finally:
        if not _exited(child):                  # a failing test leaves no sleeper behind
            os.kill(child, signal.SIGKILL)


class SuiteExecutor(FakeExecutor):
    """Each task returns a node's suite directory, with the suite's exit status."""

    def __init__(self, ids=("n1", "n2"), exit_status=0, entries=None):
        super().__init__(ids)
        self.exit_status = exit_status
        self.entries = entries or [{"name": "a", "status": "ok", "file": None}]

    def get(self, handle):
        from perfbench.sizing.fleet_run import SUITE_SCHEMA
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
