"""Issue 12: how fleet run and fleet report scale, by simulation.

Ray is replaced by an in-process executor behind the same interface as
:class:`perfbench.sizing.fleet_run.RayExecutor`: it lists N measuring nodes (two hardware
labels) and "runs" each node's sweep instantly, returning a synthetic ``perfbench.sweep``
document of P finished points.  Measured: planning (node selection and submission), the
driver loop collecting every result (with the per-result file writes), and merging all
N × P results in ``fleet report`` — wall time and peak memory (tracemalloc) of each.

    python benchmarks/fleet_scale.py [--nodes 1000] [--points 50]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from perfbench.cli.commands.fleet import result_files  # noqa: E402
from perfbench.sizing.fleet_run import FleetRun, measuring_nodes, run_fleet  # noqa: E402
from perfbench.sizing.fleet import measured_from, report  # noqa: E402
from tests.models import synthetic_document  # noqa: E402


class InProcessExecutor:
    """N nodes, each returning a P-point sweep at once (no cluster, no benchmark)."""

    def __init__(self, nodes: int, points: int):
        self.count, self.points = nodes, points
        self.done: list = []

    def nodes(self) -> list[dict]:
        return [{"id": f"{i:056x}", "hostname": f"node-{i:05d}", "alive": True, "offers": True,
                 "labels": {"hardware": "big" if i % 2 else "small"}} for i in range(self.count)]

    def submit(self, node_id: str, command: list[str], label: str | None, timeout_s: float):
        handle = (node_id, label)
        self.done.append(handle)
        return handle

    def wait(self, handles: list, timeout: float) -> list:
        return handles[:1]

    def get(self, handle) -> dict:
        node_id, label = handle
        speed = 150.0 if label == "big" else 100.0
        points = []
        for p in range(self.points):
            doc = synthetic_document([speed * (1 + p / 100)], threads=p + 1)
            doc["host"] = {"hardware_class": label, "hostname": node_id[-8:]}
            points.append({"key": f"threads={p + 1}", "status": "done", "result": doc})
        return {"schema": "perfbench.sweep", "status": "complete", "points": points,
                "fleet": {"started_at": time.time(), "ended_at": time.time()}}

    def cancel(self, handle) -> None:
        pass


def measure(label: str, work):
    tracemalloc.start()
    started = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label}: {seconds:.2f} s, peak {peak / 2**20:.1f} MiB", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--points", type=int, default=50)
    args = parser.parse_args()
    executor = InProcessExecutor(args.nodes, args.points)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        fleet = measure(f"plan: select {args.nodes} nodes",
                        lambda: FleetRun(["sweep"], out, measuring_nodes(executor, {})))
        measure(f"run: submit, collect and save {args.nodes} sweeps of {args.points} points",
                lambda: run_fleet(executor, fleet, False, threading.Event(), "hardware"))
        size = sum(p.stat().st_size for p in out.glob("*.json"))
        print(f"  {len(list(out.glob('*.json')))} files, {size / 2**20:.0f} MiB on the driver")

        def merge():
            measured = [m for path in result_files([str(out)])
                        for m in measured_from(json.loads(path.read_text()), str(path))]
            return report(measured, 5000.0, None, 0.2, {"small": 1.0, "big": 2.0})
        doc = measure(f"merge: fleet report over {args.nodes * args.points:,} results", merge)
        print(f"  classes: {[c['hardware_class'] for c in doc['classes']]}, cheapest "
              f"{doc['cheapest']}")


if __name__ == "__main__":
    main()
