"""Time for perfbench --until-stable to reach FPS ±1 % (95 % CI) on the built-in model,
versus benchmark_app's default fixed 60 s run on CPU, and whether the two FPS agree.

Target (issue 3): at most 20 s to stability on the 2-core machine, and benchmark_app's FPS
inside perfbench's stated interval (or the two within their combined noise).  Rounds
alternate which tool runs first.

    python benchmarks/until_stable.py [--rounds 3] [--peer-time 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from _common import builtin_ir, run_benchmark_app, run_perfbench

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from perfbench.results import from_document  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer-time", type=int, default=60)
    parser.add_argument("--target", type=float, default=1.0)
    parser.add_argument("--max-time", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = builtin_ir(Path(tmp))
        times, inside = [], 0
        for round_no in range(args.rounds):
            order = ("ours", "peer") if round_no % 2 == 0 else ("peer", "ours")
            for tool in order:
                if tool == "ours":
                    data = run_perfbench(["-m", model, "--until-stable", str(args.target),
                                          "--max-time", str(args.max_time)])
                else:
                    peer = run_benchmark_app(["-m", model, "-d", "CPU", "-hint", "throughput",
                                              "-t", str(args.peer_time)])
            result = from_document(data, "perfbench run")
            est = result.precision.fps_windows
            took = result.duration_s
            times.append(took)
            agrees = est.low <= peer["fps"] <= est.high
            inside += agrees
            print(f"round {round_no + 1}: perfbench {result.stop_reason} after {took:.1f} s: "
                  f"steady {est.value:.2f} FPS [{est.low:.2f}, {est.high:.2f}]"
                  f" (±{est.half_width_pct:.2f} %), whole-window "
                  f"{result.fps:.2f}; benchmark_app {args.peer_time} s: "
                  f"{peer['fps']:.2f} FPS -> {'inside' if agrees else 'OUTSIDE'} the interval",
                  flush=True)
        median = statistics.median(times)
        print(f"time to ±{args.target:g} %: median {median:.1f} s (max {max(times):.1f} s) vs "
              f"the peer's {args.peer_time} s = {args.peer_time / median:.1f}x faster; "
              f"peer FPS inside perfbench's interval in {inside}/{args.rounds} rounds")


if __name__ == "__main__":
    main()
