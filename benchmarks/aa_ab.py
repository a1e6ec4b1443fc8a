"""A/A and A/B experiment for `perfbench compare` on this machine.

A/A: N runs of the same configuration compared pairwise — every "regression" is a false
alarm.  A/B: the same A runs against runs of a really slower setting (one thread instead of
the device's choice) — every pair must be caught.  Runs are interleaved A, B, A, B, ... so
machine drift hits both alike.  Uses profiles/ci.toml unless told otherwise.

    python benchmarks/aa_ab.py [--runs-a 10] [--runs-b 5] [--profile ci]
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path

import sys

from _common import run_perfbench

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from perfbench.tracking.verdict import compare, parse_thresholds  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-a", type=int, default=10)
    parser.add_argument("--runs-b", type=int, default=5)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--slower", default="--threads=1", help="the B setting")
    parser.add_argument("--keep", help="directory to keep the result files in")
    args = parser.parse_args()
    a_runs, b_runs = [], []
    keep = Path(args.keep or tempfile.mkdtemp())
    keep.mkdir(parents=True, exist_ok=True)
    for i in range(max(args.runs_a, args.runs_b)):
        for label, runs, extra, total in (("A", a_runs, [], args.runs_a),
                                          ("B", b_runs, [args.slower], args.runs_b)):
            if i < total:
                runs.append(run_perfbench(["--profile", args.profile, *extra]))
                (keep / f"{label}{i + 1}.json").write_text(json.dumps(runs[-1]))
                print(f"{label}{i + 1}: {runs[-1]['results']['fps']:.2f} FPS", flush=True)
    thresholds = parse_thresholds([])
    false_alarms = caught = 0
    aa_pairs = list(itertools.combinations(range(len(a_runs)), 2))
    for i, j in aa_pairs:
        result = compare([a_runs[i]], [a_runs[j]], [f"A{i}"], [f"A{j}"], thresholds)
        if result.regressions:
            false_alarms += 1
            print(f"  false alarm A{i + 1} vs A{j + 1}: "
                  + ", ".join(f"{c.name} {c.change_pct:+.1f} %" for c in result.regressions))
    ab_pairs = list(itertools.product(range(len(a_runs)), range(len(b_runs))))
    for i, j in ab_pairs:
        result = compare([a_runs[i]], [b_runs[j]], [f"A{i}"], [f"B{j}"], thresholds)
        caught += any(c.name == "fps" for c in result.regressions)
    print(f"A/A: {false_alarms} false regressions in {len(aa_pairs)} pairwise comparisons")
    print(f"A/B ({args.slower}): FPS regression caught in {caught}/{len(ab_pairs)} comparisons")


if __name__ == "__main__":
    main()
