"""Soak: a long perfbench run on a tiny model, RSS sampled every few seconds from outside.

Target (issue 4): latency storage must stay bounded; at ~10,000 inferences/s for an hour RSS
may not grow by more than 32 MB.  This runs `perfbench run` for --minutes on a one-conv
model (the fastest case, so the most latencies per second), samples the child's RSS every
--every seconds with psutil and prints the least-squares RSS slope and the growth after the
first minute (allocator warm-up).

    python benchmarks/soak.py [--minutes 10] [--every 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from _common import tiny_conv_ir


def slope_mb_per_min(points: list[tuple[float, int]]) -> float:
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_r = sum(r for _, r in points) / n
    cov = sum((t - mean_t) * (r - mean_r) for t, r in points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return cov / var * 60 / 2**20 if var else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--every", type=float, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = tiny_conv_ir(Path(tmp))
        out = Path(tmp) / "soak.json"
        child = subprocess.Popen([sys.executable, "-m", "perfbench", "run", "-m", model, "-t",
                                  str(args.minutes * 60), "-q", "--json", str(out)],
                                 stdout=subprocess.DEVNULL)
        proc = psutil.Process(child.pid)
        points: list[tuple[float, int]] = []
        start = time.time()
        while child.poll() is None:
            try:
                rss = proc.memory_info().rss
            except psutil.NoSuchProcess:
                break
            if rss:  # 0 until the child has exec'd
                points.append((time.time() - start, rss))
            time.sleep(args.every)
        child.wait()
        data = json.loads(out.read_text())
    res = data["results"]
    settled = [p for p in points if p[0] >= 60] or points
    growth = (max(r for _, r in settled) - settled[0][1]) / 2**20
    print(f"soak {args.minutes:g} min: {res['completed_requests']:,} inferences "
          f"({res['fps']:,.0f}/s), latency stats exact={res['latency_ms']['exact']}")
    print(f"RSS first {points[0][1] / 2**20:.0f} MiB, after 1 min {settled[0][1] / 2**20:.0f} "
          f"MiB, peak {max(r for _, r in points) / 2**20:.0f} MiB, final "
          f"{points[-1][1] / 2**20:.0f} MiB; growth after the first minute {growth:.1f} MiB; "
          f"slope after the first minute {slope_mb_per_min(settled):.3f} MB/min "
          f"({len(points)} samples)")


if __name__ == "__main__":
    main()
