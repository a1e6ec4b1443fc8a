"""fleet run on a real (one-node, local) Ray cluster started for these tests."""

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from perfbench.cli.main import main
from tests.models import failing_model, save

ray = pytest.importorskip("ray", reason="the ray extra is part of the test extra")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head node offering the resource and a 'hardware' label, stopped afterwards."""
    ray_cli = shutil.which("ray") or os.path.join(os.path.dirname(sys.executable), "ray")
    port = _free_port()
    temp = tmp_path_factory.mktemp("ray")
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    subprocess.run([ray_cli, "start", "--head", f"--port={port}", "--num-cpus=2",
                    "--resources", json.dumps({"perfbench": 1}), "--labels", "hardware=test",
                    "--include-dashboard=false", f"--temp-dir={temp}", "--disable-usage-stats"],
                   check=True, capture_output=True, env=env, timeout=180)
    yield f"127.0.0.1:{port}"
    subprocess.run([ray_cli, "stop", "--force"], capture_output=True, env=env, timeout=120)


def test_every_node_runs_once_and_results_arrive_on_the_driver(cluster, tiny_ir, tmp_path):
    out = tmp_path / "fleet"
    assert main(["fleet", "run", "--ray", cluster, "--out", str(out), "--label-from",
                 "hardware", "--", "run", "-m", tiny_ir, "-n", "50"]) == 0
    index = json.loads((out / "fleet-run.json").read_text())
    assert index["status"] == "complete" and len(index["nodes"]) == 1
    (node,) = index["nodes"]
    assert node["status"] == "done" and node["labels"] == {"hardware": "test"}
    result = json.loads((out / f"{node['name']}.json").read_text())
    assert result["status"] == "complete" and result["results"]["completed_requests"] == 50
    assert result["host"]["hardware_class"] == "test"        # --label-from hardware
    assert result["fleet"]["ray_cpu_pct"] >= 0
    before = (out / f"{node['name']}.json").stat().st_mtime_ns
    assert main(["fleet", "run", "--ray", cluster, "--out", str(out), "--resume", "--",
                 "run", "-m", tiny_ir, "-n", "50"]) == 0
    assert json.loads((out / "fleet-run.json").read_text())["nodes"][0]["status"] == "resumed"
    assert (out / f"{node['name']}.json").stat().st_mtime_ns == before
    assert main(["fleet", "report", str(out)]) == 0          # the same files feed the report


def test_a_failing_node_is_reported_with_its_error(cluster, tmp_path, capsys):
    failing = save(failing_model(), tmp_path / "fails.xml")
    out = tmp_path / "fleet"
    assert main(["fleet", "run", "--ray", cluster, "--out", str(out), "--", "run", "-m",
                 failing, "-n", "5"]) == 1
    (node,) = json.loads((out / "fleet-run.json").read_text())["nodes"]
    assert node["status"] == "failed" and "inference failed" in node["error"]


def test_bad_fleet_run_input(cluster, tiny_ir, tmp_path, capsys, monkeypatch):
    out = str(tmp_path / "o")
    cases = [(["--nodes", "hardware=other"], "no measuring node matches"),
             (["--nodes", "gpu=h100"], "no measuring node has the label 'gpu'"),
             (["--nodes", "hardware"], "expected LABEL=VALUE")]
    for extra, message in cases:
        assert main(["fleet", "run", "--ray", cluster, "--out", out, *extra, "--", "run",
                     "-m", tiny_ir]) == 2, extra
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (extra, err)
    for command, message in ((["--", "compare", "a", "b"], "(run or sweep)"),
                             (["--", "run", "--json", "x.json"], "--json is set by fleet run"),
                             (["--", "run", "--hint", "fast"], "'hint' must be one of")):
        assert main(["fleet", "run", "--ray", cluster, "--out", out, *command]) == 2
        assert message in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["fleet", "run", "--ray", cluster, "--out", out, "--", "run"]) == 2
    assert "pip install 'perfbench[ray]'" in capsys.readouterr().err
