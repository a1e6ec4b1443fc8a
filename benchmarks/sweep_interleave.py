"""Issue 11: does the best point of a sweep depend on when each point ran?

The sweep of the issue (tiny conv model, ``--streams 1,2 --requests 1,2,4 --point-time 4``),
run ``--repeats`` times sequentially and as many times interleaved, alternating the two
modes, all on this machine in one run.  Prints each run's best-throughput pick and how
often each mode named its most common pick.

    python benchmarks/sweep_interleave.py [--repeats 5] [--point-time 4] [--keep DIR]
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import tiny_conv_ir

GRID = ["--streams", "1,2", "--requests", "1,2,4"]


def sweep(model: str, mode: str, point_time: str, out: Path) -> dict:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "perfbench", "sweep", "-m", model, *GRID,
                    "--point-time", point_time, f"--{mode}", "-q", "--json", str(out)],
                   check=True, capture_output=True)
    data = json.loads(out.read_text())
    data["wall_s"] = time.monotonic() - started
    return data


def describe(data: dict) -> str:
    pick = data["recommendations"]["best_throughput"]
    paired = pick.get("fps_vs_default_paired")
    low, high = (paired["low"], paired["high"]) if paired else (None, None)
    versus = (f"{100 * (paired['ratio'] - 1):+.1f} % [{100 * (low - 1):+.1f}, "
              f"{100 * (high - 1):+.1f}] vs default (paired)" if paired else
              f"{pick.get('fps_vs_default_pct', 0):+.1f} % vs default (unpaired)")
    return f"{pick['key']:<22} {pick['fps']:>10,.0f} FPS  {versus}  ({data['wall_s']:.0f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--point-time", default="4")
    parser.add_argument("--keep", help="directory for the sweep files")
    args = parser.parse_args()
    keep = Path(args.keep or tempfile.mkdtemp())
    keep.mkdir(parents=True, exist_ok=True)
    model = tiny_conv_ir(keep)
    picks: dict[str, list[str]] = {"sequential": [], "interleave": []}
    for i in range(args.repeats):
        for mode in ("sequential", "interleave"):
            data = sweep(model, mode, args.point_time, keep / f"{mode}{i + 1}.json")
            picks[mode].append(data["recommendations"]["best_throughput"]["key"])
            print(f"{mode:>10} {i + 1}: {describe(data)}", flush=True)
    for mode, keys in picks.items():
        top, count = collections.Counter(keys).most_common(1)[0]
        print(f"{mode}: the same best point ({top}) in {count} of {len(keys)} sweeps; "
              f"picks: {dict(collections.Counter(keys))}")


if __name__ == "__main__":
    main()
