"""Issue 12: what Ray adds per benchmark, against the same run done locally.

Runs inside a private network namespace holding only loopback (the project's network rule
for Ray), with a head and one measuring node on this machine.  Alternates, ``--rounds``
times: ``perfbench run`` locally, and the same run through ``perfbench fleet run``.
Prints each side's wall time, and from the fleet index the time the cluster itself took
per benchmark (submit → benchmark start on the node, plus end → result back).

    unshare -n python benchmarks/fleet_overhead.py [--rounds 5]   (as root)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.models import conv_model, save  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", default="2000")
    args = parser.parse_args()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    from ray.cluster_utils import Cluster
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    cluster.add_node(num_cpus=1, resources={"perfbench": 1}, node_ip_address="127.0.0.1")
    cluster.wait_for_nodes()
    local, remote, overhead = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        model = save(conv_model(), Path(tmp) / "tiny.xml")
        for i in range(args.rounds):
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "perfbench", "run", "-m", model, "-n",
                            args.requests, "-q", "--json", f"{tmp}/local.json"], check=True,
                           capture_output=True)
            local.append(time.monotonic() - started)
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "perfbench", "fleet", "run", "--ray",
                            cluster.address, "--out", f"{tmp}/f{i}", "--", "run", "-m", model,
                            "-n", args.requests], check=True, capture_output=True)
            remote.append(time.monotonic() - started)
            (node,) = json.loads(Path(f"{tmp}/f{i}/fleet-run.json").read_text())["nodes"]
            overhead.append(node["overhead_s"])
            print(f"round {i + 1}: local {local[-1]:.2f} s, fleet run {remote[-1]:.2f} s "
                  f"(cluster share {overhead[-1]:.3f} s)", flush=True)
    cluster.shutdown()
    print(f"median: local {statistics.median(local):.2f} s, fleet run "
          f"{statistics.median(remote):.2f} s (+{statistics.median(remote) - statistics.median(local):.2f} s "
          f"with driver start-up and connect); submit->start + end->back "
          f"{statistics.median(overhead):.3f} s per benchmark")


if __name__ == "__main__":
    main()
