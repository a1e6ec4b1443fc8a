"""perfbench vs OpenVINO's benchmark_app on the same IR with the same settings.

Target (issue 2): FPS ratio perfbench/benchmark_app >= 1.00 on (a) the built-in model
exported to IR and (b) a tiny one-conv model where per-request overhead dominates.
Runs alternate (order flipped every round) so drift and thermal state hit both tools alike.

    python benchmarks/vs_benchmark_app.py [--rounds 3] [--time 10] [--live]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import (builtin_ir, ratio_summary, run_benchmark_app, run_perfbench,
                     tiny_conv_ir)


def compare(name: str, model: str, rounds: int, seconds: int, hint: str,
            live: bool = False) -> None:
    ours, theirs = [], []
    for round_no in range(rounds):
        order = ("perfbench", "peer") if round_no % 2 == 0 else ("peer", "perfbench")
        for tool in order:
            if tool == "perfbench":
                data = run_perfbench(["-m", model, "--hint", hint, "-t", str(seconds)],
                                     live=live)
                ours.append({"fps": data["results"]["fps"],
                             "median_ms": data["results"]["latency_ms"]["median"]})
            else:
                theirs.append(run_benchmark_app(["-m", model, "-d", "CPU", "-hint", hint,
                                                 "-t", str(seconds)]))
        print(f"  round {round_no + 1}: perfbench {ours[-1]['fps']:.2f} FPS "
              f"{ours[-1]['median_ms']:.3f} ms | benchmark_app {theirs[-1]['fps']:.2f} FPS "
              f"{theirs[-1]['median_ms']:.3f} ms", flush=True)
    fps = ratio_summary("FPS ratio", [o["fps"] for o in ours], [t["fps"] for t in theirs])
    lat = ratio_summary("median latency ratio", [o["median_ms"] for o in ours],
                        [t["median_ms"] for t in theirs])
    verdict = "meets" if fps >= 1.0 else "MISSES"
    print(f"{name}: FPS ratio {fps:.3f} ({verdict} target >= 1.00), median latency ratio "
          f"{lat:.3f}\n", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--time", type=int, default=10, help="seconds per run")
    parser.add_argument("--hint", default="throughput")
    parser.add_argument("--only", choices=("builtin", "tiny"))
    parser.add_argument("--live", action="store_true", help="perfbench on a pseudo-terminal "
                        "with its live view drawing (its cost included)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = {"tiny": ("tiny 1x32x32x3 conv", tiny_conv_ir),
                  "builtin": ("built-in inception-resnet-v2 (IR)", builtin_ir)}
        for key, (name, make) in models.items():
            if args.only and args.only != key:
                continue
            model = make(Path(tmp))
            print(f"{name}: {args.rounds} rounds x {args.time} s, hint {args.hint}", flush=True)
            compare(name, model, args.rounds, args.time, args.hint, args.live)


if __name__ == "__main__":
    main()
