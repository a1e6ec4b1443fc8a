"""Issue 11: does the worker started first (or second) run faster in an A/A run?

Fixed-length A/A runs (no early stop, so the stopping rule cannot lean the ratio) of the
conv stack of ``ab_power.py``, alternating which worker starts first; prints each ratio and
the mean per start order.

    python benchmarks/aa_start_order.py [--runs 10] [--seconds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ab_power import conv_stack  # noqa: E402
from perfbench.cli.commands.ab import side_settings  # noqa: E402
from perfbench.runner.ab import ABRun, run_ab  # noqa: E402
from perfbench.stats.paired import paired_ratio  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    by_order: dict[str, list[float]] = {"base": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        settings = side_settings(conv_stack(Path(tmp) / "base.xml", 0), {}, [], "--base-set")
        for i in range(args.runs):
            first = "base" if i % 2 == 0 else "new"
            run = ABRun(settings={}, max_time_s=args.seconds, early_stop=False,
                        started_first=first, epoch_s=args.seconds)   # one process pair
            run_ab(settings, dict(settings), (sys.executable, sys.executable), run)
            estimate = paired_ratio(run.log_ratios())
            by_order[first].append(estimate.ratio)
            print(f"{i + 1}: {first} started first, NEW/BASE {estimate.ratio:.4f} "
                  f"[{estimate.low:.4f}, {estimate.high:.4f}], {estimate.rounds} rounds",
                  flush=True)
    everything = by_order["base"] + by_order["new"]
    print(f"mean {statistics.fmean(everything):.4f} (SD {statistics.stdev(everything):.4f}); "
          + "; ".join(f"{k} first {statistics.fmean(v):.4f}" for k, v in by_order.items() if v))


if __name__ == "__main__":
    main()
